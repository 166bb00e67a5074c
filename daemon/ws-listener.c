/* SPDX-License-Identifier: ISC */
/*
 * The WS_LISTENER state machine: which call is legal in which state, and
 * what it changes.  A call in a state where it is not allowed returns
 * WS_E_INVALID_OPERATION and changes nothing; argument errors are checked
 * first and return E_INVALIDARG.  The transient states OPENING and CLOSING
 * are held until the loop thread finishes the operation, so no other call
 * can overtake it.
 *
 *                CREATED OPENING OPEN    FAULTED CLOSING CLOSED
 *   open         OPENING invalid invalid invalid invalid invalid
 *   accept       invalid invalid pending faulted invalid invalid
 *   close        CLOSED  invalid CLOSING CLOSING invalid invalid
 *   abort        (flag)  (flag)  FAULTED  -      (flag)   -
 *   reset        CREATED invalid invalid invalid invalid CREATED
 *   free         yes     invalid invalid invalid invalid yes
 *
 * Abort never fails for valid arguments and allocates nothing: it only
 * flips state and flags under the mutex, moves the pending accepts to the
 * aborted list (intrusive: no allocation), shuts the socket down so that it
 * refuses new connections at once, and wakes the loop, which completes the
 * cancelled operations with WS_E_OPERATION_ABORTED.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "ws-internal.h"

bool
ws_listener_valid(const WS_LISTENER *l)
{
	return (l != NULL && l->magic == WS_LISTENER_MAGIC);
}

static bool
type_fits(WS_CHANNEL_TYPE type, WS_CHANNEL_BINDING binding)
{
	switch (binding) {
	case WS_HTTP_CHANNEL_BINDING:
		return (type == WS_CHANNEL_TYPE_REPLY);
	case WS_TCP_CHANNEL_BINDING:
	case WS_NAMEDPIPE_CHANNEL_BINDING:
		return (type == WS_CHANNEL_TYPE_DUPLEX_SESSION);
	case WS_UDP_CHANNEL_BINDING:
		return (type == WS_CHANNEL_TYPE_DUPLEX ||
		    type == WS_CHANNEL_TYPE_INPUT);
	case WS_CUSTOM_CHANNEL_BINDING:
		break;
	}
	return (false);
}

/* The type, binding and properties, checked and applied to out. */
static HRESULT
check_arguments(WS_CHANNEL_TYPE type, WS_CHANNEL_BINDING binding,
    const WS_LISTENER_PROPERTY *props, ULONG count, struct ws_props *out,
    WS_ERROR *error)
{
	if (binding == WS_CUSTOM_CHANNEL_BINDING)
		return (ws_error_fill(error, WS_E_NOT_SUPPORTED, 0,
		    "custom channel bindings are not supported"));
	if ((unsigned int)binding > WS_NAMEDPIPE_CHANNEL_BINDING ||
	    !type_fits(type, binding))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "channel type 0x%x does not fit channel binding %d",
		    (unsigned int)type, (int)binding));
	ws_props_default(out);
	return (ws_props_apply(out, binding, props, count, error));
}

HRESULT
WslCheckListenerArguments(WS_CHANNEL_TYPE type, WS_CHANNEL_BINDING binding,
    const WS_LISTENER_PROPERTY *props, ULONG count, WS_ERROR *error)
{
	struct ws_props scratch;

	return (check_arguments(type, binding, props, count, &scratch, error));
}

static void
free_pipe_dir(WS_LISTENER *l)
{
	if (l->props.pipe_dir != ws_pipe_dir_default)
		ws_free((void *)(uintptr_t)l->props.pipe_dir);
}

