/* SPDX-License-Identifier: ISC */
/*
 * The shared accept loop (see handler-loop.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "handler-loop.h"
#include "handler.h"
#include "log.h"
#include "registry.h"

static void accept_next(struct accept_loop *);

void
accept_loop_init(struct accept_loop *a, const struct accept_loop_ops *ops,
    void *owner, unsigned max)
{
	memset(a, 0, sizeof(*a));
	a->ops = ops;
	a->owner = owner;
	a->max = max;
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
	if (SUCCEEDED(hr)) {
		memset(&peer, 0, sizeof(peer));
		(void)WslGetChannelPeer(a->ch, &peer, &len);
		if ((fd = WslDetachChannelFd(a->ch)) >= 0) {
			a->held++;
			a->ops->serve(a, fd, &peer, len);
		}
	}
	(void)WsResetChannel(a->ch, NULL);
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
	(void)WslResumeAccepting(a->ws); /* its descriptor is free again */
	accept_next(a);
}

void
accept_loop_ended(struct accept_loop *a)
{
	listener_count(a->l, WSL_CHANNEL_ENDED, 0);
	a->held--;
	WslResumeAccepting(a->ws);
	accept_next(a);
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
	if (a->ch != NULL && WsFreeChannel(a->ch) == S_OK)
		a->ch = NULL;
	a->running = false;
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
