/* SPDX-License-Identifier: ISC */
/*
 * The shared accept loop (see handler-loop.h).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "control.h"
#include "handler-loop.h"
#include "handler.h"
#include "log.h"
#include "listener.h"
#include "pointer.h"

#define FDS_RETRY_MS 100 /* out of descriptors: how soon to look again */

static void accept_next(struct accept_loop *);
static void drain_check(struct accept_loop *);

/* What one channel costs in descriptors, on wsld's side. */
static unsigned
channel_fds(const struct accept_loop *a)
{
	return (a->ops->fds_per_channel + (a->datagrams ? 1 : 0));
}

static void
set_running(struct accept_loop *a, bool on)
{
	a->running = on;
	descriptors_serving(&a->fds, on);
}

void
accept_loop_init(struct accept_loop *a, const struct accept_loop_ops *ops,
    void *owner, unsigned max, long long idle_ms)
{
	memset(a, 0, sizeof(*a));
	a->ops = ops;
	a->owner = owner;
	TAILQ_INIT(&a->drains);
	a->max = max;
	a->idle = wsl_ms_to_tv(idle_ms);
}

/* Completion of our pending accept, on the listener's loop. */
static void
accepted(HRESULT hr, WS_CALLBACK_MODEL model, void *arg)
{
	struct accept_loop *a = arg;
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int fd;

	(void)model;
	a->pending = false;
	fd = -1;
	if (SUCCEEDED(hr)) {
		memset(&peer, 0, sizeof(peer));
		(void)WslGetChannelPeer(a->ch, &peer, &len);
		fd = WslDetachChannelFd(a->ch);
	}
	/* Ready for the next accept before serving: serve() may fail at once
	 * and ask for the next accept itself. */
	(void)WsResetChannel(a->ch, NULL);
	if (fd >= 0) {
		a->held++; /* with the descriptors taken for the accept */
		a->ops->serve(a, fd, &peer, len);
	} else
		descriptors_peer_give(&a->fds, channel_fds(a));
	accept_next(a);
}

static void
fds_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	accept_next(arg);
}

/* Keep one accept pending while running and below the limit. */
static void
accept_next(struct accept_loop *a)
{
	WS_ASYNC_CONTEXT ctx = { accepted, a };
	HRESULT hr;

	if (!a->running || a->pending || (a->max > 0 && a->held >= a->max))
		return;
	/* The channel's descriptors before its connection: without them,
	 * new clients wait in the kernel's queue, as at max-channels. */
	if (!descriptors_peer_take(&a->fds, channel_fds(a))) {
		struct timeval tv = wsl_ms_to_tv(FDS_RETRY_MS);

		if (a->fds_retry != NULL)
			evtimer_add(a->fds_retry, &tv);
		return;
	}
	hr = WsAcceptChannel(a->ws, a->ch, &ctx, NULL);
	if (hr == WS_S_ASYNC) {
		a->pending = true;
		return;
	}
	descriptors_peer_give(&a->fds, channel_fds(a));
	/* Faulted (aborted) or no longer open: the loop ends here. */
	set_running(a, false);
	if (hr == WS_E_OBJECT_FAULTED)
		log_listener(LOG_INFO, a->l->name, "%s: the listener is "
		    "faulted, stopped accepting", a->l->handler->name);
}

void
accept_loop_served(struct accept_loop *a)
{
	listener_count(a->l, WSL_CHANNEL_SERVED, 0);
}

void
accept_loop_count_failure(struct accept_loop *a, WSL_FAILURE why)
{
	listener_count(a->l, WSL_CHANNEL_FAILED, why);
}

void
accept_loop_gone(struct accept_loop *a)
{
	a->held--;
	descriptors_peer_give(&a->fds, channel_fds(a));
	WslResumeAccepting(a->ws); /* its descriptors are free again */
	accept_next(a);
	drain_check(a);
}

void
accept_loop_failed(struct accept_loop *a, WSL_FAILURE why)
{
	accept_loop_count_failure(a, why);
	accept_loop_gone(a);
}