HRESULT
WsCreateListener(WS_CHANNEL_TYPE type, WS_CHANNEL_BINDING binding,
    const WS_LISTENER_PROPERTY *props, ULONG count,
    const WS_SECURITY_DESCRIPTION *security, WS_LISTENER **ret,
    WS_ERROR *error)
{
	struct ws_props checked;
	WS_LISTENER *l;
	HRESULT hr;
	ULONG lanes;

	if (ret == NULL)
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the listener out-pointer is NULL"));
	if (FAILED(hr = check_arguments(type, binding, props, count, &checked,
	    error)))
		return (hr);
	if (security != NULL)
		return (ws_error_fill(error, WS_E_NOT_SUPPORTED, 0,
		    "security descriptions are not supported"));
	lanes = checked.dedicated_loop ? 1 : ws_pool_lanes(checked.loops);
	if ((l = ws_calloc(1, sizeof(*l) + lanes * sizeof(l->lanes[0]))) ==
	    NULL)
		return (ws_error_fill(error, E_OUTOFMEMORY, ENOMEM,
		    "no memory for a listener"));
	if (checked.pipe_dir != ws_pipe_dir_default &&
	    (checked.pipe_dir = ws_strndup(checked.pipe_dir,
	    strlen(checked.pipe_dir))) == NULL) {
		ws_free(l);
		return (ws_error_fill(error, E_OUTOFMEMORY, ENOMEM,
		    "no memory for a listener"));
	}
	l->n_lanes = lanes;
	l->props = checked;
	l->type = type;
	l->binding = binding;
	l->state = WS_LISTENER_STATE_CREATED;
	ws_bound_clear(&l->sock);
	l->given_fd = -1;
	pthread_mutex_init(&l->mu, NULL);
	if (FAILED(hr = ws_loop_start(l, error))) {
		pthread_mutex_destroy(&l->mu);
		free_pipe_dir(l);
		ws_free(l);
		return (hr);
	}
	l->magic = WS_LISTENER_MAGIC;
	*ret = l;
	return (S_OK);
}

static HRESULT
check_async(const WS_ASYNC_CONTEXT *ctx, WS_ERROR *error)
{
	if (ctx != NULL && ctx->callback == NULL)
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the async context has no callback"));
	return (S_OK);
}

static HRESULT
invalid(WS_LISTENER *l, WS_ERROR *error, const char *what)
{
	return (ws_error_fill(error, WS_E_INVALID_OPERATION, 0,
	    "%s is not allowed when the listener is %s", what,
	    wsl_state_name((int)l->state)));
}

/* Set op to call ctx back, or the sync waiter when there is no context. */
static void
arm(struct ws_op *op, const WS_ASYNC_CONTEXT *ctx, struct ws_sync *sync,
    WS_ERROR *error)
{
	op->active = true;
	op->error = error;
	op->tag = WslGetCallerTag(); /* its completion's transition is theirs */
	if (ctx != NULL)
		op->ctx = *ctx;
	else {
		ws_sync_init(sync);
		op->ctx.callback = ws_sync_callback;
		op->ctx.callbackState = sync;
	}
}

static HRESULT
finish(struct ws_lane *ln, const WS_ASYNC_CONTEXT *ctx, struct ws_sync *sync)
{
	ws_lane_wake(ln);
	if (ctx != NULL)
		return (WS_S_ASYNC);
	return (ws_sync_wait(sync));
}

