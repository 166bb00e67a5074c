/* SPDX-License-Identifier: ISC */
/*
 * Daemon-level listener operations (see listener.h).  Open and close run
 * asynchronously on the listener's loop; their completion callback, on that
 * loop, only records the result and activates an event on the control
 * base, so the rest happens on the control thread.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "control.h"
#include "handler.h"
#include "listener.h"
#include "log.h"

static char pipe_dir[PATH_MAX] = WSL_RUNSTATEDIR "/wsld";

struct op {
	struct wsld_listener *l;         /* a reference */
	WS_ERROR *error;
	HRESULT hr;
	WS_LISTENER_STATE previous;
	bool opening;
	struct event *ev;
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
    const char *actor)
{
	WS_LISTENER_STATE to = listener_state(l);

	if (from != to)
		log_listener(LOG_INFO, l->name, "%s -> %s (%s %s)",
		    wsl_state_name((int)from), wsl_state_name((int)to), what,
		    actor);
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
	l = registry_add(s->name, s->url, ws, s->properties, s->handler_conf,
	    s->handler, s->handler_state, s->open);
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

static void
op_finish(struct op *op)
{
	struct wsld_listener *l = op->l;
	const char *text = NULL;

	if (FAILED(op->hr)) {
		text = WslErrorText(op->error);
		log_listener(LOG_WARNING, l->name, "%s failed: %s (%s)",
		    op->opening ? "open" : "close", text,
		    wsl_hr_name(op->hr) != NULL ? wsl_hr_name(op->hr) : "?");
	}
	log_change(l, op->previous, op->opening ? "open" : "close", op->actor);
	if (op->opening && SUCCEEDED(op->hr) &&
	    listener_state(l) == WS_LISTENER_STATE_OPEN)
		l->handler->start(l);
	op->done(l, op->hr, text, op->previous, op->arg);
	if (op->ev != NULL)
		event_free(op->ev);
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

/* The loop thread's half: record and hand over. */
static void
op_callback(HRESULT hr, WS_CALLBACK_MODEL model, void *arg)
{
	struct op *op = arg;

	(void)model;
	op->hr = hr;
	event_active(op->ev, EV_READ, 0);
}

static struct op *
op_new(struct wsld_listener *l, bool opening, listener_done_fn *done,
    void *arg, const char *actor)
{
	struct op *op;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return (NULL);
	if ((op->ev = event_new(control_base, -1, 0, op_event, op)) == NULL ||
	    WsCreateError(NULL, 0, &op->error) != S_OK) {
		if (op->ev != NULL)
			event_free(op->ev);
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

static void
start(struct wsld_listener *l, bool opening, listener_done_fn *done,
    void *arg, const char *actor)
{
	WS_ASYNC_CONTEXT ctx;
	WS_STRING url;
	struct op *op;
	HRESULT hr;

	if ((op = op_new(l, opening, done, arg, actor)) == NULL) {
		done(l, WSL_HR_E_OUTOFMEMORY, "out of memory", listener_state(l),
		    arg);
		return;
	}
	ctx.callback = op_callback;
	ctx.callbackState = op;
	/* Not op->hr: with WS_S_ASYNC the loop may have completed (and
	 * written op->hr) before the call returns here. */
	if (opening) {
		url.chars = l->url;
		url.length = (ULONG)strlen(l->url);
		hr = WsOpenListener(l->ws, &url, &ctx, op->error);
	} else
		hr = WsCloseListener(l->ws, &ctx, op->error);
	if (hr != WS_S_ASYNC) {
		op->hr = hr; /* completed (or refused) synchronously */
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
		log_change(l, r->previousState, "abort", actor);
	}
	return (hr);
}

HRESULT
listener_reset(struct wsld_listener *l, struct wsl_err *err, const char *actor)
{
	WS_LISTENER_STATE previous = listener_state(l);
	WS_ERROR *error = NULL;
	HRESULT hr;

	(void)WsCreateError(NULL, 0, &error);
	if (FAILED(hr = WsResetListener(l->ws, error)))
		wsl_err_set(err, hr, "%s", WslErrorText(error));
	else
		log_listener(LOG_INFO, l->name, "%s -> CREATED (reset %s)",
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
