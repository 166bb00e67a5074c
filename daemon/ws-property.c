/* SPDX-License-Identifier: ISC */
/*
 * Listener properties.  As on Windows, every property is fixed when the
 * listener is created: STATE, CHANNEL_TYPE and CHANNEL_BINDING are
 * read-only, the others can only be given to WsCreateListener, and
 * WsSetListenerProperty refuses all of them with E_INVALIDARG.  Properties
 * survive WsResetListener.
 */
#include <stdio.h>
#include <string.h>

#include "ws-internal.h"

const char ws_pipe_dir_default[] = WSL_RUNSTATEDIR "/wsld";

void
ws_props_default(struct ws_props *p)
{
	memset(p, 0, sizeof(*p));
	p->backlog = SOMAXCONN;
	p->ip_version = WS_IP_VERSION_AUTO;
	p->callback_model = WS_LONG_CALLBACK;
	p->connect_timeout = 15000;
	p->close_timeout = 5000;
	p->to_header_matching = 0x17F;
	p->transport_url_matching = 0x17F;
	p->loops = 1;
	p->pipe_dir = ws_pipe_dir_default;
}

static bool
read_only(WS_LISTENER_PROPERTY_ID id)
{
	return (id == WS_LISTENER_PROPERTY_STATE ||
	    id == WS_LISTENER_PROPERTY_CHANNEL_TYPE ||
	    id == WS_LISTENER_PROPERTY_CHANNEL_BINDING ||
	    id == WS_LISTENER_PROPERTY_CUSTOM_LISTENER_INSTANCE);
}

static HRESULT
ulong_value(const WS_LISTENER_PROPERTY *p, ULONG *out, WS_ERROR *error)
{
	if (p->value == NULL || p->valueSize != sizeof(ULONG))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "property %d: the value must be a ULONG (%zu bytes)",
		    (int)p->id, sizeof(ULONG)));
	memcpy(out, p->value, sizeof(ULONG));
	return (S_OK);
}

