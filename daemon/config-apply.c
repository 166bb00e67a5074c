/* SPDX-License-Identifier: ISC */
/*
 * Making the listeners match a configuration (see config-apply.h).  A plan
 * has one item per listener touched and runs in two phases: first the
 * closes that must finish (removed listeners, replaced ones that do not
 * hand their socket over), then frees, creates and opens.  Each phase ends
 * when its last asynchronous operation has answered.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "activation.h"
#include "control.h"
#include "config-apply.h"
#include "listener.h"
#include "log.h"
#include "saved-state.h"

enum action { ADD, REMOVE, CHANGE, UNCHANGED };
static const char *const action_names[] = { "added", "removed", "changed",
	"unchanged" };

struct plan;

struct item {
	struct plan *plan;
	char name[65];
	enum action action;
	const json_t *def;               /* the new definition (borrowed) */
	bool from_config;
	const json_t *saved;             /* a previous wsld's entry, or NULL */
	struct wsld_listener *old;       /* a reference, or NULL */
	struct wsld_listener *l;         /* the new one (a reference) */
	int target;                      /* the new one's state; -1: "open" */
	int handover_fd;                 /* the old one's socket, or -1 */
	bool handover_keep;
	const char *handover_origin;
	HRESULT hr;
	char text[300];
};

struct plan {
	struct item *items;
	size_t n;
	int pending;
	int phase;
	apply_done_fn *done;
	void *arg;
	char actor[96];
};

static int retiring;                     /* replaced, finishing channels */

bool
config_apply_busy(void)
{
	return (retiring > 0);
}

static void
fail(struct item *it, HRESULT hr, const char *fmt, const char *detail)
{
	if (FAILED(it->hr))
		return; /* the first failure says most */
	it->hr = hr;
	snprintf(it->text, sizeof(it->text), fmt, detail);
}

/* Do two URLs listen at the same place (so one socket serves both)? */
static bool
same_address(const char *a, const char *b)
{
	WSL_URL_INFO x, y;
	char why[8];

	if (WslParseUrl(a, &x, why, sizeof(why)) != S_OK ||
	    WslParseUrl(b, &y, why, sizeof(why)) != S_OK)
		return (false);
	return (x.binding == y.binding && x.wildcard == y.wildcard &&
	    x.port == y.port && x.port != 0 && strcmp(x.host, y.host) == 0 &&
	    (x.binding != WS_NAMEDPIPE_CHANNEL_BINDING ||
		strcmp(x.path, y.path) == 0));
}

/* Equal but for "open", which only says what to do at creation. */
static bool
same_definition(const json_t *a, const json_t *b)
{
	json_t *x = json_copy((json_t *)a), *y = json_copy((json_t *)b);
	bool same;

	(void)json_object_del(x, "open");
	(void)json_object_del(y, "open");
	same = x != NULL && y != NULL && json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return (same);
}

static void phase_two(struct plan *);
static void finish(struct plan *);

static void
next_phase(evutil_socket_t fd, short what, void *arg)
{
	struct plan *p = arg;

	(void)fd;
	(void)what;
	if (p->phase == 1)
		phase_two(p);
	else
		finish(p);
}

/* The last operation of a phase answered: go on from a fresh stack, once
 * the operation has ended (a listener cannot be freed from inside the
 * answer to its close). */
static void
step_done(struct plan *p)
{
	if (--p->pending > 0)
		return;
	if (event_base_once(control_base, -1, EV_TIMEOUT, next_phase, p,
	    NULL) < 0)
		fatalx("cannot schedule the next step of a reload");
}

/* A close that phase two waits for has finished. */
static void
closed(struct wsld_listener *l, HRESULT hr, const char *text,
    WS_LISTENER_STATE previous, void *arg)
{
	struct item *it = arg;

	(void)l;
	(void)previous;
	if (FAILED(hr))
		fail(it, hr, "close failed: %s", text != NULL ? text : "?");
	step_done(it->plan);
}

