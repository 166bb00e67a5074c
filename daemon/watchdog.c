/* SPDX-License-Identifier: ISC */
/*
 * The watchdog (see watchdog.h).
 */
#include <stdio.h>
#include <time.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "lifecycle.h"
#include "notify-send.h"
#include "watchdog.h"

static struct event *tick_ev;
static uint64_t period_ms;
static bool stalled;            /* some loop did not answer last time */

/* On the listener's loop: it is alive. */
static void
answer(void *arg)
{
	struct wsld_listener *l = arg;

	atomic_store(&l->watchdog.answered, atomic_load(&l->watchdog.sent));
}

/* Has l's loop answered the last ping?  Then send the next. */
static void
check(struct wsld_listener *l, void *arg)
{
	bool *ok = arg;
	uint64_t now = (uint64_t)wsl_now_ms();
	unsigned int sent = atomic_load(&l->watchdog.sent);

	if (l->ws == NULL)
		return;
	if (atomic_load(&l->watchdog.answered) != sent) {
		if (l->watchdog.stalled_since_ms == 0) {
			l->watchdog.stalled_since_ms = now - period_ms;
			log_listener(LOG_WARNING, l->name, "its event loop has "
			    "not answered for %llu ms: the watchdog is not fed "
			    "while it stalls", (unsigned long long)period_ms);
		}
		*ok = false;
		return;
	}
	if (l->watchdog.stalled_since_ms != 0) {
		log_listener(LOG_INFO, l->name, "its event loop answers again "
		    "after %llu ms", (unsigned long long)(now -
		    l->watchdog.stalled_since_ms));
		l->watchdog.stalled_since_ms = 0;
	}
	l->watchdog.ping.run = answer;
	l->watchdog.ping.arg = l;
	atomic_store(&l->watchdog.sent, sent + 1);
	if (WslPostTask(l->ws, &l->watchdog.ping) != S_OK)
		atomic_store(&l->watchdog.sent, sent); /* going away */
}

/* Every loop, named or not (a replaced one finishing its channels). */
static void
tick(evutil_socket_t fd, short what, void *arg)
{
	bool ok = true;

	(void)fd;
	(void)what;
	(void)arg;
	lifecycle_foreach(check, &ok);
	if (ok)
		notify_send("WATCHDOG=1");
	else if (!stalled)
		log_warnx("watchdog: not fed while a listener loop stalls");
	stalled = !ok;
}

bool
watchdog_start(struct event_base *base)
{
	struct timeval tv;
	uint64_t usec;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return (false);
	period_ms = usec / 4000 > 0 ? usec / 4000 : 1;
	tv = wsl_ms_to_tv((long long)period_ms);
	if ((tick_ev = event_new(base, -1, EV_PERSIST, tick, NULL)) == NULL ||
	    event_add(tick_ev, &tv) < 0)
		fatalx("cannot start the watchdog timer");
	log_info("watchdog: WATCHDOG=1 every %llu ms while every listener "
	    "loop answers", (unsigned long long)period_ms);
	return (true);
}

void
watchdog_stop(void)
{
	if (tick_ev != NULL)
		event_free(tick_ev);
	tick_ev = NULL;
}
