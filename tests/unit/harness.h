/* SPDX-License-Identifier: ISC */
/*
 * Helpers shared by the listener-core unit tests: completion recorders,
 * a gate that holds a listener's loop (to observe OPENING and CLOSING
 * without sleeping), and listeners on loopback with ephemeral ports.
 */
#ifndef WSL_TEST_HARNESS_H
#define WSL_TEST_HARNESS_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>

#include <cmocka.h>

#include "webservices.h"

/* How long any wait of a test may take before it gives up and says what
 * it waited for (a lost completion must not hang `make check`). */
#define HARNESS_DEADLINE_S 20

/* Records the completions of one or more asynchronous calls. */
struct done {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int count;
	HRESULT hr;          /* of the last completion */
	bool on_loop;        /* ran on the listener's loop thread */
	WS_LISTENER *l;
};
void done_init(struct done *, WS_LISTENER *);
void done_destroy(struct done *);
void done_cb(HRESULT, WS_CALLBACK_MODEL, void *);
WS_ASYNC_CONTEXT done_ctx(struct done *);
HRESULT done_wait(struct done *, int count); /* hr of the count-th; bounded */

/* Poll ready(arg) until true, at most HARNESS_DEADLINE_S (then the test
 * stops, saying what it waited for). */
void poll_bounded(bool (*ready)(void *), void *arg, const char *what);

/* Holds the listener's loop inside a task until released. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool entered, released, finished;
	WSL_TASK task;
};
void gate_close(struct gate *, WS_LISTENER *); /* returns once it holds */
void gate_open(struct gate *);                 /* lets the loop go on */

/* Run a task on the loop and wait for it: everything before has run. */
void loop_sync(WS_LISTENER *);

WS_CHANNEL_TYPE channel_type_for(WS_CHANNEL_BINDING); /* what it needs */
WS_LISTENER *listener_new(WS_CHANNEL_BINDING);
void listener_finish(WS_LISTENER *); /* close if open or faulted, free */
WS_STRING url_of(const char *);
const char *url_for(WS_CHANNEL_BINDING); /* loopback, port 0 */
WS_LISTENER_STATE state_of(WS_LISTENER *);
WS_CHANNEL_STATE channel_state_of(WS_CHANNEL *);
WSL_LISTENER_INFO info_of(WS_LISTENER *); /* WslGetListenerInfo, checked */
int port_of(WS_LISTENER *);
void set_pipe_dir(const char *);
int connect_to(WS_LISTENER *); /* a client socket, or -1 with errno */
/* A copy of exactly len bytes, no terminator: reading past it is a bug
 * (the sanitizers say so). */
char *exact_copy(const char *, size_t len);

#endif
