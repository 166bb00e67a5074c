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
 *    socket over at once, so not one connection is refused, and finishes
 *    its channels in the background;
 *  - one that is unchanged (but maybe for "open", which only matters at
 *    creation) is not touched: socket, state, counters.
 * Listeners created with `create` are left alone unless the file names
 * them.  Removals and closes finish before anything else is opened, so a
 * port can move from one listener to another.  A name always leads to a
 * listener while it is replaced (the old one until the new one takes
 * over).  While the change runs, control clients may not open, close,
 * reset or free the listeners it changes (lifecycle_hold; abort works).
 *
 * Everything a change needs (new listeners, their operations, the name
 * table's entries) is made by config_apply_prepare() before anything
 * changes: when that fails, for lack of memory or descriptors, nothing has
 * changed.  Once started, done runs once, when every listener has reached
 * its state, with one outcome per listener.  One change at a time.
 */
#ifndef WSL_CONFIG_APPLY_H
#define WSL_CONFIG_APPLY_H

#include <stdbool.h>

#include <jansson.h>

#include "actor.h"
#include "webservices.h"

struct plan;
struct wsld_listener;

/* hr: S_OK, or the first failure (text says which listeners failed);
 * outcomes may be NULL when there was no memory to describe them. */
typedef void apply_done_fn(HRESULT hr, const char *text, json_t *outcomes,
    void *arg);

/* listeners: the file's object of listeners by name (checked already);
 * saved: a previous wsld's state, or NULL.  Both borrowed until done.
 * NULL with err set (E_OUTOFMEMORY, or WS_E_INVALID_OPERATION while
 * another change runs) when nothing was changed. */
struct plan *config_apply_prepare(const json_t *listeners,
    const json_t *saved, actor_t, struct wsl_err *);
void config_apply_start(struct plan *, apply_done_fn *, void *);
void config_apply_discard(struct plan *);   /* prepared, never started */
bool config_apply_busy(void);
/* The stop: the change in progress is answered (WS_E_OPERATION_ABORTED)
 * and goes no further; its listeners are the shutdown's. */
void config_apply_interrupt(void);

/* It hears of every listener's life (lifecycle.h), to free the replaced
 * and removed ones once they are closed and idle. */
void config_apply_changed(struct wsld_listener *, const WSL_TRANSITION *);
void config_apply_idle(struct wsld_listener *);

#endif