void
accept_loop_ended(struct accept_loop *a)
{
	listener_count(a->l, WSL_CHANNEL_ENDED, 0);
	accept_loop_gone(a);
}

/* Lane i's accept loop (lane 0's keeps them all). */
static struct accept_loop *
lane_at(struct accept_loop *a, unsigned i)
{
	return (a->lanes != NULL ? a->lanes[i] : a);
}

struct event_base *
accept_loop_base(struct accept_loop *a)
{
	return (WslGetLaneEventBase(a->ws, a->lane));
}

int
drain_init(struct drain *d, unsigned lanes)
{
	d->n_parts = lanes > 1 ? lanes : 1;
	d->parts = &d->one;
	if (d->n_parts > 1 &&
	    (d->parts = calloc(d->n_parts, sizeof(*d->parts))) == NULL) {
		d->n_parts = 0;
		return (-1);
	}
	return (0);
}

void
drain_clear(struct drain *d)
{
	if (d->parts != &d->one)
		free(d->parts);
	d->parts = NULL;
	d->n_parts = 0;
}

/* A lane has reported (from its loop): the last one sums the parts up and
 * tells the close. */
static void
drain_part_done(struct drain *d)
{
	unsigned i;

	if (atomic_fetch_sub(&d->parts_left, 1) != 1)
		return;
	d->finished = d->cut = 0;
	for (i = 0; i < d->n_parts; i++) {
		d->finished += d->parts[i].finished;
		d->cut += d->parts[i].cut;
	}
	event_active(d->done_ev, EV_READ, 0);
}

/*
 * Draining after a close: the channels in hand finish by themselves, or
 * are ended at the close timeout; then the close hears of it, through its
 * own drain (one per close, each with its own timer on every lane).
 */
static void
drain_report(struct accept_loop *a, struct drain_part *p, unsigned cut)
{
	TAILQ_REMOVE(&a->drains, p, entry);
	if (p->timer != NULL) {
		event_free(p->timer);
		p->timer = NULL;
	}
	p->cut = cut;
	p->finished = p->held_at_start > cut ? p->held_at_start - cut : 0;
	drain_part_done(p->drain);
}

static void
drain_check(struct accept_loop *a)
{
	struct drain_part *p;

	if (a->held > 0)
		return;
	while ((p = TAILQ_FIRST(&a->drains)) != NULL)
		drain_report(a, p, 0);
}

static void
drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct drain_part *p = arg;
	struct accept_loop *a = p->loop;

	(void)fd;
	(void)what;
	/* This close waits no longer: what is still held is cut now (a
	 * child still exiting ends on its own).  Reported first, since
	 * ending the channels may report the other closes waiting. */
	drain_report(a, p, a->held);
	if (a->ops->cut_all != NULL)
		a->ops->cut_all(a);
	else
		a->ops->release_all(a);
}

static void
drain_on_loop(void *arg)
{
	struct drain_part *p = arg;
	struct accept_loop *a = p->loop;
	struct timeval tv = wsl_ms_to_tv(p->drain->timeout_ms);

	p->held_at_start = a->held;
	TAILQ_INSERT_TAIL(&a->drains, p, entry);
	if (a->held == 0 || p->drain->timeout_ms == INFINITE)
		; /* nothing to wait for, or as long as they take */
	else if ((p->timer = evtimer_new(accept_loop_base(a), drain_timeout,
	    p)) != NULL)
		evtimer_add(p->timer, &tv);
	else {
		drain_timeout(-1, 0, p); /* no timer: end them now */
		return;
	}
	drain_check(a);
}

void
accept_loop_drain(struct accept_loop *a, struct wsld_listener *l,
    struct drain *d)
{
	struct drain_part *p;
	unsigned i, n;

