/* SPDX-License-Identifier: ISC */
/*
 * Listener properties and the arguments of the listener calls: the Wine
 * conformance checklist 6.1 (creation and properties), 6.2 (open and close
 * arguments, wildcard host, reopening a port) and 6.3 (reset rules, and
 * create-time properties surviving open/close/reset), plus the defaults,
 * create-time validation (values, sizes, read-only and unsupported ids,
 * channel type and binding pairs, custom bindings, security descriptions),
 * WsSetListenerProperty refusing every id in every state, the backlog
 * really reaching listen(2), and IP_VERSION restricting the address family.
 */
#include <sys/socket.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define TCP_STATE_LISTEN 10 /* TCP_LISTEN in the kernel's numbering */

static const char pipe_dir[] = "/tmp";

static WS_LISTENER *
create_with(WS_CHANNEL_BINDING b, const WS_LISTENER_PROPERTY *p, ULONG n)
{
	WS_LISTENER *l = NULL;

	assert_int_equal(WsCreateListener(channel_type_for(b), b, p, n, NULL,
	    &l, NULL), S_OK);
	assert_non_null(l);
	return (l);
}

static WS_LISTENER *
create_tcp_with_ulong(WS_LISTENER_PROPERTY_ID id, ULONG v)
{
	WS_LISTENER_PROPERTY p = { id, &v, sizeof(v) };

	return (create_with(WS_TCP_CHANNEL_BINDING, &p, 1));
}

/* Create must fail with hr and leave the out-pointer alone. */
static void
assert_create_fails(WS_CHANNEL_TYPE type, WS_CHANNEL_BINDING b,
    const WS_LISTENER_PROPERTY *p, ULONG n,
    const WS_SECURITY_DESCRIPTION *sec, HRESULT want)
{
	WS_LISTENER *sentinel = (WS_LISTENER *)(uintptr_t)0x1, *l = sentinel;
	HRESULT hr;

	hr = WsCreateListener(type, b, p, n, sec, &l, NULL);
	if (hr != want)
		fail_msg("WsCreateListener(type 0x%x, binding %d, property %d) "
		    "returned 0x%08X, expected 0x%08X", (unsigned int)type, (int)b,
		    n > 0 && p != NULL ? (int)p[0].id : -1, (unsigned int)hr,
		    (unsigned int)want);
	assert_ptr_equal(l, sentinel);
}

static void
assert_create_ulong_fails(WS_LISTENER_PROPERTY_ID id, ULONG v)
{
	WS_LISTENER_PROPERTY p = { id, &v, sizeof(v) };

	assert_create_fails(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, &p, 1, NULL, E_INVALIDARG);
}

static ULONG
get_ulong(WS_LISTENER *l, WS_LISTENER_PROPERTY_ID id)
{
	ULONG v = 0xcccccccc;

	assert_int_equal(WsGetListenerProperty(l, id, &v, sizeof(v), NULL),
	    S_OK);
	return (v);
}

/* Open on loopback, port 0, and return the port the kernel chose. */
static int
open_any_port(WS_LISTENER *l)
{
	WS_STRING url = url_of("net.tcp://127.0.0.1:0/");
	int port;

	assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
	port = port_of(l);
	assert_true(port > 0 && port < 65536);
	return (port);
}

/* A port nobody listens on right now. */
static int
free_port(void)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	int port = open_any_port(l);

	listener_finish(l);
	return (port);
}

/* Every property value of a listener, to show that nothing changed. */
struct snapshot {
	ULONG backlog, ip_version, callback_model, connect_timeout;
	ULONG close_timeout, to_header, transport_url;
	WS_CHANNEL_TYPE type;
	WS_CHANNEL_BINDING binding;
	BOOL multicast;
	char pipe_dir[256];
};

static void
snapshot(WS_LISTENER *l, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->backlog = get_ulong(l, WS_LISTENER_PROPERTY_LISTEN_BACKLOG);
	s->ip_version = get_ulong(l, WS_LISTENER_PROPERTY_IP_VERSION);
	s->callback_model = get_ulong(l,
	    WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL);
	s->connect_timeout = get_ulong(l, WS_LISTENER_PROPERTY_CONNECT_TIMEOUT);
	s->close_timeout = get_ulong(l, WS_LISTENER_PROPERTY_CLOSE_TIMEOUT);
	s->to_header = get_ulong(l,
	    WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS);
	s->transport_url = get_ulong(l,
	    WS_LISTENER_PROPERTY_TRANSPORT_URL_MATCHING_OPTIONS);
	assert_int_equal(WsGetListenerProperty(l,
	    WS_LISTENER_PROPERTY_CHANNEL_TYPE, &s->type, sizeof(s->type), NULL),
	    S_OK);
	assert_int_equal(WsGetListenerProperty(l,
	    WS_LISTENER_PROPERTY_CHANNEL_BINDING, &s->binding,
	    sizeof(s->binding), NULL), S_OK);
	assert_int_equal(WsGetListenerProperty(l,
	    WS_LISTENER_PROPERTY_IS_MULTICAST, &s->multicast,
	    sizeof(s->multicast), NULL), S_OK);
	assert_int_equal(WsGetListenerProperty(l,
	    WSL_LISTENER_PROPERTY_PIPE_DIRECTORY, s->pipe_dir,
	    sizeof(s->pipe_dir), NULL), S_OK);
}

static void
assert_same_snapshot(const struct snapshot *a, const struct snapshot *b)
{
	assert_int_equal(a->backlog, b->backlog);
	assert_int_equal(a->ip_version, b->ip_version);
	assert_int_equal(a->callback_model, b->callback_model);
	assert_int_equal(a->connect_timeout, b->connect_timeout);
	assert_int_equal(a->close_timeout, b->close_timeout);
	assert_int_equal(a->to_header, b->to_header);
	assert_int_equal(a->transport_url, b->transport_url);
	assert_int_equal(a->type, b->type);
	assert_int_equal(a->binding, b->binding);
	assert_int_equal(a->multicast, b->multicast);
	assert_string_equal(a->pipe_dir, b->pipe_dir);
}

