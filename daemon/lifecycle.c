/* SPDX-License-Identifier: ISC */
/*
 * A listener's life (see lifecycle.h): creation, the name table, the
 * operations under way, the subscribers, and the free.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd.h"
#include "config-apply.h"
#include "descriptors.h"
#include "fdstore.h"
#include "inject.h"
#include "lifecycle.h"
#include "log.h"
#include "notify.h"
#include "shutdown.h"
#include "strmap.h"

/* Who hears what, in this order.  Each is described where it lives. */
static const struct subscriber {
	const char *name;
	void (*changed)(struct wsld_listener *, const WSL_TRANSITION *);
	void (*replaced)(struct wsld_listener *, struct wsld_listener *);
	void (*idle)(struct wsld_listener *);
	void (*freed)(struct wsld_listener *);
} subscribers[] = {
	{ "wait", waiters_changed, waiters_replaced, NULL, waiters_freed },
	{ "fd store", fdstore_changed, fdstore_replaced, NULL, fdstore_freed },
	{ "notify", notify_changed, NULL, NULL, notify_freed },
	{ "reload", config_apply_changed, NULL, config_apply_idle, NULL },
	{ "shutdown", shutdown_changed, NULL, shutdown_idle, shutdown_freed },
};
#define NSUBSCRIBERS (sizeof(subscribers) / sizeof(subscribers[0]))
/* Tell every subscriber that has the callback EVENT; no free meanwhile. */
#define TELL(event, ...) do {						\
	size_t i_;							\
									\
	telling++;							\
	for (i_ = 0; i_ < NSUBSCRIBERS; i_++)				\
		if (subscribers[i_].event != NULL)			\
			subscribers[i_].event(__VA_ARGS__);		\
	telling--;							\
} while (0)

static struct event_base *base;
static int telling;                     /* subscribers are being told */
static struct strmap *by_name;          /* the named ones */
static TAILQ_HEAD(, wsld_listener) alive = TAILQ_HEAD_INITIALIZER(alive);
static size_t nalive;
static size_t by_state[WS_LISTENER_STATE_CLOSED + 1]; /* bound ones */

/* Counted in its told state while bound. */
static void
set_bound(struct wsld_listener *l, bool bound)
{
	if (l->life.bound == bound)
		return;
	l->life.bound = bound;
	if (bound)
		by_state[l->life.told_state]++;
	else
		by_state[l->life.told_state]--;
}

size_t
lifecycle_count_in(WS_LISTENER_STATE s)
{
	return ((unsigned)s <= WS_LISTENER_STATE_CLOSED ? by_state[s] : 0);
}

int
lifecycle_init(struct event_base *b)
{
	base = b;
	return ((by_name = strmap_new()) != NULL ? 0 : -1);
}

/* From any thread (the core's state hook): allocates nothing. */
static void
state_hook(WS_LISTENER *ws, void *arg)
{
	struct wsld_listener *l = arg;

	(void)ws;
	event_active(l->life.changed_ev, EV_READ, 0);
}

static void
changed_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	lifecycle_changed(arg);
}

static void
free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct wsld_listener *l = arg;
	struct wsl_err err;

	(void)fd;
	(void)what;
	if (!l->life.free_asked || l->ws == NULL)
		return;
	l->life.free_asked = false;
	if (lifecycle_freeable(l) &&
	    lifecycle_free(l, l->life.free_actor, &err) != S_OK)
		log_listener(LOG_WARNING, l->name, "cannot be freed: %s",
		    err.text);
}

static void
dispose(struct wsld_listener *l)
{
	if (l->life.changed_ev != NULL)
		event_free(l->life.changed_ev);
	if (l->life.free_ev != NULL)
		event_free(l->life.free_ev);
	if (l->life.unmute_ev != NULL)
		event_free(l->life.unmute_ev);
	if (l->given.fd >= 0)
		close(l->given.fd);
	json_decref(l->conf.definition);
	json_decref(l->handler_conf);
	free(l->name);
	free(l->url);
	free(l);
}

