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
#include "registry.h"

static void accept_next(struct accept_loop *);
static void drain_check(struct accept_loop *);

void
accept_loop_init(struct accept_loop *a, const struct accept_loop_ops *ops,
    void *owner, unsigned max, long long idle_ms)
{
	memset(a, 0, sizeof(*a));
	a->ops = ops;
	a->owner = owner;
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
		a->held++;
		a->ops->serve(a, fd, &peer, len);
	}
	accept_next(a);
}

/* Keep one accept pending while running and below the limit. */
static void
accept_next(struct accept_loop *a)
{
	WS_ASYNC_CONTEXT ctx = { accepted, a };
	HRESULT hr;

	if (!a->running || a->pending || (a->max > 0 && a->held >= a->max))
		return;
	hr = WsAcceptChannel(a->ws, a->ch, &ctx, NULL);
	if (hr == WS_S_ASYNC) {
		a->pending = true;
		return;
	}
	/* Faulted (aborted) or no longer open: the loop ends here. */
	a->running = false;
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
accept_loop_failed(struct accept_loop *a, WSL_FAILURE why)
{
	listener_count(a->l, WSL_CHANNEL_FAILED, why);
	a->held--;
	WslResumeAccepting(a->ws); /* its descriptor is free again */
	accept_next(a);
	drain_check(a);
}

void
accept_loop_ended(struct accept_loop *a)
{
	listener_count(a->l, WSL_CHANNEL_ENDED, 0);
	a->held--;
	WslResumeAccepting(a->ws);
	accept_next(a);
	drain_check(a);
}

/*
 * Draining after a close: the channels in hand finish by themselves, or
 * are ended at the close timeout; then the control thread hears of it.
 */
static void
drain_check(struct accept_loop *a)
{
	if (!a->draining || a->held > 0)
		return;
	a->draining = false;
	evtimer_del(a->drain_timer);
	event_active(a->drain_done, EV_READ, 0);
}

static void
drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct accept_loop *a = arg;

	(void)fd;
	(void)what;
	a->cut = a->held;
	if (a->ops->cut_all != NULL)
		a->ops->cut_all(a);
	else
		a->ops->release_all(a);
	/* Whatever has not ended yet (a child still exiting) ends on its
	 * own; the close does not wait for it any longer. */
	if (a->draining) {
		a->draining = false;
		event_active(a->drain_done, EV_READ, 0);
	}
}

static void
drain_on_loop(void *arg)
{
	struct accept_loop *a = arg;
	struct timeval tv = wsl_ms_to_tv(a->drain_ms);

	a->drain_start = a->held;
	a->cut = 0;
	if (a->drain_timer == NULL)
		a->drain_timer = evtimer_new(WslGetListenerEventBase(a->ws),
		    drain_timeout, a);
	a->draining = true;
	if (a->drain_ms == INFINITE)
		; /* wait as long as they take */
	else if (a->drain_timer != NULL && a->held > 0)
		evtimer_add(a->drain_timer, &tv);
	else if (a->held > 0)
		drain_timeout(-1, 0, a); /* no timer: end them now */
	drain_check(a);
}

/* On the control thread: report the drain's outcome. */
static void
drained(evutil_socket_t fd, short what, void *arg)
{
	struct accept_loop *a = arg;
	unsigned cut = a->cut, all = a->drain_start;

	(void)fd;
	(void)what;
	a->done(a->l, all - cut, cut, a->done_arg);
}

void
accept_loop_drain(struct accept_loop *a, struct wsld_listener *l,
    unsigned timeout_ms, drain_done_fn *done, void *arg)
{
	if (a->l == NULL || (a->drain_done == NULL &&
	    (a->drain_done = event_new(control_base, -1, 0, drained,
		a)) == NULL)) {
		done(l, 0, 0, arg); /* it never served anything */
		return;
	}
	a->drain_ms = timeout_ms;
	a->done = done;
	a->done_arg = arg;
	a->drain_task.run = drain_on_loop;
	a->drain_task.arg = a;
	if (WslPostTask(l->ws, &a->drain_task) != S_OK)
		done(l, 0, 0, arg);
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
	if (a->ops->prepare != NULL && !a->ops->prepare(a))
		return;
	a->running = true;
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
	if (a->drain_timer != NULL) {
		event_free(a->drain_timer);
		a->drain_timer = NULL;
	}
	a->running = false;
}

/* The loop is gone: free what lived on the control loop. */
void
accept_loop_destroy(struct accept_loop *a)
{
	if (a->drain_done != NULL)
		event_free(a->drain_done);
	a->drain_done = NULL;
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
			snprintf(where, wherelen, "/%s", key);
			wsl_err_set(err, WSL_HR_E_INVALIDARG,
			    "unknown key '%s' for the %s handler", key, handler);
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
handler_loop_drain(struct wsld_listener *l, unsigned ms, drain_done_fn *done,
    void *arg)
{
	accept_loop_drain(l->handler_state, l, ms, done, arg);
}

void
handler_loop_release(struct wsld_listener *l)
{
	accept_loop_release(l->handler_state, l);
}

void
handler_loop_destroy(void *state)
{
	accept_loop_destroy(state);
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