static void
opened(struct wsld_listener *l, HRESULT hr, const char *text,
    WS_LISTENER_STATE previous, void *arg)
{
	struct item *it = arg;

	(void)l;
	(void)previous;
	if (FAILED(hr))
		fail(it, hr, "open failed: %s", text != NULL ? text : "?");
	step_done(it->plan);
}

/*
 * A replaced listener goes once its close has answered and no operation
 * (an accept it cancelled, say) is still being answered; from a fresh
 * stack, since these end inside callbacks of the listener.
 */
static void
free_retired(evutil_socket_t fd, short what, void *arg)
{
	struct wsld_listener *l = arg;
	struct wsl_err err;

	(void)fd;
	(void)what;
	l->retire_scheduled = false;
	if (l->ops > 0 || l->ws == NULL)
		return; /* config_apply_changed() calls again */
	if (listener_free(l, &err, "after its replacement") != S_OK)
		log_listener(LOG_WARNING, l->name, "the replaced listener "
		    "cannot be freed: %s", err.text);
	listener_unref(l);
	retiring--;
}

void
config_apply_changed(struct wsld_listener *l)
{
	if (!l->retired_closed || l->retire_scheduled || l->ws == NULL)
		return;
	l->retire_scheduled = true;
	if (event_base_once(control_base, -1, EV_TIMEOUT, free_retired, l,
	    NULL) < 0)
		fatalx("cannot schedule the free of a replaced listener");
}

static void
retired(struct wsld_listener *l, HRESULT hr, const char *text,
    WS_LISTENER_STATE previous, void *arg)
{
	(void)hr;
	(void)text;
	(void)previous;
	(void)arg;
	l->retired_closed = true;
	config_apply_changed(l);
}

/* Hand the old listener's socket to the item and close it aside. */
static void
retire(struct item *it)
{
	struct wsld_listener *old = it->old;
	int fd;

	if (old->adopt_keep) {
		/* A socket unit's: it moves to the new listener. */
		it->handover_fd = old->adopt_fd;
		it->handover_keep = true;
		it->handover_origin = old->adopt_origin;
		old->adopt_fd = -1;
	} else if (WslDupListenerSocket(old->ws, &fd) == S_OK) {
		it->handover_fd = fd;
		it->handover_origin = "reload";
	} else
		return;
	(void)WslHandOverListener(old->ws);
	/* The fd store keeps the socket: the new listener has it now. */
	old->stored = false;
	registry_detach(old);
	listener_ref(old);
	retiring++;
	listener_close(old, retired, NULL, "replaced by a reload");
}

static void
phase_one(struct plan *p)
{
	struct item *it;
	WS_LISTENER_STATE s;
	size_t i;

	p->phase = 1;
	p->pending = 1; /* held until every close has been started */
	for (i = 0; i < p->n; i++) {
		it = &p->items[i];
		if (it->old == NULL || it->action == UNCHANGED)
			continue;
		s = listener_state(it->old);
		if (s == WS_LISTENER_STATE_OPENING ||
		    s == WS_LISTENER_STATE_CLOSING) {
			fail(it, WSL_HR_WS_E_INVALID_OPERATION, "the listener is "
			    "%s; try the reload again once it has finished",
			    wsl_state_name((int)s));
			continue;
		}
		it->target = (int)s;
		if (it->action == CHANGE && s == WS_LISTENER_STATE_OPEN &&
		    same_address(it->old->url, json_string_value(
			json_object_get(it->def, "url")))) {
			retire(it);
			if (it->handover_fd >= 0)
				continue;
		}
		if (s == WS_LISTENER_STATE_OPEN ||
		    s == WS_LISTENER_STATE_FAULTED) {
			p->pending++;
			listener_close(it->old, closed, it, p->actor);
		}
	}
	step_done(p);
}

