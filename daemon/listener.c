/* SPDX-License-Identifier: ISC */
/*
 * The operations the daemon performs on a listener (see listener.h).
 * Every core call is made with the caller's actor as the thread's tag,
 * and followed by lifecycle_changed(), which logs and tells what it
 * changed.  Open and close run asynchronously on the listener's loop;
 * their completion, on that loop, only records the result and activates
 * an event on the control loop, where the rest happens.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "control.h"
#include "inject.h"
#include "lifecycle.h"
#include "log.h"

static char pipe_dir[PATH_MAX] = WSL_RUNSTATEDIR "/wsld";

struct listener_op {
	struct wsld_listener *l;         /* a reference */
	bool opening;
	bool async;                      /* the core took it (WS_S_ASYNC) */
	WS_ERROR *error;
	struct completion c;
	struct drain drain;              /* a close's wait for channels */
	WS_LISTENER_STATE previous;
	listener_done_fn *done;
	void *arg;
};

void
listener_set_pipe_dir(const char *dir)
{
	snprintf(pipe_dir, sizeof(pipe_dir), "%s", dir);
}

const char *
listener_pipe_dir(void)
{
	return (pipe_dir);
}

WS_LISTENER_STATE
listener_state(struct wsld_listener *l)
{
	WS_LISTENER_STATE s = WS_LISTENER_STATE_CLOSED;

	if (l->ws != NULL)
		(void)WsGetListenerProperty(l->ws, WS_LISTENER_PROPERTY_STATE,
		    &s, sizeof(s), NULL);
	return (s);
}

/* The loop thread's half of a completion: record and hand over. */
static void
completed(HRESULT hr, WS_CALLBACK_MODEL model, void *arg)
{
	struct completion *c = arg;

	(void)model;
	c->hr = hr;
	event_active(c->ev, EV_READ, 0);
}

int
completion_init(struct completion *c, void (*fn)(evutil_socket_t, short,
    void *), void *arg)
{
	c->hr = S_OK;
	c->ev = event_new(control_base, -1, 0, fn, arg);
	return (c->ev != NULL ? 0 : -1);
}

WS_ASYNC_CONTEXT
completion_context(struct completion *c)
{
	WS_ASYNC_CONTEXT ctx = { completed, c };

	return (ctx);
}

void
completion_clear(struct completion *c)
{
	if (c->ev != NULL)
		event_free(c->ev);
	c->ev = NULL;
}

void
listener_op_discard(struct listener_op *op)
{
	struct wsld_listener *l = op->l;

	completion_clear(&op->c);
	if (op->drain.done_ev != NULL)
		event_free(op->drain.done_ev);
	drain_clear(&op->drain);
	WsFreeError(op->error);
	free(op);
	listener_unref(l);
}

/* Answered: the caller hears, then the lifecycle (idle may follow). */
static void
op_done(struct listener_op *op, const char *text)
{
	struct wsld_listener *l = op->l;

	if (op->done != NULL)
		op->done(l, op->c.hr, text, op->previous, op->arg);
	lifecycle_op_end(l, !op->opening);
	listener_op_discard(op);
}

/* After a close: the handler's channels have finished, or were cut. */
static void
drained(evutil_socket_t fd, short what, void *arg)
{
	struct listener_op *op = arg;
	struct wsld_listener *l = op->l;
	unsigned finished = op->drain.finished, cut = op->drain.cut;
	char text[200];

	(void)fd;
	(void)what;
	if (finished + cut > 0)
		log_listener(LOG_INFO, l->name, "close: %u channels finished, "
		    "%u ended at the close timeout", finished, cut);
	snprintf(text, sizeof(text), "listener '%s' is CLOSED; %u channels "
	    "finished, %u ended at the close timeout", l->name, finished, cut);
	op_done(op, finished + cut > 0 ? text : NULL);
}

static void
op_finish(struct listener_op *op)
{
	struct wsld_listener *l = op->l;
	const char *text = NULL;
	HRESULT hr = op->c.hr;
	ULONG ms = 5000;

	/* What the completion changed is told before it is answered. */
	lifecycle_changed(l);
	if (FAILED(hr)) {
		text = WslErrorText(op->error);
		log_listener_event(LOG_WARNING, l->name, (int)op->previous,
		    (int)listener_state(l), true, hr, "%s failed: %s (%s)",
		    op->opening ? "open" : "close", text,
		    wsl_hr_name(hr) != NULL ? wsl_hr_name(hr) : "?");
	}
	/* This open made the listener OPEN: its handler starts accepting
	 * (if the listener has faulted or closed since, it stops at once). */
	if (op->opening && hr == S_OK)
		l->handler->start(l);
	/* This close ran from OPEN or FAULTED (the only asynchronous ones,
	 * aborted or not): the channels served get CLOSE_TIMEOUT. */
	if (!op->opening && op->async && l->handler->drain != NULL) {
		(void)WsGetListenerProperty(l->ws,
		    WS_LISTENER_PROPERTY_CLOSE_TIMEOUT, &ms, sizeof(ms), NULL);
		op->drain.timeout_ms = ms;
		l->handler->drain(l, &op->drain);
		return;
	}
	op_done(op, text);
}

