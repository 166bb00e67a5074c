/* SPDX-License-Identifier: ISC */
/*
 * Fault injection for tests (wsld --fault-injection): the `inject` command
 * is refused unless it was enabled at start.  Faults:
 *   stall {name, ms}             a listener's loop blocks, as a hung
 *                                handler would;
 *   accept-error {name, errno, count}  its next accepts fail so;
 *   sendmsg-error {errno, count} the next descriptor hand-offs on the
 *                                control socket fail so;
 *   alloc-fail {count}           the next allocations of the control path
 *                                (and of JSON on the control thread) fail.
 */
#ifndef WSL_INJECT_H
#define WSL_INJECT_H

#include <stdbool.h>
#include <stddef.h>

void inject_enable(bool);
/* calloc, unless an allocation failure is due (control thread). */
void *inject_calloc(size_t, size_t);
/* A hand-off failure is due: true, with its errno. */
bool inject_sendmsg_fault(int *err);

#endif