/* Put a new listener into its saved, configured or former state. */
static void
reach_target(struct item *it, struct wsld_listener *l, int target,
    const WSL_LISTENER_COUNTERS *counters)
{
	WS_ERROR *error = NULL;

	if (target == WS_LISTENER_STATE_OPEN ||
	    target == WS_LISTENER_STATE_OPENING) {
		if (counters != NULL)
			(void)WslRestoreListener(l->ws,
			    WS_LISTENER_STATE_CREATED, counters, NULL);
		it->plan->pending++;
		listener_open(l, opened, it, it->plan->actor);
		return;
	}
	if (target == WS_LISTENER_STATE_CLOSING)
		target = WS_LISTENER_STATE_CLOSED;
	(void)WsCreateError(NULL, 0, &error);
	if (WslRestoreListener(l->ws, (WS_LISTENER_STATE)target, counters,
	    error) != S_OK)
		fail(it, WSL_HR_E_UNEXPECTED, "%s", WslErrorText(error));
	WsFreeError(error);
	/* A socket unit's socket listens only while its listener is OPEN. */
	if (l->adopt_keep)
		(void)shutdown(l->adopt_fd, SHUT_RD);
}

static void
create(struct item *it)
{
	WSL_LISTENER_COUNTERS counters;
	struct listener_spec spec;
	struct wsld_listener *l;
	struct wsl_err err;
	char where[128];
	bool keep, open_it, have_counters = false;
	int fd, target = it->target;

	if (spec_parse(it->name, it->def, NULL, &spec, &err, where,
	    sizeof(where)) < 0) {
		fail(it, err.hr, "bad definition: %s", err.text);
		return;
	}
	open_it = spec.open;
	l = listener_create(&spec, &err, it->plan->actor);
	spec_clear(&spec);
	if (l == NULL) {
		fail(it, err.hr, "cannot create it: %s", err.text);
		return;
	}
	listener_ref(l);
	it->l = l;
	l->from_config = it->from_config;
	if (it->handover_fd >= 0) {
		listener_adopt(l, it->handover_fd, it->handover_keep,
		    it->handover_origin);
		it->handover_fd = -1;
	} else if ((fd = activation_take(it->name)) >= 0) {
		/* Stored by the previous wsld: used once; else a unit's. */
		keep = !json_is_true(json_object_get(it->saved, "stored"));
		listener_adopt(l, fd, keep, keep ? "socket-activation" :
		    "fd-store");
	}
	if (it->saved != NULL) {
		target = saved_state_state(it->saved);
		have_counters = saved_state_counters(it->saved, &counters);
	}
	if (target < 0)
		target = open_it ? WS_LISTENER_STATE_OPEN :
		    WS_LISTENER_STATE_CREATED;
	reach_target(it, l, target, have_counters ? &counters : NULL);
}

static void
phase_two(struct plan *p)
{
	struct item *it;
	struct wsl_err err;
	size_t i;

	p->phase = 2;
	p->pending = 1;
	for (i = 0; i < p->n; i++) {
		it = &p->items[i];
		if (it->action == UNCHANGED || FAILED(it->hr))
			continue;
		if (it->old != NULL && it->handover_fd < 0 &&
		    listener_free(it->old, &err, p->actor) != S_OK) {
			fail(it, err.hr, "cannot free the old listener: %s",
			    err.text);
			continue;
		}
		if (it->action != REMOVE)
			create(it);
	}
	step_done(p);
}

