/* SPDX-License-Identifier: ISC */
/*
 * Making the listeners match a configuration (see config-apply.h).  A plan
 * has one item per listener touched.  It is prepared whole, then runs in
 * two phases: first the closes that must finish (removed listeners,
 * replaced ones that do not hand their socket over) while replaced OPEN
 * ones hand over and their successors open, then the rest: names move,
 * new listeners reach their states.  Each phase ends when its last
 * operation has answered, and the next begins from a fresh stack.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "activation.h"
#include "config-apply.h"
#include "control.h"
#include "inject.h"
#include "lifecycle.h"
#include "log.h"
#include "saved-state.h"

enum action { ADD, REMOVE, CHANGE, UNCHANGED };
static const char *const action_names[] = { "added", "removed", "changed",
	"unchanged" };

struct item {
	struct plan *plan;
	char name[LISTENER_NAME_MAX + 1];
	enum action action;
	const json_t *def;               /* the new definition (borrowed) */
	json_t *def_copy;                /* UNCHANGED: the file's, to keep */
	bool from_config;
	const json_t *saved;             /* a previous wsld's entry, or NULL */
	struct wsld_listener *old;       /* a reference, or NULL */
	struct wsld_listener *l;         /* the new one (a reference) */
	struct listener_op *close_op;    /* the old one's, prepared */
	struct listener_op *open_op;     /* the new one's, prepared */
	int target;                      /* the new one's state */
	bool same_address;               /* the old one's socket would do */
	bool replaced;                   /* the name leads to l now */
	HRESULT hr;
	char text[300];
};

struct plan {
	struct item *items;
	size_t n;
	int pending;                     /* operations of the phase */
	int phase;
	bool interrupted;
	struct event *next_ev;           /* the next phase, fresh stack */
	apply_done_fn *done;
	void *arg;
	actor_t actor;
};

static struct plan *running;

bool
config_apply_busy(void)
{
	return (running != NULL);
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

/* Does every key of a but "open" have an equal value in b? */
static bool
covered(const json_t *a, const json_t *b)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)a, key, v)
		if (strcmp(key, "open") != 0 &&
		    !json_equal(v, json_object_get(b, key)))
			return (false);
	return (true);
}

/* Equal but for "open", which only says what to do at creation; without
 * allocating, so that no lack of memory passes for a change. */
static bool
same_definition(const json_t *a, const json_t *b)
{
	return (covered(a, b) && covered(b, a));
}

/* Replaced or removed: freed as soon as it is closed and idle. */
static void
retire(struct item *it, enum actor_kind why)
{
	struct wsld_listener *l = it->old;

	lifecycle_unbind(l);
	l->conf.retired = actor_on_behalf(why, it->plan->actor);
	config_apply_idle(l);
}

void
config_apply_changed(struct wsld_listener *l, const WSL_TRANSITION *t)
{
	(void)t;
	config_apply_idle(l);
}

void
config_apply_idle(struct wsld_listener *l)
{
	if (l->conf.retired != 0 && lifecycle_freeable(l))
		lifecycle_free_later(l, l->conf.retired);
}

static void
release_holds(struct plan *p)
{
	struct item *it;
	size_t i;

	for (i = 0; i < p->n; i++) {
		it = &p->items[i];
		if (it->old != NULL) {
			lifecycle_release(it->old, p);
			it->old->conf.intended = -1;
		}
		if (it->l != NULL) {
			lifecycle_release(it->l, p);
			it->l->conf.intended = -1;
		}
	}
}

/* The plan's references and what it prepared but did not use. */
static void
plan_free(struct plan *p)
{
	struct item *it;
	size_t i;

	for (i = 0; i < p->n; i++) {
		it = &p->items[i];
		if (it->close_op != NULL)
			listener_op_discard(it->close_op);
		if (it->open_op != NULL)
			listener_op_discard(it->open_op);
		/* Made, but never named (prepared, or interrupted). */
		if (it->l != NULL && !it->l->life.bound && !it->replaced &&
		    lifecycle_freeable(it->l))
			lifecycle_free_later(it->l, p->actor);
		if (it->l != NULL)
			listener_unref(it->l);
		if (it->old != NULL)
			listener_unref(it->old);
		json_decref(it->def_copy);
	}
	if (p->next_ev != NULL)
		event_free(p->next_ev);
	free(p->items);
	free(p);
}

