/* SPDX-License-Identifier: ISC */
/*
 * Who asked for something: a control client (its uid and pid), or wsld
 * itself (at start, a reload, the shutdown), packed into 64 bits so that
 * the listener core carries it with every state change it records
 * (WslSetCallerTag), and the log can say who made each one.
 *
 * Layout: kind in bits 56-63; for a client (or a reload a client asked
 * for) its pid in bits 32-54 (Linux pids fit in 22) and its uid in bits
 * 0-31; for what a signal caused, bit 55 and the signal in bits 0-31.
 */
#ifndef WSL_ACTOR_H
#define WSL_ACTOR_H

#include <sys/types.h>

#include <stdint.h>

typedef uint64_t actor_t;

enum actor_kind {
	ACTOR_NONE,       /* the core's own (no caller tagged it) */
	ACTOR_PEER,       /* a control client */
	ACTOR_START,      /* the configuration, at start */
	ACTOR_RELOAD,     /* a reload, asked by a client or by SIGHUP */
	ACTOR_REPLACED,   /* a listener a reload replaced */
	ACTOR_REMOVED,    /* a listener a reload removed */
	ACTOR_SHUTDOWN,   /* a stop, on a signal */
};

#define ACTOR_TEXT 64     /* "by a reload (uid 4294967295 pid 4194304)" */

actor_t actor_peer(uid_t, pid_t);
actor_t actor_signal(enum actor_kind, int sig);
actor_t actor_internal(enum actor_kind);
/* A reload (or what it replaced) on behalf of cause (a peer or SIGHUP). */
actor_t actor_on_behalf(enum actor_kind, actor_t cause);
enum actor_kind actor_kind(actor_t);
/* "by uid 0 pid 12", "at start", "by a reload (SIGHUP)", ... */
const char *actor_format(actor_t, char buf[ACTOR_TEXT]);

#endif
