/* SPDX-License-Identifier: ISC */
/*
 * The systemd watchdog (WatchdogSec=), fed only while every event loop is
 * alive: every quarter of the watchdog period the control loop pings each
 * loop of the pool and each dedicated one (WslPingLoops: a cost per loop,
 * not per listener), and sends WATCHDOG=1 only if every loop has answered
 * the previous ping.  A loop that stalls stops the pings, so systemd
 * restarts wsld; the log names the loop with the listeners it hosts, and
 * the status of each says since when.  The control loop stalling stops
 * the pings by itself.
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