/* One outcome per listener, and the first failure. */
static void
answer(struct plan *p, HRESULT hr, const char *why)
{
	struct item *it;
	struct wsld_listener *l;
	json_t *outcomes = json_array(), *o;
	char text[600] = "", hex[11];
	size_t i, failed = 0;
	int off = 0;

	for (i = 0; i < p->n; i++) {
		it = &p->items[i];
		/* The listener the name leads to (the old one, unless the
		 * new one took over). */
		l = it->action == ADD || it->replaced ? it->l : it->old;
		o = json_pack("{s:s,s:s}", "name", it->name, "action",
		    action_names[it->action]);
		if (l != NULL && l->ws != NULL && it->action != REMOVE)
			json_object_set_new(o, "state", json_string(
			    wsl_state_name((int)listener_state(l))));
		wsl_hr_format(it->hr, hex);
		json_object_set_new(o, "result", json_string(
		    wsl_hr_name(it->hr) != NULL ? wsl_hr_name(it->hr) : hex));
		if (FAILED(it->hr)) {
			json_object_set_new(o, "text", json_string(it->text));
			log_listener(LOG_WARNING, it->name, "%s: %s",
			    action_names[it->action], it->text);
			if (failed++ == 0 && SUCCEEDED(hr))
				hr = it->hr;
			if (off >= 0 && (size_t)off < sizeof(text))
				off += snprintf(text + off, sizeof(text) -
				    (size_t)off, "%s%s: %s", off > 0 ? "; " : "",
				    it->name, it->text);
		}
		if (json_array_append_new(outcomes, o) < 0) {
			json_decref(outcomes);
			outcomes = NULL;
		}
	}
	p->done(hr, why != NULL ? why : failed > 0 ? text : NULL, outcomes,
	    p->arg);
	json_decref(outcomes);
}

static void phase_one(struct plan *);
static void phase_two(struct plan *);

static void
finish(struct plan *p)
{
	release_holds(p);
	running = NULL;
	answer(p, S_OK, NULL);
	plan_free(p);
}

static void
next_phase(evutil_socket_t fd, short what, void *arg)
{
	struct plan *p = arg;

	(void)fd;
	(void)what;
	if (p->interrupted)
		plan_free(p); /* answered already; its last operation ended */
	else if (p->phase == 1)
		phase_two(p);
	else
		finish(p);
}

/* An operation of the phase answered: go on from a fresh stack once the
 * last has (never from inside the answer to a listener's operation). */
static void
step_done(struct plan *p)
{
	if (--p->pending == 0)
		event_active(p->next_ev, EV_READ, 0);
}

/* An operation of the phase has answered: a close (an abort may have cut
 * it short: the listener is CLOSED all the same) or an open. */
static void
answered(struct wsld_listener *l, HRESULT hr, const char *text,
    WS_LISTENER_STATE previous, void *arg)
{
	struct item *it = arg;
	bool closing = l == it->old;

	(void)previous;
	if (FAILED(hr) && !(closing && hr == WS_E_OPERATION_ABORTED))
		fail(it, hr, closing ? "close failed: %s" : "open failed: %s",
		    text != NULL ? text : "?");
	step_done(it->plan);
}