HRESULT
WsOpenListener(WS_LISTENER *l, const WS_STRING *url,
    const WS_ASYNC_CONTEXT *ctx, WS_ERROR *error)
{
	struct ws_sync sync;
	struct ws_url u;
	char why[256];
	HRESULT hr;

	if (!ws_listener_valid(l) || url == NULL ||
	    (url->length > 0 && url->chars == NULL))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the listener or the URL is NULL"));
	if (FAILED(hr = check_async(ctx, error)))
		return (hr);
	if (ctx == NULL && ws_on_loop(l))
		return (ws_error_fill(error, WS_E_INVALID_OPERATION, 0,
		    "a synchronous open on the listener's own loop would "
		    "deadlock"));
	pthread_mutex_lock(&l->mu);
	if (l->state != WS_LISTENER_STATE_CREATED) {
		hr = invalid(l, error, "open");
		pthread_mutex_unlock(&l->mu);
		return (hr);
	}
	hr = ws_url_parse(url->chars, url->length, &u, why, sizeof(why));
	if (SUCCEEDED(hr) && ws_scheme_binding(u.scheme) != l->binding) {
		snprintf(why, sizeof(why), "the URL's scheme does not match "
		    "the listener's channel binding");
		hr = WS_E_INVALID_ENDPOINT_URL;
	}
	if (SUCCEEDED(hr) && l->aborted_before_open) {
		snprintf(why, sizeof(why), "the listener was aborted before "
		    "the open; reset it first");
		hr = WS_E_OPERATION_ABORTED;
	}
	if (FAILED(hr)) {
		ws_record_error(l, "open", hr, why);
		pthread_mutex_unlock(&l->mu);
		return (ws_error_fill(error, hr, 0, "%s", why));
	}
	l->url = u;
	ws_set_state(l, WS_LISTENER_STATE_OPENING, WSL_OPERATION_OPEN, S_OK,
	    WslGetCallerTag());
	arm(&l->open_op, ctx, &sync, error);
	pthread_mutex_unlock(&l->mu);
	ws_notify_state(l);
	return (finish(WS_HOME(l), ctx, &sync));
}

/*
 * An accept is queued on the lane of the loop it is called from, so that a
 * loop accepting for itself serves what it accepts; from any other thread,
 * on the home lane.
 */
HRESULT
WsAcceptChannel(WS_LISTENER *l, WS_CHANNEL *ch, const WS_ASYNC_CONTEXT *ctx,
    WS_ERROR *error)
{
	struct ws_lane *ln;
	struct ws_sync sync;
	HRESULT hr;

	if (!ws_listener_valid(l) || !ws_channel_valid(ch))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the listener or the channel is NULL"));
	if (ch->binding != l->binding)
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the channel was made for another binding"));
	if (FAILED(hr = check_async(ctx, error)))
		return (hr);
	pthread_mutex_lock(&l->mu);
	if (l->state == WS_LISTENER_STATE_FAULTED) {
		pthread_mutex_unlock(&l->mu);
		return (ws_error_fill(error, WS_E_OBJECT_FAULTED, 0,
		    "the listener is faulted (it was aborted)"));
	}
	if (l->state != WS_LISTENER_STATE_OPEN) {
		hr = invalid(l, error, "accept");
		pthread_mutex_unlock(&l->mu);
		return (hr);
	}
	if (ch->state != WS_CHANNEL_STATE_CREATED) {
		pthread_mutex_unlock(&l->mu);
		return (ws_error_fill(error, WS_E_INVALID_OPERATION, 0,
		    "the channel must be CREATED to accept into it"));
	}
	if ((ln = ws_lane_here(l)) != NULL && ctx == NULL) {
		pthread_mutex_unlock(&l->mu);
		return (ws_error_fill(error, WS_E_INVALID_OPERATION, 0,
		    "a synchronous accept on the listener's own loop would "
		    "deadlock"));
	}
	if (ln == NULL)
		ln = WS_HOME(l);
	ch->state = WS_CHANNEL_STATE_ACCEPTING;
	ch->accepting = l;
	ch->lane = ln;
	arm(&ch->op, ctx, &sync, error);
	TAILQ_INSERT_TAIL(&ln->accepts, ch, entry);
	ch->queued = true;
	ln->n_accepts++;
	l->n_accepts++;
	pthread_mutex_unlock(&l->mu);
	return (finish(ln, ctx, &sync));
}

/* Move every lane's pending accepts to its aborted list; the caller wakes
 * every lane.  (mu) */
