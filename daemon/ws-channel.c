/* SPDX-License-Identifier: ISC */
/*
 * WS_CHANNEL, as far as a listener needs it: created for a listener, handed
 * to WsAcceptChannel, OPEN with a connected descriptor afterwards.  A
 * channel whose accept was aborted is CREATED again and can be reused.
 * WsAbortChannel on an ACCEPTING channel cancels just that accept.
 */
#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include "ws-internal.h"

bool
ws_channel_valid(const WS_CHANNEL *ch)
{
	return (ch != NULL && ch->magic == WS_CHANNEL_MAGIC);
}

HRESULT
WsCreateChannelForListener(WS_LISTENER *l, const WS_CHANNEL_PROPERTY *props,
    ULONG count, WS_CHANNEL **ret, WS_ERROR *error)
{
	WS_CHANNEL *ch;

	if (!ws_listener_valid(l) || ret == NULL)
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the listener or the channel out-pointer is NULL"));
	if (count > 0 || props != NULL)
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "channel properties are not supported"));
	if ((ch = ws_calloc(1, sizeof(*ch))) == NULL)
		return (ws_error_fill(error, E_OUTOFMEMORY, 0,
		    "no memory for a channel"));
	ch->magic = WS_CHANNEL_MAGIC;
	ch->type = l->type;
	ch->binding = l->binding;
	ch->callback_model = l->props.callback_model;
	ch->state = WS_CHANNEL_STATE_CREATED;
	ch->fd = -1;
	*ret = ch;
	return (S_OK);
}

/* The channel's state; while accepting it is guarded by the listener. */
static WS_CHANNEL_STATE
state_of(WS_CHANNEL *ch)
{
	WS_LISTENER *l = ch->accepting;
	WS_CHANNEL_STATE s;

	if (l == NULL)
		return (ch->state);
	pthread_mutex_lock(&l->mu);
	s = ch->state;
	pthread_mutex_unlock(&l->mu);
	return (s);
}

HRESULT
WsGetChannelProperty(WS_CHANNEL *ch, WS_CHANNEL_PROPERTY_ID id, void *buf,
    ULONG size, WS_ERROR *error)
{
	WS_CHANNEL_STATE s;

	if (!ws_channel_valid(ch) || buf == NULL)
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the channel or the buffer is NULL"));
	switch (id) {
	case WS_CHANNEL_PROPERTY_STATE:
		if (size != sizeof(s))
			break;
		s = state_of(ch);
		memcpy(buf, &s, sizeof(s));
		return (S_OK);
	case WS_CHANNEL_PROPERTY_CHANNEL_TYPE:
		if (size != sizeof(ch->type))
			break;
		memcpy(buf, &ch->type, sizeof(ch->type));
		return (S_OK);
	case WS_CHANNEL_PROPERTY_ASYNC_CALLBACK_MODEL:
		if (size != sizeof(ch->callback_model))
			break;
		memcpy(buf, &ch->callback_model, sizeof(ch->callback_model));
		return (S_OK);
	}
	return (ws_error_fill(error, E_INVALIDARG, 0,
	    "channel property %d is not supported or the size is wrong",
	    (int)id));
}

/* Move a still-pending accept to the aborted list; false if not pending
 * (already taken by a connection, or already cancelled). */
static bool
cancel_accept(WS_CHANNEL *ch)
{
	struct ws_lane *ln = NULL;
	WS_LISTENER *l;

	if ((l = ch->accepting) == NULL)
		return (false);
	pthread_mutex_lock(&l->mu);
	if (ch->queued && ch->accepting == l) {
		ln = ch->lane;
		TAILQ_REMOVE(&ln->accepts, ch, entry);
		ch->queued = false;
		ln->n_accepts--;
		l->n_accepts--;
		TAILQ_INSERT_TAIL(&ln->aborted, ch, entry);
	}
	pthread_mutex_unlock(&l->mu);
	if (ln == NULL)
		return (false);
	ws_lane_wake(ln); /* completes it with WS_E_OPERATION_ABORTED */
	return (true);
}

