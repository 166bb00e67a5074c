/* SPDX-License-Identifier: ISC */
/*
 * The shared accept loop (see handler-loop.h).
 */
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

/*
 * Draining after a close: the channels in hand finish by themselves, or
 * are ended at the close timeout; then the close hears of it, through its
 * own drain (one per close, each with its own timer).
 */
static void
drain_report(struct accept_loop *a, struct drain *d, unsigned cut)
{
	TAILQ_REMOVE(&a->drains, d, entry);
	if (d->timer != NULL) {
		event_free(d->timer);
		d->timer = NULL;
	}
	d->cut = cut;
	d->finished = d->held_at_start > cut ? d->held_at_start - cut : 0;
	event_active(d->done_ev, EV_READ, 0);
}

static void
drain_check(struct accept_loop *a)
{
	struct drain *d;

	if (a->held > 0)
		return;
	while ((d = TAILQ_FIRST(&a->drains)) != NULL)
		drain_report(a, d, 0);
}

static void
drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct drain *d = arg;
	struct accept_loop *a = d->loop;

	(void)fd;
	(void)what;
	/* This close waits no longer: what is still held is cut now (a
	 * child still exiting ends on its own).  Reported first, since
	 * ending the channels may report the other closes waiting. */
	drain_report(a, d, a->held);
	if (a->ops->cut_all != NULL)
		a->ops->cut_all(a);
	else
		a->ops->release_all(a);
}

static void
drain_on_loop(void *arg)
{
	struct drain *d = arg;
	struct accept_loop *a = d->loop;
	struct timeval tv = wsl_ms_to_tv(d->timeout_ms);

	d->held_at_start = a->held;
	TAILQ_INSERT_TAIL(&a->drains, d, entry);
	if (a->held == 0 || d->timeout_ms == INFINITE)
		; /* nothing to wait for, or as long as they take */
	else if ((d->timer = evtimer_new(WslGetListenerEventBase(a->ws),
	    drain_timeout, d)) != NULL)
		evtimer_add(d->timer, &tv);
	else {
		drain_timeout(-1, 0, d); /* no timer: end them now */
		return;
	}
	drain_check(a);
}

void
accept_loop_drain(struct accept_loop *a, struct wsld_listener *l,
    struct drain *d)
{
	d->loop = a;
	d->timer = NULL;
	d->finished = d->cut = 0;
	d->task.run = drain_on_loop;
	d->task.arg = d;
	/* It never served anything, or its loop takes no more work. */
	if (a->l == NULL || WslPostTask(l->ws, &d->task) != S_OK)
		event_active(d->done_ev, EV_READ, 0);
}

/* Every close waiting for channels ends its wait now, cutting them. */
static void
hurry_on_loop(void *arg)
{
	struct accept_loop *a = arg;
	struct drain *d;

	while ((d = TAILQ_FIRST(&a->drains)) != NULL)
		drain_timeout(-1, 0, d);
}

void
accept_loop_hurry(struct accept_loop *a, struct wsld_listener *l)
{
	if (a->l == NULL)
		return; /* it never served anything */
	a->hurry_task.run = hurry_on_loop;
	a->hurry_task.arg = a;
	(void)WslPostTask(l->ws, &a->hurry_task);
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
	    WslGetListenerEventBase(a->ws), fds_retry, a)) == NULL)
		return;
	if (a->ops->prepare != NULL && !a->ops->prepare(a))
		return;
	set_running(a, true);
	accept_next(a);
}

void
accept_loop_start(struct accept_loop *a, struct wsld_listener *l)
{
	WS_CHANNEL_BINDING b = WS_TCP_CHANNEL_BINDING;

	if (a->l == NULL) {
		/* First start: the loop has never seen this state yet. */
		(void)WsGetListenerProperty(l->ws,
		    WS_LISTENER_PROPERTY_CHANNEL_BINDING, &b, sizeof(b), NULL);
		a->l = l;
		a->ws = l->ws;
		a->datagrams = b == WS_UDP_CHANNEL_BINDING;
		a->start_task.run = start_on_loop;
		a->start_task.arg = a;
	}
	(void)WslPostTask(l->ws, &a->start_task);
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
	if (a->l == NULL)
		return; /* it never ran: nothing lives on the loop */
	a->release_task.run = release_on_loop;
	a->release_task.arg = a;
	(void)WslPostTask(l->ws, &a->release_task);
}

int
handler_check_keys(const json_t *conf, const char *handler,
    const char *const *allowed, struct wsl_err *err, char *where,
    size_t wherelen)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)conf, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL && strcmp(key, "type") != 0) {
			where[0] = '\0';
			(void)pointer_append(where, wherelen, key);
			wsl_err_set(err, WSL_HR_E_INVALIDARG,
			    "unknown key '%.64s' for the %s handler", key,
			    handler);
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
		    "an integer from 1 to 1000000");
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
		wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"%s\" must be a number "
		    "of milliseconds from 1 to 86400000", key);
		return (-1);
	}
	*out = json_integer_value(v);
	return (0);
}