struct wsld_listener *
lifecycle_create(struct listener_spec *s, struct wsl_err *err, actor_t actor)
{
	struct wsld_listener *l;
	WS_LISTENER_PROPERTY *props;
	WS_ERROR *error = NULL;
	WS_LISTENER *ws = NULL;
	const char *dir = listener_pipe_dir();
	ULONG n = s->props.count;
	char who[ACTOR_TEXT];
	HRESULT hr;

	BOOL dedicated = s->dedicated_loop;
	ULONG loops = s->loops;

	/* The daemon's pipe directory and the loops go with the given
	 * properties. */
	if ((props = inject_calloc(n + 3, sizeof(*props))) == NULL ||
	    (l = inject_calloc(1, sizeof(*l))) == NULL) {
		free(props);
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (NULL);
	}
	if (n > 0)
		memcpy(props, s->props.props, n * sizeof(*props));
	props[n].id = WSL_LISTENER_PROPERTY_PIPE_DIRECTORY;
	props[n].value = (void *)(uintptr_t)dir;
	props[n].valueSize = (ULONG)strlen(dir) + 1;
	props[n + 1].id = WSL_LISTENER_PROPERTY_DEDICATED_LOOP;
	props[n + 1].value = &dedicated;
	props[n + 1].valueSize = sizeof(dedicated);
	props[n + 2].id = WSL_LISTENER_PROPERTY_LOOPS;
	props[n + 2].value = &loops;
	props[n + 2].valueSize = sizeof(loops);
	l->given.fd = -1;
	l->conf.intended = -1;
	l->name = strdup(s->name);
	l->url = strdup(s->url);
	/* Nothing changes a definition once parsed: one from a file (no
	 * "name") is shared with the document it came from, not copied, which
	 * saves a copy of every listener's; a create's loses its name. */
	if (json_object_get(s->definition, "name") == NULL)
		l->conf.definition = json_incref((json_t *)s->definition);
	else if ((l->conf.definition = json_deep_copy(s->definition)) != NULL)
		(void)json_object_del(l->conf.definition, "name");
	l->life.changed_ev = event_new(base, -1, 0, changed_cb, l);
	l->life.free_ev = event_new(base, -1, 0, free_cb, l);
	if (l->name == NULL || l->url == NULL || l->conf.definition == NULL ||
	    l->life.changed_ev == NULL || l->life.free_ev == NULL) {
		free(props);
		dispose(l);
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (NULL);
	}
	/* Its descriptors first: libevent exits if a loop lacks them. */
	if (descriptors_listener_take(dedicated, err) < 0) {
		free(props);
		dispose(l);
		return (NULL);
	}
	(void)WsCreateError(NULL, 0, &error);
	hr = WsCreateListener(s->type, s->binding, props, n + 3, NULL, &ws,
	    error);
	free(props);
	if (FAILED(hr)) {
		wsl_err_set(err, hr, "%s", WslErrorText(error));
		WsFreeError(error);
		descriptors_listener_give(dedicated);
		dispose(l);
		return (NULL);
	}
	WsFreeError(error);
	l->life.refs = 1; /* the lifecycle's, until the free */
	l->ws = ws; /* its close's drain has a part per lane */
	if ((l->life.stop_close = listener_op_new(l, false)) == NULL) {
		l->ws = NULL;
		(void)WsFreeListener(ws);
		descriptors_listener_give(dedicated);
		dispose(l);
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (NULL);
	}
	l->handler = s->handler;
	l->handler_conf = json_incref(s->handler_conf);
	l->handler_state = s->handler_state;
	s->handler_state = NULL; /* the listener has it now */
	l->given.in_use = "bound";
	TAILQ_INIT(&l->waiters.list);
	TAILQ_INSERT_TAIL(&alive, l, life.entry);
	nalive++;
	WslSetListenerStateHook(ws, state_hook, l);
	log_listener(LOG_INFO, l->name, "created %s, handler %s (%s)", l->url,
	    l->handler->name, actor_format(actor, who));
	return (l);
}

