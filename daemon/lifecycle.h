/* SPDX-License-Identifier: ISC */
/*
 * The one owner of a listener's life, on the control thread: its birth
 * (lifecycle_create), its name (bind, replace, unbind: a name is never
 * without its listener while a reload replaces it), the operations under
 * way on it, and its death (lifecycle_free, or lifecycle_free_later from a
 * fresh stack).  It tells a fixed table of subscribers, in lifecycle.c,
 * what happens:
 *
 *   changed   each state change the core made, in the core's order, with
 *             the operation and the actor that made it (after it is
 *             logged);
 *   replaced  a reload put a new listener under the old one's name;
 *   idle      the last operation under way on the listener has answered;
 *   freed     the listener is gone (its struct lives while referenced).
 *
 * Changes are told after every core call the daemon makes and whenever the
 * core's hook says a listener's loop made one, never nested for the same
 * listener: a subscriber that operates on the listener has the changes it
 * causes told after it returns.  No subscriber frees a listener from
 * inside its callback; lifecycle_free_later() frees it afterwards.
 */
#ifndef WSL_LIFECYCLE_H
#define WSL_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "listener.h"

struct event_base;

int lifecycle_init(struct event_base *); /* the control loop; 0 or -1 */

/* A new listener from its spec (handler state taken on success), not yet
 * named: NULL with err set (E_OUTOFMEMORY when resources lack). */
struct wsld_listener *lifecycle_create(struct listener_spec *,
    struct wsl_err *, actor_t);
/* Name it: ERROR_ALREADY_EXISTS or E_OUTOFMEMORY, with err set. */
HRESULT lifecycle_bind(struct wsld_listener *, struct wsl_err *);
/* The name that led to old leads to new from now on (cannot fail). */
void lifecycle_replace(struct wsld_listener *old, struct wsld_listener *new);
void lifecycle_unbind(struct wsld_listener *);
struct wsld_listener *lifecycle_find(const char *);
size_t lifecycle_count(void);            /* named listeners */
size_t lifecycle_alive(void);            /* named or not, not yet freed */
/* Named listeners in each state, as last told: kept as they change, so
 * reading it costs nothing however many there are. */
size_t lifecycle_count_in(WS_LISTENER_STATE);
/* Every listener alive (named or not), without allocating; fn must not
 * free any listener. */
void lifecycle_foreach(void (*fn)(struct wsld_listener *, void *), void *);
/* The named ones a few at a time, with other work between calls: fn for
 * some of them and where to go on (0 to begin; 0 when all were seen).
 * One named from the first call to the last is seen once; one named or
 * unnamed meanwhile, at most once (strmap_scan). */
uint64_t lifecycle_scan(uint64_t cursor,
    void (*fn)(struct wsld_listener *, void *), void *);
/* The named ones sorted by name; the array and its references are the
 * caller's (lifecycle_sorted_free); NULL when out of memory. */
struct wsld_listener **lifecycle_sorted(size_t *);
void lifecycle_sorted_free(struct wsld_listener **, size_t);

void listener_ref(struct wsld_listener *);
void listener_unref(struct wsld_listener *);

/* Bracket an operation (open, close, accept) until it has answered. */
void lifecycle_op_begin(struct wsld_listener *, bool is_close);
void lifecycle_op_end(struct wsld_listener *, bool is_close);
/* After every core call on l: tell the subscribers what it changed. */
void lifecycle_changed(struct wsld_listener *);
/* Before that: the state the call of op just made l leave (the last such
 * change after since, l->life.told before the call), or -1 if none. */
int lifecycle_call_from(struct wsld_listener *, uint64_t since,
    WSL_OPERATION);

/* Testing aid (inject mute): the listener's changes are told only after
 * ms, as they would be by a control thread busy elsewhere. */
void lifecycle_mute(struct wsld_listener *, long long ms);

/* The close a stop starts: made with the listener, so that stopping needs
 * no memory (NULL once taken). */
struct listener_op *lifecycle_take_stop_close(struct wsld_listener *);

/* A reload holds the listeners it changes: control clients may not open,
 * close, reset or free them meanwhile (abort always works). */
void lifecycle_hold(struct wsld_listener *, const void *holder);
void lifecycle_release(struct wsld_listener *, const void *holder);
/* Whether actor may change l now; if not, err says why. */
bool lifecycle_may_change(struct wsld_listener *, actor_t, const char *what,
    struct wsl_err *);

/* Free now: the listener must be CREATED or CLOSED, with no operation
 * under way and no close still finishing; else err says why. */
HRESULT lifecycle_free(struct wsld_listener *, actor_t, struct wsl_err *);
/* Free from a fresh stack if it can be freed then; else nothing (the
 * subscriber that asked asks again when it hears of a change or idle). */
void lifecycle_free_later(struct wsld_listener *, actor_t);
bool lifecycle_freeable(struct wsld_listener *);

#endif