/*
 * 6.1 Creation and properties.
 */

/* 1 */
static void
test_create_with_null_out_pointer_is_invalidarg(void **state)
{
	(void)state;
	assert_int_equal(WsCreateListener(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, NULL, 0, NULL, NULL, NULL), E_INVALIDARG);
}

/* 2, 8 */
static void
test_create_tcp_without_properties_is_created(void **state)
{
	WS_LISTENER *l = NULL;

	(void)state;
	assert_int_equal(WsCreateListener(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, NULL, 0, NULL, &l, NULL), S_OK);
	assert_non_null(l);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	listener_finish(l);
}

/* 3 */
static void
test_set_listen_backlog_is_invalidarg(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	ULONG v = 1000;

	(void)state;
	assert_int_equal(WsSetListenerProperty(l,
	    WS_LISTENER_PROPERTY_LISTEN_BACKLOG, &v, sizeof(v), NULL),
	    E_INVALIDARG);
	assert_int_equal(get_ulong(l, WS_LISTENER_PROPERTY_LISTEN_BACKLOG),
	    SOMAXCONN);
	listener_finish(l);
}

/* 4 */
static void
test_set_ip_version_is_invalidarg(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_IP_VERSION v = WS_IP_VERSION_4;

	(void)state;
	assert_int_equal(WsSetListenerProperty(l,
	    WS_LISTENER_PROPERTY_IP_VERSION, &v, sizeof(v), NULL), E_INVALIDARG);
	assert_int_equal(get_ulong(l, WS_LISTENER_PROPERTY_IP_VERSION),
	    WS_IP_VERSION_AUTO);
	listener_finish(l);
}

/* 5, 6, for every binding */
static void
test_channel_type_and_binding_read_back(void **state)
{
	static const struct {
		WS_CHANNEL_TYPE type;
		WS_CHANNEL_BINDING binding;
	} pairs[] = {
		{ WS_CHANNEL_TYPE_REPLY, WS_HTTP_CHANNEL_BINDING },
		{ WS_CHANNEL_TYPE_DUPLEX_SESSION, WS_TCP_CHANNEL_BINDING },
		{ WS_CHANNEL_TYPE_DUPLEX, WS_UDP_CHANNEL_BINDING },
		{ WS_CHANNEL_TYPE_INPUT, WS_UDP_CHANNEL_BINDING },
		{ WS_CHANNEL_TYPE_DUPLEX_SESSION, WS_NAMEDPIPE_CHANNEL_BINDING },
	};
	WS_CHANNEL_BINDING b;
	WS_CHANNEL_TYPE t;
	WS_LISTENER *l;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		l = NULL;
		assert_int_equal(WsCreateListener(pairs[i].type,
		    pairs[i].binding, NULL, 0, NULL, &l, NULL), S_OK);
		t = (WS_CHANNEL_TYPE)0xcc;
		b = (WS_CHANNEL_BINDING)0xcc;
		assert_int_equal(WsGetListenerProperty(l,
		    WS_LISTENER_PROPERTY_CHANNEL_TYPE, &t, sizeof(t), NULL),
		    S_OK);
		assert_int_equal(t, pairs[i].type);
		assert_int_equal(WsGetListenerProperty(l,
		    WS_LISTENER_PROPERTY_CHANNEL_BINDING, &b, sizeof(b), NULL),
		    S_OK);
		assert_int_equal(b, pairs[i].binding);
		listener_finish(l);
	}
}

/* 7 */
static void
test_ip_version_defaults_to_auto(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_IP_VERSION v = (WS_IP_VERSION)0;

	(void)state;
	assert_int_equal(WsGetListenerProperty(l,
	    WS_LISTENER_PROPERTY_IP_VERSION, &v, sizeof(v), NULL), S_OK);
	assert_int_equal(v, WS_IP_VERSION_AUTO);
	assert_int_equal(v, 3);
	listener_finish(l);
}

/* 9 */
static void
test_set_state_is_invalidarg(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_LISTENER_STATE v = WS_LISTENER_STATE_CREATED;

	(void)state;
	assert_int_equal(WsSetListenerProperty(l, WS_LISTENER_PROPERTY_STATE,
	    &v, sizeof(v), NULL), E_INVALIDARG);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	listener_finish(l);
}

/* 10 */
static void
test_create_with_connect_timeout(void **state)
{
	WS_LISTENER *l;

	(void)state;
	l = create_tcp_with_ulong(WS_LISTENER_PROPERTY_CONNECT_TIMEOUT, 1000);
	assert_int_equal(get_ulong(l, WS_LISTENER_PROPERTY_CONNECT_TIMEOUT),
	    1000);
	listener_finish(l);
}