HRESULT
lifecycle_bind(struct wsld_listener *l, struct wsl_err *err)
{
	int r;

	if ((r = strmap_put(by_name, l->name, l)) == 0) {
		set_bound(l, true);
		return (S_OK);
	}
	if (r == -EEXIST)
		return (wsl_err_set(err, WSL_HR_ERROR_ALREADY_EXISTS,
		    "a listener named '%s' already exists", l->name));
	return (wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory"));
}

void
lifecycle_replace(struct wsld_listener *old, struct wsld_listener *new)
{
	(void)strmap_set(by_name, old->name, new);
	set_bound(old, false);
	set_bound(new, true);
	TELL(replaced, old, new);
}

void
lifecycle_unbind(struct wsld_listener *l)
{
	if (l->life.bound && strmap_get(by_name, l->name) == l)
		(void)strmap_remove(by_name, l->name);
	set_bound(l, false);
}

struct wsld_listener *
lifecycle_find(const char *name)
{
	return (strmap_get(by_name, name));
}

size_t
lifecycle_count(void)
{
	return (strmap_count(by_name));
}

size_t
lifecycle_alive(void)
{
	return (nalive);
}

void
lifecycle_foreach(void (*fn)(struct wsld_listener *, void *), void *arg)
{
	struct wsld_listener *l, *next;

	for (l = TAILQ_FIRST(&alive); l != NULL; l = next) {
		next = TAILQ_NEXT(l, life.entry);
		fn(l, arg);
	}
}

struct scan {
	void (*fn)(struct wsld_listener *, void *);
	void *arg;
};

static void
scan_one(const char *name, void *l, void *arg)
{
	struct scan *s = arg;

	(void)name;
	s->fn(l, s->arg);
}

uint64_t
lifecycle_scan(uint64_t cursor, void (*fn)(struct wsld_listener *, void *),
    void *arg)
{
	struct scan s = { fn, arg };

	return (strmap_scan(by_name, cursor, scan_one, &s));
}

static int
by_name_cmp(const void *a, const void *b)
{
	return (strcmp((*(struct wsld_listener *const *)a)->name,
	    (*(struct wsld_listener *const *)b)->name));
}

struct wsld_listener **
lifecycle_sorted(size_t *count)
{
	struct wsld_listener **all, *l;
	size_t n = 0;

	if ((all = inject_calloc(strmap_count(by_name) + 1,
	    sizeof(*all))) == NULL)
		return (NULL);
	TAILQ_FOREACH(l, &alive, life.entry)
		if (l->life.bound) {
			listener_ref(l);
			all[n++] = l;
		}
	qsort(all, n, sizeof(*all), by_name_cmp);
	*count = n;
	return (all);
}

void
lifecycle_sorted_free(struct wsld_listener **all, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		listener_unref(all[i]);
	free(all);
}

void
listener_ref(struct wsld_listener *l)
{
	l->life.refs++;
}

void
listener_unref(struct wsld_listener *l)
{
	if (--l->life.refs == 0)
		dispose(l);
}

void
lifecycle_op_begin(struct wsld_listener *l, bool is_close)
{
	listener_ref(l);
	l->life.ops++;
	if (is_close)
		l->life.closes++;
}

void
lifecycle_op_end(struct wsld_listener *l, bool is_close)
{
	l->life.ops--;
	if (is_close)
		l->life.closes--;
	if (l->life.ops == 0 && l->ws != NULL)
		TELL(idle, l);
	listener_unref(l);
}

/* Does t look like the change a call of op makes (not a completion's)? */
static bool
made_by_call(const WSL_TRANSITION *t, WSL_OPERATION op)
{
	if (t->operation != op)
		return (false);
	if (op == WSL_OPERATION_OPEN)
		return (t->to == WS_LISTENER_STATE_OPENING);
	if (op == WSL_OPERATION_CLOSE)
		return (t->from != WS_LISTENER_STATE_CLOSING);
	return (true);
}

int
lifecycle_call_from(struct wsld_listener *l, uint64_t since, WSL_OPERATION op)
{
	WSL_TRANSITION t[WSL_TRANSITIONS_KEPT];
	ULONG n;
	int from = -1;

	if (l->ws == NULL || WslGetListenerTransitions(l->ws, since, t,
	    WSL_TRANSITIONS_KEPT, &n, NULL) != S_OK)
		return (-1);
	while (n-- > 0)
		if (made_by_call(&t[n], op)) {
			from = (int)t[n].from;
			break;
		}
	return (from);
}

/* The transition the core made, with who made it. */
static void
log_transition(struct wsld_listener *l, const WSL_TRANSITION *t)
{
	char who[ACTOR_TEXT], why[48] = "", hex[11];

	if (FAILED(t->result)) {
		wsl_hr_format(t->result, hex);
		snprintf(why, sizeof(why), ", %s", wsl_hr_name(t->result) !=
		    NULL ? wsl_hr_name(t->result) : hex);
	}
	log_listener_event(LOG_INFO, l->name, (int)t->from, (int)t->to, true,
	    t->result, "%s -> %s (%s %s%s)", wsl_state_name((int)t->from),
	    wsl_state_name((int)t->to), WslOperationName(t->operation),
	    actor_format(t->tag, who), why);
}

/*
 * Tell the subscribers each change not told yet, one at a time and in the
 * core's order.  A change a subscriber causes meanwhile is read by this
 * same loop, after the change being told: never nested, never reordered.
 */
void
lifecycle_changed(struct wsld_listener *l)
{
	WSL_TRANSITION t;
	uint64_t lost;
	ULONG n;

	if (l->ws == NULL || l->life.dispatching ||
	    (l->life.muted_until_ms > 0 &&
	    l->life.muted_until_ms > wsl_now_ms()))
		return;
	l->life.dispatching = true;
	listener_ref(l);
	while (l->ws != NULL && WslGetListenerTransitions(l->ws, l->life.told,
	    &t, 1, &n, &lost) == S_OK && n == 1) {
		if (lost > 0)
			log_listener(LOG_WARNING, l->name, "%llu state changes "
			    "were overwritten before they could be told",
			    (unsigned long long)lost);
		l->life.told = t.sequence;
		if (l->life.bound) {
			by_state[l->life.told_state]--;
			by_state[t.to]++;
		}
		l->life.told_state = t.to;
		log_transition(l, &t);
		TELL(changed, l, &t);
	}
	l->life.dispatching = false;
	listener_unref(l);
}

void
lifecycle_mute(struct wsld_listener *l, long long ms)
{
	struct timeval tv = wsl_ms_to_tv(ms);

	if (l->life.unmute_ev == NULL &&
	    (l->life.unmute_ev = evtimer_new(base, changed_cb, l)) == NULL)
		return;
	l->life.muted_until_ms = wsl_now_ms() + ms;
	evtimer_add(l->life.unmute_ev, &tv);
}

void
lifecycle_hold(struct wsld_listener *l, const void *holder)
{
	l->life.holder = holder;
}

void
lifecycle_release(struct wsld_listener *l, const void *holder)
{
	if (l->life.holder == holder)
		l->life.holder = NULL;
}

bool
lifecycle_may_change(struct wsld_listener *l, actor_t actor, const char *what,
    struct wsl_err *err)
{
	if (l->life.holder == NULL || actor_kind(actor) != ACTOR_PEER)
		return (true);
	wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION, "listener '%s' is "
	    "being changed by a reload; %s is not allowed until the reload "
	    "has finished", l->name, what);
	return (false);
}

