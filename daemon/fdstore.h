/* SPDX-License-Identifier: ISC */
/*
 * The systemd fd store (wsld --fd-store, or $FDSTORE set by systemd): the
 * socket of every OPEN listener is stored under the listener's name while
 * it is OPEN, so a restarted wsld gets it back (activation.h) and no
 * connection is refused meanwhile.  Sockets a socket unit passed are not
 * stored: systemd passes them again anyway.  At a stop, wsld hands its
 * sockets over (connections queued on them stay queued) and stores its
 * listeners' states and counters in a memory file (saved-state.h).
 */
#ifndef WSL_FDSTORE_H
#define WSL_FDSTORE_H

#include <stdbool.h>

#include <jansson.h>

#include "webservices.h"

/* The state stored as a stop begins, and the one with the final counters
 * stored at its end (no listener name starts with '_'). */
#define FDSTORE_STATE_NAME "_wsld_state"
#define FDSTORE_FINAL_STATE_NAME "_wsld_state_end"

struct wsld_listener;

void fdstore_enable(bool);
bool fdstore_enabled(void);
/* The fd store hears of a listener's life (lifecycle.h): a named
 * listener's socket is stored when it becomes OPEN and removed when it
 * stops being OPEN or is freed; a replaced listener's entry is its
 * successor's (the same socket, handed over). */
void fdstore_changed(struct wsld_listener *, const WSL_TRANSITION *);
void fdstore_replaced(struct wsld_listener *, struct wsld_listener *);
void fdstore_freed(struct wsld_listener *);
void fdstore_remove(const char *name);
/* At a stop: store every OPEN listener's socket not stored yet (the core's
 * state, not what has been told so far), then keep them all stored
 * whatever their listeners do. */
void fdstore_hand_over(void);
/* Store the state document; 0 or -1.  final: the one made at the end of
 * a stop, stored under its own name before the first one is dropped, so
 * that one of them is always there. */
int fdstore_put_state(const json_t *, bool final);
/* The state a previous wsld left (the final one if it got that far), or
 * NULL; both are taken out of the store. */
json_t *fdstore_read_state(void);

#endif