static void
test_property_defaults(void **state)
{
	WS_LISTENER *l = NULL;
	WS_CALLBACK_MODEL model = (WS_CALLBACK_MODEL)7;
	BOOL multicast = 7;

	(void)state;
	assert_int_equal(WsCreateListener(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, NULL, 0, NULL, &l, NULL), S_OK);
	assert_int_equal(get_ulong(l, WS_LISTENER_PROPERTY_LISTEN_BACKLOG),
	    SOMAXCONN);
	assert_int_equal(get_ulong(l, WS_LISTENER_PROPERTY_IP_VERSION),
	    WS_IP_VERSION_AUTO);
	assert_int_equal(WsGetListenerProperty(l,
	    WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL, &model, sizeof(model),
	    NULL), S_OK);
	assert_int_equal(model, WS_LONG_CALLBACK);
	assert_int_equal(get_ulong(l, WS_LISTENER_PROPERTY_CONNECT_TIMEOUT),
	    15000);
	assert_int_equal(get_ulong(l, WS_LISTENER_PROPERTY_CLOSE_TIMEOUT),
	    5000);
	assert_int_equal(get_ulong(l,
	    WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS), 0x17F);
	assert_int_equal(get_ulong(l,
	    WS_LISTENER_PROPERTY_TRANSPORT_URL_MATCHING_OPTIONS), 0x17F);
	assert_int_equal(WsGetListenerProperty(l,
	    WS_LISTENER_PROPERTY_IS_MULTICAST, &multicast, sizeof(multicast),
	    NULL), S_OK);
	assert_int_equal(multicast, FALSE);
	listener_finish(l);
}

/* Every create-time property given reads back as given. */
static void
test_create_time_properties_read_back(void **state)
{
	ULONG backlog = 2, ip = WS_IP_VERSION_4, model = WS_SHORT_CALLBACK;
	ULONG connect = INFINITE, close_ = 2500, to = 0x40, transport = 0x80;
	BOOL multicast = FALSE;
	WS_LISTENER_PROPERTY p[] = {
		{ WS_LISTENER_PROPERTY_LISTEN_BACKLOG, &backlog, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_IP_VERSION, &ip, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL, &model,
		    sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_CONNECT_TIMEOUT, &connect, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_CLOSE_TIMEOUT, &close_, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS, &to,
		    sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_TRANSPORT_URL_MATCHING_OPTIONS,
		    &transport, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_IS_MULTICAST, &multicast, sizeof(BOOL) },
		{ WSL_LISTENER_PROPERTY_PIPE_DIRECTORY, (void *)pipe_dir,
		    sizeof(pipe_dir) },
	};
	struct snapshot s;
	WS_LISTENER *l;

	(void)state;
	l = create_with(WS_TCP_CHANNEL_BINDING, p, sizeof(p) / sizeof(p[0]));
	snapshot(l, &s);
	assert_int_equal(s.backlog, 2);
	assert_int_equal(s.ip_version, WS_IP_VERSION_4);
	assert_int_equal(s.callback_model, WS_SHORT_CALLBACK);
	assert_int_equal(s.connect_timeout, INFINITE);
	assert_int_equal(s.close_timeout, 2500);
	assert_int_equal(s.to_header, 0x40);
	assert_int_equal(s.transport_url, 0x80);
	assert_int_equal(s.multicast, FALSE);
	assert_string_equal(s.pipe_dir, pipe_dir);
	listener_finish(l);
}

/* The last of several values given for one id wins. */
static void
test_create_with_a_repeated_property_keeps_the_last(void **state)
{
	ULONG first = 1000, second = 2000;
	WS_LISTENER_PROPERTY p[] = {
		{ WS_LISTENER_PROPERTY_CONNECT_TIMEOUT, &first, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_CONNECT_TIMEOUT, &second, sizeof(ULONG) },
	};
	WS_LISTENER *l;

	(void)state;
	l = create_with(WS_TCP_CHANNEL_BINDING, p, 2);
	assert_int_equal(get_ulong(l, WS_LISTENER_PROPERTY_CONNECT_TIMEOUT),
	    2000);
	listener_finish(l);
}

static const struct {
	WS_LISTENER_PROPERTY_ID id;
	ULONG size;
} gettable[] = {
	{ WS_LISTENER_PROPERTY_LISTEN_BACKLOG, sizeof(ULONG) },
	{ WS_LISTENER_PROPERTY_IP_VERSION, sizeof(WS_IP_VERSION) },
	{ WS_LISTENER_PROPERTY_STATE, sizeof(WS_LISTENER_STATE) },
	{ WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL, sizeof(WS_CALLBACK_MODEL) },
	{ WS_LISTENER_PROPERTY_CHANNEL_TYPE, sizeof(WS_CHANNEL_TYPE) },
	{ WS_LISTENER_PROPERTY_CHANNEL_BINDING, sizeof(WS_CHANNEL_BINDING) },
	{ WS_LISTENER_PROPERTY_CONNECT_TIMEOUT, sizeof(ULONG) },
	{ WS_LISTENER_PROPERTY_IS_MULTICAST, sizeof(BOOL) },
	{ WS_LISTENER_PROPERTY_CLOSE_TIMEOUT, sizeof(ULONG) },
	{ WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS, sizeof(ULONG) },
	{ WS_LISTENER_PROPERTY_TRANSPORT_URL_MATCHING_OPTIONS, sizeof(ULONG) },
};