/* The control thread's half of a completion. */
static void
op_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	op_finish(arg);
}

struct listener_op *
listener_op_new(struct wsld_listener *l, bool opening)
{
	struct listener_op *op;

	if ((op = inject_calloc(1, sizeof(*op))) == NULL)
		return (NULL);
	if (completion_init(&op->c, op_event, op) < 0 ||
	    WsCreateError(NULL, 0, &op->error) != S_OK ||
	    (!opening && ((op->drain.done_ev = event_new(control_base, -1, 0,
		drained, op)) == NULL ||
		drain_init(&op->drain, WslGetListenerLaneCount(l->ws)) < 0))) {
		if (op->drain.done_ev != NULL)
			event_free(op->drain.done_ev);
		drain_clear(&op->drain);
		completion_clear(&op->c);
		WsFreeError(op->error);
		free(op);
		return (NULL);
	}
	listener_ref(l);
	op->l = l;
	op->opening = opening;
	return (op);
}

/* A socket handed to wsld goes to the core for this open. */
static void
give_to_core(struct wsld_listener *l)
{
	int fd;

	if (l->given.fd < 0)
		return;
	fd = l->given.fd;
	if (l->given.keep)
		fd = fcntl(l->given.fd, F_DUPFD_CLOEXEC, 3);
	else
		l->given.fd = -1;
	if (fd >= 0 && WslAdoptListenerSocket(l->ws, fd, NULL) == S_OK)
		l->given.in_use = l->given.origin; /* if the core uses it */
	else if (fd >= 0)
		close(fd); /* not CREATED: the open fails anyway */
}

void
listener_op_start(struct listener_op *op, listener_done_fn *done, void *arg,
    actor_t actor)
{
	struct wsld_listener *l = op->l;
	WS_ASYNC_CONTEXT ctx;
	struct wsl_err err;
	WS_STRING url;
	uint64_t since = l->life.told;
	HRESULT hr;
	int from;

	op->done = done;
	op->arg = arg;
	op->previous = listener_state(l);
	if (!lifecycle_may_change(l, actor, op->opening ? "open" : "close",
	    &err)) {
		if (done != NULL)
			done(l, err.hr, err.text, op->previous, arg);
		listener_op_discard(op);
		return;
	}
	lifecycle_op_begin(l, !op->opening);
	ctx = completion_context(&op->c);
	if (op->opening)
		give_to_core(l);
	/* Not op->c.hr: with WS_S_ASYNC the loop may have completed (and
	 * written op->c.hr) before the call returns here. */
	WslSetCallerTag(actor);
	if (op->opening) {
		url.chars = l->url;
		url.length = (ULONG)strlen(l->url);
		hr = WsOpenListener(l->ws, &url, &ctx, op->error);
	} else
		hr = WsCloseListener(l->ws, &ctx, op->error);
	WslSetCallerTag(0);
	/* The state it left, exactly (the loop may have moved on from the
	 * one read above). */
	if (SUCCEEDED(hr) && (from = lifecycle_call_from(l, since, op->opening ?
	    WSL_OPERATION_OPEN : WSL_OPERATION_CLOSE)) >= 0)
		op->previous = (WS_LISTENER_STATE)from;
	if (hr == WS_S_ASYNC) {
		op->async = true;
		lifecycle_changed(l);
		return;
	}
	op->c.hr = hr; /* completed (or refused) synchronously */
	op_finish(op);
}

static void
start_new(struct wsld_listener *l, bool opening, listener_done_fn *done,
    void *arg, actor_t actor)
{
	struct listener_op *op;

	if ((op = listener_op_new(l, opening)) == NULL) {
		if (done != NULL)
			done(l, WSL_HR_E_OUTOFMEMORY, "out of memory",
			    listener_state(l), arg);
		return;
	}
	listener_op_start(op, done, arg, actor);
}

void
listener_open(struct wsld_listener *l, listener_done_fn *done, void *arg,
    actor_t actor)
{
	start_new(l, true, done, arg, actor);
}

void
listener_close(struct wsld_listener *l, listener_done_fn *done, void *arg,
    actor_t actor)
{
	start_new(l, false, done, arg, actor);
}

