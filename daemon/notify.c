/* SPDX-License-Identifier: ISC */
/*
 * Messages to the service manager (see notify.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "control.h"
#include "lifecycle.h"
#include "notify.h"
#include "notify-send.h"
#include "wsl-proto.h"

static char last_status[256];
static bool ready;
static bool manager;                /* NOTIFY_SOCKET was set: someone hears */
static bool stopping;               /* STOPPING=1 sent: nothing after it */
static struct event *status_ev;     /* sends a changed STATUS= (below) */

/* How long STATUS= waits for the changes that follow the first. */
#define STATUS_DELAY_MS 10

void
notify_summary(char *buf, size_t size)
{
	static const char *const names[] = { "created", "opening", "open",
		"faulted", "closing", "closed" };
	size_t i, n = lifecycle_count(), in;
	const char *sep = ": ";
	int off;

	/* Counts kept as listeners change: no walk over all of them. */
	off = snprintf(buf, size, "%zu listener%s", n, n == 1 ? "" : "s");
	for (i = 0; i < 6 && off > 0 && (size_t)off < size; i++)
		if ((in = lifecycle_count_in((WS_LISTENER_STATE)i)) > 0) {
			off += snprintf(buf + off, size - (size_t)off, "%s%zu %s",
			    sep, in, names[i]);
			sep = ", ";
		}
}

static void
send_status(const char *prefix)
{
	char status[256], msg[320];

	notify_summary(status, sizeof(status));
	snprintf(last_status, sizeof(last_status), "%s", status);
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", prefix, status);
	notify_send(msg);
}

void
notify_ready(void)
{
	if (stopping)
		return;
	ready = true;
	manager = getenv("NOTIFY_SOCKET") != NULL;
	send_status("READY=1\n");
}

static void
send_changed_status(void)
{
	char status[256];

	if (!ready || !manager || stopping)
		return;
	notify_summary(status, sizeof(status));
	if (strcmp(status, last_status) != 0)
		send_status("");
}

static void
status_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	send_changed_status();
}

/*
 * A state change is told STATUS_DELAY_MS later, with those that came
 * meanwhile: the reply that a change completes never waits behind a send
 * to the manager, a transient state (OPENING, CLOSING) that passes within
 * the delay is not told at all, and a reload's or an operator's burst of
 * changes makes at most 100 messages a second instead of one per change.
 * Each message costs wsld a send and the manager a wake-up: sent at once,
 * two per open or close made them 1.1-1.4x slower (bench/scale.py).
 * Without the timer (no memory), at once.
 */
static void
update_status(void)
{
	struct timeval tv = wsl_ms_to_tv(STATUS_DELAY_MS);

	if (!ready || !manager || stopping)
		return;
	if (status_ev == NULL &&
	    (status_ev = evtimer_new(control_base, status_cb, NULL)) == NULL) {
		send_changed_status();
		return;
	}
	if (!evtimer_pending(status_ev, NULL))
		evtimer_add(status_ev, &tv);
}

void
notify_changed(struct wsld_listener *l, const WSL_TRANSITION *t)
{
	(void)t;
	if (l->life.bound)
		update_status();
}

void
notify_freed(struct wsld_listener *l)
{
	(void)l;
	update_status();
}

void
notify_reloading(void)
{
	struct timespec ts;
	char msg[128];

	if (stopping || !ready)
		return; /* not before READY=1: the start is not over */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* MONOTONIC_USEC ties the message to this reload (systemd 253+). */
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu\n"
	    "STATUS=reloading the configuration",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	notify_send(msg);
}

void
notify_reloaded(const char *error)
{
	char msg[600];

	if (stopping || !ready)
		return; /* STOPPING=1 is the last word; READY=1 the first */
	if (error == NULL) {
		send_status("READY=1\n");
		return;
	}
	/* The old configuration still runs: ready, and say why, until the
	 * next change (one waiting now would say it at once). */
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=reload failed: %.500s",
	    error);
	last_status[0] = '\0';
	if (status_ev != NULL)
		event_del(status_ev);
	notify_send(msg);
}

void
notify_stopping(void)
{
	ready = false;
	stopping = true;
	if (status_ev != NULL)
		event_free(status_ev);
	status_ev = NULL;
	notify_send("STOPPING=1\nSTATUS=stopping");
}