	n = a->n_lanes < d->n_parts ? a->n_lanes : d->n_parts;
	d->finished = d->cut = 0;
	for (i = 0; i < d->n_parts; i++) {
		p = &d->parts[i];
		memset(p, 0, sizeof(*p));
		p->drain = d;
	}
	/* It never served anything. */
	if (a->l == NULL || n == 0) {
		event_active(d->done_ev, EV_READ, 0);
		return;
	}
	atomic_store(&d->parts_left, n);
	for (i = 0; i < n; i++) {
		p = &d->parts[i];
		p->loop = lane_at(a, i);
		p->task.run = drain_on_loop;
		p->task.arg = p;
		/* Its loop takes no more work: nothing is left there. */
		if (WslPostLaneTask(l->ws, i, &p->task) != S_OK)
			drain_part_done(d);
	}
}

/* Every close waiting for channels ends its wait now, cutting them. */
static void
hurry_on_loop(void *arg)
{
	struct accept_loop *a = arg;
	struct drain_part *p;

	while ((p = TAILQ_FIRST(&a->drains)) != NULL)
		drain_timeout(-1, 0, p);
}

void
accept_loop_hurry(struct accept_loop *a, struct wsld_listener *l)
{
	struct accept_loop *x;
	unsigned i;

	for (i = 0; i < a->n_lanes; i++) {
		x = lane_at(a, i);
		x->hurry_task.run = hurry_on_loop;
		x->hurry_task.arg = x;
		(void)WslPostLaneTask(l->ws, i, &x->hurry_task);
	}
}

static void
start_on_loop(void *arg)
{
	struct accept_loop *a = arg;

	if (a->running)
		return;
	if (a->ch == NULL &&
	    WsCreateChannelForListener(a->ws, NULL, 0, &a->ch, NULL) != S_OK)
		return;
	if (a->datagrams && a->packet == NULL &&
	    (a->packet = malloc(ACCEPT_LOOP_DATAGRAM_MAX)) == NULL)
		return;
	if (a->fds_retry == NULL && (a->fds_retry = evtimer_new(
	    accept_loop_base(a), fds_retry, a)) == NULL)
		return;
	if (a->ops->prepare != NULL && !a->ops->prepare(a))
		return;
	set_running(a, true);
	accept_next(a);
}

static void
lane_bind(struct accept_loop *a, struct wsld_listener *l, unsigned lane)
{
	a->l = l;
	a->ws = l->ws;
	a->lane = lane;
	a->start_task.run = start_on_loop;
	a->start_task.arg = a;
}

/*
 * A spread listener's other lanes get a copy of the handler's state each,
 * made as the listener's was; max-channels is shared out (the remainder to
 * the first lanes), so no lane serves with a limit of 0, which would mean
 * none.  Without memory for a copy, fewer lanes serve.
 */
static void
make_lanes(struct accept_loop *a, struct wsld_listener *l,
    WS_CHANNEL_BINDING b)
{
	unsigned n = WslGetListenerLaneCount(l->ws), i;
	struct accept_loop **lanes;
	struct wsl_err err;
	char where[128];
	void *copy;

	a->n_lanes = 1;
	if (a->max > 0 && n > a->max)
		n = a->max;
	if (n <= 1 || (lanes = calloc(n, sizeof(*lanes))) == NULL)
		return;
	lanes[0] = a;
	for (i = 1; i < n; i++) {
		copy = NULL;
		if (l->handler->configure(l->handler_conf, b, &copy, &err,
		    where, sizeof(where)) < 0)
			break;
		lanes[i] = copy; /* its state starts with its accept loop */
		lanes[i]->destroy = l->handler->destroy;
		lane_bind(lanes[i], l, i);
	}
	if (i < n)
		log_listener(LOG_WARNING, l->name, "%s: out of memory, serving "
		    "on %u of its %u loops", l->handler->name, i, n);
	n = i;
	for (i = 0; i < n && a->max > 0; i++)
		lanes[i]->max = a->max / n + (i < a->max % n ? 1 : 0);
	a->lanes = lanes;
	a->n_lanes = n;
}

void
accept_loop_destroy_lanes(struct accept_loop *a)
{
	unsigned i;

	for (i = 1; a->lanes != NULL && i < a->n_lanes; i++)
		a->lanes[i]->destroy(a->lanes[i]);
	free(a->lanes);
	a->lanes = NULL;
}