/* Put the new listener into its saved, configured or former state. */
static void
reach_target(struct item *it)
{
	WSL_LISTENER_COUNTERS counters, *c = NULL;
	struct wsld_listener *l = it->l;
	WS_ERROR *error = NULL;
	int target = it->target;

	if (it->saved != NULL && saved_state_counters(it->saved, &counters))
		c = &counters;
	WslSetCallerTag(it->plan->actor);
	if (target == WS_LISTENER_STATE_OPEN ||
	    target == WS_LISTENER_STATE_OPENING) {
		if (c != NULL)
			(void)WslRestoreListener(l->ws,
			    WS_LISTENER_STATE_CREATED, c, NULL);
		WslSetCallerTag(0);
		it->plan->pending++;
		listener_op_start(it->open_op, answered, it, it->plan->actor);
		it->open_op = NULL;
		return;
	}
	if (target == WS_LISTENER_STATE_CLOSING)
		target = WS_LISTENER_STATE_CLOSED;
	(void)WsCreateError(NULL, 0, &error);
	if (WslRestoreListener(l->ws, (WS_LISTENER_STATE)target, c,
	    error) != S_OK)
		fail(it, WSL_HR_E_UNEXPECTED, "%s", WslErrorText(error));
	WslSetCallerTag(0);
	WsFreeError(error);
	lifecycle_changed(l);
	/* A socket unit's socket listens only while its listener is OPEN. */
	if (l->given.keep)
		(void)shutdown(l->given.fd, SHUT_RD);
}

/* The name leads to the new listener from now on; the old one goes. */
static void
take_over(struct item *it)
{
	struct plan *p = it->plan;

	/* A socket unit's socket goes with the name, whatever the state
	 * (hand_over moved it already for an OPEN one). */
	if (it->old->given.keep && it->old->given.fd >= 0 && it->same_address)
		listener_move_socket(it->old, it->l);

	lifecycle_replace(it->old, it->l);
	lifecycle_release(it->old, p);
	lifecycle_hold(it->l, p);
	it->l->conf.intended = it->target;
	it->replaced = true;
	retire(it, ACTOR_REPLACED);
}

/*
 * An OPEN listener on the same address: its socket (with the connections
 * queued on it) goes to its successor, which takes the name and opens on
 * it now; the old one closes aside, finishing its channels.
 */
static bool
hand_over(struct item *it)
{
	struct wsld_listener *old = it->old, *l = it->l;
	int fd;

	if (old->given.keep)
		listener_move_socket(old, l); /* a socket unit's: it moves */
	else if (WslDupListenerSocket(old->ws, &fd) == S_OK)
		listener_give_socket(l, fd, false, "reload");
	else
		return (false); /* no descriptor: close, then bind again */
	(void)WslHandOverListener(old->ws);
	take_over(it);
	listener_op_start(it->close_op, NULL, NULL,
	    actor_on_behalf(ACTOR_REPLACED, it->plan->actor));
	it->close_op = NULL;
	reach_target(it);
	return (true);
}

static void
phase_one(struct plan *p)
{
	struct item *it;
	size_t i;

	p->phase = 1;
	p->pending = 1; /* held until every close has been started */
	for (i = 0; i < p->n; i++) {
		it = &p->items[i];
		if (it->old == NULL || it->action == UNCHANGED ||
		    FAILED(it->hr))
			continue;
		if (it->action == CHANGE && it->same_address &&
		    listener_state(it->old) == WS_LISTENER_STATE_OPEN &&
		    hand_over(it))
			continue;
		if (it->close_op != NULL) {
			p->pending++;
			listener_op_start(it->close_op, answered, it, p->actor);
			it->close_op = NULL;
		}
	}
	step_done(p);
}

static void
phase_two(struct plan *p)
{
	struct item *it;
	bool keep;
	int fd;
	size_t i;

	p->phase = 2;
	p->pending = 1;
	for (i = 0; i < p->n; i++) {
		it = &p->items[i];
		if (it->action == UNCHANGED || it->replaced || FAILED(it->hr))
			continue;
		if (it->action == REMOVE) {
			lifecycle_release(it->old, p);
			retire(it, ACTOR_REMOVED);
			continue;
		}
		if (it->action == CHANGE)
			take_over(it);
		else if ((fd = activation_take(it->name)) >= 0) {
			/* Stored by the previous wsld: used once; else a
			 * socket unit's, used at every open. */
			keep = !json_is_true(json_object_get(it->saved,
			    "stored"));
			listener_give_socket(it->l, fd, keep, keep ?
			    "socket-activation" : "fd-store");
		}
		reach_target(it);
	}
	step_done(p);
}

