/* SPDX-License-Identifier: ISC */
/*
 * Daemon-level listener operations (see listener.h).  Open and close run
 * asynchronously on the listener's loop; their completion callback, on that
 * loop, only records the result and activates an event on the control
 * base, so the rest happens on the control thread.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "control.h"
#include "handler.h"
#include "listener.h"
#include "log.h"

static char pipe_dir[PATH_MAX] = WSL_RUNSTATEDIR "/wsld";

struct op {
	struct wsld_listener *l;         /* a reference */
	WS_ERROR *error;
	struct completion c;
	WS_LISTENER_STATE previous;
	bool opening;
	listener_done_fn *done;
	void *arg;
	char actor[96];
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

static void
log_change(struct wsld_listener *l, WS_LISTENER_STATE from, const char *what,
    HRESULT hr, const char *actor)
{
	WS_LISTENER_STATE to = listener_state(l);

	if (from != to)
		log_listener_event(LOG_INFO, l->name, (int)from, (int)to, true,
		    hr, "%s -> %s (%s %s)", wsl_state_name((int)from),
		    wsl_state_name((int)to), what, actor);
}

struct wsld_listener *
listener_create(struct listener_spec *s, struct wsl_err *err,
    const char *actor)
{
	struct wsld_listener *l;
	WS_LISTENER_PROPERTY *props;
	WS_ERROR *error = NULL;
	WS_LISTENER *ws = NULL;
	ULONG n = s->props.count;
	HRESULT hr;

	if (registry_find(s->name) != NULL) {
		wsl_err_set(err, WSL_HR_ERROR_ALREADY_EXISTS,
		    "a listener named '%s' already exists", s->name);
		return (NULL);
	}
	/* The daemon's pipe directory goes with the given properties. */
	if ((props = calloc(n + 1, sizeof(*props))) == NULL) {
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (NULL);
	}
	if (n > 0)
		memcpy(props, s->props.props, n * sizeof(*props));
	props[n].id = WSL_LISTENER_PROPERTY_PIPE_DIRECTORY;
	props[n].value = pipe_dir;
	props[n].valueSize = (ULONG)strlen(pipe_dir) + 1;
	(void)WsCreateError(NULL, 0, &error);
	hr = WsCreateListener(s->type, s->binding, props, n + 1, NULL, &ws,
	    error);
	free(props);
	if (FAILED(hr)) {
		wsl_err_set(err, hr, "%s", WslErrorText(error));
		WsFreeError(error);
		return (NULL);
	}
	WsFreeError(error);
	l = registry_add(s->name, s->url, ws, s->handler_conf, s->handler,
	    s->handler_state, s->definition);
	if (l == NULL) {
		(void)WsFreeListener(ws);
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (NULL);
	}
	s->handler_state = NULL; /* the listener has it now */
	log_listener(LOG_INFO, l->name, "created %s, handler %s (%s)", l->url,
	    l->handler->name, actor);
	return (l);
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

static void op_done(struct op *, const char *);

/* After a close: the handler's channels have finished, or were cut. */
static void
drained(struct wsld_listener *l, unsigned finished, unsigned cut, void *arg)
{
	struct op *op = arg;
	char text[200];

	l->draining--;
	if (finished + cut > 0)
		log_listener(LOG_INFO, l->name, "close: %u channels finished, "
		    "%u ended at the close timeout", finished, cut);
	snprintf(text, sizeof(text), "listener '%s' is CLOSED; %u channels "
	    "finished, %u ended at the close timeout", l->name, finished, cut);
	op_done(op, finished + cut > 0 ? text : NULL);
}

static void
op_finish(struct op *op)
{
	struct wsld_listener *l = op->l;
	const char *text = NULL;
	HRESULT hr = op->c.hr;
	ULONG ms = 5000;

	if (FAILED(hr)) {
		text = WslErrorText(op->error);
		log_listener_event(LOG_WARNING, l->name, (int)op->previous,
		    (int)listener_state(l), true, hr, "%s failed: %s (%s)",
		    op->opening ? "open" : "close", text,
		    wsl_hr_name(hr) != NULL ? wsl_hr_name(hr) : "?");
	}
	log_change(l, op->previous, op->opening ? "open" : "close", hr,
	    op->actor);
	if (op->opening && SUCCEEDED(hr) &&
	    listener_state(l) == WS_LISTENER_STATE_OPEN)
		l->handler->start(l);
	/* Only a close that ran (not one refused because another is under
	 * way or done: that one drains already). */
	if (!op->opening && listener_state(l) == WS_LISTENER_STATE_CLOSED &&
	    l->handler->drain != NULL && hr != WS_E_INVALID_OPERATION &&
	    (op->previous == WS_LISTENER_STATE_OPEN ||
	    op->previous == WS_LISTENER_STATE_FAULTED)) {
		/* Graceful: the channels served get CLOSE_TIMEOUT to finish. */
		(void)WsGetListenerProperty(l->ws,
		    WS_LISTENER_PROPERTY_CLOSE_TIMEOUT, &ms, sizeof(ms), NULL);
		l->draining++;
		l->handler->drain(l, ms, drained, op);
		return;
	}
	op_done(op, text);
}

static void
op_done(struct op *op, const char *text)
{
	struct wsld_listener *l = op->l;

	if (op->done != NULL)
		op->done(l, op->c.hr, text, op->previous, op->arg);
	completion_clear(&op->c);
	WsFreeError(op->error);
	free(op);
	listener_op_end(l);
}

/* The control thread's half of a completion. */
static void
op_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	op_finish(arg);
}

