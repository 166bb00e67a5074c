/* SPDX-License-Identifier: ISC */
/*
 * A named listener: what the daemon keeps around a WS_LISTENER, and the
 * operations it performs on one for commands, reloads and the shutdown
 * alike (open and close answer when the operation has finished, on the
 * control thread).  Its birth, name, subscribers and death belong to
 * lifecycle.h.
 *
 * Who owns what.  Every part below is the control thread's, and each part
 * is written only by the module named on it (lifecycle.c gives each its
 * first values when it makes the listener).  A listener's loop thread
 * (its handler) may read the identity, which does not change from
 * creation until the loop has been joined by WsFreeListener, and nothing
 * else.
 */
#ifndef WSL_LISTENER_H
#define WSL_LISTENER_H

#include <sys/queue.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/util.h>
#include <jansson.h>

#include "actor.h"
#include "handler.h"
#include "spec.h"
#include "webservices.h"

struct waiter;

struct wsld_listener {
	/* Identity: set at creation, read by any thread (see above). */
	char *name;
	char *url;
	WS_LISTENER *ws;                 /* NULL once freed */
	const struct handler_type *handler;
	json_t *handler_conf;            /* as given, with "type" */
	void *handler_state;             /* the handler's (handler.h) */

	/* lifecycle.c */
	struct {
		int refs;
		int ops;                 /* operations not answered yet */
		int closes;              /* ... of which closes */
		bool bound;              /* its name leads here */
		bool dispatching;        /* its changes are being told */
		bool free_asked;         /* a free from a fresh stack is due */
		actor_t free_actor;
		uint64_t told;           /* the last transition told */
		WS_LISTENER_STATE told_state; /* where it went (CREATED at
		                          * first); counted by state if bound */
		const void *holder;      /* a reload changing it, or NULL */
		struct event *changed_ev; /* the core's hook activates it */
		struct event *free_ev;
		long long muted_until_ms; /* inject mute: told late */
		struct event *unmute_ev;
		struct listener_op *stop_close; /* made at creation, so that a
		                          * stop needs no memory */
		TAILQ_ENTRY(wsld_listener) entry; /* every listener alive */
	} life;

	/* listener.c: a socket given to the listener for its opens */
	struct {
		int fd;                  /* for the next open, or -1 */
		bool keep;               /* a socket unit's: used at every open */
		const char *origin;      /* "socket-activation", "fd-store", ... */
		const char *in_use;      /* origin of the socket given last */
	} given;

	/* config-apply.c */
	struct {
		json_t *definition;      /* as given, without "name" */
		bool from_config;        /* a reload may change or remove it */
		actor_t retired;         /* replaced or removed by a reload:
		                          * freed when idle, by this; 0: not */
		int intended;            /* while a reload holds it: the state it
		                          * is to have (a stop saves that), or -1 */
	} conf;

	/* cmd-wait.c: `wait` requests */
	struct {
		TAILQ_HEAD(, waiter) list;
	} waiters;

	/* fdstore.c */
	struct {
		bool stored;             /* its socket is in the fd store */
	} fdstore;

	/* watchdog.c */
	struct {
		uint64_t stalled_since_ms; /* 0: its loops answer */
	} watchdog;
};

typedef void listener_done_fn(struct wsld_listener *, HRESULT,
    const char *text, WS_LISTENER_STATE previous, void *arg);

/*
 * The completion of an asynchronous core call, as the daemon takes it: on
 * the listener's loop it only records the HRESULT and activates an event,
 * whose callback (fn, arg) then runs on the control thread.
 */
struct completion {
	HRESULT hr;
	struct event *ev;
};
int completion_init(struct completion *, void (*fn)(evutil_socket_t, short,
    void *), void *arg);
WS_ASYNC_CONTEXT completion_context(struct completion *);
void completion_clear(struct completion *);

void listener_set_pipe_dir(const char *);
const char *listener_pipe_dir(void);

/*
 * An open or a close, made before it starts so that starting it cannot
 * fail for lack of memory (a reload prepares all of its operations before
 * it changes anything).  done (may be NULL) runs exactly once, possibly
 * before listener_op_start returns; a close answers once the channels its
 * listener was serving have finished or been cut at CLOSE_TIMEOUT.
 */
struct listener_op;
struct listener_op *listener_op_new(struct wsld_listener *, bool opening);
void listener_op_start(struct listener_op *, listener_done_fn *, void *,
    actor_t);
void listener_op_discard(struct listener_op *); /* never started */
/* The same, made and started at once (done gets E_OUTOFMEMORY if it
 * cannot be made). */
void listener_open(struct wsld_listener *, listener_done_fn *, void *,
    actor_t);
void listener_close(struct wsld_listener *, listener_done_fn *, void *,
    actor_t);
HRESULT listener_abort(struct wsld_listener *, WSL_ABORT_RESULT *, actor_t);
/* Pause or resume an OPEN listener (WslPauseListener); err says why not. */
HRESULT listener_pause(struct wsld_listener *, bool pause, struct wsl_err *,
    actor_t);
/* previous: the state it was in (exactly, when it succeeds). */
HRESULT listener_reset(struct wsld_listener *, struct wsl_err *, actor_t,
    WS_LISTENER_STATE *previous);
WS_LISTENER_STATE listener_state(struct wsld_listener *);

/* Give the listener a socket to open with (see WslAdoptListenerSocket);
 * keep: use it at every open (a socket unit's), else once. */
void listener_give_socket(struct wsld_listener *, int fd, bool keep,
    const char *origin);
/* A socket unit's socket moves from a listener to its replacement. */
void listener_move_socket(struct wsld_listener *from,
    struct wsld_listener *to);
/* wsld lets go of the socket it was given (the listener is freed, wsld
 * exits): a socket unit's listens again first, as systemd bound it. */
void listener_let_go_socket(struct wsld_listener *);
/* Report a channel's fate to the core's counters (see WslCountChannel);
 * any thread; nothing once the listener is freed. */
void listener_count(struct wsld_listener *, WSL_CHANNEL_OUTCOME, WSL_FAILURE);

#endif