static void
test_get_with_wrong_size_or_null_buffer_is_invalidarg(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_ERROR *e = NULL;
	unsigned char buf[16];
	char small[sizeof(pipe_dir) - 1];
	ULONG n = 0, size, sizes[4];
	size_t i, j, k;

	(void)state;
	assert_int_equal(WsCreateError(NULL, 0, &e), S_OK);
	for (i = 0; i < sizeof(gettable) / sizeof(gettable[0]); i++) {
		size = gettable[i].size;
		sizes[0] = 0;
		sizes[1] = size - 1;
		sizes[2] = size + 1;
		sizes[3] = sizeof(buf);
		for (j = 0; j < 4; j++) {
			memset(buf, 0xa5, sizeof(buf));
			if (WsGetListenerProperty(l, gettable[i].id, buf,
			    sizes[j], e) != E_INVALIDARG)
				fail_msg("property %d, size %u: not E_INVALIDARG",
				    (int)gettable[i].id, (unsigned int)sizes[j]);
			for (k = 0; k < sizeof(buf); k++)
				if (buf[k] != 0xa5)
					fail_msg("property %d, size %u: buffer "
					    "written", (int)gettable[i].id,
					    (unsigned int)sizes[j]);
		}
		assert_int_equal(WsGetListenerProperty(l, gettable[i].id, NULL,
		    size, e), E_INVALIDARG);
		/* Exactly the right size works. */
		assert_int_equal(WsGetListenerProperty(l, gettable[i].id, buf,
		    size, e), S_OK);
	}
	/* The pipe directory needs room for its NUL. */
	memset(small, 'x', sizeof(small));
	assert_int_equal(WsGetListenerProperty(l,
	    WSL_LISTENER_PROPERTY_PIPE_DIRECTORY, small, sizeof(small), e),
	    E_INVALIDARG);
	assert_int_equal(WsGetListenerProperty(l,
	    WSL_LISTENER_PROPERTY_PIPE_DIRECTORY, NULL, 256, e), E_INVALIDARG);
	/* Every failure explained itself; no success added a string. */
	assert_int_equal(WsGetErrorProperty(e, WS_ERROR_PROPERTY_STRING_COUNT,
	    &n, sizeof(n)), S_OK);
	assert_int_equal(n, sizeof(gettable) / sizeof(gettable[0]) * 5 + 2);
	WsFreeError(e);
	listener_finish(l);
}

static void
test_get_unsupported_property_is_invalidarg(void **state)
{
	static const WS_LISTENER_PROPERTY_ID ids[] = {
		WS_LISTENER_PROPERTY_DISALLOWED_USER_AGENT,
		(WS_LISTENER_PROPERTY_ID)17,
		(WS_LISTENER_PROPERTY_ID)0x7fffffff,
	};
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	unsigned char buf[64];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		memset(buf, 0xa5, sizeof(buf));
		assert_int_equal(WsGetListenerProperty(l, ids[i], buf,
		    sizeof(buf), NULL), E_INVALIDARG);
		for (j = 0; j < sizeof(buf); j++)
			assert_int_equal(buf[j], 0xa5);
	}
	listener_finish(l);
}

static void
test_get_or_set_on_null_listener_is_invalidarg(void **state)
{
	ULONG v = 0xdeadbeef;

	(void)state;
	assert_int_equal(WsGetListenerProperty(NULL,
	    WS_LISTENER_PROPERTY_LISTEN_BACKLOG, &v, sizeof(v), NULL),
	    E_INVALIDARG);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(WsSetListenerProperty(NULL,
	    WS_LISTENER_PROPERTY_LISTEN_BACKLOG, &v, sizeof(v), NULL),
	    E_INVALIDARG);
}

/*
 * WsSetListenerProperty refuses every id, in every state, and changes
 * nothing.
 */
static void
assert_nothing_settable(WS_LISTENER *l)
{
	static const struct {
		WS_LISTENER_PROPERTY_ID id;
		ULONG size;
	} ids[] = {
		{ WS_LISTENER_PROPERTY_LISTEN_BACKLOG, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_IP_VERSION, sizeof(WS_IP_VERSION) },
		{ WS_LISTENER_PROPERTY_STATE, sizeof(WS_LISTENER_STATE) },
		{ WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL,
		    sizeof(WS_CALLBACK_MODEL) },
		{ WS_LISTENER_PROPERTY_CHANNEL_TYPE, sizeof(WS_CHANNEL_TYPE) },
		{ WS_LISTENER_PROPERTY_CHANNEL_BINDING,
		    sizeof(WS_CHANNEL_BINDING) },
		{ WS_LISTENER_PROPERTY_CONNECT_TIMEOUT, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_IS_MULTICAST, sizeof(BOOL) },
		{ WS_LISTENER_PROPERTY_MULTICAST_INTERFACES, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_MULTICAST_LOOPBACK, sizeof(BOOL) },
		{ WS_LISTENER_PROPERTY_CLOSE_TIMEOUT, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS,
		    sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_TRANSPORT_URL_MATCHING_OPTIONS,
		    sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_CUSTOM_LISTENER_CALLBACKS,
		    10 * sizeof(void *) },
		{ WS_LISTENER_PROPERTY_CUSTOM_LISTENER_PARAMETERS, 8 },
		{ WS_LISTENER_PROPERTY_CUSTOM_LISTENER_INSTANCE,
		    sizeof(void *) },
		{ WS_LISTENER_PROPERTY_DISALLOWED_USER_AGENT,
		    sizeof(ULONG) + sizeof(void *) },
		{ WSL_LISTENER_PROPERTY_PIPE_DIRECTORY, sizeof(pipe_dir) },
		{ (WS_LISTENER_PROPERTY_ID)17, sizeof(ULONG) },
	};
	struct snapshot before, after;
	WS_LISTENER_STATE s = state_of(l);
	union {
		ULONG u;
		char text[sizeof(pipe_dir)];
		unsigned char raw[80];
	} value;
	WS_ERROR *e = NULL;
	ULONG n = 0;
	HRESULT hr;
	size_t i;

	assert_int_equal(WsCreateError(NULL, 0, &e), S_OK);
	snapshot(l, &before);
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		memset(&value, 0, sizeof(value));
		if (ids[i].id == WSL_LISTENER_PROPERTY_PIPE_DIRECTORY)
			memcpy(value.text, pipe_dir, sizeof(pipe_dir));
		else
			value.u = 1; /* valid for every ULONG id */
		hr = WsSetListenerProperty(l, ids[i].id, &value, ids[i].size, e);
		if (hr != E_INVALIDARG)
			fail_msg("setting property %d in state %d returned "
			    "0x%08X", (int)ids[i].id, (int)s, (unsigned int)hr);
		assert_int_equal(state_of(l), s);
	}
	snapshot(l, &after);
	assert_same_snapshot(&before, &after);
	assert_int_equal(WsGetErrorProperty(e, WS_ERROR_PROPERTY_STRING_COUNT,
	    &n, sizeof(n)), S_OK);
	assert_int_equal(n, sizeof(ids) / sizeof(ids[0]));
	WsFreeError(e);
}