static ULONG
cancel_accepts(WS_LISTENER *l)
{
	ULONG i, n = l->n_accepts;
	struct ws_lane *ln;
	WS_CHANNEL *ch;

	for (i = 0; i < l->n_lanes; i++) {
		ln = &l->lanes[i];
		TAILQ_FOREACH(ch, &ln->accepts, entry)
			ch->queued = false;
		TAILQ_CONCAT(&ln->aborted, &ln->accepts, entry);
		ln->n_accepts = 0;
	}
	l->n_accepts = 0;
	return (n);
}

HRESULT
WsCloseListener(WS_LISTENER *l, const WS_ASYNC_CONTEXT *ctx, WS_ERROR *error)
{
	struct ws_sync sync;
	HRESULT hr;

	if (!ws_listener_valid(l))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the listener is NULL"));
	if (FAILED(hr = check_async(ctx, error)))
		return (hr);
	if (ctx == NULL && ws_on_loop(l))
		return (ws_error_fill(error, WS_E_INVALID_OPERATION, 0,
		    "a synchronous close on the listener's own loop would "
		    "deadlock"));
	pthread_mutex_lock(&l->mu);
	switch (l->state) {
	case WS_LISTENER_STATE_CREATED:
		/* Windows allows this and completes at once. */
		ws_set_state(l, WS_LISTENER_STATE_CLOSED, WSL_OPERATION_CLOSE,
		    S_OK, WslGetCallerTag());
		pthread_mutex_unlock(&l->mu);
		ws_notify_state(l);
		return (S_OK);
	case WS_LISTENER_STATE_OPEN:
	case WS_LISTENER_STATE_FAULTED:
		ws_set_state(l, WS_LISTENER_STATE_CLOSING, WSL_OPERATION_CLOSE,
		    S_OK, WslGetCallerTag());
		(void)cancel_accepts(l);
		arm(&l->close_op, ctx, &sync, error);
		pthread_mutex_unlock(&l->mu);
		ws_notify_state(l);
		ws_loop_wake_all(l); /* each lane lets the socket go */
		return (finish(WS_HOME(l), ctx, &sync));
	default:
		hr = invalid(l, error, "close");
		pthread_mutex_unlock(&l->mu);
		return (hr);
	}
}

/*
 * Make the listening socket refuse new connections now (mu).  On TCP the
 * kernel also resets the connections still in the accept queue; count them
 * first.  UDP has no connections to refuse: the loop closes its socket.
 */
static ULONG
refuse_connections(WS_LISTENER *l)
{
	int depth = 0, limit;
	ULONG queued;

	if (l->sock.fd < 0 || l->sock_refusing || l->sock.socktype != SOCK_STREAM)
		return (0);
	/* TCP only: a Unix socket's queue is not reset (and asking for it
	 * is a netlink round trip, not for under the lock). */
	if (l->sock.family != AF_UNIX)
		ws_socket_queue(&l->sock, &depth, &limit);
	queued = depth > 0 ? (ULONG)depth : 0;
	(void)shutdown(l->sock.fd, SHUT_RD);
	l->sock_refusing = true;
	l->counters.resetOnAbort += queued;
	return (queued);
}

