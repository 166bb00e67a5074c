/* SPDX-License-Identifier: ISC */
/*
 * list, status, create, open, close, abort, pause, resume, reset, free,
 * get, set: the commands that map onto the listener API one to one.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "lifecycle.h"

/* Only those in state (if given) and whose name matches (a glob). */
static bool
listed(struct wsld_listener *l, int state, const char *match)
{
	return ((state < 0 || (int)listener_state(l) == state) &&
	    (match == NULL || fnmatch(match, l->name, 0) == 0));
}

void
cmd_list(struct ctl_request *req)
{
	struct wsld_listener **all;
	const char *state = NULL, *match = NULL;
	char text[160];
	json_t *arr;
	size_t n, i;
	int s = -1;

	if (!args_only(req, "state", "match", NULL) ||
	    !args_string(req, "state", false, &state) ||
	    !args_string(req, "match", false, &match))
		return;
	if (state != NULL && (s = wsl_state_lookup(state)) < 0) {
		snprintf(text, sizeof(text), "unknown state '%.32s' (CREATED, "
		    "OPENING, OPEN, FAULTED, CLOSING or CLOSED)", state);
		ctl_reply(req, WSL_HR_E_INVALIDARG, text, NULL);
		return;
	}
	if ((all = lifecycle_sorted(&n)) == NULL ||
	    (arr = json_array()) == NULL) {
		lifecycle_sorted_free(all, all != NULL ? n : 0);
		ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory", NULL);
		return;
	}
	for (i = 0; i < n && arr != NULL; i++)
		if (listed(all[i], s, match) &&
		    json_array_append_new(arr, describe_listener(all[i])) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	lifecycle_sorted_free(all, n);
	if (arr == NULL)
		ctl_reply_lost(req, -1, NULL); /* not a partial list */
	else
		ctl_reply(req, WSL_HR_S_OK, NULL, json_pack("{s:o}",
		    "listeners", arr));
}

void
cmd_status(struct ctl_request *req)
{
	struct wsld_listener *l;

	if (!args_only(req, "name", NULL) || (l = args_listener(req)) == NULL)
		return;
	reply_listener(req, l, WSL_HR_S_OK, NULL, -1);
}

/* An open or close has finished: answer with the final state. */
static void
finished(struct wsld_listener *l, HRESULT hr, const char *text,
    WS_LISTENER_STATE previous, void *arg)
{
	struct ctl_request *req = arg;
	char ok[160];

	if (SUCCEEDED(hr) && text == NULL) {
		snprintf(ok, sizeof(ok), "listener '%s' is %s", l->name,
		    wsl_state_name((int)listener_state(l)));
		text = ok;
	}
	reply_listener(req, l, hr, text, (int)previous);
}

/*
 * create with "open": the open failed, so the create did not happen
 * either: the name is free at once and the listener goes once its open
 * has answered (nobody can reach it meanwhile: it has no name).  With
 * "keep", it stays CREATED with its last error; so it does when another
 * client aborted it meanwhile (FAULTED): that is the abort's to undo.
 */
static void
created_opened(struct wsld_listener *l, HRESULT hr, const char *text,
    WS_LISTENER_STATE previous, void *arg)
{
	struct ctl_request *req = arg;
	char why[700];

	if (SUCCEEDED(hr) || json_is_true(json_object_get(req->args, "keep")) ||
	    listener_state(l) != WS_LISTENER_STATE_CREATED) {
		finished(l, hr, text, previous, arg);
		return;
	}
	snprintf(why, sizeof(why), "%s; listener '%s' was not kept "
	    "(create --keep leaves it CREATED)", text != NULL ? text :
	    "the open failed", l->name);
	lifecycle_unbind(l);
	lifecycle_free_later(l, req->actor);
	ctl_reply(req, hr, why, json_pack("{s:s}", "name", l->name));
}

void
cmd_create(struct ctl_request *req)
{
	static const char *const extra[] = { "name", "keep", NULL };
	struct listener_spec spec;
	struct wsld_listener *l;
	struct wsl_err err, unused;
	char where[128], text[400];
	const char *name;
	bool open;

	if (!args_string(req, "name", true, &name))
		return;
	if (json_object_get(req->args, "keep") != NULL &&
	    !json_is_boolean(json_object_get(req->args, "keep"))) {
		ctl_reply(req, WSL_HR_E_INVALIDARG, "arguments/keep: \"keep\" "
		    "must be true or false", NULL);
		return;
	}
	if (spec_parse(name, req->args, extra, &spec, &err, where,
	    sizeof(where)) < 0) {
		if (where[0] != '\0')
			snprintf(text, sizeof(text), "arguments%s: %s", where,
			    err.text);
		else
			snprintf(text, sizeof(text), "%s", err.text);
		ctl_reply(req, err.hr, text, NULL);
		return;
	}
	/* Taken already: said before anything is made. */
	l = NULL;
	if (lifecycle_find(name) != NULL)
		wsl_err_set(&err, WSL_HR_ERROR_ALREADY_EXISTS,
		    "a listener named '%s' already exists", name);
	else if ((l = lifecycle_create(&spec, &err, req->actor)) != NULL &&
	    FAILED(lifecycle_bind(l, &err))) {
		(void)lifecycle_free(l, req->actor, &unused);
		l = NULL;
	}
	open = spec.open;
	spec_clear(&spec);
	if (l == NULL) {
		ctl_reply(req, err.hr, err.text, json_pack("{s:s}", "name", name));
		return;
	}
	if (open)
		listener_open(l, created_opened, req, req->actor);
	else
		reply_listener(req, l, WSL_HR_S_OK, NULL, -1);
}

void
cmd_open(struct ctl_request *req)
{
	struct wsld_listener *l;

	if (!args_only(req, "name", NULL) || (l = args_listener(req)) == NULL)
		return;
	listener_open(l, finished, req, req->actor);
}

void
cmd_close(struct ctl_request *req)
{
	struct wsld_listener *l;

	if (!args_only(req, "name", NULL) || (l = args_listener(req)) == NULL)
		return;
	listener_close(l, finished, req, req->actor);
}

void
cmd_abort(struct ctl_request *req)
{
	struct wsld_listener *l;
	WSL_ABORT_RESULT r;
	json_t *o;
	char text[200];
	HRESULT hr;

	if (!args_only(req, "name", NULL) || (l = args_listener(req)) == NULL)
		return;
	if ((hr = listener_abort(l, &r, req->actor)) != S_OK) {
		ctl_reply(req, hr, "abort failed", NULL);
		return;
	}
	snprintf(text, sizeof(text), "listener '%s' is %s", l->name,
	    wsl_state_name((int)r.state));
	if ((o = describe_listener(l)) == NULL) {
		ctl_reply_lost(req, -1, NULL);
		return;
	}
	/* The state abort left, not whatever the loop did since. */
	json_object_set_new(o, "state",
	    json_string(wsl_state_name((int)r.state)));
	json_object_set_new(o, "state-code", json_integer(r.state));
	json_object_set_new(o, "previous-state",
	    json_string(wsl_state_name((int)r.previousState)));
	json_object_set_new(o, "cancelled", json_pack("{s:i,s:i,s:i,s:i}",
	    "pending-accepts", (int)r.pendingAccepts,
	    "pending-open", (int)r.pendingOpen,
	    "pending-close", (int)r.pendingClose,
	    "queued-connections-reset", (int)r.queuedReset));
	ctl_reply(req, WSL_HR_S_OK, text, o);
}

static void
pause_or_resume(struct ctl_request *req, bool pause)
{
	struct wsld_listener *l;
	struct wsl_err err;
	char text[200];

	if (!args_only(req, "name", NULL) || (l = args_listener(req)) == NULL)
		return;
	if (FAILED(listener_pause(l, pause, &err, req->actor))) {
		reply_listener(req, l, err.hr, err.text, -1);
		return;
	}
	snprintf(text, sizeof(text), pause ? "listener '%s' is paused: new "
	    "connections wait in the kernel's queue" : "listener '%s' takes "
	    "connections again", l->name);
	reply_listener(req, l, WSL_HR_S_OK, text, -1);
}

void
cmd_pause(struct ctl_request *req)
{
	pause_or_resume(req, true);
}

void
cmd_resume(struct ctl_request *req)
{
	pause_or_resume(req, false);
}

void
cmd_reset(struct ctl_request *req)
{
	struct wsld_listener *l;
	WS_LISTENER_STATE previous;
	struct wsl_err err;
	char text[160];

	if (!args_only(req, "name", NULL) || (l = args_listener(req)) == NULL)
		return;
	if (FAILED(listener_reset(l, &err, req->actor, &previous))) {
		reply_listener(req, l, err.hr, err.text, (int)previous);
		return;
	}
	snprintf(text, sizeof(text), "listener '%s' is CREATED", l->name);
	reply_listener(req, l, WSL_HR_S_OK, text, (int)previous);
}

void
cmd_free(struct ctl_request *req)
{
	struct wsld_listener *l;
	WS_LISTENER_STATE previous;
	struct wsl_err err;
	char text[160];
	json_t *o;

	if (!args_only(req, "name", NULL) || (l = args_listener(req)) == NULL)
		return;
	previous = listener_state(l);
	o = json_pack("{s:s,s:s,s:s}", "name", l->name, "url", l->url,
	    "previous-state", wsl_state_name((int)previous));
	snprintf(text, sizeof(text), "listener '%s' is freed", l->name);
	listener_ref(l);
	if (FAILED(lifecycle_free(l, req->actor, &err))) {
		json_decref(o);
		reply_listener(req, l, err.hr, err.text, (int)previous);
	} else
		ctl_reply(req, WSL_HR_S_OK, text, o);
	listener_unref(l);
}

void
cmd_get(struct ctl_request *req)
{
	struct wsld_listener *l;
	const char *property;
	struct wsl_err err;
	json_t *value, *o;

	if (!args_only(req, "name", "property", NULL) ||
	    !args_string(req, "property", false, &property) ||
	    (l = args_listener(req)) == NULL)
		return;
	o = json_pack("{s:s}", "name", l->name);
	if (property == NULL) {
		json_object_set_new(o, "properties", props_get_all(l->ws));
		ctl_reply(req, WSL_HR_S_OK, NULL, o);
		return;
	}
	if (props_get(l->ws, property, &value, &err) < 0) {
		json_decref(o);
		ctl_reply(req, err.hr, err.text, NULL);
		return;
	}
	json_object_set_new(o, "property", json_string(property));
	json_object_set_new(o, "value", value);
	ctl_reply(req, WSL_HR_S_OK, NULL, o);
}

void
cmd_set(struct ctl_request *req)
{
	struct wsld_listener *l;
	const char *property;
	struct wsl_err err;
	json_t *value;

	if (!args_only(req, "name", "property", "value", NULL) ||
	    !args_string(req, "property", true, &property) ||
	    (l = args_listener(req)) == NULL)
		return;
	if ((value = json_object_get(req->args, "value")) == NULL) {
		ctl_reply(req, WSL_HR_E_INVALIDARG,
		    "'set' needs the argument 'value'", NULL);
		return;
	}
	if (props_set(l->ws, property, value, &err) < 0) {
		reply_listener(req, l, err.hr, err.text, -1);
		return;
	}
	reply_listener(req, l, WSL_HR_S_OK, NULL, -1);
}
