/* SPDX-License-Identifier: ISC */
/*
 * reopen: the documented way back from FAULTED as one command.  It closes
 * the listener (if OPEN or FAULTED), resets it (if CLOSED) and opens it,
 * each step as its own command would, and stops at the first that fails.
 * The reply lists the steps taken, each with the state it left.  The step
 * after a close runs from a fresh event, once the close has answered
 * (until then a reset is refused: the close still owns the listener).
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "cmd.h"
#include "control.h"
#include "inject.h"
#include "lifecycle.h"

struct reopen {
	struct ctl_request *req;
	struct wsld_listener *l;      /* a reference */
	struct event *next_ev;        /* the step after a close */
	json_t *steps;                /* [{operation, state, hresult}] */
	WS_LISTENER_STATE previous;   /* before the first step */
	bool opening;
};

static void next_step(struct wsld_listener *, struct reopen *);

static void
finish(struct wsld_listener *l, struct reopen *r, HRESULT hr,
    const char *text)
{
	char ok[160], failed[400];
	json_t *o;

	if (SUCCEEDED(hr)) {
		snprintf(ok, sizeof(ok), "listener '%s' is %s", l->name,
		    wsl_state_name((int)listener_state(l)));
		text = ok;
	} else {
		snprintf(failed, sizeof(failed), "reopen stopped at the %s: %s",
		    r->opening ? "open" : json_array_size(r->steps) > 0 ?
		    json_string_value(json_object_get(json_array_get(r->steps,
		    json_array_size(r->steps) - 1), "operation")) : "start",
		    text != NULL ? text : "failed");
		text = failed;
	}
	if ((o = describe_listener(l)) == NULL ||
	    json_object_set_new(o, "previous-state",
		json_string(wsl_state_name((int)r->previous))) < 0 ||
	    json_object_set(o, "steps", r->steps) < 0) {
		json_decref(o);
		ctl_reply_lost(r->req, -1, NULL);
	} else
		ctl_reply(r->req, hr, text, o);
	json_decref(r->steps);
	event_free(r->next_ev);
	listener_unref(r->l);
	free(r);
}

static int
record(struct wsld_listener *l, struct reopen *r, const char *op, HRESULT hr)
{
	char hex[11];

	wsl_hr_format(hr, hex);
	return (json_array_append_new(r->steps, json_pack("{s:s,s:s,s:s}",
	    "operation", op, "state", wsl_state_name((int)listener_state(l)),
	    "hresult", hex)));
}

/* A close or the open has finished. */
static void
step_done(struct wsld_listener *l, HRESULT hr, const char *text,
    WS_LISTENER_STATE previous, void *arg)
{
	struct reopen *r = arg;

	(void)previous;
	if (record(l, r, r->opening ? "open" : "close", hr) < 0) {
		finish(l, r, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return;
	}
	if (FAILED(hr) || r->opening)
		finish(l, r, hr, text);
	else
		event_active(r->next_ev, EV_READ, 0);
}

static void
after_close(evutil_socket_t fd, short what, void *arg)
{
	struct reopen *r = arg;
	char text[160];

	(void)fd;
	(void)what;
	if (r->l->ws == NULL) {
		snprintf(text, sizeof(text), "listener '%s' was freed after "
		    "the close", r->l->name);
		finish(r->l, r, WSL_HR_ERROR_NOT_FOUND, text);
	} else
		next_step(r->l, r);
}

static void
next_step(struct wsld_listener *l, struct reopen *r)
{
	WS_LISTENER_STATE s = listener_state(l), previous;
	struct wsl_err err;

	switch (s) {
	case WS_LISTENER_STATE_OPEN:
	case WS_LISTENER_STATE_FAULTED:
		listener_close(l, step_done, r, r->req->actor);
		return;
	case WS_LISTENER_STATE_CLOSED:
		if (FAILED(listener_reset(l, &err, r->req->actor, &previous))) {
			(void)record(l, r, "reset", err.hr);
			finish(l, r, err.hr, err.text);
		} else if (record(l, r, "reset", S_OK) < 0)
			finish(l, r, WSL_HR_E_OUTOFMEMORY, "out of memory");
		else
			next_step(l, r);
		return;
	case WS_LISTENER_STATE_CREATED:
		r->opening = true;
		listener_open(l, step_done, r, r->req->actor);
		return;
	default:
		/* OPENING or CLOSING: another operation is under way. */
		snprintf(err.text, sizeof(err.text), "the listener is %s: "
		    "wait until it is not (wslctl wait)",
		    wsl_state_name((int)s));
		finish(l, r, WSL_HR_WS_E_INVALID_OPERATION, err.text);
		return;
	}
}

void
cmd_reopen(struct ctl_request *req)
{
	struct wsld_listener *l;
	struct reopen *r;

	if (!args_only(req, "name", NULL) || (l = args_listener(req)) == NULL)
		return;
	if ((r = inject_calloc(1, sizeof(*r))) == NULL ||
	    (r->steps = json_array()) == NULL ||
	    (r->next_ev = event_new(control_base, -1, 0, after_close,
		r)) == NULL) {
		if (r != NULL)
			json_decref(r->steps);
		free(r);
		ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory", NULL);
		return;
	}
	r->req = req;
	r->l = l;
	listener_ref(l);
	r->previous = listener_state(l);
	next_step(l, r);
}