static void
test_set_any_property_is_invalidarg_when_created(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);

	(void)state;
	assert_nothing_settable(l);
	listener_finish(l);
}

static void
test_set_any_property_is_invalidarg_when_opening(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	WS_ASYNC_CONTEXT ctx;
	struct gate g;
	struct done d;

	(void)state;
	done_init(&d, l);
	ctx = done_ctx(&d);
	gate_close(&g, l);
	assert_int_equal(WsOpenListener(l, &url, &ctx, NULL), WS_S_ASYNC);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_OPENING);
	assert_nothing_settable(l);
	gate_open(&g);
	assert_int_equal(done_wait(&d, 1), S_OK);
	done_destroy(&d);
	listener_finish(l);
}

static void
test_set_any_property_is_invalidarg_when_open(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);

	(void)state;
	(void)open_any_port(l);
	assert_nothing_settable(l);
	listener_finish(l);
}

static void
test_set_any_property_is_invalidarg_when_faulted(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);

	(void)state;
	(void)open_any_port(l);
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_FAULTED);
	assert_nothing_settable(l);
	listener_finish(l);
}

static void
test_set_any_property_is_invalidarg_when_closing(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_ASYNC_CONTEXT ctx;
	struct gate g;
	struct done d;

	(void)state;
	(void)open_any_port(l);
	done_init(&d, l);
	ctx = done_ctx(&d);
	gate_close(&g, l);
	assert_int_equal(WsCloseListener(l, &ctx, NULL), WS_S_ASYNC);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CLOSING);
	assert_nothing_settable(l);
	gate_open(&g);
	assert_int_equal(done_wait(&d, 1), S_OK);
	done_destroy(&d);
	listener_finish(l);
}

static void
test_set_any_property_is_invalidarg_when_closed(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);

	(void)state;
	(void)open_any_port(l);
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	assert_nothing_settable(l);
	listener_finish(l);
}

/*
 * Create-time validation.
 */

static void
test_create_with_zero_backlog_is_invalidarg(void **state)
{
	(void)state;
	assert_create_ulong_fails(WS_LISTENER_PROPERTY_LISTEN_BACKLOG, 0);
	assert_create_ulong_fails(WS_LISTENER_PROPERTY_LISTEN_BACKLOG,
	    0x80000000u);
}

static void
test_create_with_bad_ip_version_is_invalidarg(void **state)
{
	(void)state;
	assert_create_ulong_fails(WS_LISTENER_PROPERTY_IP_VERSION, 7);
	assert_create_ulong_fails(WS_LISTENER_PROPERTY_IP_VERSION, 0);
	assert_create_ulong_fails(WS_LISTENER_PROPERTY_IP_VERSION, 4);
}

static void
test_create_with_bad_callback_model_is_invalidarg(void **state)
{
	(void)state;
	assert_create_ulong_fails(WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL, 2);
}

static void
test_create_with_read_only_property_is_invalidarg(void **state)
{
	(void)state;
	assert_create_ulong_fails(WS_LISTENER_PROPERTY_STATE,
	    WS_LISTENER_STATE_CREATED);
	assert_create_ulong_fails(WS_LISTENER_PROPERTY_CHANNEL_TYPE,
	    WS_CHANNEL_TYPE_DUPLEX_SESSION);
	assert_create_ulong_fails(WS_LISTENER_PROPERTY_CHANNEL_BINDING,
	    WS_TCP_CHANNEL_BINDING);
}

static void
test_create_with_multicast_is_invalidarg(void **state)
{
	BOOL on = TRUE, off = FALSE;
	WS_LISTENER_PROPERTY p = { WS_LISTENER_PROPERTY_IS_MULTICAST, &on,
		sizeof(on) };
	WS_LISTENER *l;

	(void)state;
	assert_create_fails(WS_CHANNEL_TYPE_DUPLEX, WS_UDP_CHANNEL_BINDING, &p,
	    1, NULL, E_INVALIDARG);
	assert_create_fails(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, &p, 1, NULL, E_INVALIDARG);
	/* FALSE is the default, and may be said. */
	p.value = &off;
	l = create_with(WS_UDP_CHANNEL_BINDING, &p, 1);
	listener_finish(l);
}

static void
test_create_with_wrong_value_size_is_invalidarg(void **state)
{
	static const WS_LISTENER_PROPERTY_ID ids[] = {
		WS_LISTENER_PROPERTY_LISTEN_BACKLOG,
		WS_LISTENER_PROPERTY_IP_VERSION,
		WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL,
		WS_LISTENER_PROPERTY_CONNECT_TIMEOUT,
		WS_LISTENER_PROPERTY_IS_MULTICAST,
		WS_LISTENER_PROPERTY_CLOSE_TIMEOUT,
		WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS,
		WS_LISTENER_PROPERTY_TRANSPORT_URL_MATCHING_OPTIONS,
	};
	static const ULONG sizes[] = { 0, 2, 8 };
	uint64_t v = 1;
	WS_LISTENER_PROPERTY p;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		p.id = ids[i];
		p.value = &v;
		for (j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			p.valueSize = sizes[j];
			assert_create_fails(WS_CHANNEL_TYPE_DUPLEX_SESSION,
			    WS_TCP_CHANNEL_BINDING, &p, 1, NULL, E_INVALIDARG);
		}
		/* The right size but no value. */
		p.value = NULL;
		p.valueSize = sizeof(ULONG);
		assert_create_fails(WS_CHANNEL_TYPE_DUPLEX_SESSION,
		    WS_TCP_CHANNEL_BINDING, &p, 1, NULL, E_INVALIDARG);
	}
}

