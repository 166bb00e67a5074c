/* SPDX-License-Identifier: ISC */
/*
 * What wsld tells its service manager (sd_notify): READY=1 once every
 * listener configured to open at start has opened or failed, a STATUS=
 * line that follows every state change ("5 listeners: 4 open, 1
 * faulted"), RELOADING=1 and READY=1 around a reload, STOPPING=1.  Without
 * NOTIFY_SOCKET these do nothing; after STOPPING=1 none of them is sent
 * (only the fd store's messages may follow).
 */
#ifndef WSL_NOTIFY_H
#define WSL_NOTIFY_H

#include <stddef.h>

#include "webservices.h"

struct wsld_listener;

void notify_ready(void);
/* STATUS= follows the named listeners' states (lifecycle.h): sent when the
 * summary changed, 10 ms after a change, with the changes made meanwhile. */
void notify_changed(struct wsld_listener *, const WSL_TRANSITION *);
void notify_freed(struct wsld_listener *);
void notify_reloading(void);
void notify_reloaded(const char *error); /* NULL: it succeeded */
void notify_stopping(void);
/* The summary STATUS= carries, also for logs and `version`. */
void notify_summary(char *, size_t);

#endif