void
config_apply_start(struct plan *p, apply_done_fn *done, void *arg)
{
	struct item *it;
	size_t i;

	running = p;
	p->done = done;
	p->arg = arg;
	for (i = 0; i < p->n; i++) {
		it = &p->items[i];
		if (it->action == UNCHANGED && it->def_copy != NULL) {
			/* A restart saves the file's definition. */
			json_decref(it->old->conf.definition);
			it->old->conf.definition = it->def_copy;
			it->def_copy = NULL;
		}
		if (FAILED(it->hr))
			continue;
		if (it->old != NULL && it->action != UNCHANGED) {
			lifecycle_hold(it->old, p);
			/* Until its successor takes the name, a stop saves it
			 * in the state its successor is to have. */
			if (it->action == CHANGE)
				it->old->conf.intended = it->target;
		}
		if (it->l != NULL && it->action == ADD) {
			lifecycle_hold(it->l, p);
			it->l->conf.intended = it->target;
		}
	}
	phase_one(p);
}

void
config_apply_interrupt(void)
{
	struct plan *p = running;

	if (p == NULL)
		return;
	/* Everything is done but the answer: give the real one. */
	if (p->phase == 2 && p->pending == 0) {
		event_del(p->next_ev);
		finish(p);
		return;
	}
	running = NULL;
	p->interrupted = true;
	release_holds(p);
	answer(p, WSL_HR_WS_E_OPERATION_ABORTED, "interrupted by the "
	    "shutdown; the next start applies the configuration");
	/* Its operations still under way answer into it: it goes with the
	 * last of them (next_phase). */
	if (p->pending == 0)
		plan_free(p);
}