static void
test_create_with_unsupported_property_is_invalidarg(void **state)
{
	(void)state;
	assert_create_ulong_fails(WS_LISTENER_PROPERTY_DISALLOWED_USER_AGENT, 0);
	assert_create_ulong_fails((WS_LISTENER_PROPERTY_ID)17, 0);
	assert_create_ulong_fails((WS_LISTENER_PROPERTY_ID)0x7fffffff, 0);
}

/* One bad property among good ones fails the whole create. */
static void
test_create_with_one_bad_property_among_good_ones_is_invalidarg(void **state)
{
	ULONG good = 1000, bad = 0;
	WS_LISTENER_PROPERTY p[] = {
		{ WS_LISTENER_PROPERTY_CONNECT_TIMEOUT, &good, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_LISTEN_BACKLOG, &bad, sizeof(ULONG) },
	};

	(void)state;
	assert_create_fails(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, p, 2, NULL, E_INVALIDARG);
}

static void
test_create_with_property_count_but_no_properties_is_invalidarg(void **state)
{
	(void)state;
	assert_create_fails(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, NULL, 1, NULL, E_INVALIDARG);
}

static void
test_channel_type_must_fit_the_binding(void **state)
{
	static const WS_CHANNEL_TYPE types[] = {
		WS_CHANNEL_TYPE_INPUT, WS_CHANNEL_TYPE_OUTPUT,
		WS_CHANNEL_TYPE_SESSION, WS_CHANNEL_TYPE_INPUT_SESSION,
		WS_CHANNEL_TYPE_OUTPUT_SESSION, WS_CHANNEL_TYPE_DUPLEX,
		WS_CHANNEL_TYPE_DUPLEX_SESSION, WS_CHANNEL_TYPE_REQUEST,
		WS_CHANNEL_TYPE_REPLY, (WS_CHANNEL_TYPE)0,
		(WS_CHANNEL_TYPE)0x20,
	};
	static const WS_CHANNEL_BINDING bindings[] = {
		WS_HTTP_CHANNEL_BINDING, WS_TCP_CHANNEL_BINDING,
		WS_UDP_CHANNEL_BINDING, WS_NAMEDPIPE_CHANNEL_BINDING,
	};
	WS_CHANNEL_TYPE t;
	WS_CHANNEL_BINDING b;
	WS_LISTENER *l;
	bool fits;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++) {
		b = bindings[i];
		for (j = 0; j < sizeof(types) / sizeof(types[0]); j++) {
			t = types[j];
			switch (b) {
			case WS_HTTP_CHANNEL_BINDING:
				fits = t == WS_CHANNEL_TYPE_REPLY;
				break;
			case WS_UDP_CHANNEL_BINDING:
				fits = t == WS_CHANNEL_TYPE_DUPLEX ||
				    t == WS_CHANNEL_TYPE_INPUT;
				break;
			default:
				fits = t == WS_CHANNEL_TYPE_DUPLEX_SESSION;
				break;
			}
			if (!fits) {
				assert_create_fails(t, b, NULL, 0, NULL,
				    E_INVALIDARG);
				continue;
			}
			l = NULL;
			assert_int_equal(WsCreateListener(t, b, NULL, 0, NULL,
			    &l, NULL), S_OK);
			listener_finish(l);
		}
	}
}

static void
test_unknown_binding_is_invalidarg(void **state)
{
	(void)state;
	assert_create_fails(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    (WS_CHANNEL_BINDING)5, NULL, 0, NULL, E_INVALIDARG);
	assert_create_fails(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    (WS_CHANNEL_BINDING)-1, NULL, 0, NULL, E_INVALIDARG);
}

static void
test_custom_binding_is_not_supported(void **state)
{
	(void)state;
	assert_create_fails(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_CUSTOM_CHANNEL_BINDING, NULL, 0, NULL, WS_E_NOT_SUPPORTED);
	assert_create_fails(WS_CHANNEL_TYPE_REPLY, WS_CUSTOM_CHANNEL_BINDING,
	    NULL, 0, NULL, WS_E_NOT_SUPPORTED);
}

static void
test_security_description_is_not_supported(void **state)
{
	static int anything;
	const WS_SECURITY_DESCRIPTION *sec =
	    (const WS_SECURITY_DESCRIPTION *)(uintptr_t)&anything;

	(void)state;
	assert_create_fails(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, NULL, 0, sec, WS_E_NOT_SUPPORTED);
	assert_create_fails(WS_CHANNEL_TYPE_REPLY, WS_HTTP_CHANNEL_BINDING,
	    NULL, 0, sec, WS_E_NOT_SUPPORTED);
}

/*
 * The backlog of the listening socket, as the kernel reports it
 * (sock_diag: for a listening TCP socket idiag_wqueue is the accept queue
 * limit given to listen(2)); -1 when sock_diag is not available.
 */
static long
kernel_backlog(int port)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl kernel;
	union {
		struct nlmsghdr h;
		char buf[16384];
	} u;
	struct nlmsghdr *h;
	struct inet_diag_msg *m;
	long found = -2;
	ssize_t n;
	int fd;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) < 0)
		return (-1);
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.r.sdiag_family = AF_INET;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = 1u << TCP_STATE_LISTEN;
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
	    sizeof(kernel)) < 0) {
		close(fd);
		return (-1);
	}
	for (;;) {
		if ((n = recv(fd, u.buf, sizeof(u.buf), 0)) <= 0) {
			close(fd);
			return (-1);
		}
		for (h = &u.h; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				close(fd);
				return (found == -2 ? -1 : found);
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				close(fd);
				return (-1);
			}
			m = NLMSG_DATA(h);
			if (ntohs(m->id.idiag_sport) == port &&
			    m->id.idiag_src[0] == htonl(INADDR_LOOPBACK))
				found = (long)m->idiag_wqueue;
		}
	}
}

