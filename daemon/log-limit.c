/* SPDX-License-Identifier: ISC */
/*
 * Per-uid limits on what a control peer can make wsld log (see
 * log-limit.h).  A fixed table per kind; a timer, running only while a
 * uid is tracked, logs the counts held back and forgets the quiet uids.
 */
#include <stdint.h>
#include <stdio.h>

#include <event2/event.h>

#include "control.h"
#include "log.h"
#include "log-limit.h"
#include "wsl-proto.h"

struct peer_count {
	bool used;
	uid_t uid;
	unsigned int logged;      /* in full, since the uid was last quiet */
	uint64_t held;            /* counted since the last summary */
	long long last_ms;        /* its latest line, logged or not */
};

static const struct {
	const char *what;         /* "N more WHAT from uid U" */
	bool debug;               /* as its lines are: only with -v */
} kinds[LOG_LIMIT__COUNT] = {
	[LOG_LIMIT_DENIED] = { "denied", false },
	[LOG_LIMIT_BAD_REQUEST] = { "bad requests", true },
	[LOG_LIMIT_TURNED_AWAY] = { "turned away", false },
};

static struct peer_count peers[LOG_LIMIT__COUNT][LOG_LIMIT_PEERS];
static struct peer_count others[LOG_LIMIT__COUNT]; /* when peers is full */
static struct event *tick_ev;

static void
summary(enum log_limit_kind k, struct peer_count *p)
{
	char from[32];

	if (p == &others[k])
		snprintf(from, sizeof(from), "other uids");
	else
		snprintf(from, sizeof(from), "uid %u", (unsigned int)p->uid);
	if (kinds[k].debug)
		log_debug("control: %llu more %s from %s",
		    (unsigned long long)p->held, kinds[k].what, from);
	else
		log_warnx("control: %llu more %s from %s",
		    (unsigned long long)p->held, kinds[k].what, from);
	p->held = 0;
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	long long now = wsl_now_ms();
	struct peer_count *p;
	bool tracking = false;
	int k, i;

	(void)fd;
	(void)what;
	(void)arg;
	for (k = 0; k < LOG_LIMIT__COUNT; k++)
		for (i = 0; i <= LOG_LIMIT_PEERS; i++) {
			p = i < LOG_LIMIT_PEERS ? &peers[k][i] : &others[k];
			if (!p->used)
				continue;
			if (p->held > 0)
				summary((enum log_limit_kind)k, p);
			else if (now - p->last_ms >= LOG_LIMIT_PERIOD_MS) {
				p->used = false; /* quiet: in full again */
				continue;
			}
			tracking = true;
		}
	if (!tracking)
		event_del(tick_ev);
}

/* The timer runs while a uid is tracked; false if it cannot. */
static bool
armed(void)
{
	struct timeval tv = { LOG_LIMIT_PERIOD_MS / 1000,
		(LOG_LIMIT_PERIOD_MS % 1000) * 1000 };

	if (tick_ev == NULL &&
	    (tick_ev = event_new(control_base, -1, EV_PERSIST, tick,
	    NULL)) == NULL)
		return (false);
	if (!evtimer_pending(tick_ev, NULL) && event_add(tick_ev, &tv) < 0)
		return (false);
	return (true);
}

static struct peer_count *
find(enum log_limit_kind k, uid_t uid)
{
	struct peer_count *unused = NULL, *p;
	int i;

	for (i = 0; i < LOG_LIMIT_PEERS; i++) {
		p = &peers[k][i];
		if (p->used && p->uid == uid)
			return (p);
		if (!p->used && unused == NULL)
			unused = p;
	}
	p = unused != NULL ? unused : &others[k];
	if (!p->used) {
		p->used = true;
		p->uid = uid;
		p->logged = 0;
		p->held = 0;
	}
	return (p);
}

bool
log_limit(enum log_limit_kind k, uid_t uid)
{
	struct peer_count *p;

	/* Without the timer nothing held back would ever be told. */
	if (!armed())
		return (true);
	p = find(k, uid);
	p->last_ms = wsl_now_ms();
	if (p->logged < LOG_LIMIT_BURST) {
		p->logged++;
		return (true);
	}
	p->held++;
	return (false);
}

void
log_limit_flush(void)
{
	struct peer_count *p;
	int k, i;

	for (k = 0; k < LOG_LIMIT__COUNT; k++)
		for (i = 0; i <= LOG_LIMIT_PEERS; i++) {
			p = i < LOG_LIMIT_PEERS ? &peers[k][i] : &others[k];
			if (p->used && p->held > 0)
				summary((enum log_limit_kind)k, p);
			p->used = false;
		}
	if (tick_ev != NULL) {
		event_free(tick_ev);
		tick_ev = NULL;
	}
}
