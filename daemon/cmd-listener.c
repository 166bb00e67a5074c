/* SPDX-License-Identifier: ISC */
/*
 * list, status, create, open, close, abort, pause, resume, reset, free,
 * get, set: the commands that map onto the listener API one to one.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "inject.h"
#include "lifecycle.h"

/*
 * list, in three steps a few names at a time (ctl_reply_items), so that
 * other clients are served while thousands are listed: the names are
 * gathered (lifecycle_scan), sorted, then each listener is described as
 * it is when its turn comes (one freed meanwhile is left out, one a
 * reload replaced is its successor, one created meanwhile may be in it
 * or not).  Touching 10,000 listeners at once took a millisecond, and
 * sorting their names 2 to 7.
 */
#define LIST_STEP 256                  /* names gathered or merged per call */

struct list_walk {
	char *chars;                   /* the names, one after the other */
	size_t *names, *tmp;           /* where each begins, and room to sort */
	size_t n, size, chars_len, chars_size;
	uint64_t cursor;               /* of lifecycle_scan */
	bool gathered, sorted;
	size_t width, lo, i, j, k;     /* where the merge sort is */
	size_t next;                   /* the next name to describe */
	bool failed;                   /* out of memory */
	int state;                     /* -1: any */
	char *match;                   /* NULL: any */
	struct describe_fields fields;
	bool some;                     /* only those fields */
};

/* Only those in state (if given) and whose name matches (a glob). */
static bool
listed(struct wsld_listener *l, int state, const char *match)
{
	return ((state < 0 || (int)listener_state(l) == state) &&
	    (match == NULL || fnmatch(match, l->name, 0) == 0));
}

static void *
grow(void *p, size_t *size, size_t need, size_t each)
{
	size_t n = *size > 0 ? *size : 64;

	while (n < need)
		n *= 2;
	if (n == *size)
		return (p);
	if ((p = inject_realloc(p, n * each)) != NULL)
		*size = n;
	return (p);
}

static void
gather(struct wsld_listener *l, void *arg)
{
	struct list_walk *w = arg;
	size_t len = strlen(l->name) + 1;
	size_t *names;
	char *chars;

	if (w->failed)
		return;
	if ((names = grow(w->names, &w->size, w->n + 1,
	    sizeof(*names))) != NULL)
		w->names = names;
	if ((chars = grow(w->chars, &w->chars_size, w->chars_len + len,
	    1)) != NULL)
		w->chars = chars;
	if (names == NULL || chars == NULL) {
		w->failed = true;
		return;
	}
	memcpy(w->chars + w->chars_len, l->name, len);
	w->names[w->n++] = w->chars_len;
	w->chars_len += len;
}

static const char *
name_at(const struct list_walk *w, size_t off)
{
	return (w->chars + off);
}

static size_t
min_size(size_t a, size_t b)
{
	return (a < b ? a : b);
}

/* The next pair of runs to merge, from lo. */
static void
sort_pair(struct list_walk *w)
{
	w->i = w->k = w->lo;
	w->j = min_size(w->lo + w->width, w->n);
}

/* A bottom-up merge sort that stops after budget names and goes on where
 * it stopped.  True once sorted. */
static bool
sort_some(struct list_walk *w, size_t budget)
{
	size_t mid, hi, *swap;

	while (w->width < w->n) {
		mid = min_size(w->lo + w->width, w->n);
		hi = min_size(w->lo + 2 * w->width, w->n);
		for (; w->k < hi; w->k++) {
			if (budget-- == 0)
				return (false);
			if (w->j >= hi || (w->i < mid &&
			    strcmp(name_at(w, w->names[w->i]),
			    name_at(w, w->names[w->j])) <= 0))
				w->tmp[w->k] = w->names[w->i++];
			else
				w->tmp[w->k] = w->names[w->j++];
		}
		if ((w->lo = hi) >= w->n) {
			swap = w->names;
			w->names = w->tmp;
			w->tmp = swap;
			w->width *= 2;
			w->lo = 0;
		}
		sort_pair(w);
	}
	return (true);
}

static enum ctl_item
list_next(void *arg, json_t **item)
{
	struct list_walk *w = arg;
	struct wsld_listener *l;
	const char *name;
	size_t seen;

	if (!w->gathered) {
		seen = w->n;
		do
			w->cursor = lifecycle_scan(w->cursor, gather, w);
		while (w->cursor != 0 && !w->failed &&
		    w->n - seen < LIST_STEP);
		if (w->failed || (w->cursor == 0 &&
		    (w->tmp = inject_malloc((w->n + 1) * sizeof(size_t))) ==
		    NULL))
			return (CTL_ITEMS_NO_MEMORY);
		w->gathered = w->cursor == 0;
		if (w->gathered) {
			w->width = 1;
			sort_pair(w);
		}
		return (CTL_ITEM_NOT_YET);
	}
	if (!w->sorted && !(w->sorted = sort_some(w, LIST_STEP)))
		return (CTL_ITEM_NOT_YET);
	while (w->next < w->n) {
		name = name_at(w, w->names[w->next++]);
		if ((l = lifecycle_find(name)) != NULL &&
		    listed(l, w->state, w->match)) {
			*item = describe_listener_fields(l, w->some ?
			    &w->fields : NULL);
			return (*item != NULL ? CTL_ITEM : CTL_ITEMS_NO_MEMORY);
		}
	}
	return (CTL_ITEMS_END);
}

static void
list_finish(void *arg)
{
	struct list_walk *w = arg;

	free(w->match);
	free(w->chars);
	free(w->names);
	free(w->tmp);
	free(w);
}

void
cmd_list(struct ctl_request *req)
{
	struct list_walk *w;
	const char *state = NULL, *match = NULL;
	json_t *fields;
	char text[400];
	int s = -1;

	if (!args_only(req, "state", "match", "fields", NULL) ||
	    !args_string(req, "state", false, &state) ||
	    !args_string(req, "match", false, &match))
		return;
	if (state != NULL && (s = wsl_state_lookup(state)) < 0) {
		snprintf(text, sizeof(text), "unknown state '%.32s' (CREATED, "
		    "OPENING, OPEN, FAULTED, CLOSING or CLOSED)", state);
		ctl_reply(req, WSL_HR_E_INVALIDARG, text, NULL);
		return;
	}
	if ((w = inject_calloc(1, sizeof(*w))) == NULL) {
		ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory", NULL);
		return;
	}
	if ((fields = json_object_get(req->args, "fields")) != NULL) {
		if (describe_fields_parse(fields, &w->fields, text,
		    sizeof(text)) < 0) {
			list_finish(w);
			ctl_reply(req, WSL_HR_E_INVALIDARG, text, NULL);
			return;
		}
		w->some = true;
	}
	w->state = s;
	if (match != NULL && (w->match = inject_malloc(strlen(match) + 1)) ==
	    NULL) {
		list_finish(w);
		ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory", NULL);
		return;
	}
	if (w->match != NULL)
		strcpy(w->match, match);
	ctl_reply_items(req, "listeners", list_next, list_finish, w);
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
