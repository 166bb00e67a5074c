/* SPDX-License-Identifier: ISC */
/*
 * Named listeners: what the daemon adds around a WS_LISTENER (its name,
 * URL, handler, and the control-side bookkeeping), and the registry that
 * finds one by name in O(1).  Everything here belongs to the control
 * thread, except the atomic counters, which handlers update from the
 * listener's loop.
 */
#ifndef WSL_REGISTRY_H
#define WSL_REGISTRY_H

#include <sys/queue.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "webservices.h"

struct handler_type;
struct waiter;

struct wsld_listener {
	char *name;
	char *url;
	WS_LISTENER *ws;                 /* NULL once freed */
	json_t *handler_conf;            /* as given, with "type" */
	const struct handler_type *handler;
	void *handler_state;
	json_t *definition;              /* as given, without "name" */
	bool from_config;                /* a reload may change or remove it */
	int adopt_fd;                    /* a socket for the next open, or -1 */
	bool adopt_keep;                 /* a socket unit's: used at every open */
	const char *adopt_origin;        /* "socket-activation", "fd-store", ... */
	const char *socket_origin;       /* of the last socket given */
	bool stored;                     /* its socket is in the fd store */
	bool retired_closed;             /* replaced by a reload, and closed */
	bool retire_scheduled;           /* its free is on the way */
	WSL_TASK ping;                   /* the watchdog's, run on the loop */
	atomic_uint pings_sent, pings_answered;
	uint64_t stalled_since_ms;       /* 0: its loop answers */
	WS_LISTENER_STATE state_at_stop; /* saved for the next wsld */
	int refs;
	int ops;                         /* async operations not finished */
	int draining;                    /* closes waiting for channels */
	struct event *state_ev;          /* activated by the core's state hook */
	TAILQ_HEAD(, waiter) waiters;    /* `wait` requests */
	TAILQ_ENTRY(wsld_listener) entry;
};

/* Creates and registers; steals nothing.  NULL with *err set on failure. */
struct wsld_listener *registry_add(const char *name, const char *url,
    WS_LISTENER *, json_t *handler_conf, const struct handler_type *,
    void *handler_state, const json_t *definition);
/* Give the listener a socket to open with (see WslAdoptListenerSocket);
 * keep: use it at every open (a socket unit's), else once. */
void listener_adopt(struct wsld_listener *, int fd, bool keep,
    const char *origin);
struct wsld_listener *registry_find(const char *);
void registry_remove(struct wsld_listener *); /* drops the registry's ref */
/* Out of the name table (a reload replaced it), but alive until removed. */
void registry_detach(struct wsld_listener *);
size_t registry_count(void);
/* Listeners sorted by name; the array and refs are the caller's. */
struct wsld_listener **registry_sorted(size_t *);
void registry_free_sorted(struct wsld_listener **, size_t);
/* Bracket an asynchronous operation (open, close, accept), so shutdown
 * frees the listener only after the operation has answered. */
void listener_op_begin(struct wsld_listener *);
void listener_op_end(struct wsld_listener *);
/* Report a channel's fate to the core's counters (see WslCountChannel);
 * nothing once the listener is freed. */
void listener_count(struct wsld_listener *, WSL_CHANNEL_OUTCOME, WSL_FAILURE);
void listener_ref(struct wsld_listener *);
void listener_unref(struct wsld_listener *);
/* changed: called on the control thread after a listener's state changed. */
void registry_init(struct event_base *, void (*changed)(struct wsld_listener *));

/* Called by `wait` when the listener is removed or its state changes. */
void waiters_check(struct wsld_listener *);
size_t waiters_count(const struct wsld_listener *); /* pending `wait`s */

#endif
