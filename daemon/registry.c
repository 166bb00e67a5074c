/* SPDX-License-Identifier: ISC */
/*
 * The registry of named listeners (see registry.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "handler.h"
#include "registry.h"
#include "strmap.h"

static struct strmap *by_name;
static struct event_base *base;
static void (*changed)(struct wsld_listener *);

void
registry_init(struct event_base *b, void (*fn)(struct wsld_listener *))
{
	base = b;
	changed = fn;
	if ((by_name = strmap_new()) == NULL)
		abort();
}

/* On the control thread: the state changed, look at the waiters. */
static void
state_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	changed(arg);
}

/* From any thread (the core's state hook): allocates nothing. */
static void
state_hook(WS_LISTENER *ws, void *arg)
{
	struct wsld_listener *l = arg;

	(void)ws;
	event_active(l->state_ev, EV_READ, 0);
}

struct wsld_listener *
registry_add(const char *name, const char *url, WS_LISTENER *ws,
    json_t *handler_conf, const struct handler_type *h, void *handler_state,
    const json_t *definition)
{
	struct wsld_listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return (NULL);
	l->name = strdup(name);
	l->url = strdup(url);
	l->state_ev = event_new(base, -1, 0, state_cb, l);
	l->definition = json_deep_copy(definition);
	if (l->definition != NULL)
		(void)json_object_del(l->definition, "name");
	if (l->name == NULL || l->url == NULL || l->state_ev == NULL ||
	    l->definition == NULL ||
	    strmap_put(by_name, name, l) < 0) {
		if (l->state_ev != NULL)
			event_free(l->state_ev);
		json_decref(l->definition);
		free(l->name);
		free(l->url);
		free(l);
		return (NULL);
	}
	l->ws = ws;
	l->handler_conf = json_incref(handler_conf);
	l->handler = h;
	l->handler_state = handler_state;
	l->adopt_fd = -1;
	l->socket_origin = "bound";
	l->refs = 1;
	TAILQ_INIT(&l->waiters);
	WslSetListenerStateHook(ws, state_hook, l);
	return (l);
}

struct wsld_listener *
registry_find(const char *name)
{
	return (strmap_get(by_name, name));
}

size_t
registry_count(void)
{
	return (strmap_count(by_name));
}

void
listener_op_begin(struct wsld_listener *l)
{
	listener_ref(l);
	l->ops++;
}

void
listener_op_end(struct wsld_listener *l)
{
	l->ops--;
	/* Shutdown and a replaced listener's free wait for the last one
	 * (state changes have a hook of their own): not every answer. */
	if (l->ops == 0 && l->ws != NULL)
		changed(l);
	listener_unref(l);
}

void
listener_count(struct wsld_listener *l, WSL_CHANNEL_OUTCOME outcome,
    WSL_FAILURE reason)
{
	if (l != NULL && l->ws != NULL)
		(void)WslCountChannel(l->ws, outcome, reason);
}

void
listener_ref(struct wsld_listener *l)
{
	l->refs++;
}

void
listener_unref(struct wsld_listener *l)
{
	if (--l->refs > 0)
		return;
	event_free(l->state_ev);
	if (l->adopt_fd >= 0)
		close(l->adopt_fd);
	json_decref(l->definition);
	json_decref(l->handler_conf);
	free(l->name);
	free(l->url);
	free(l);
}

void
listener_adopt(struct wsld_listener *l, int fd, bool keep, const char *origin)
{
	if (l->adopt_fd >= 0)
		close(l->adopt_fd);
	l->adopt_fd = fd;
	l->adopt_keep = keep;
	l->adopt_origin = origin;
}

void
registry_detach(struct wsld_listener *l)
{
	if (strmap_get(by_name, l->name) == l)
		strmap_remove(by_name, l->name);
}

/* The WS_LISTENER must be freed already; waiters learn it is gone. */
void
registry_remove(struct wsld_listener *l)
{
	registry_detach(l);
	l->ws = NULL;
	waiters_check(l);
	listener_unref(l);
}


static void
collect(const char *key, void *value, void *arg)
{
	struct wsld_listener ***p = arg;

	(void)key;
	listener_ref(value);
	*(*p)++ = value;
}

static int
by_name_cmp(const void *a, const void *b)
{
	return (strcmp((*(struct wsld_listener *const *)a)->name,
	    (*(struct wsld_listener *const *)b)->name));
}

struct wsld_listener **
registry_sorted(size_t *count)
{
	struct wsld_listener **all, **p;

	*count = strmap_count(by_name);
	if ((all = calloc(*count + 1, sizeof(*all))) == NULL)
		return (NULL);
	p = all;
	strmap_foreach(by_name, collect, &p);
	qsort(all, *count, sizeof(*all), by_name_cmp);
	return (all);
}

void
registry_free_sorted(struct wsld_listener **all, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		listener_unref(all[i]);
	free(all);
}
