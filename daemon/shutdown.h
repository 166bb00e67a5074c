/* SPDX-License-Identifier: ISC */
/*
 * Stopping wsld (SIGTERM, SIGINT), in one place and in this order:
 *  1. what outlives wsld is secured first: with the fd store, every OPEN
 *     listener's socket is stored (from the core's state, not from the
 *     changes told so far) and handed over with the connections queued on
 *     it, a socket unit's too, and every listener's state and counters
 *     are saved for the next wsld;
 *  2. STOPPING=1, the control socket stops taking requests, and a reload
 *     (or the start) in progress is answered and stops where it is;
 *  3. every listener is closed as a close command would (an opening one
 *     aborted first), its channels given CLOSE_TIMEOUT, and freed once
 *     idle; when none is left, the state is stored again with the final
 *     counters (what was in flight at step 1 counted), the control loop
 *     ends and wsld exits 0.
 * After SHUTDOWN_GRACE_MS the channels still finishing are cut (a close
 * timeout longer than the grace is cut short); if the stop still has not
 * ended SHUTDOWN_HURRY_MS later (a loop that no longer answers), wsld
 * exits 1, with what step 1 saved saved already.
 */
#ifndef WSL_SHUTDOWN_H
#define WSL_SHUTDOWN_H

#include <stdbool.h>

#include "webservices.h"

#define SHUTDOWN_GRACE_MS 30000
#define SHUTDOWN_HURRY_MS 5000

struct wsld_listener;

void shutdown_start(int sig);           /* once; later calls do nothing */
bool shutdown_started(void);
void shutdown_end(void);                /* after the control loop ended */
/* It hears of every listener's life (lifecycle.h), to close and free. */
void shutdown_changed(struct wsld_listener *, const WSL_TRANSITION *);
void shutdown_idle(struct wsld_listener *);
void shutdown_freed(struct wsld_listener *);

#endif