static void
test_listen_backlog_reaches_listen(void **state)
{
	WS_LISTENER *l, *d;
	long got, limit = -1;
	FILE *f;

	(void)state;
	l = create_tcp_with_ulong(WS_LISTENER_PROPERTY_LISTEN_BACKLOG, 2);
	got = kernel_backlog(open_any_port(l));
	if (got == -1) {
		listener_finish(l);
		skip();
	}
	assert_int_equal(got, 2);
	listener_finish(l);

	/* A different value, so that 2 cannot be a coincidence. */
	l = create_tcp_with_ulong(WS_LISTENER_PROPERTY_LISTEN_BACKLOG, 7);
	assert_int_equal(kernel_backlog(open_any_port(l)), 7);
	listener_finish(l);

	/* The default asks for SOMAXCONN, which the kernel clamps to
	 * net.core.somaxconn. */
	d = listener_new(WS_TCP_CHANNEL_BINDING);
	got = kernel_backlog(open_any_port(d));
	if ((f = fopen("/proc/sys/net/core/somaxconn", "r")) != NULL) {
		if (fscanf(f, "%ld", &limit) != 1)
			limit = -1;
		fclose(f);
	}
	if (limit > 0)
		assert_int_equal(got, limit < SOMAXCONN ? limit : SOMAXCONN);
	else
		assert_true(got >= 1 && got <= SOMAXCONN);
	listener_finish(d);
}

/*
 * IP_VERSION restricts the address family.
 */
static void
test_ip_version_4_refuses_an_ipv6_literal(void **state)
{
	WS_STRING url = url_of("net.tcp://[::1]:0/");
	WSL_LISTENER_INFO info;
	WS_ERROR *e = NULL;
	WS_LISTENER *l;
	ULONG n = 0;

	(void)state;
	l = create_tcp_with_ulong(WS_LISTENER_PROPERTY_IP_VERSION,
	    WS_IP_VERSION_4);
	assert_int_equal(WsCreateError(NULL, 0, &e), S_OK);
	assert_int_equal(WsOpenListener(l, &url, NULL, e),
	    WS_E_ADDRESS_NOT_AVAILABLE);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	assert_int_equal(WsGetErrorProperty(e, WS_ERROR_PROPERTY_STRING_COUNT,
	    &n, sizeof(n)), S_OK);
	assert_true(n >= 1);
	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	assert_int_equal(info.lastError, WS_E_ADDRESS_NOT_AVAILABLE);
	assert_int_equal(info.port, -1);
	/* An IPv4 address is fine. */
	(void)open_any_port(l);
	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	assert_int_equal(info.family, AF_INET);
	WsFreeError(e);
	listener_finish(l);
}

static void
test_ip_version_6_refuses_an_ipv4_literal(void **state)
{
	WS_STRING v4 = url_of("net.tcp://127.0.0.1:0/");
	WS_STRING v6 = url_of("net.tcp://[::1]:0/");
	WSL_LISTENER_INFO info;
	WS_LISTENER *l;

	(void)state;
	l = create_tcp_with_ulong(WS_LISTENER_PROPERTY_IP_VERSION,
	    WS_IP_VERSION_6);
	assert_int_equal(WsOpenListener(l, &v4, NULL, NULL),
	    WS_E_ADDRESS_NOT_AVAILABLE);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	assert_int_equal(WsOpenListener(l, &v6, NULL, NULL), S_OK);
	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	assert_int_equal(info.family, AF_INET6);
	listener_finish(l);
}

/*
 * 6.2 Open and close: the arguments.
 */

/* 11, 13 */
static void
test_open_with_null_listener_or_url_is_invalidarg(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	WS_STRING broken = { 10, NULL };

	(void)state;
	assert_int_equal(WsOpenListener(NULL, NULL, NULL, NULL), E_INVALIDARG);
	assert_int_equal(WsOpenListener(l, NULL, NULL, NULL), E_INVALIDARG);
	assert_int_equal(WsOpenListener(NULL, &url, NULL, NULL), E_INVALIDARG);
	assert_int_equal(WsOpenListener(l, &broken, NULL, NULL), E_INVALIDARG);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	/* Nothing was spoilt. */
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
	listener_finish(l);
}

/* 12 */
static void
test_close_never_opened_listener_succeeds(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);

	(void)state;
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	assert_int_equal(WsFreeListener(l), S_OK);
}

/* 18 */
static void
test_close_null_listener_is_invalidarg(void **state)
{
	(void)state;
	assert_int_equal(WsCloseListener(NULL, NULL, NULL), E_INVALIDARG);
}

/* 14 */
static void
test_open_wildcard_host_with_path(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	int port = free_port();
	char buf[64];
	WS_STRING url;

	(void)state;
	snprintf(buf, sizeof(buf), "net.tcp://+:%d/path", port);
	url = url_of(buf);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_OPEN);
	assert_int_equal(port_of(l), port);
	listener_finish(l);
}

/* 17 */
static void
test_reopen_same_port_after_close_and_free(void **state)
{
	static const char *const forms[] = { "net.tcp://127.0.0.1:%d/",
		"net.tcp://localhost:%d", "net.tcp://127.0.0.1:%d" };
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	int port = open_any_port(l);
	char buf[64];
	WS_STRING url;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
		assert_int_equal(WsFreeListener(l), S_OK);
		l = listener_new(WS_TCP_CHANNEL_BINDING);
		snprintf(buf, sizeof(buf), forms[i], port);
		url = url_of(buf);
		assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
		assert_int_equal(port_of(l), port);
	}
	listener_finish(l);
}

