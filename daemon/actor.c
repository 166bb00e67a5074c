/* SPDX-License-Identifier: ISC */
/*
 * Actors (see actor.h).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "actor.h"

#define KIND_SHIFT 56
#define SIGNAL_BIT (1ULL << 55)   /* the cause is a signal, not a peer */
#define PID_SHIFT 32
#define PID_MASK 0x7fffffULL
#define LOW_MASK 0xffffffffULL
#define CAUSE_MASK ((1ULL << KIND_SHIFT) - 1)

actor_t
actor_peer(uid_t uid, pid_t pid)
{
	return ((actor_t)ACTOR_PEER << KIND_SHIFT |
	    ((actor_t)pid & PID_MASK) << PID_SHIFT | ((actor_t)uid & LOW_MASK));
}

actor_t
actor_signal(enum actor_kind kind, int sig)
{
	return ((actor_t)kind << KIND_SHIFT | SIGNAL_BIT |
	    ((actor_t)sig & LOW_MASK));
}

actor_t
actor_internal(enum actor_kind kind)
{
	return ((actor_t)kind << KIND_SHIFT);
}

actor_t
actor_on_behalf(enum actor_kind kind, actor_t cause)
{
	return ((actor_t)kind << KIND_SHIFT | (cause & CAUSE_MASK));
}

enum actor_kind
actor_kind(actor_t a)
{
	return ((enum actor_kind)(a >> KIND_SHIFT));
}

/* The cause's part: "uid 0 pid 12", "SIGHUP", or "" when none. */
static void
cause(actor_t a, char *buf, size_t size)
{
	unsigned int pid = (unsigned int)(a >> PID_SHIFT & PID_MASK);
	unsigned int low = (unsigned int)(a & LOW_MASK);
	const char *sig;

	if (a & SIGNAL_BIT) {
		sig = sigabbrev_np((int)low);
		snprintf(buf, size, "SIG%s", sig != NULL ? sig : "?");
	} else if ((a & CAUSE_MASK) != 0 || actor_kind(a) == ACTOR_PEER)
		snprintf(buf, size, "uid %u pid %u", low, pid);
	else
		buf[0] = '\0';
}

const char *
actor_format(actor_t a, char buf[ACTOR_TEXT])
{
	char c[ACTOR_TEXT - 16];

	cause(a, c, sizeof(c));
	switch (actor_kind(a)) {
	case ACTOR_PEER:
		snprintf(buf, ACTOR_TEXT, "by %s", c);
		break;
	case ACTOR_START:
		snprintf(buf, ACTOR_TEXT, "at start");
		break;
	case ACTOR_RELOAD:
		snprintf(buf, ACTOR_TEXT, "by a reload%s%s%s", c[0] ? " (" : "",
		    c, c[0] ? ")" : "");
		break;
	case ACTOR_REPLACED:
	case ACTOR_REMOVED:
		snprintf(buf, ACTOR_TEXT, "as %s by a reload%s%s%s",
		    actor_kind(a) == ACTOR_REPLACED ? "replaced" : "removed",
		    c[0] ? " (" : "", c, c[0] ? ")" : "");
		break;
	case ACTOR_SHUTDOWN:
		snprintf(buf, ACTOR_TEXT, "at shutdown%s%s%s", c[0] ? " (" : "",
		    c, c[0] ? ")" : "");
		break;
	default:
		snprintf(buf, ACTOR_TEXT, "%s%s", c[0] ? "on " : "by wsld", c);
		break;
	}
	return (buf);
}