void
accept_loop_start(struct accept_loop *a, struct wsld_listener *l)
{
	WS_CHANNEL_BINDING b = WS_TCP_CHANNEL_BINDING;
	unsigned i;

	if (a->l == NULL) {
		/* First start: the loop has never seen this state yet. */
		(void)WsGetListenerProperty(l->ws,
		    WS_LISTENER_PROPERTY_CHANNEL_BINDING, &b, sizeof(b), NULL);
		lane_bind(a, l, 0);
		a->datagrams = b == WS_UDP_CHANNEL_BINDING;
		make_lanes(a, l, b);
	}
	for (i = 0; i < a->n_lanes; i++)
		(void)WslPostLaneTask(l->ws, i, &lane_at(a, i)->start_task);
}

static void
release_on_loop(void *arg)
{
	struct accept_loop *a = arg;

	a->ops->release_all(a);
	free(a->packet);
	a->packet = NULL;
	if (a->ch != NULL && WsFreeChannel(a->ch) == S_OK)
		a->ch = NULL;
	if (a->fds_retry != NULL) {
		event_free(a->fds_retry);
		a->fds_retry = NULL;
	}
	set_running(a, false);
}

void
accept_loop_release(struct accept_loop *a, struct wsld_listener *l)
{
	struct accept_loop *x;
	unsigned i;

	/* If it never ran, nothing lives on the loops. */
	for (i = 0; i < a->n_lanes; i++) {
		x = lane_at(a, i);
		x->release_task.run = release_on_loop;
		x->release_task.arg = x;
		(void)WslPostLaneTask(l->ws, i, &x->release_task);
	}
}

int
handler_check_keys(const json_t *conf, const struct handler_type *h,
    struct wsl_err *err, char *where, size_t wherelen)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)conf, key, v) {
		for (i = 0; h->keys[i].name != NULL; i++)
			if (strcmp(key, h->keys[i].name) == 0)
				break;
		if (h->keys[i].name == NULL && strcmp(key, "type") != 0) {
			where[0] = '\0';
			(void)pointer_append(where, wherelen, key);
			wsl_err_set(err, WSL_HR_E_INVALIDARG,
			    "unknown key '%.64s' for the %s handler", key,
			    h->name);
			return (-1);
		}
	}
	return (0);
}

int
handler_max_channels(const json_t *conf, unsigned def, unsigned *out,
    struct wsl_err *err, char *where, size_t wherelen)
{
	json_t *v = json_object_get(conf, "max-channels");

	*out = def;
	if (v == NULL)
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 1000000) {
		snprintf(where, wherelen, "/max-channels");
		wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"max-channels\" must be "
		    HANDLER_MAX_CHANNELS_PHRASE);
		return (-1);
	}
	*out = (unsigned)json_integer_value(v);
	return (0);
}

void
handler_loop_start(struct wsld_listener *l)
{
	accept_loop_start(l->handler_state, l);
}

void
handler_loop_drain(struct wsld_listener *l, struct drain *d)
{
	accept_loop_drain(l->handler_state, l, d);
}

void
handler_loop_release(struct wsld_listener *l)
{
	accept_loop_release(l->handler_state, l);
}

void
handler_loop_hurry(struct wsld_listener *l)
{
	accept_loop_hurry(l->handler_state, l);
}

void
handler_loop_destroy(void *state)
{
	if (state != NULL)
		accept_loop_destroy_lanes(state);
	free(state);
}

int
handler_ms_option(const json_t *conf, const char *key, long long *out,
    struct wsl_err *err, char *where, size_t wherelen)
{
	json_t *v = json_object_get(conf, key);

	if (v == NULL)
		return (0);
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 86400000) {
		snprintf(where, wherelen, "/%s", key);
		wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"%s\" must be "
		    HANDLER_MS_PHRASE, key);
		return (-1);
	}
	*out = json_integer_value(v);
	return (0);
}
