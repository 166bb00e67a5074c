/* SPDX-License-Identifier: ISC */
/*
 * The watchdog (see watchdog.h).
 */
#include <stdio.h>
#include <time.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "registry.h"
#include "watchdog.h"

static struct event *tick_ev;
static uint64_t period_ms;
static bool stalled;            /* some loop did not answer last time */

/* On the listener's loop: it is alive. */
static void
answer(void *arg)
{
	struct wsld_listener *l = arg;

	atomic_store(&l->pings_answered, atomic_load(&l->pings_sent));
}

/* Has l's loop answered the last ping?  Then send the next. */
static bool
alive(struct wsld_listener *l, uint64_t now)
{
	unsigned int sent = atomic_load(&l->pings_sent);

	if (l->ws == NULL)
		return (true);
	if (atomic_load(&l->pings_answered) != sent) {
		if (l->stalled_since_ms == 0) {
			l->stalled_since_ms = now - period_ms;
			log_listener(LOG_WARNING, l->name, "its event loop has "
			    "not answered for %llu ms: the watchdog is not fed "
			    "while it stalls", (unsigned long long)period_ms);
		}
		return (false);
	}
	if (l->stalled_since_ms != 0) {
		log_listener(LOG_INFO, l->name, "its event loop answers again "
		    "after %llu ms", (unsigned long long)(now -
		    l->stalled_since_ms));
		l->stalled_since_ms = 0;
	}
	l->ping.run = answer;
	l->ping.arg = l;
	atomic_store(&l->pings_sent, sent + 1);
	if (WslPostTask(l->ws, &l->ping) != S_OK)
		atomic_store(&l->pings_sent, sent); /* going away */
	return (true);
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct wsld_listener **all;
	uint64_t now = (uint64_t)wsl_now_ms();
	size_t n, i;
	bool ok = true;

	(void)fd;
	(void)what;
	(void)arg;
	if ((all = registry_sorted(&n)) == NULL)
		return; /* no memory: no ping either */
	for (i = 0; i < n; i++)
		if (!alive(all[i], now))
			ok = false;
	registry_free_sorted(all, n);
	if (ok)
		(void)sd_notify(0, "WATCHDOG=1");
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
