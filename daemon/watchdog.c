/* SPDX-License-Identifier: ISC */
/*
 * The watchdog (see watchdog.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "lifecycle.h"
#include "notify-send.h"
#include "watchdog.h"

#define NAMES_SHOWN 8         /* listeners a stalled loop's line names */

static struct event *tick_ev;
static uint64_t period_ms;
static bool stalled;          /* some loop did not answer last time */

/* What one walk found about a pool loop. */
struct loop_report {
	uint64_t since_ms;    /* stalled since (kept across ticks); 0: not */
	bool stalled_now;
	unsigned hosts;       /* listeners with a lane on it */
	char names[NAMES_SHOWN * 70];
};
static struct loop_report loops[WSL_LOOPS_MAX];

static void
add_name(struct loop_report *r, const char *name)
{
	size_t n = strlen(r->names);

	if (r->hosts++ < NAMES_SHOWN)
		snprintf(r->names + n, sizeof(r->names) - n, "%s'%s'",
		    n > 0 ? ", " : "", name);
}

/* Each listener with a lane on a stalled loop says so in its status; a
 * dedicated loop is its listener's alone and is told as such. */
static void
check(struct wsld_listener *l, void *arg)
{
	uint64_t now = *(uint64_t *)arg;
	int loop;

	if (l->ws == NULL)
		return;
	loop = WslGetStalledLoop(l->ws);
	if (loop >= 0 && loop < WSL_LOOPS_MAX) {
		loops[loop].stalled_now = true;
		add_name(&loops[loop], l->name);
	}
	if (loop != -1 && l->watchdog.stalled_since_ms == 0) {
		l->watchdog.stalled_since_ms = now - period_ms;
		if (loop == WSL_LOOP_DEDICATED)
			log_listener(LOG_WARNING, l->name, "its event loop "
			    "(dedicated) has not answered for %llu ms: the "
			    "watchdog is not fed while it stalls",
			    (unsigned long long)period_ms);
	} else if (loop == -1 && l->watchdog.stalled_since_ms != 0) {
		if (WslGetListenerLoop(l->ws) == WSL_LOOP_DEDICATED)
			log_listener(LOG_INFO, l->name, "its event loop "
			    "(dedicated) answers again after %llu ms",
			    (unsigned long long)(now -
			    l->watchdog.stalled_since_ms));
		l->watchdog.stalled_since_ms = 0;
	}
}

/* One line per pool loop that stalls or comes back, naming what it hosts. */
static void
report_loops(uint64_t now)
{
	struct loop_report *r;
	int i;

	for (i = 0; i < WSL_LOOPS_MAX; i++) {
		r = &loops[i];
		if (r->stalled_now && r->since_ms == 0) {
			r->since_ms = now - period_ms;
			log_warnx("loop %d has not answered for %llu ms: the "
			    "watchdog is not fed while it stalls; it hosts "
			    "%u listener%s: %s%s", i,
			    (unsigned long long)period_ms, r->hosts,
			    r->hosts == 1 ? "" : "s", r->names,
			    r->hosts > NAMES_SHOWN ? " and more" : "");
		} else if (!r->stalled_now && r->since_ms != 0) {
			log_info("loop %d answers again after %llu ms", i,
			    (unsigned long long)(now - r->since_ms));
			r->since_ms = 0;
		}
		r->stalled_now = false;
		r->hosts = 0;
		r->names[0] = '\0';
	}
}

/*
 * Every loop, pool or dedicated, hosting named listeners or not (a
 * replaced one finishing its channels).  The listeners are walked only
 * while some loop stalls, and once more when it is back.
 */
static void
tick(evutil_socket_t fd, short what, void *arg)
{
	uint64_t now = (uint64_t)wsl_now_ms();
	bool ok;

	(void)fd;
	(void)what;
	(void)arg;
	ok = WslPingLoops() == 0;
	if (!ok || stalled) {
		lifecycle_foreach(check, &now);
		report_loops(now);
	}
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
	log_info("watchdog: WATCHDOG=1 every %llu ms while every event loop "
	    "answers", (unsigned long long)period_ms);
	return (true);
}

void
watchdog_stop(void)
{
	if (tick_ev != NULL)
		event_free(tick_ev);
	tick_ev = NULL;
}
