/* SPDX-License-Identifier: ISC */
/*
 * Making the listeners match a configuration, at start and at each reload.
 * Listeners are matched by name:
 *  - one the file adds is created, and opened if it says "open" (at start,
 *    the state a previous wsld saved wins: saved-state.h);
 *  - one it no longer has (and that came from the file) is closed, its
 *    channels given CLOSE_TIMEOUT to finish, and freed;
 *  - one whose definition changed is replaced by a new one in the state of
 *    the old one; an OPEN one listening on the same address hands its
 *    socket over, so not one connection is refused, and finishes its
 *    channels in the background;
 *  - one that is unchanged (but maybe for "open", which only matters at
 *    creation) is not touched: socket, state, counters.
 * Listeners created with `create` are left alone unless the file names
 * them.  Removals and closes finish before anything is created, so a port
 * can move from one listener to another.  done runs once, when every
 * listener has reached its state, with one outcome per listener.
 */
#ifndef WSL_CONFIG_APPLY_H
#define WSL_CONFIG_APPLY_H

#include <stdbool.h>

#include <jansson.h>

#include "webservices.h"

/* hr: S_OK, or the first failure (text says which listeners failed). */
typedef void apply_done_fn(HRESULT hr, const char *text, json_t *outcomes,
    void *arg);

/* listeners: the file's object of listeners by name (checked already);
 * saved: a previous wsld's state, or NULL.  Both borrowed until done. */
void config_apply(const json_t *listeners, const json_t *saved,
    const char *actor, apply_done_fn *, void *arg);
/* Replaced listeners still finishing their channels. */
bool config_apply_busy(void);
/* After any change to a listener: a replaced one may go now. */
struct wsld_listener;
void config_apply_changed(struct wsld_listener *);

#endif