HRESULT
ws_props_apply(struct ws_props *props, WS_CHANNEL_BINDING binding,
    const WS_LISTENER_PROPERTY *given, ULONG count, WS_ERROR *error)
{
	struct ws_props p = *props;
	const WS_LISTENER_PROPERTY *g;
	HRESULT hr;
	ULONG i, v = 0;

	(void)binding;
	if (count > 0 && given == NULL)
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "properties is NULL but the count is %u", (unsigned int)count));
	for (i = 0; i < count; i++) {
		g = &given[i];
		if (read_only(g->id))
			return (ws_error_fill(error, E_INVALIDARG, 0,
			    "property %d is read-only", (int)g->id));
		switch ((int)g->id) {
		case WSL_LISTENER_PROPERTY_PIPE_DIRECTORY:
			if (g->value == NULL || g->valueSize == 0 ||
			    g->valueSize > PATH_MAX ||
			    memchr(g->value, '\0', g->valueSize) !=
				(const char *)g->value + g->valueSize - 1 ||
			    *(const char *)g->value != '/')
				return (ws_error_fill(error, E_INVALIDARG, 0,
				    "the pipe directory must be an absolute "
				    "path, NUL-terminated"));
			p.pipe_dir = g->value; /* copied by the create */
			continue;
		case WSL_LISTENER_PROPERTY_DEDICATED_LOOP:
			if (g->value == NULL || g->valueSize != sizeof(BOOL))
				return (ws_error_fill(error, E_INVALIDARG, 0,
				    "DEDICATED_LOOP must be a BOOL"));
			p.dedicated_loop = *(const BOOL *)g->value != FALSE;
			continue;
		case WS_LISTENER_PROPERTY_IS_MULTICAST:
			if (g->value == NULL || g->valueSize != sizeof(BOOL))
				return (ws_error_fill(error, E_INVALIDARG, 0,
				    "IS_MULTICAST must be a BOOL"));
			if (*(const BOOL *)g->value)
				return (ws_error_fill(error, E_INVALIDARG, 0,
				    "multicast listeners are not supported"));
			continue;
		case WS_LISTENER_PROPERTY_LISTEN_BACKLOG:
		case WS_LISTENER_PROPERTY_IP_VERSION:
		case WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL:
		case WS_LISTENER_PROPERTY_CONNECT_TIMEOUT:
		case WS_LISTENER_PROPERTY_CLOSE_TIMEOUT:
		case WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS:
		case WS_LISTENER_PROPERTY_TRANSPORT_URL_MATCHING_OPTIONS:
		case WSL_LISTENER_PROPERTY_LOOPS:
			break;
		default:
			return (ws_error_fill(error, E_INVALIDARG, 0,
			    "property %d is not supported", (int)g->id));
		}
		if (FAILED(hr = ulong_value(g, &v, error)))
			return (hr);
		switch (g->id) {
		case WS_LISTENER_PROPERTY_LISTEN_BACKLOG:
			if (v == 0 || v > INT32_MAX)
				return (ws_error_fill(error, E_INVALIDARG, 0,
				    "LISTEN_BACKLOG must be from 1 to "
				    "2147483647"));
			p.backlog = v;
			break;
		case WS_LISTENER_PROPERTY_IP_VERSION:
			if (v < WS_IP_VERSION_4 || v > WS_IP_VERSION_AUTO)
				return (ws_error_fill(error, E_INVALIDARG, 0,
				    "IP_VERSION must be 1 (4), 2 (6) or 3 (AUTO)"));
			p.ip_version = (WS_IP_VERSION)v;
			break;
		case WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL:
			if (v > WS_LONG_CALLBACK)
				return (ws_error_fill(error, E_INVALIDARG, 0,
				    "ASYNC_CALLBACK_MODEL must be 0 or 1"));
			p.callback_model = (WS_CALLBACK_MODEL)v;
			break;
		case WS_LISTENER_PROPERTY_CONNECT_TIMEOUT:
			p.connect_timeout = v;
			break;
		case WS_LISTENER_PROPERTY_CLOSE_TIMEOUT:
			p.close_timeout = v;
			break;
		case WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS:
			p.to_header_matching = v;
			break;
		case WSL_LISTENER_PROPERTY_LOOPS:
			if (v > WSL_LOOPS_MAX)
				return (ws_error_fill(error, E_INVALIDARG, 0,
				    "LOOPS must be from 0 (all) to %d",
				    WSL_LOOPS_MAX));
			p.loops = v;
			break;
		default:
			p.transport_url_matching = v;
			break;
		}
	}
	/* Datagrams have no accept to spread: their sessions live on the
	 * loop that reads the socket. */
	if (p.loops != 1 && binding == WS_UDP_CHANNEL_BINDING)
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "a UDP listener runs on one loop (LOOPS must be 1)"));
	if (p.loops != 1 && p.dedicated_loop)
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "a listener on a dedicated loop runs on that loop only "
		    "(LOOPS must be 1)"));
	*props = p;
	return (S_OK);
}

static HRESULT
put(void *buf, ULONG size, const void *v, size_t vsize, WS_ERROR *error)
{
	if (buf == NULL || size != vsize)
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the buffer must be exactly %zu bytes", vsize));
	memcpy(buf, v, vsize);
	return (S_OK);
}

