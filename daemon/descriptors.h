/* SPDX-License-Identifier: ISC */
/*
 * The daemon's budget of file descriptors, so that running out is a
 * refusal someone can read, never a crash (libevent exits when it cannot
 * make a loop) and never one party starving the rest.
 *
 * At start wsld raises its soft RLIMIT_NOFILE to the hard limit and
 * counts what it already holds.  The limit is then shared three ways:
 *   - listeners: DESCRIPTORS_PER_LISTENER each (and DESCRIPTORS_PER_LOOP
 *     more for one with a loop of its own), in every state, taken when a
 *     listener is created and given back when it is freed;
 *   - the control plane: a fixed reserve (control-max-clients plus a
 *     margin for files and sockets opened on the way), never lent out;
 *   - peers: every descriptor held for a channel (its connection, the
 *     UDP relay pair, an upstream socket, an exec child's pidfd), taken
 *     by a listener's accept loop before it accepts and given back when
 *     the channel ends.  Peers stop short of the listeners' margin, so a
 *     listener can still be created when peers hold all they may; and
 *     in the last quarter of the peers' share a listener holding more
 *     than its fair part (the share divided by the listeners serving,
 *     at least two) gets no more, so one flooded listener cannot starve
 *     the others.
 * Counters are atomic: listeners are counted on the control thread,
 * peers on the listeners' loop threads.
 */
#ifndef WSL_DESCRIPTORS_H
#define WSL_DESCRIPTORS_H

#include <stdbool.h>

#include <jansson.h>

#include "wsl-proto.h"

/* A listener's socket (while open), and the loop of a listener that has
 * one of its own: epoll, eventfd and libevent's signal pipe.  The pool's
 * loops are made at start and counted as wsld's own. */
#define DESCRIPTORS_PER_LISTENER 1
#define DESCRIPTORS_PER_LOOP 4

/* One listener's part of the peers' share; its accept loop's thread. */
struct descriptor_share {
	unsigned held;        /* descriptors held for its channels now */
	bool serving;         /* counted among the listeners serving */
};

/* Main thread, once the control sockets exist; then whenever the
 * configuration sets control-max-clients. */
void descriptors_init(void);
void descriptors_set_control(size_t clients);

/* Control thread: room for one more listener, or an error saying why. */
int descriptors_listener_take(bool dedicated_loop, struct wsl_err *);
void descriptors_listener_give(bool dedicated_loop);

/* A listener's loop thread. */
void descriptors_serving(struct descriptor_share *, bool);
bool descriptors_peer_take(struct descriptor_share *, unsigned);
void descriptors_peer_give(struct descriptor_share *, unsigned);

/* For version: the limit and how it is shared now. */
json_t *descriptors_describe(void);

#endif
