/* SPDX-License-Identifier: ISC */
/*
 * The accept loop that echo, forward and exec share: the application
 * calling WsAcceptChannel in a loop on the listener's own event loop.  It
 * keeps one accept pending while it holds fewer than max channels (at the
 * limit it defers accepting, as tcpserver -c does, so new clients wait in
 * the kernel's queue), stops when the listener faults or stops being open,
 * and starts again when the listener is opened again.  It reports every
 * channel's fate to the listener's counters.
 *
 * A listener spread over several loops (its "loops") gets one accept loop
 * per lane, each a copy of the handler's state made by its configure()
 * at the first start, accepting and serving on its lane's loop with its
 * share of max-channels; the listener's own (lane 0's) keeps the others.
 * Closes wait for every lane (a part of the drain each).
 */
#ifndef WSL_HANDLER_LOOP_H
#define WSL_HANDLER_LOOP_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <stdbool.h>

#include <jansson.h>

#include "descriptors.h"
#include "handler.h"
#include "webservices.h"

#define ACCEPT_LOOP_DATAGRAM_MAX 65536 /* the largest UDP payload, rounded */
#define ACCEPT_LOOP_IDLE_MS 60000       /* "idle-timeout-ms" unless given */

struct accept_loop;
struct wsld_listener;

struct accept_loop_ops {
	/* On the loop, when the listener opens; false if it cannot serve
	 * (logged by the handler). */
	bool (*prepare)(struct accept_loop *);
	/* Serve a channel: fd is the handler's now.  Report the outcome with
	 * accept_loop_served() or accept_loop_failed(), now or later. */
	void (*serve)(struct accept_loop *, int fd,
	    const struct sockaddr_storage *peer, socklen_t);
	/* End every channel now (loop thread), when the listener is freed;
	 * also at the close timeout unless cut_all is given. */
	void (*release_all)(struct accept_loop *);
	/* At the close timeout, if ending is not immediate (exec: SIGTERM). */
	void (*cut_all)(struct accept_loop *);
	/* Descriptors wsld holds for one stream channel (a datagram channel
	 * holds one more: the listener's end of its relay pair). */
	unsigned fds_per_channel;
};

/* Owned by the listener's loop thread once started. */
struct accept_loop {
	const struct accept_loop_ops *ops;
	void *owner;                  /* the handler's own state */
	struct wsld_listener *l;
	WS_LISTENER *ws;
	WS_CHANNEL *ch;               /* the pending accept's channel */
	bool datagrams;               /* UDP relay channels */
	unsigned char *packet;        /* ... their buffer, while started */
	struct timeval idle;          /* ... how long one may stay silent */
	bool running;                 /* accepting in a loop */
	bool pending;                 /* an accept is pending now */
	unsigned held;                /* channels in hand (served or about to) */
	unsigned max;                 /* 0: no limit */
	struct descriptor_share fds;  /* for held and the pending accept */
	struct event *fds_retry;      /* out of descriptors: try again */
	WSL_TASK start_task, release_task, hurry_task;
	TAILQ_HEAD(, drain_part) drains; /* closes waiting for the channels */
	unsigned lane;                /* the listener's lane it runs on */
	/* Lane 0's (control thread): every lane's accept loop, [0] itself;
	 * made at the first start. */
	struct accept_loop **lanes;
	unsigned n_lanes;             /* 0 until the first start */
	void (*destroy)(void *);      /* frees a copy (its handler's) */
};

void accept_loop_init(struct accept_loop *, const struct accept_loop_ops *,
    void *owner, unsigned max, long long idle_ms);
/* Control thread: the listener is OPEN / has closed / is about to be
 * freed. */
void accept_loop_start(struct accept_loop *, struct wsld_listener *);
void accept_loop_drain(struct accept_loop *, struct wsld_listener *,
    struct drain *);
void accept_loop_release(struct accept_loop *, struct wsld_listener *);
void accept_loop_hurry(struct accept_loop *, struct wsld_listener *);
/* The base of the accept loop's lane, where its channels live. */
struct event_base *accept_loop_base(struct accept_loop *);
/* From the handler's destroy(): free the other lanes' copies. */
void accept_loop_destroy_lanes(struct accept_loop *);

/* The handler_type functions of a handler whose state starts with its
 * struct accept_loop. */
void handler_loop_start(struct wsld_listener *);
void handler_loop_drain(struct wsld_listener *, struct drain *);
void handler_loop_release(struct wsld_listener *);
void handler_loop_hurry(struct wsld_listener *);
void handler_loop_destroy(void *); /* when the state is one malloc */
/* Loop thread: the channel is served; could not be; has ended.  Failed
 * and ended also give its place and its descriptors back. */
void accept_loop_served(struct accept_loop *);
void accept_loop_failed(struct accept_loop *, WSL_FAILURE);
void accept_loop_ended(struct accept_loop *);
/* A channel that failed but still holds its descriptors for a while (a
 * client being let go): counted now, its place given back when gone. */
void accept_loop_count_failure(struct accept_loop *, WSL_FAILURE);
void accept_loop_gone(struct accept_loop *);

/* For configure(): "max-channels", 1 to 1000000 (absent: def). */
int handler_max_channels(const json_t *, unsigned def, unsigned *,
    struct wsl_err *, char *where, size_t wherelen);
/* For configure(): milliseconds from 1 to 86400000 (absent: unchanged). */
int handler_ms_option(const json_t *, const char *, long long *,
    struct wsl_err *, char *where, size_t wherelen);
/* For configure(): refuse keys the handler does not take. */
int handler_check_keys(const json_t *, const struct handler_type *,
    struct wsl_err *, char *where, size_t);

#endif