static void
finish(struct plan *p)
{
	struct item *it;
	struct wsld_listener *l;
	json_t *outcomes = json_array(), *o;
	char text[600] = "", hex[11];
	HRESULT hr = S_OK;
	size_t i, failed = 0;
	int off = 0;

	for (i = 0; i < p->n; i++) {
		it = &p->items[i];
		l = it->l != NULL ? it->l : it->action == UNCHANGED ? it->old :
		    NULL;
		o = json_pack("{s:s,s:s}", "name", it->name, "action",
		    action_names[it->action]);
		if (l != NULL && l->ws != NULL)
			json_object_set_new(o, "state", json_string(
			    wsl_state_name((int)listener_state(l))));
		wsl_hr_format(it->hr, hex);
		json_object_set_new(o, "result", json_string(
		    wsl_hr_name(it->hr) != NULL ? wsl_hr_name(it->hr) : hex));
		if (FAILED(it->hr)) {
			json_object_set_new(o, "text", json_string(it->text));
			log_listener(LOG_WARNING, it->name, "%s: %s",
			    action_names[it->action], it->text);
			if (failed++ == 0)
				hr = it->hr;
			if (off >= 0 && (size_t)off < sizeof(text))
				off += snprintf(text + off, sizeof(text) -
				    (size_t)off, "%s%s: %s", off > 0 ? "; " : "",
				    it->name, it->text);
		}
		json_array_append_new(outcomes, o);
		if (it->l != NULL)
			listener_unref(it->l);
		if (it->old != NULL)
			listener_unref(it->old);
		if (it->handover_fd >= 0)
			close(it->handover_fd);
	}
	p->done(hr, failed > 0 ? text : NULL, outcomes, p->arg);
	json_decref(outcomes);
	free(p->items);
	free(p);
}

static struct item *
add_item(struct plan *p, const char *name, enum action a, const json_t *def,
    struct wsld_listener *old)
{
	struct item *it = &p->items[p->n++];

	memset(it, 0, sizeof(*it));
	it->plan = p;
	snprintf(it->name, sizeof(it->name), "%s", name);
	it->action = a;
	it->def = def;
	it->from_config = true;
	it->target = -1;
	it->handover_fd = -1;
	it->hr = S_OK;
	if ((it->old = old) != NULL)
		listener_ref(old);
	return (it);
}

void
config_apply(const json_t *listeners, const json_t *saved, const char *actor,
    apply_done_fn *done, void *arg)
{
	struct wsld_listener **all, *l;
	const json_t *entries, *def, *entry;
	struct plan *p;
	struct item *it;
	const char *name;
	size_t n, i, max;

	if ((all = registry_sorted(&n)) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		fatalx("out of memory");
	entries = json_object_get(saved, "listeners");
	max = n + json_object_size(listeners) + json_object_size(entries);
	if ((p->items = calloc(max + 1, sizeof(*p->items))) == NULL)
		fatalx("out of memory");
	p->done = done;
	p->arg = arg;
	snprintf(p->actor, sizeof(p->actor), "%s", actor);
	json_object_foreach((json_t *)listeners, name, def) {
		if ((l = registry_find(name)) == NULL) {
			it = add_item(p, name, ADD, def, NULL);
			it->saved = saved_state_find(saved, name);
		} else if (l->from_config && same_definition(l->definition,
		    def)) {
			add_item(p, name, UNCHANGED, def, l);
			/* A restart saves the file's definition. */
			json_decref(l->definition);
			l->definition = json_deep_copy(def);
		}
		else
			add_item(p, name, CHANGE, def, l);
	}
	for (i = 0; i < n; i++)
		if (all[i]->from_config &&
		    json_object_get(listeners, all[i]->name) == NULL)
			add_item(p, all[i]->name, REMOVE, NULL, all[i]);
	registry_free_sorted(all, n);
	/* Listeners a previous wsld had made with `create` come back too. */
	json_object_foreach((json_t *)entries, name, entry) {
		if (json_object_get(listeners, name) != NULL ||
		    registry_find(name) != NULL ||
		    json_is_true(json_object_get(entry, "from-config")) ||
		    saved_state_find(saved, name) == NULL)
			continue;
		it = add_item(p, name, ADD, json_object_get(entry,
		    "definition"), NULL);
		it->from_config = false;
		it->saved = entry;
	}
	phase_one(p);
}