HRESULT
WslAbortListenerEx(WS_LISTENER *l, WSL_ABORT_RESULT *res, WS_ERROR *error)
{
	WSL_ABORT_RESULT r;
	bool changed = false, wake = false;

	if (!ws_listener_valid(l))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the listener is NULL"));
	memset(&r, 0, sizeof(r));
	pthread_mutex_lock(&l->mu);
	r.previousState = l->state;
	switch (l->state) {
	case WS_LISTENER_STATE_CREATED:
		l->aborted_before_open = true;
		break;
	case WS_LISTENER_STATE_OPENING:
		l->abort_during_open = true;
		r.pendingOpen = 1;
		wake = true;
		break;
	case WS_LISTENER_STATE_OPEN:
		ws_set_state(l, WS_LISTENER_STATE_FAULTED, WSL_OPERATION_ABORT,
		    S_OK, WslGetCallerTag());
		r.pendingAccepts = cancel_accepts(l);
		r.queuedReset = refuse_connections(l);
		changed = wake = true;
		break;
	case WS_LISTENER_STATE_CLOSING:
		l->abort_during_close = true;
		r.pendingClose = 1;
		/* Not a socket handed over: it is its successor's now. */
		if (!l->hand_over)
			r.queuedReset = refuse_connections(l);
		wake = true;
		break;
	case WS_LISTENER_STATE_FAULTED:
	case WS_LISTENER_STATE_CLOSED:
		break;
	}
	r.state = l->state;
	pthread_mutex_unlock(&l->mu);
	if (wake)
		ws_loop_wake_all(l);
	if (changed)
		ws_notify_state(l);
	if (res != NULL)
		*res = r;
	return (S_OK);
}

HRESULT
WsAbortListener(WS_LISTENER *l, WS_ERROR *error)
{
	return (WslAbortListenerEx(l, NULL, error));
}

HRESULT
WsResetListener(WS_LISTENER *l, WS_ERROR *error)
{
	HRESULT hr;

	if (!ws_listener_valid(l))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the listener is NULL"));
	pthread_mutex_lock(&l->mu);
	if (l->state != WS_LISTENER_STATE_CREATED &&
	    l->state != WS_LISTENER_STATE_CLOSED) {
		hr = invalid(l, error, "reset");
		pthread_mutex_unlock(&l->mu);
		return (hr);
	}
	ws_set_state(l, WS_LISTENER_STATE_CREATED, WSL_OPERATION_RESET, S_OK,
	    WslGetCallerTag());
	l->aborted_before_open = false;
	pthread_mutex_unlock(&l->mu);
	ws_notify_state(l);
	return (S_OK);
}

HRESULT
WsFreeListener(WS_LISTENER *l)
{
	if (!ws_listener_valid(l))
		return (E_INVALIDARG);
	if (ws_on_loop(l))
		return (WS_E_INVALID_OPERATION);
	pthread_mutex_lock(&l->mu);
	if (l->state != WS_LISTENER_STATE_CREATED &&
	    l->state != WS_LISTENER_STATE_CLOSED) {
		pthread_mutex_unlock(&l->mu);
		return (WS_E_INVALID_OPERATION);
	}
	pthread_mutex_unlock(&l->mu);
	ws_loop_stop(l);
	if (l->given_fd >= 0)
		close(l->given_fd);
	l->magic = 0;
	pthread_mutex_destroy(&l->mu);
	free_pipe_dir(l);
	ws_free(l);
	return (S_OK);
}

void
WslSetListenerStateHook(WS_LISTENER *l, WSL_STATE_HOOK hook, void *arg)
{
	if (!ws_listener_valid(l))
		return;
	l->state_hook = hook;
	l->state_hook_arg = arg;
}

