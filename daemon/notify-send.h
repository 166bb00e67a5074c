/* SPDX-License-Identifier: ISC */
/*
 * Sending to the service manager without ever blocking the control
 * thread: sd_notify() is a blocking send, so a manager that stops reading
 * (its queue of 512 datagrams full) would freeze wsld.  Messages go out
 * on one non-blocking socket; what cannot go at once waits in a bounded
 * queue, in order, retried every 50 ms; a STATUS= line replaces a STATUS=
 * line still waiting, so a flood of state changes takes one place.  When
 * the queue is full a message is dropped and counted.  Control thread.
 */
#ifndef WSL_NOTIFY_SEND_H
#define WSL_NOTIFY_SEND_H

#include <jansson.h>

void notify_send(const char *msg);   /* nothing without NOTIFY_SOCKET */
json_t *notify_send_stats(void);     /* for version */
void notify_send_free(void);         /* at exit */

#endif