HRESULT
WsGetListenerProperty(WS_LISTENER *l, WS_LISTENER_PROPERTY_ID id, void *buf,
    ULONG size, WS_ERROR *error)
{
	WS_LISTENER_STATE state;
	ULONG v;

	if (!ws_listener_valid(l))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the listener handle is not valid"));
	switch ((int)id) {
	case WS_LISTENER_PROPERTY_LISTEN_BACKLOG:
		return (put(buf, size, &l->props.backlog, sizeof(ULONG), error));
	case WS_LISTENER_PROPERTY_IP_VERSION:
		return (put(buf, size, &l->props.ip_version, sizeof(WS_IP_VERSION),
		    error));
	case WS_LISTENER_PROPERTY_STATE:
		pthread_mutex_lock(&l->mu);
		state = l->state;
		pthread_mutex_unlock(&l->mu);
		return (put(buf, size, &state, sizeof(state), error));
	case WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL:
		return (put(buf, size, &l->props.callback_model,
		    sizeof(WS_CALLBACK_MODEL), error));
	case WS_LISTENER_PROPERTY_CHANNEL_TYPE:
		return (put(buf, size, &l->type, sizeof(l->type), error));
	case WS_LISTENER_PROPERTY_CHANNEL_BINDING:
		return (put(buf, size, &l->binding, sizeof(l->binding), error));
	case WS_LISTENER_PROPERTY_CONNECT_TIMEOUT:
		return (put(buf, size, &l->props.connect_timeout, sizeof(ULONG),
		    error));
	case WS_LISTENER_PROPERTY_IS_MULTICAST:
		v = FALSE;
		return (put(buf, size, &v, sizeof(BOOL), error));
	case WS_LISTENER_PROPERTY_CLOSE_TIMEOUT:
		return (put(buf, size, &l->props.close_timeout, sizeof(ULONG),
		    error));
	case WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS:
		return (put(buf, size, &l->props.to_header_matching,
		    sizeof(ULONG), error));
	case WS_LISTENER_PROPERTY_TRANSPORT_URL_MATCHING_OPTIONS:
		return (put(buf, size, &l->props.transport_url_matching,
		    sizeof(ULONG), error));
	case WSL_LISTENER_PROPERTY_DEDICATED_LOOP:
		v = l->props.dedicated_loop;
		return (put(buf, size, &v, sizeof(BOOL), error));
	case WSL_LISTENER_PROPERTY_LOOPS:
		v = l->n_lanes; /* as placed: clamped to the pool */
		return (put(buf, size, &v, sizeof(ULONG), error));
	case WSL_LISTENER_PROPERTY_PIPE_DIRECTORY:
		if (buf == NULL || size < strlen(l->props.pipe_dir) + 1)
			return (ws_error_fill(error, E_INVALIDARG, 0,
			    "the buffer is too small"));
		memcpy(buf, l->props.pipe_dir, strlen(l->props.pipe_dir) + 1);
		return (S_OK);
	}
	return (ws_error_fill(error, E_INVALIDARG, 0,
	    "property %d is not supported", (int)id));
}

HRESULT
WsSetListenerProperty(WS_LISTENER *l, WS_LISTENER_PROPERTY_ID id,
    const void *buf, ULONG size, WS_ERROR *error)
{
	(void)buf;
	(void)size;
	if (!ws_listener_valid(l))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the listener handle is not valid"));
	if (read_only(id))
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "property %d is read-only", (int)id));
	switch ((int)id) {
	case WS_LISTENER_PROPERTY_LISTEN_BACKLOG:
	case WS_LISTENER_PROPERTY_IP_VERSION:
	case WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL:
	case WS_LISTENER_PROPERTY_CONNECT_TIMEOUT:
	case WS_LISTENER_PROPERTY_IS_MULTICAST:
	case WS_LISTENER_PROPERTY_CLOSE_TIMEOUT:
	case WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS:
	case WS_LISTENER_PROPERTY_TRANSPORT_URL_MATCHING_OPTIONS:
	case WSL_LISTENER_PROPERTY_PIPE_DIRECTORY:
	case WSL_LISTENER_PROPERTY_DEDICATED_LOOP:
	case WSL_LISTENER_PROPERTY_LOOPS:
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "property %d can only be given when the listener is "
		    "created", (int)id));
	}
	return (ws_error_fill(error, E_INVALIDARG, 0,
	    "property %d is not supported", (int)id));
}