static struct op *
op_new(struct wsld_listener *l, bool opening, listener_done_fn *done,
    void *arg, const char *actor)
{
	struct op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return (NULL);
	if (completion_init(&op->c, op_event, op) < 0 ||
	    WsCreateError(NULL, 0, &op->error) != S_OK) {
		completion_clear(&op->c);
		free(op);
		return (NULL);
	}
	listener_op_begin(l);
	op->l = l;
	op->opening = opening;
	op->done = done;
	op->arg = arg;
	op->previous = listener_state(l);
	snprintf(op->actor, sizeof(op->actor), "%s", actor);
	return (op);
}

/* A socket handed to wsld goes to the core for this open. */
static void
give_socket(struct wsld_listener *l)
{
	int fd;

	if (l->adopt_fd < 0)
		return;
	fd = l->adopt_fd;
	if (l->adopt_keep)
		fd = fcntl(l->adopt_fd, F_DUPFD_CLOEXEC, 3);
	else
		l->adopt_fd = -1;
	if (fd >= 0 && WslAdoptListenerSocket(l->ws, fd, NULL) == S_OK)
		l->socket_origin = l->adopt_origin; /* if the core uses it */
	else if (fd >= 0)
		close(fd); /* not CREATED: the open fails anyway */
}

static void
start(struct wsld_listener *l, bool opening, listener_done_fn *done,
    void *arg, const char *actor)
{
	WS_ASYNC_CONTEXT ctx;
	WS_STRING url;
	struct op *op;
	HRESULT hr;

	if ((op = op_new(l, opening, done, arg, actor)) == NULL) {
		if (done != NULL)
			done(l, WSL_HR_E_OUTOFMEMORY, "out of memory",
			    listener_state(l), arg);
		return;
	}
	ctx = completion_context(&op->c);
	if (opening)
		give_socket(l);
	/* Not op->c.hr: with WS_S_ASYNC the loop may have completed (and
	 * written op->c.hr) before the call returns here. */
	if (opening) {
		url.chars = l->url;
		url.length = (ULONG)strlen(l->url);
		hr = WsOpenListener(l->ws, &url, &ctx, op->error);
	} else
		hr = WsCloseListener(l->ws, &ctx, op->error);
	if (hr != WS_S_ASYNC) {
		op->c.hr = hr; /* completed (or refused) synchronously */
		op_finish(op);
	}
}

void
listener_open(struct wsld_listener *l, listener_done_fn *done, void *arg,
    const char *actor)
{
	start(l, true, done, arg, actor);
}

void
listener_close(struct wsld_listener *l, listener_done_fn *done, void *arg,
    const char *actor)
{
	start(l, false, done, arg, actor);
}

HRESULT
listener_abort(struct wsld_listener *l, WSL_ABORT_RESULT *r, const char *actor)
{
	HRESULT hr;

	hr = WslAbortListenerEx(l->ws, r, NULL);
	if (SUCCEEDED(hr)) {
		log_listener(LOG_INFO, l->name, "abort in %s: %u pending "
		    "accepts cancelled, %u queued connections reset%s%s (%s)",
		    wsl_state_name((int)r->previousState),
		    (unsigned int)r->pendingAccepts,
		    (unsigned int)r->queuedReset,
		    r->pendingOpen ? ", the pending open aborted" : "",
		    r->pendingClose ? ", the pending close aborted" : "", actor);
		log_change(l, r->previousState, "abort", hr, actor);
	}
	return (hr);
}

HRESULT
listener_reset(struct wsld_listener *l, struct wsl_err *err, const char *actor)
{
	WS_LISTENER_STATE previous = listener_state(l);
	WS_ERROR *error = NULL;
	HRESULT hr;

	/* The channels of the last open are still finishing: a new open
	 * would serve new ones before that close has answered. */
	if (l->draining > 0)
		return (wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION,
		    "reset is not allowed while a close is still waiting for "
		    "its channels (at most the close timeout)"));
	(void)WsCreateError(NULL, 0, &error);
	if (FAILED(hr = WsResetListener(l->ws, error)))
		wsl_err_set(err, hr, "%s", WslErrorText(error));
	else
		log_listener_event(LOG_INFO, l->name, (int)previous,
		    WS_LISTENER_STATE_CREATED, true, hr, "%s -> CREATED (reset %s)",
		    wsl_state_name((int)previous), actor);
	WsFreeError(error);
	return (hr);
}

HRESULT
listener_free(struct wsld_listener *l, struct wsl_err *err, const char *actor)
{
	WS_LISTENER_STATE s = listener_state(l);
	HRESULT hr;

	if (s != WS_LISTENER_STATE_CREATED && s != WS_LISTENER_STATE_CLOSED)
		return (wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION,
		    "free is not allowed when the listener is %s (close it "
		    "first)", wsl_state_name((int)s)));
	if (l->ops > 0)
		return (wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION,
		    "free is not allowed while an operation is in progress "
		    "(a close still waiting for its channels)"));
	l->handler->release(l);
	if (FAILED(hr = WsFreeListener(l->ws))) {
		/* Raced with a state change; the handler restarts on open. */
		return (wsl_err_set(err, hr, "free is not allowed when the "
		    "listener is %s", wsl_state_name((int)listener_state(l))));
	}
	l->handler->destroy(l->handler_state);
	l->handler_state = NULL;
	log_listener(LOG_INFO, l->name, "freed (%s)", actor);
	registry_remove(l);
	return (S_OK);
}
