/* SPDX-License-Identifier: ISC */
/*
 * Fault injection for tests (wsld --fault-injection): the `inject` command
 * is refused unless it was enabled at start.  Faults:
 *   stall {name, ms}             a listener's loop blocks, as a hung
 *                                handler would;
 *   mute {name, ms}              the listener's state changes are told
 *                                (logged, stored, waited for) only after
 *                                ms, as a busy control thread would be
 *                                late;
 *   accept-error {name, errno, count}  its next accepts fail so;
 *   sendmsg-error {errno, count} the next descriptor hand-offs on the
 *                                control socket fail so;
 *   alloc-fail {count, skip, size}  after skip allocations (0), the next
 *                                count allocations of the control thread
 *                                fail: the daemon's own, JSON, and the
 *                                listener core's (its loops are spared);
 *                                with size, only allocations of at least
 *                                size bytes count (and fail), as when the
 *                                address space runs out.
 */
#ifndef WSL_INJECT_H
#define WSL_INJECT_H

#include <stdbool.h>
#include <stddef.h>

void inject_enable(bool);
/* malloc, calloc and realloc, unless an allocation failure is due
 * (control thread). */
void *inject_malloc(size_t);
void *inject_calloc(size_t, size_t);
void *inject_realloc(void *, size_t);
/* A hand-off failure is due: true, with its errno. */
bool inject_sendmsg_fault(int *err);

#endif