HRESULT
listener_abort(struct wsld_listener *l, WSL_ABORT_RESULT *r, actor_t actor)
{
	char who[ACTOR_TEXT];
	HRESULT hr;

	WslSetCallerTag(actor);
	hr = WslAbortListenerEx(l->ws, r, NULL);
	WslSetCallerTag(0);
	if (SUCCEEDED(hr))
		log_listener(LOG_INFO, l->name, "abort in %s: %u pending "
		    "accepts cancelled, %u queued connections reset%s%s (%s)",
		    wsl_state_name((int)r->previousState),
		    (unsigned int)r->pendingAccepts,
		    (unsigned int)r->queuedReset,
		    r->pendingOpen ? ", the pending open aborted" : "",
		    r->pendingClose ? ", the pending close aborted" : "",
		    actor_format(actor, who));
	lifecycle_changed(l);
	return (hr);
}

HRESULT
listener_pause(struct wsld_listener *l, bool pause, struct wsl_err *err,
    actor_t actor)
{
	WS_ERROR *error = NULL;
	char who[ACTOR_TEXT];
	HRESULT hr;

	(void)WsCreateError(NULL, 0, &error);
	hr = WslPauseListener(l->ws, pause ? TRUE : FALSE, error);
	if (FAILED(hr))
		wsl_err_set(err, hr, "%s", error != NULL ?
		    WslErrorText(error) : "out of memory");
	else
		log_listener(LOG_INFO, l->name, "%s (%s)", pause ? "paused: "
		    "new connections wait in the kernel's queue" : "resumed",
		    actor_format(actor, who));
	WsFreeError(error);
	return (hr);
}

HRESULT
listener_reset(struct wsld_listener *l, struct wsl_err *err, actor_t actor,
    WS_LISTENER_STATE *previous)
{
	WS_ERROR *error = NULL;
	uint64_t since = l->life.told;
	HRESULT hr;
	int from;

	*previous = listener_state(l);
	if (!lifecycle_may_change(l, actor, "reset", err))
		return (err->hr);
	/* The close has not answered: its channels are still finishing, and
	 * a new open would serve new ones before that close has answered. */
	if (l->life.closes > 0)
		return (wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION,
		    "reset is not allowed while a close of listener '%s' is "
		    "still finishing (its channels get up to the close "
		    "timeout)", l->name));
	(void)WsCreateError(NULL, 0, &error);
	WslSetCallerTag(actor);
	if (FAILED(hr = WsResetListener(l->ws, error)))
		wsl_err_set(err, hr, "%s", WslErrorText(error));
	WslSetCallerTag(0);
	/* CLOSED if it changed anything, else it was CREATED already. */
	if (SUCCEEDED(hr))
		*previous = (from = lifecycle_call_from(l, since,
		    WSL_OPERATION_RESET)) >= 0 ? (WS_LISTENER_STATE)from :
		    WS_LISTENER_STATE_CREATED;
	WsFreeError(error);
	lifecycle_changed(l);
	return (hr);
}

void
listener_give_socket(struct wsld_listener *l, int fd, bool keep,
    const char *origin)
{
	if (l->given.fd >= 0)
		close(l->given.fd);
	l->given.fd = fd;
	l->given.keep = keep;
	l->given.origin = origin;
}

/* A socket unit's socket goes with the name to a listener replacing
 * from (a reload). */
void
listener_move_socket(struct wsld_listener *from, struct wsld_listener *to)
{
	listener_give_socket(to, from->given.fd, true, from->given.origin);
	from->given.fd = -1;
}

/*
 * An abort, a close or a listener not to be OPEN shut a socket unit's
 * socket down, so that it refuses connections while wsld keeps it.  Shut
 * down, a TCP socket polls POLLHUP, and systemd, which watches it again
 * once wsld has stopped, would fail the socket unit and close the port:
 * the socket listens again, with the listener's backlog, before wsld lets
 * go of it.  (A Unix socket stays shut down; one not stream, untouched.)
 */
void
listener_let_go_socket(struct wsld_listener *l)
{
	ULONG backlog = SOMAXCONN;
	socklen_t len = sizeof(int);
	int type = 0;

	if (l->given.fd < 0)
		return;
	if (l->given.keep && getsockopt(l->given.fd, SOL_SOCKET, SO_TYPE,
	    &type, &len) == 0 && type == SOCK_STREAM) {
		if (l->ws != NULL)
			(void)WsGetListenerProperty(l->ws,
			    WS_LISTENER_PROPERTY_LISTEN_BACKLOG, &backlog,
			    sizeof(backlog), NULL);
		if (listen(l->given.fd, (int)backlog) < 0)
			log_listener(LOG_WARNING, l->name, "its socket unit's "
			    "socket does not listen again: %s",
			    strerror(errno));
	}
	close(l->given.fd);
	l->given.fd = -1;
}

void
listener_count(struct wsld_listener *l, WSL_CHANNEL_OUTCOME outcome,
    WSL_FAILURE reason)
{
	if (l != NULL && l->ws != NULL)
		(void)WslCountChannel(l->ws, outcome, reason);
}