HRESULT
WsAbortChannel(WS_CHANNEL *ch, WS_ERROR *error)
{
	if (!ws_channel_valid(ch))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the channel is NULL"));
	if (cancel_accept(ch))
		return (S_OK);
	if (state_of(ch) == WS_CHANNEL_STATE_OPEN) {
		if (ch->fd >= 0)
			(void)shutdown(ch->fd, SHUT_RDWR);
		ch->state = WS_CHANNEL_STATE_FAULTED;
	}
	return (S_OK);
}

/*
 * Cancel the channel's accept if it is still pending, and do nothing to a
 * channel whose accept has completed (unlike WsAbortChannel, which would
 * fault it): safe against an accept completing at the same moment.
 */
HRESULT
WslCancelAccept(WS_CHANNEL *ch)
{
	if (!ws_channel_valid(ch))
		return (E_INVALIDARG);
	return (cancel_accept(ch) ? S_OK : WS_E_INVALID_OPERATION);
}

HRESULT
WsCloseChannel(WS_CHANNEL *ch, const WS_ASYNC_CONTEXT *ctx, WS_ERROR *error)
{
	(void)ctx; /* completes synchronously, which the async model allows */
	if (!ws_channel_valid(ch))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the channel is NULL"));
	switch (state_of(ch)) {
	case WS_CHANNEL_STATE_CREATED:
	case WS_CHANNEL_STATE_OPEN:
	case WS_CHANNEL_STATE_FAULTED:
		if (ch->fd >= 0)
			close(ch->fd);
		ch->fd = -1;
		ch->state = WS_CHANNEL_STATE_CLOSED;
		return (S_OK);
	case WS_CHANNEL_STATE_CLOSED:
		/* As on Windows: closing twice is no error (Wine's
		 * test_WsOpenChannel expects S_OK). */
		return (S_OK);
	default:
		return (ws_error_fill(error, WS_E_INVALID_OPERATION, 0,
		    "the channel cannot be closed while accepting"));
	}
}

HRESULT
WsResetChannel(WS_CHANNEL *ch, WS_ERROR *error)
{
	WS_CHANNEL_STATE s;

	if (!ws_channel_valid(ch))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the channel is NULL"));
	s = state_of(ch);
	if (s != WS_CHANNEL_STATE_CREATED && s != WS_CHANNEL_STATE_CLOSED)
		return (ws_error_fill(error, WS_E_INVALID_OPERATION, 0,
		    "reset needs a CREATED or CLOSED channel"));
	ch->state = WS_CHANNEL_STATE_CREATED;
	memset(&ch->peer, 0, sizeof(ch->peer));
	ch->peerlen = 0;
	return (S_OK);
}

HRESULT
WsFreeChannel(WS_CHANNEL *ch)
{
	if (!ws_channel_valid(ch))
		return (E_INVALIDARG);
	if (state_of(ch) == WS_CHANNEL_STATE_ACCEPTING)
		return (WS_E_INVALID_OPERATION);
	if (ch->fd >= 0)
		close(ch->fd);
	ch->magic = 0;
	ws_free(ch);
	return (S_OK);
}

int
WslGetChannelFd(WS_CHANNEL *ch)
{
	return (ws_channel_valid(ch) && state_of(ch) == WS_CHANNEL_STATE_OPEN ?
	    ch->fd : -1);
}

int
WslDetachChannelFd(WS_CHANNEL *ch)
{
	int fd;

	if ((fd = WslGetChannelFd(ch)) < 0)
		return (-1);
	ch->fd = -1;
	ch->state = WS_CHANNEL_STATE_CLOSED;
	return (fd);
}

HRESULT
WslGetChannelPeer(WS_CHANNEL *ch, struct sockaddr_storage *ss,
    socklen_t *len)
{
	if (!ws_channel_valid(ch) || ss == NULL || len == NULL)
		return (E_INVALIDARG);
	if (state_of(ch) != WS_CHANNEL_STATE_OPEN &&
	    state_of(ch) != WS_CHANNEL_STATE_FAULTED)
		return (WS_E_INVALID_OPERATION);
	*ss = ch->peer;
	*len = ch->peerlen;
	return (S_OK);
}