/*
 * 6.3 Reset.
 */

/* 19 */
static void
test_reset_null_listener_is_invalidarg(void **state)
{
	(void)state;
	assert_int_equal(WsResetListener(NULL, NULL), E_INVALIDARG);
}

/* 20-24 */
static void
test_reset_rules(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);

	(void)state;
	assert_int_equal(WsResetListener(l, NULL), S_OK);            /* 20 */
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	(void)open_any_port(l);                                      /* 21 */
	assert_int_equal(WsResetListener(l, NULL),
	    WS_E_INVALID_OPERATION);                                 /* 22 */
	assert_int_equal(state_of(l), WS_LISTENER_STATE_OPEN);
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);      /* 23 */
	assert_int_equal(WsResetListener(l, NULL), S_OK);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);    /* 24 */
	/* And it opens again. */
	(void)open_any_port(l);
	listener_finish(l);
}

/* 25 */
static void
test_create_time_properties_survive_open_close_reset(void **state)
{
	ULONG connect = 1000, backlog = 3, ip = WS_IP_VERSION_4;
	ULONG model = WS_SHORT_CALLBACK, close_ = 777;
	WS_LISTENER_PROPERTY p[] = {
		{ WS_LISTENER_PROPERTY_CONNECT_TIMEOUT, &connect, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_LISTEN_BACKLOG, &backlog, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_IP_VERSION, &ip, sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL, &model,
		    sizeof(ULONG) },
		{ WS_LISTENER_PROPERTY_CLOSE_TIMEOUT, &close_, sizeof(ULONG) },
	};
	struct snapshot before, after;
	WS_LISTENER *l;

	(void)state;
	l = create_with(WS_TCP_CHANNEL_BINDING, p, sizeof(p) / sizeof(p[0]));
	snapshot(l, &before);
	assert_int_equal(before.connect_timeout, 1000);
	(void)open_any_port(l);
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	assert_int_equal(WsResetListener(l, NULL), S_OK);
	assert_int_equal(get_ulong(l, WS_LISTENER_PROPERTY_CONNECT_TIMEOUT),
	    1000);
	snapshot(l, &after);
	assert_same_snapshot(&before, &after);
	listener_finish(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_with_null_out_pointer_is_invalidarg),
		cmocka_unit_test(test_create_tcp_without_properties_is_created),
		cmocka_unit_test(test_set_listen_backlog_is_invalidarg),
		cmocka_unit_test(test_set_ip_version_is_invalidarg),
		cmocka_unit_test(test_channel_type_and_binding_read_back),
		cmocka_unit_test(test_ip_version_defaults_to_auto),
		cmocka_unit_test(test_set_state_is_invalidarg),
		cmocka_unit_test(test_create_with_connect_timeout),
		cmocka_unit_test(test_property_defaults),
		cmocka_unit_test(test_create_time_properties_read_back),
		cmocka_unit_test(
		    test_create_with_a_repeated_property_keeps_the_last),
		cmocka_unit_test(
		    test_get_with_wrong_size_or_null_buffer_is_invalidarg),
		cmocka_unit_test(test_get_unsupported_property_is_invalidarg),
		cmocka_unit_test(test_get_or_set_on_null_listener_is_invalidarg),
		cmocka_unit_test(test_set_any_property_is_invalidarg_when_created),
		cmocka_unit_test(test_set_any_property_is_invalidarg_when_opening),
		cmocka_unit_test(test_set_any_property_is_invalidarg_when_open),
		cmocka_unit_test(test_set_any_property_is_invalidarg_when_faulted),
		cmocka_unit_test(test_set_any_property_is_invalidarg_when_closing),
		cmocka_unit_test(test_set_any_property_is_invalidarg_when_closed),
		cmocka_unit_test(test_create_with_zero_backlog_is_invalidarg),
		cmocka_unit_test(test_create_with_bad_ip_version_is_invalidarg),
		cmocka_unit_test(
		    test_create_with_bad_callback_model_is_invalidarg),
		cmocka_unit_test(
		    test_create_with_read_only_property_is_invalidarg),
		cmocka_unit_test(test_create_with_multicast_is_invalidarg),
		cmocka_unit_test(test_create_with_wrong_value_size_is_invalidarg),
		cmocka_unit_test(
		    test_create_with_unsupported_property_is_invalidarg),
		cmocka_unit_test(
		    test_create_with_one_bad_property_among_good_ones_is_invalidarg),
		cmocka_unit_test(
		    test_create_with_property_count_but_no_properties_is_invalidarg),
		cmocka_unit_test(test_channel_type_must_fit_the_binding),
		cmocka_unit_test(test_unknown_binding_is_invalidarg),
		cmocka_unit_test(test_custom_binding_is_not_supported),
		cmocka_unit_test(test_security_description_is_not_supported),
		cmocka_unit_test(test_listen_backlog_reaches_listen),
		cmocka_unit_test(test_ip_version_4_refuses_an_ipv6_literal),
		cmocka_unit_test(test_ip_version_6_refuses_an_ipv4_literal),
		cmocka_unit_test(
		    test_open_with_null_listener_or_url_is_invalidarg),
		cmocka_unit_test(test_close_never_opened_listener_succeeds),
		cmocka_unit_test(test_close_null_listener_is_invalidarg),
		cmocka_unit_test(test_open_wildcard_host_with_path),
		cmocka_unit_test(test_reopen_same_port_after_close_and_free),
		cmocka_unit_test(test_reset_null_listener_is_invalidarg),
		cmocka_unit_test(test_reset_rules),
		cmocka_unit_test(
		    test_create_time_properties_survive_open_close_reset),
	};

	return (cmocka_run_group_tests_name("listener properties", tests, NULL,
	    NULL));
}
