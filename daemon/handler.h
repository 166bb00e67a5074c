/* SPDX-License-Identifier: ISC */
/*
 * Handlers decide what happens to the channels a listener accepts.  The
 * "accept" handler leaves them to `accept` requests from control clients;
 * the others are the application calling WsAcceptChannel in a loop on the
 * listener's own event loop, stopping when the listener faults or closes.
 * Adding one (forward, exec) means adding a struct handler_type here.
 */
#ifndef WSL_HANDLER_H
#define WSL_HANDLER_H

#include <sys/queue.h>

#include <stdatomic.h>
#include <stdbool.h>

#include <jansson.h>

#include "webservices.h"

struct event;
struct wsld_listener;

struct drain;

/* One lane's share of a drain: the handler's, on that lane's loop. */
struct drain_part {
	struct drain *drain;
	WSL_TASK task;
	void *loop;                      /* the lane's accept loop waiting */
	struct event *timer;
	unsigned held_at_start, finished, cut;
	TAILQ_ENTRY(drain_part) entry;
};

/*
 * One close's wait for the channels its listener was serving.  The close
 * owns it (listener.c), makes it with one part per lane of the listener
 * (so that starting it needs no memory) and fills timeout_ms and done_ev;
 * the handler keeps it from drain() until every part has reported, the
 * last one from its loop setting finished and cut and activating done_ev.
 * Each close has its own, so two closes can never share or lose a
 * completion.
 */
struct drain {
	unsigned timeout_ms;             /* CLOSE_TIMEOUT; INFINITE: none */
	struct event *done_ev;           /* on the control loop */
	unsigned finished, cut;          /* ended by themselves, at the
	                                  * timeout: over every part */
	struct drain_part *parts;        /* one per lane */
	unsigned n_parts;
	atomic_uint parts_left;          /* not reported yet */
	struct drain_part one;           /* the parts of a one-lane listener */
};
int drain_init(struct drain *, unsigned lanes); /* -1: no memory */
void drain_clear(struct drain *);

/* A key of a handler object and what its value must be, as the messages
 * say it ("an integer from 1 to 1000000"); tests/lint/conf-keys.sh checks
 * wsld.conf(5) against these. */
struct handler_key {
	const char *name;
	const char *phrase;
};
#define HANDLER_MAX_CHANNELS_PHRASE "an integer from 1 to 1000000"
#define HANDLER_MS_PHRASE "a number of milliseconds from 1 to 86400000"

struct handler_type {
	const char *name;
	/* The keys it takes besides "type", ended by a NULL name. */
	const struct handler_key *keys;
	/* Channels go to `accept` requests (no accept loop of its own). */
	bool serves_accept_requests;
	/* Check the handler object (its "type" is already known) for a
	 * listener of this binding and make per-listener state; 0, or fills
	 * err and *where (a JSON pointer below the handler object) and
	 * returns -1. */
	int (*configure)(const json_t *, WS_CHANNEL_BINDING, void **,
	    struct wsl_err *, char *where, size_t wherelen);
	/* The listener is OPEN: start accepting (control thread). */
	void (*start)(struct wsld_listener *);
	/* The listener has closed: let the channels being served finish,
	 * end those left after the drain's timeout, then report through the
	 * drain (see struct drain).  NULL when the handler serves nothing
	 * itself. */
	void (*drain)(struct wsld_listener *, struct drain *);
	/* The stop cannot wait any longer: end now the channels that closes
	 * are waiting for, as their timeouts would (control thread).  NULL
	 * when drain is. */
	void (*hurry)(struct wsld_listener *);
	/* The listener is about to be freed: drop everything that lives on
	 * its loop (control thread; posts work to the loop). */
	void (*release)(struct wsld_listener *);
	/* The loop is gone: free the state (control thread). */
	void (*destroy)(void *);
};

const struct handler_type *handler_lookup(const char *);
const struct handler_type *handler_at(size_t); /* NULL past the last */
void handler_exec_cleanup(void); /* at exit */
const char *handler_names(void); /* "accept, echo" for messages */

extern const struct handler_type handler_accept;
extern const struct handler_type handler_echo;
extern const struct handler_type handler_forward;
extern const struct handler_type handler_exec;
extern const struct handler_type handler_metrics;

#endif