/* Make the new listener and the operations the item will need. */
static HRESULT
prepare_item(struct item *it, struct wsl_err *err)
{
	struct listener_spec spec;
	struct wsl_err e;
	char where[128];
	WS_LISTENER_STATE s;
	bool open_it;

	if (it->old != NULL && it->action != UNCHANGED) {
		s = listener_state(it->old);
		if (s == WS_LISTENER_STATE_OPENING ||
		    s == WS_LISTENER_STATE_CLOSING) {
			fail(it, WSL_HR_WS_E_INVALID_OPERATION, "the listener "
			    "is %s; try the reload again once it has finished",
			    wsl_state_name((int)s));
			return (S_OK);
		}
		it->target = (int)s;
		if ((s == WS_LISTENER_STATE_OPEN ||
		    s == WS_LISTENER_STATE_FAULTED) &&
		    (it->close_op = listener_op_new(it->old, false)) == NULL)
			goto oom;
	}
	if (it->action != ADD && it->action != CHANGE)
		return (S_OK);
	if (spec_parse(it->name, it->def, NULL, &spec, &e, where,
	    sizeof(where)) < 0) {
		if (e.hr == WSL_HR_E_OUTOFMEMORY)
			goto oom;
		fail(it, e.hr, "bad definition: %s", e.text);
		return (S_OK);
	}
	open_it = spec.open;
	it->l = lifecycle_create(&spec, &e, it->plan->actor);
	spec_clear(&spec);
	if (it->l == NULL) {
		/* Out of memory or descriptors: the reload changes nothing.
		 * A start goes on with the listeners that fit. */
		if (e.hr == WSL_HR_E_OUTOFMEMORY ||
		    (e.hr == WSL_HR_WS_E_QUOTA_EXCEEDED &&
		    actor_kind(it->plan->actor) != ACTOR_START)) {
			wsl_err_set(err, e.hr, "listener '%s': %s", it->name,
			    e.text);
			return (e.hr);
		}
		fail(it, e.hr, "cannot create it: %s", e.text);
		return (S_OK);
	}
	listener_ref(it->l); /* the item's */
	it->l->conf.from_config = it->from_config;
	if (it->action == CHANGE)
		it->same_address = same_address(it->old->url, it->l->url);
	if (it->saved != NULL && saved_state_state(it->saved) >= 0)
		it->target = saved_state_state(it->saved);
	if (it->target < 0)
		it->target = open_it ? WS_LISTENER_STATE_OPEN :
		    WS_LISTENER_STATE_CREATED;
	if ((it->target == WS_LISTENER_STATE_OPEN ||
	    it->target == WS_LISTENER_STATE_OPENING) &&
	    (it->open_op = listener_op_new(it->l, true)) == NULL)
		goto oom;
	/* A new name is taken now, so that no `create` takes it meanwhile. */
	if (it->action == ADD && lifecycle_bind(it->l, err) != S_OK)
		return (err->hr);
	return (S_OK);
oom:
	return (wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory"));
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
	it->hr = S_OK;
	if ((it->old = old) != NULL)
		listener_ref(old);
	return (it);
}

struct removals {
	struct plan *p;
	const json_t *listeners;
};

static void
add_removal(struct wsld_listener *l, void *arg)
{
	struct removals *r = arg;

	if (l->life.bound && l->conf.from_config &&
	    json_object_get(r->listeners, l->name) == NULL)
		add_item(r->p, l->name, REMOVE, NULL, l);
}

/* What to do with each listener, by name. */
static HRESULT
classify(struct plan *p, const json_t *listeners, const json_t *saved)
{
	const json_t *entries, *def, *entry;
	struct removals r = { p, listeners };
	struct wsld_listener *l;
	struct item *it;
	const char *name;

	json_object_foreach((json_t *)listeners, name, def) {
		if ((l = lifecycle_find(name)) == NULL) {
			it = add_item(p, name, ADD, def, NULL);
			it->saved = saved_state_find(saved, name);
		} else if (l->conf.from_config &&
		    same_definition(l->conf.definition, def)) {
			it = add_item(p, name, UNCHANGED, def, l);
			if ((it->def_copy = json_deep_copy(def)) == NULL)
				return (WSL_HR_E_OUTOFMEMORY);
		} else
			add_item(p, name, CHANGE, def, l);
	}
	lifecycle_foreach(add_removal, &r);
	/* Listeners a previous wsld had made with `create` come back too. */
	entries = json_object_get(saved, "listeners");
	json_object_foreach((json_t *)entries, name, entry) {
		if (json_object_get(listeners, name) != NULL ||
		    lifecycle_find(name) != NULL ||
		    json_is_true(json_object_get(entry, "from-config")) ||
		    saved_state_find(saved, name) == NULL)
			continue;
		it = add_item(p, name, ADD, json_object_get(entry,
		    "definition"), NULL);
		it->from_config = false;
		it->saved = entry;
	}
	return (S_OK);
}

void
config_apply_discard(struct plan *p)
{
	size_t i;

	/* Names taken for new listeners are given back. */
	for (i = 0; i < p->n; i++)
		if (p->items[i].l != NULL && p->items[i].action == ADD)
			lifecycle_unbind(p->items[i].l);
	plan_free(p);
}

struct plan *
config_apply_prepare(const json_t *listeners, const json_t *saved,
    actor_t actor, struct wsl_err *err)
{
	struct plan *p;
	size_t i, max;

	if (running != NULL) {
		wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION, "the "
		    "configuration is being applied already; try again once "
		    "that has finished");
		return (NULL);
	}
	max = lifecycle_count() + json_object_size(listeners) +
	    json_object_size(json_object_get(saved, "listeners"));
	if ((p = inject_calloc(1, sizeof(*p))) == NULL ||
	    (p->items = inject_calloc(max + 1, sizeof(*p->items))) == NULL ||
	    (p->next_ev = event_new(control_base, -1, 0, next_phase,
		p)) == NULL) {
		if (p != NULL)
			free(p->items);
		free(p);
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (NULL);
	}
	p->actor = actor;
	if (classify(p, listeners, saved) != S_OK) {
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		config_apply_discard(p);
		return (NULL);
	}
	for (i = 0; i < p->n; i++)
		if (FAILED(prepare_item(&p->items[i], err))) {
			config_apply_discard(p);
			return (NULL);
		}
	return (p);
}
