/* SPDX-License-Identifier: ISC */
/*
 * The systemd watchdog (WatchdogSec=), fed only while every listener's
 * loop is alive: every quarter of the watchdog period the control loop
 * posts a ping to each listener's loop, and sends WATCHDOG=1 only if every
 * loop has answered the previous one.  A loop that stalls stops the pings
 * (its listener's status says since when), so systemd restarts wsld; the
 * control loop stalling stops them by itself.
 */
#ifndef WSL_WATCHDOG_H
#define WSL_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct wsld_listener;

bool watchdog_start(struct event_base *); /* false: not asked for */
void watchdog_stop(void);

#endif
