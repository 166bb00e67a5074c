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

#define FDSTORE_STATE_NAME "_wsld_state" /* no listener name starts so */

struct wsld_listener;

void fdstore_enable(bool);
bool fdstore_enabled(void);
/* After a state change: store the socket at OPEN, drop it after. */
void fdstore_sync(struct wsld_listener *);
void fdstore_remove(const char *name);
/* From now on sockets stay stored whatever their listeners do. */
void fdstore_hand_over(void);
/* Store the state document; 0 or -1. */
int fdstore_put_state(const json_t *);
/* The state document passed at start (fd), or NULL; closes fd. */
json_t *fdstore_read_state(int fd);

#endif
