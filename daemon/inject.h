/* SPDX-License-Identifier: ISC */
/*
 * Fault injection for tests (wsld --fault-injection): the `inject` command
 * is refused unless it was enabled at start.  Faults: "stall" blocks a
 * listener's loop for "ms" milliseconds, as a hung handler would.
 */
#ifndef WSL_INJECT_H
#define WSL_INJECT_H

#include <stdbool.h>

void inject_enable(bool);

#endif