HRESULT
WslGetListenerInfo(WS_LISTENER *l, WSL_LISTENER_INFO *info)
{
	struct ws_bound b;

	if (!ws_listener_valid(l) || info == NULL)
		return (E_INVALIDARG);
	memset(info, 0, sizeof(*info));
	info->queueDepth = info->queueLimit = -1;
	pthread_mutex_lock(&l->mu);
	info->state = l->state;
	info->binding = l->binding;
	info->abortedBeforeOpen = l->aborted_before_open;
	info->paused = l->operator_paused;
	info->pendingAccepts = l->n_accepts;
	info->channels = l->n_udp_sessions;
	info->family = l->sock.fd >= 0 ? l->sock.family : 0;
	info->port = l->sock.fd >= 0 ? l->sock.port : -1;
	snprintf(info->address, sizeof(info->address), "%s", l->sock.address);
	snprintf(info->path, sizeof(info->path), "%s", l->sock.path);
	info->socketAdopted = l->sock.fd >= 0 && l->sock.adopted;
	/* The kernel's queue: TCP_INFO is a quick getsockopt, asked here;
	 * for a Unix socket it is a netlink round trip, asked after
	 * unlocking on a copy of the descriptor the loop cannot close. */
	b = l->sock;
	b.fd = -1;
	if (l->sock.family == AF_UNIX && l->sock.fd >= 0)
		b.fd = fcntl(l->sock.fd, F_DUPFD_CLOEXEC, 0);
	else
		ws_socket_queue(&l->sock, &info->queueDepth, &info->queueLimit);
	info->lastError = l->last_error;
	snprintf(info->lastErrorText, sizeof(info->lastErrorText), "%s",
	    l->last_error_text);
	snprintf(info->lastErrorOperation, sizeof(info->lastErrorOperation),
	    "%s", l->last_error_op);
	info->counters = l->counters;
	pthread_mutex_unlock(&l->mu);
	if (b.fd >= 0) {
		ws_socket_queue(&b, &info->queueDepth, &info->queueLimit);
		close(b.fd);
	}
	return (S_OK);
}

HRESULT
WslPauseListener(WS_LISTENER *l, BOOL pause, WS_ERROR *error)
{
	HRESULT hr;

	if (!ws_listener_valid(l))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the listener is NULL"));
	pthread_mutex_lock(&l->mu);
	if (l->state != WS_LISTENER_STATE_OPEN) {
		hr = invalid(l, error, pause ? "pause" : "resume");
		pthread_mutex_unlock(&l->mu);
		return (hr);
	}
	l->operator_paused = pause != FALSE;
	pthread_mutex_unlock(&l->mu);
	ws_loop_wake_all(l); /* each lane stops or starts polling */
	return (S_OK);
}

HRESULT
WslInjectAcceptErrors(WS_LISTENER *l, int err, ULONG count)
{
	if (!ws_listener_valid(l) || err <= 0)
		return (E_INVALIDARG);
	pthread_mutex_lock(&l->mu);
	l->inject_errno = err;
	l->inject_count = count;
	pthread_mutex_unlock(&l->mu);
	ws_loop_wake_all(l); /* so that a pending accept meets it now */
	return (S_OK);
}

HRESULT
WslCountChannel(WS_LISTENER *l, WSL_CHANNEL_OUTCOME outcome,
    WSL_FAILURE reason)
{
	/* LISTENER_CLOSED is the core's own: never reported by a handler. */
	if (!ws_listener_valid(l) || (unsigned int)reason >= WSL_FAIL__COUNT ||
	    (outcome == WSL_CHANNEL_FAILED &&
		reason == WSL_FAIL_LISTENER_CLOSED))
		return (E_INVALIDARG);
	pthread_mutex_lock(&l->mu);
	switch (outcome) {
	case WSL_CHANNEL_SERVED:
		l->counters.delivered++;
		l->counters.active++;
		break;
	case WSL_CHANNEL_PASSED_ON:
		l->counters.delivered++;
		break;
	case WSL_CHANNEL_FAILED:
		l->counters.failed[reason]++;
		break;
	case WSL_CHANNEL_ENDED:
		if (l->counters.active > 0)
			l->counters.active--;
		break;
	case WSL_CHANNEL_REFUSED:
		l->counters.refused++;
		break;
	}
	pthread_mutex_unlock(&l->mu);
	return (S_OK);
}

uint64_t
WslFailed(const WSL_LISTENER_COUNTERS *c)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < WSL_FAIL__COUNT; i++)
		n += c->failed[i];
	return (n);
}

/* Handed to an accept caller, fate not reported yet. */
uint64_t
WslInFlight(const WSL_LISTENER_COUNTERS *c)
{
	return (c->completed - c->delivered -
	    (WslFailed(c) - c->failed[WSL_FAIL_LISTENER_CLOSED]));
}