bool
lifecycle_freeable(struct wsld_listener *l)
{
	WS_LISTENER_STATE s = listener_state(l);

	return (l->ws != NULL && l->life.ops == 0 &&
	    (s == WS_LISTENER_STATE_CREATED || s == WS_LISTENER_STATE_CLOSED));
}

struct listener_op *
lifecycle_take_stop_close(struct wsld_listener *l)
{
	struct listener_op *op = l->life.stop_close;

	l->life.stop_close = NULL;
	return (op);
}

/* Gone: out of the name table and the list; subscribers hear of it. */
static void
forget(struct wsld_listener *l)
{
	if (l->life.stop_close != NULL)
		listener_op_discard(lifecycle_take_stop_close(l));
	lifecycle_unbind(l);
	l->ws = NULL;
	TAILQ_REMOVE(&alive, l, life.entry);
	nalive--;
	TELL(freed, l);
	listener_unref(l); /* the lifecycle's */
}

HRESULT
lifecycle_free(struct wsld_listener *l, actor_t actor, struct wsl_err *err)
{
	BOOL dedicated = FALSE;
	WS_LISTENER_STATE s;
	char who[ACTOR_TEXT];

	if (l->ws == NULL)
		return (wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION,
		    "listener '%s' is freed already", l->name));
	if (!lifecycle_may_change(l, actor, "free", err))
		return (err->hr);
	s = listener_state(l);
	if (s != WS_LISTENER_STATE_CREATED && s != WS_LISTENER_STATE_CLOSED)
		return (wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION,
		    "free is not allowed when the listener is %s (close it "
		    "first)", wsl_state_name((int)s)));
	if (l->life.closes > 0)
		return (wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION,
		    "free is not allowed while a close of listener '%s' is "
		    "still finishing (its channels get up to the close "
		    "timeout)", l->name));
	if (l->life.ops > 0)
		return (wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION,
		    "free is not allowed while an operation on listener '%s' "
		    "is still being answered", l->name));
	/* Never from inside a subscriber (see lifecycle_free_later). */
	if (telling > 0)
		return (wsl_err_set(err, WSL_HR_E_UNEXPECTED, "listener '%s' "
		    "cannot be freed while a change is being told",
		    l->name));
	(void)WsGetListenerProperty(l->ws, WSL_LISTENER_PROPERTY_DEDICATED_LOOP,
	    &dedicated, sizeof(dedicated), NULL);
	listener_let_go_socket(l);
	l->handler->release(l);
	if (FAILED(WsFreeListener(l->ws))) /* not with the checks above */
		return (wsl_err_set(err, WSL_HR_E_UNEXPECTED, "the listener "
		    "core refused to free listener '%s'", l->name));
	descriptors_listener_give(dedicated);
	l->handler->destroy(l->handler_state);
	l->handler_state = NULL;
	log_listener(LOG_INFO, l->name, "freed (%s)", actor_format(actor, who));
	forget(l);
	return (S_OK);
}

void
lifecycle_free_later(struct wsld_listener *l, actor_t actor)
{
	if (l->ws == NULL)
		return;
	l->life.free_asked = true;
	l->life.free_actor = actor;
	event_active(l->life.free_ev, EV_READ, 0);
}
