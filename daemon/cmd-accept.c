/* SPDX-License-Identifier: ISC */
/*
 * accept: one WsAcceptChannel on behalf of a control client.  It is the
 * listener's pending I/O, so abort and close complete it with
 * WS_E_OPERATION_ABORTED.  On success the reply describes the channel and
 * carries its descriptor (SCM_RIGHTS, attached to the reply's bytes).  A
 * timeout or a client that goes away cancels just this accept.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cmd.h"
#include "inject.h"
#include "handler.h"
#include "lifecycle.h"
#include "log.h"


struct accept_op {
	struct ctl_request *req;
	struct wsld_listener *l;        /* a reference */
	WS_CHANNEL *ch;
	WS_ERROR *error;
	struct completion c;
	struct event *timer;
	long long timeout_ms;
	bool timed_out;
};

static void
op_free(struct accept_op *op)
{
	struct wsld_listener *l;

	if (op->ch != NULL)
		(void)WsFreeChannel(op->ch);
	WsFreeError(op->error);
	completion_clear(&op->c);
	if (op->timer != NULL)
		event_free(op->timer);
	l = op->l;
	free(op);
	lifecycle_op_end(l, false);
}

/*
 * "127.0.0.1:5555", "[::1]:5555", or the peer's socket path: escaped, as
 * a path need not be UTF-8 (nor would JSON carry it), "@NAME" for an
 * abstract one, "unix" when it has none.
 */
static json_t *
describe_peer(WS_CHANNEL *ch)
{
	struct sockaddr_storage ss;
	struct sockaddr_un *sun = (void *)&ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "",
	    peer[1 + sizeof(sun->sun_path) * WSL_ESCAPE_MAX];
	size_t n;
	int port = -1;

	if (WslGetChannelPeer(ch, &ss, &len) != S_OK)
		return (json_object());
	if (wsl_format_addr((const struct sockaddr *)&ss, host, sizeof(host),
	    &port)) {
		snprintf(peer, sizeof(peer), ss.ss_family == AF_INET6 ?
		    "[%s]:%d" : "%s:%d", host, port);
		return (json_pack("{s:s,s:s,s:i}", "peer", peer,
		    "peer-address", host, "peer-port", port));
	}
	n = len > offsetof(struct sockaddr_un, sun_path) ?
	    len - offsetof(struct sockaddr_un, sun_path) : 0;
	if (n > sizeof(sun->sun_path))
		n = sizeof(sun->sun_path);
	if (n == 0)
		snprintf(peer, sizeof(peer), "unix");
	else if (sun->sun_path[0] == '\0') {
		peer[0] = '@';
		(void)wsl_escape(sun->sun_path + 1, n - 1, peer + 1,
		    sizeof(peer) - 1);
	} else
		(void)wsl_escape(sun->sun_path, strnlen(sun->sun_path, n), peer,
		    sizeof(peer));
	return (json_pack("{s:s}", "peer", peer));
}

static void
done(evutil_socket_t fd, short what, void *arg)
{
	struct accept_op *op = arg;
	struct ctl_request *req = op->req;
	struct wsld_listener *l = op->l;
	json_t *o, *channel;
	const char *peer;
	char text[600];
	int cfd;

	(void)fd;
	(void)what;
	req->cancel = NULL; /* answered from here on (see cmd-wait.c) */
	req->data = NULL;
	if (SUCCEEDED(op->c.hr)) {
		channel = describe_peer(op->ch);
		cfd = WslDetachChannelFd(op->ch);
		/* Another process gets it, for a command's stdin and stdout:
		 * blocking, as accept(2) gives it. */
		if (cfd >= 0)
			(void)fcntl(cfd, F_SETFL, fcntl(cfd, F_GETFL) &
			    ~O_NONBLOCK);
		peer = json_string_value(json_object_get(channel, "peer"));
		snprintf(text, sizeof(text), "accepted a channel from %s",
		    peer != NULL ? peer : "an unknown peer");
		/* The channel and the listener's name and state: what the
		 * client needs, not the whole listener (status has it). */
		if ((o = json_pack("{s:s,s:s}", "name", l->name, "state",
		    wsl_state_name((int)listener_state(l)))) == NULL ||
		    json_object_set_new(o, "channel", channel) < 0) {
			if (o == NULL)
				json_decref(channel);
			json_decref(o);
			ctl_reply_lost(req, cfd, l);
		} else
			ctl_reply_fd(req, WSL_HR_S_OK, text, o, cfd, l);
	} else if (op->timed_out) {
		snprintf(text, sizeof(text), "no channel arrived on '%s' within "
		    "%lld ms", l->name, op->timeout_ms);
		reply_listener(req, l, WSL_HR_WS_E_OPERATION_TIMED_OUT, text, -1);
	} else {
		snprintf(text, sizeof(text), "%s", WslErrorText(op->error));
		if (text[0] == '\0')
			snprintf(text, sizeof(text), "the accept failed");
		reply_listener(req, l, op->c.hr, text, -1);
	}
	op_free(op);
}

static void
timeout(evutil_socket_t fd, short what, void *arg)
{
	struct accept_op *op = arg;

	(void)fd;
	(void)what;
	if (WslCancelAccept(op->ch) == S_OK)
		op->timed_out = true;
}

static void
cancel(struct ctl_request *req)
{
	struct accept_op *op = req->data;

	/* The client went away: do not keep a channel for nobody. */
	(void)WslCancelAccept(op->ch);
}

void
cmd_accept(struct ctl_request *req)
{
	struct wsld_listener *l;
	struct accept_op *op;
	WS_ASYNC_CONTEXT ctx;
	struct timeval tv;
	char text[256];
	long long ms;
	HRESULT hr;

	if (!args_only(req, "name", "timeout-ms", NULL) ||
	    !args_ms(req, "timeout-ms", &ms) || (l = args_listener(req)) == NULL)
		return;
	if (!l->handler->serves_accept_requests) {
		snprintf(text, sizeof(text), "listener '%s' gives its channels "
		    "to its %s handler; only listeners whose handler is accept "
		    "serve accept requests", l->name, l->handler->name);
		reply_listener(req, l, WSL_HR_WS_E_INVALID_OPERATION, text, -1);
		return;
	}
	if ((op = inject_calloc(1, sizeof(*op))) == NULL) {
		ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory", NULL);
		return;
	}
	lifecycle_op_begin(l, false);
	op->l = l;
	op->req = req;
	op->timeout_ms = ms;
	if (completion_init(&op->c, done, op) < 0 ||
	    (ms >= 0 && (op->timer = evtimer_new(control_base, timeout,
		op)) == NULL) ||
	    WsCreateError(NULL, 0, &op->error) != S_OK ||
	    WsCreateChannelForListener(l->ws, NULL, 0, &op->ch, NULL) != S_OK) {
		op_free(op);
		ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory", NULL);
		return;
	}
	ctx = completion_context(&op->c);
	/* Set up everything the completion may touch before the call: with
	 * WS_S_ASYNC it may already have run on the loop when this returns. */
	req->data = op;
	req->cancel = cancel;
	hr = WsAcceptChannel(l->ws, op->ch, &ctx, op->error);
	if (hr != WS_S_ASYNC) {
		/* Refused at once: not open, or faulted (WS_E_OBJECT_FAULTED). */
		req->cancel = NULL;
		op->c.hr = hr;
		done(-1, 0, op);
		return;
	}
	if (op->timer != NULL) {
		tv = wsl_ms_to_tv(ms);
		evtimer_add(op->timer, &tv);
	}
	/* Pending: the connection's next requests need not wait for it. */
	(void)ctl_request_detach(req);
}
