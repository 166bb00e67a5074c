/* SPDX-License-Identifier: ISC */
/*
 * WS_ERROR, the rich-error object: its three properties (the Wine
 * conformance checklist 6.8, items 46-52), the string list (index 0 is the
 * most recent string, the text of ORIGINAL_ERROR_CODE is the last one and
 * counts in STRING_COUNT), WsResetError, and how the listener functions
 * fill it: a failed open on a taken port appends a sentence naming the
 * address and keeps EADDRINUSE as ORIGINAL_ERROR_CODE (and the listener
 * stays CREATED, so it can be opened again), a refused accept appends a
 * string, and a successful call leaves the object untouched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define LANGID_EN_US 0x0409
#define LANGID_NL_NL 0x0413 /* MAKELANGID(LANG_DUTCH, SUBLANG_DEFAULT) */

static WS_ERROR *
error_new(void)
{
	WS_ERROR *e = NULL;

	assert_int_equal(WsCreateError(NULL, 0, &e), S_OK);
	assert_non_null(e);
	return (e);
}

static ULONG
string_count(WS_ERROR *e)
{
	ULONG n = 0xcccccccc;

	assert_int_equal(WsGetErrorProperty(e, WS_ERROR_PROPERTY_STRING_COUNT,
	    &n, sizeof(n)), S_OK);
	return (n);
}

static ULONG
original_code(WS_ERROR *e)
{
	ULONG v = 0xcccccccc;

	assert_int_equal(WsGetErrorProperty(e,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &v, sizeof(v)), S_OK);
	return (v);
}

static LANGID
langid_of(WS_ERROR *e)
{
	LANGID v = 0xcccc;

	assert_int_equal(WsGetErrorProperty(e, WS_ERROR_PROPERTY_LANGID, &v,
	    sizeof(v)), S_OK);
	return (v);
}

/* String i as a NUL-terminated copy (WS_STRINGs are not terminated). */
static char *
string_at(WS_ERROR *e, ULONG i)
{
	WS_STRING s = { 0, NULL };
	char *copy;

	assert_int_equal(WsGetErrorString(e, i, &s), S_OK);
	assert_true(s.length == 0 || s.chars != NULL);
	copy = malloc(s.length + 1);
	assert_non_null(copy);
	if (s.length > 0)
		memcpy(copy, s.chars, s.length);
	copy[s.length] = '\0';
	return (copy);
}

static void
assert_string_at(WS_ERROR *e, ULONG i, const char *want)
{
	char *got = string_at(e, i);

	assert_string_equal(got, want);
	free(got);
}

static void
assert_string_at_contains(WS_ERROR *e, ULONG i, const char *part)
{
	char *got = string_at(e, i);

	if (strstr(got, part) == NULL)
		fail_msg("error string %u is \"%s\", which does not contain "
		    "\"%s\"", (unsigned int)i, got, part);
	free(got);
}

static void
add_string(WS_ERROR *e, const char *s)
{
	WS_STRING w = url_of(s);

	assert_int_equal(WsAddErrorString(e, &w), S_OK);
}

/* 46 */
static void
test_create_error_with_null_out_pointer_is_invalidarg(void **state)
{
	(void)state;
	assert_int_equal(WsCreateError(NULL, 0, NULL), E_INVALIDARG);
}

/* 46 */
static void
test_create_error_without_properties_succeeds(void **state)
{
	WS_ERROR *e = NULL;

	(void)state;
	assert_int_equal(WsCreateError(NULL, 0, &e), S_OK);
	assert_non_null(e);
	WsFreeError(e);
}

/* 47 */
static void
test_string_count_is_zero_initially_and_read_only(void **state)
{
	WS_ERROR *e = error_new();
	ULONG n = 5;

	(void)state;
	assert_int_equal(string_count(e), 0);
	assert_int_equal(WsSetErrorProperty(e, WS_ERROR_PROPERTY_STRING_COUNT,
	    &n, sizeof(n)), E_INVALIDARG);
	assert_int_equal(string_count(e), 0);
	WsFreeError(e);
}

/* 48 */
static void
test_original_error_code_is_zero_initially_and_settable(void **state)
{
	WS_ERROR *e = error_new();
	ULONG v = 0xdeadbeef;

	(void)state;
	assert_int_equal(original_code(e), 0);
	assert_int_equal(WsSetErrorProperty(e,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &v, sizeof(v)), S_OK);
	assert_int_equal(original_code(e), 0xdeadbeef);
	WsFreeError(e);
}

/* 49 */
static void
test_langid_defaults_to_en_us_and_cannot_be_set_later(void **state)
{
	WS_ERROR *e = error_new();
	LANGID v = LANGID_NL_NL;

	(void)state;
	assert_int_equal(langid_of(e), LANGID_EN_US);
	assert_int_equal(WsSetErrorProperty(e, WS_ERROR_PROPERTY_LANGID, &v,
	    sizeof(v)), WS_E_INVALID_OPERATION);
	assert_int_equal(langid_of(e), LANGID_EN_US);
	WsFreeError(e);
}

/* 50 */
static void
test_get_unknown_property_fails_and_leaves_buffer_untouched(void **state)
{
	WS_ERROR *e = error_new();
	ULONG v = 0xdeadbeef;

	(void)state;
	assert_int_equal(WsGetErrorProperty(e,
	    (WS_ERROR_PROPERTY_ID)(WS_ERROR_PROPERTY_LANGID + 1), &v, sizeof(v)),
	    E_INVALIDARG);
	assert_int_equal(v, 0xdeadbeef);
	WsFreeError(e);
}

/* 51 */
static void
test_create_with_a_property_other_than_langid_is_invalidarg(void **state)
{
	static const WS_ERROR_PROPERTY_ID ids[] = {
		WS_ERROR_PROPERTY_STRING_COUNT,
		WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE,
		(WS_ERROR_PROPERTY_ID)(WS_ERROR_PROPERTY_LANGID + 1),
	};
	WS_ERROR *sentinel = (WS_ERROR *)(uintptr_t)0x1, *e;
	WS_ERROR_PROPERTY p;
	ULONG v = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		p.id = ids[i];
		p.value = &v;
		p.valueSize = sizeof(v);
		e = sentinel;
		assert_int_equal(WsCreateError(&p, 1, &e), E_INVALIDARG);
		assert_ptr_equal(e, sentinel);
	}
}

/* 52 */
static void
test_create_with_dutch_langid_reads_it_back(void **state)
{
	LANGID v = LANGID_NL_NL;
	WS_ERROR_PROPERTY p = { WS_ERROR_PROPERTY_LANGID, &v, sizeof(v) };
	WS_ERROR *e = NULL;

	(void)state;
	assert_int_equal(WsCreateError(&p, 1, &e), S_OK);
	assert_non_null(e);
	assert_int_equal(langid_of(e), LANGID_NL_NL);
	assert_int_equal(string_count(e), 0);
	assert_int_equal(original_code(e), 0);
	WsFreeError(e);
}

static void
test_create_with_bad_langid_value_is_invalidarg(void **state)
{
	LANGID zero = 0;
	ULONG wide = LANGID_NL_NL;
	WS_ERROR_PROPERTY p;
	WS_ERROR *e;

	(void)state;
	/* LANGID may not be 0. */
	p.id = WS_ERROR_PROPERTY_LANGID;
	p.value = &zero;
	p.valueSize = sizeof(zero);
	e = NULL;
	assert_int_equal(WsCreateError(&p, 1, &e), E_INVALIDARG);
	assert_null(e);
	/* The wrong size. */
	p.value = &wide;
	p.valueSize = sizeof(wide);
	assert_int_equal(WsCreateError(&p, 1, &e), E_INVALIDARG);
	assert_null(e);
	/* No value. */
	p.value = NULL;
	p.valueSize = sizeof(LANGID);
	assert_int_equal(WsCreateError(&p, 1, &e), E_INVALIDARG);
	assert_null(e);
	/* A count without properties. */
	assert_int_equal(WsCreateError(NULL, 1, &e), E_INVALIDARG);
	assert_null(e);
}

static void
test_get_property_with_wrong_size_or_null_buffer_is_invalidarg(void **state)
{
	WS_ERROR *e = error_new();
	ULONG v = 0xdeadbeef;
	uint64_t big = 0x1122334455667788ull;
	LANGID lang = 0xcccc;

	(void)state;
	assert_int_equal(WsGetErrorProperty(e, WS_ERROR_PROPERTY_STRING_COUNT,
	    &big, sizeof(big)), E_INVALIDARG);
	assert_true(big == 0x1122334455667788ull);
	assert_int_equal(WsGetErrorProperty(e,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &lang, sizeof(lang)),
	    E_INVALIDARG);
	assert_int_equal(lang, 0xcccc);
	assert_int_equal(WsGetErrorProperty(e, WS_ERROR_PROPERTY_LANGID, &v,
	    sizeof(v)), E_INVALIDARG);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(WsGetErrorProperty(e, WS_ERROR_PROPERTY_STRING_COUNT,
	    NULL, sizeof(ULONG)), E_INVALIDARG);
	assert_int_equal(WsGetErrorProperty(NULL,
	    WS_ERROR_PROPERTY_STRING_COUNT, &v, sizeof(v)), E_INVALIDARG);
	assert_int_equal(v, 0xdeadbeef);
	WsFreeError(e);
}

static void
test_set_original_error_code_with_wrong_size_is_invalidarg(void **state)
{
	WS_ERROR *e = error_new();
	LANGID small = 7;
	ULONG v = 7;

	(void)state;
	assert_int_equal(WsSetErrorProperty(e,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &small, sizeof(small)),
	    E_INVALIDARG);
	assert_int_equal(WsSetErrorProperty(e,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, NULL, sizeof(ULONG)),
	    E_INVALIDARG);
	assert_int_equal(WsSetErrorProperty(NULL,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &v, sizeof(v)), E_INVALIDARG);
	assert_int_equal(WsSetErrorProperty(e,
	    (WS_ERROR_PROPERTY_ID)(WS_ERROR_PROPERTY_LANGID + 1), &v, sizeof(v)),
	    E_INVALIDARG);
	assert_int_equal(original_code(e), 0);
	assert_int_equal(string_count(e), 0);
	WsFreeError(e);
}

static void
test_error_strings_are_most_recent_first(void **state)
{
	WS_ERROR *e = error_new();

	(void)state;
	add_string(e, "first");
	add_string(e, "second");
	add_string(e, "third");
	assert_int_equal(string_count(e), 3);
	assert_string_at(e, 0, "third");
	assert_string_at(e, 1, "second");
	assert_string_at(e, 2, "first");
	WsFreeError(e);
}

static void
test_error_string_index_past_the_count_is_invalidarg(void **state)
{
	WS_ERROR *e = error_new();
	WS_STRING s = { 77, (char *)(uintptr_t)"untouched" };

	(void)state;
	assert_int_equal(WsGetErrorString(e, 0, &s), E_INVALIDARG);
	add_string(e, "only");
	assert_int_equal(WsGetErrorString(e, 1, &s), E_INVALIDARG);
	assert_int_equal(WsGetErrorString(e, 0xffffffffu, &s), E_INVALIDARG);
	assert_int_equal(s.length, 77);
	assert_string_equal(s.chars, "untouched");
	assert_int_equal(WsGetErrorString(e, 0, NULL), E_INVALIDARG);
	assert_int_equal(WsGetErrorString(NULL, 0, &s), E_INVALIDARG);
	assert_string_at(e, 0, "only");
	WsFreeError(e);
}

static void
test_added_error_string_is_copied(void **state)
{
	WS_ERROR *e = error_new();
	char buf[] = "volatile text";
	WS_STRING w = { 8, buf }; /* "volatile", not terminated there */

	(void)state;
	assert_int_equal(WsAddErrorString(e, &w), S_OK);
	memset(buf, 'x', sizeof(buf) - 1);
	assert_string_at(e, 0, "volatile");
	WsFreeError(e);
}

static void
test_add_error_string_with_bad_arguments_is_invalidarg(void **state)
{
	WS_ERROR *e = error_new();
	WS_STRING w = { 4, NULL };
	WS_STRING ok = url_of("text");

	(void)state;
	assert_int_equal(WsAddErrorString(e, NULL), E_INVALIDARG);
	assert_int_equal(WsAddErrorString(e, &w), E_INVALIDARG);
	assert_int_equal(WsAddErrorString(NULL, &ok), E_INVALIDARG);
	assert_int_equal(string_count(e), 0);
	WsFreeError(e);
}

static void
test_add_empty_error_string(void **state)
{
	WS_ERROR *e = error_new();
	WS_STRING empty = { 0, NULL };
	WS_STRING s = { 77, NULL };

	(void)state;
	assert_int_equal(WsAddErrorString(e, &empty), S_OK);
	assert_int_equal(string_count(e), 1);
	assert_int_equal(WsGetErrorString(e, 0, &s), S_OK);
	assert_int_equal(s.length, 0);
	WsFreeError(e);
}

static void
test_original_error_code_text_is_the_last_string(void **state)
{
	WS_ERROR *e = error_new();
	WS_STRING s;
	ULONG v = 0xdeadbeef;

	(void)state;
	add_string(e, "older");
	assert_int_equal(WsSetErrorProperty(e,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &v, sizeof(v)), S_OK);
	assert_int_equal(string_count(e), 2);
	add_string(e, "newer");
	assert_int_equal(string_count(e), 3);
	assert_string_at(e, 0, "newer");
	assert_string_at(e, 1, "older");
	assert_string_at_contains(e, 2, "DEADBEEF");
	assert_int_equal(WsGetErrorString(e, 3, &s), E_INVALIDARG);
	WsFreeError(e);
}

static void
test_original_error_code_alone_counts_as_one_string(void **state)
{
	WS_ERROR *e = error_new();
	ULONG v = 0xdeadbeef;

	(void)state;
	assert_int_equal(WsSetErrorProperty(e,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &v, sizeof(v)), S_OK);
	assert_int_equal(string_count(e), 1);
	assert_string_at_contains(e, 0, "DEADBEEF");
	/* Back to "none": no text any more. */
	v = 0;
	assert_int_equal(WsSetErrorProperty(e,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &v, sizeof(v)), S_OK);
	assert_int_equal(original_code(e), 0);
	assert_int_equal(string_count(e), 0);
	WsFreeError(e);
}

static void
test_reset_error_returns_to_post_creation_state(void **state)
{
	LANGID lang = LANGID_NL_NL;
	WS_ERROR_PROPERTY p = { WS_ERROR_PROPERTY_LANGID, &lang, sizeof(lang) };
	WS_ERROR *e = NULL;
	WS_STRING s;
	ULONG v = 0xdeadbeef;

	(void)state;
	assert_int_equal(WsCreateError(&p, 1, &e), S_OK);
	add_string(e, "one");
	add_string(e, "two");
	assert_int_equal(WsSetErrorProperty(e,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &v, sizeof(v)), S_OK);
	assert_int_equal(string_count(e), 3);

	assert_int_equal(WsResetError(e), S_OK);
	assert_int_equal(string_count(e), 0);
	assert_int_equal(original_code(e), 0);
	assert_int_equal(langid_of(e), LANGID_NL_NL);
	assert_int_equal(WsGetErrorString(e, 0, &s), E_INVALIDARG);

	/* Usable again, and a second reset is harmless. */
	add_string(e, "three");
	assert_int_equal(string_count(e), 1);
	assert_string_at(e, 0, "three");
	assert_int_equal(WsResetError(e), S_OK);
	assert_int_equal(WsResetError(e), S_OK);
	assert_int_equal(string_count(e), 0);
	WsFreeError(e);
}

static void
test_reset_or_free_of_null_error(void **state)
{
	(void)state;
	assert_int_equal(WsResetError(NULL), E_INVALIDARG);
	WsFreeError(NULL);
}

/* A failure appends to what is there; it does not replace it. */
static void
test_listener_failures_append_to_the_error(void **state)
{
	WS_ERROR *e = error_new();
	WS_LISTENER *l;
	WS_LISTENER_PROPERTY p;
	ULONG backlog = 0;
	char *first, *again;

	(void)state;
	add_string(e, "the caller's own");
	p.id = WS_LISTENER_PROPERTY_LISTEN_BACKLOG;
	p.value = &backlog;
	p.valueSize = sizeof(backlog);
	l = NULL;
	assert_int_equal(WsCreateListener(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, &p, 1, NULL, &l, e), E_INVALIDARG);
	assert_null(l);
	assert_int_equal(string_count(e), 2);
	assert_int_equal(original_code(e), 0);
	assert_string_at(e, 1, "the caller's own");
	first = string_at(e, 0);
	assert_true(first[0] != '\0');

	l = listener_new(WS_TCP_CHANNEL_BINDING);
	assert_int_equal(WsSetListenerProperty(l,
	    WS_LISTENER_PROPERTY_LISTEN_BACKLOG, &backlog, sizeof(backlog), e),
	    E_INVALIDARG);
	assert_int_equal(string_count(e), 3);
	again = string_at(e, 1);
	assert_string_equal(again, first);
	assert_string_at(e, 2, "the caller's own");
	free(again);
	free(first);
	listener_finish(l);
	WsFreeError(e);
}

/*
 * (a) WsOpenListener on a port that another listener holds.
 */
static void
test_open_on_a_taken_port_fills_the_error(void **state)
{
	WS_LISTENER *first = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_LISTENER *second = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_STRING any = url_of("net.tcp://127.0.0.1:0/");
	WSL_LISTENER_INFO info;
	WS_ERROR *e = error_new();
	WS_STRING url;
	char taken[64], where[64];
	int port;

	(void)state;
	assert_int_equal(WsOpenListener(first, &any, NULL, NULL), S_OK);
	port = port_of(first);
	assert_true(port > 0 && port < 65536);
	snprintf(taken, sizeof(taken), "net.tcp://127.0.0.1:%d/", port);
	snprintf(where, sizeof(where), "127.0.0.1:%d", port);
	url = url_of(taken);

	assert_int_equal(WsOpenListener(second, &url, NULL, e),
	    WS_E_ADDRESS_IN_USE);
	assert_int_equal(WS_E_ADDRESS_IN_USE, (HRESULT)0x803D000B);
	assert_int_equal(state_of(second), WS_LISTENER_STATE_CREATED);
	/* A sentence naming the address, then the errno's own text. */
	assert_int_equal(string_count(e), 2);
	assert_string_at_contains(e, 0, where);
	assert_int_equal(original_code(e), EADDRINUSE);
	assert_string_at_contains(e, string_count(e) - 1, "EADDRINUSE");
	assert_int_equal(WslGetListenerInfo(second, &info), S_OK);
	assert_int_equal(info.lastError, WS_E_ADDRESS_IN_USE);
	assert_string_equal(info.lastErrorOperation, "open");
	assert_int_equal(info.port, -1);

	/* A failed open leaves CREATED: the same listener opens once the
	 * port is free. */
	listener_finish(first);
	assert_int_equal(WsResetError(e), S_OK);
	assert_int_equal(WsOpenListener(second, &url, NULL, e), S_OK);
	assert_int_equal(state_of(second), WS_LISTENER_STATE_OPEN);
	assert_int_equal(port_of(second), port);
	assert_int_equal(string_count(e), 0);
	listener_finish(second);
	WsFreeError(e);
}

struct seen {
	struct done d;
	WS_ERROR *e;
	ULONG count_at_callback;
	ULONG original_at_callback;
};

static void
seen_cb(HRESULT hr, WS_CALLBACK_MODEL model, void *arg)
{
	struct seen *s = arg;

	/* The caller does not touch the error until the callback has run. */
	(void)WsGetErrorProperty(s->e, WS_ERROR_PROPERTY_STRING_COUNT,
	    &s->count_at_callback, sizeof(ULONG));
	(void)WsGetErrorProperty(s->e, WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE,
	    &s->original_at_callback, sizeof(ULONG));
	done_cb(hr, model, &s->d);
}

/* An asynchronous open that fails fills the error before its callback. */
static void
test_async_open_failure_fills_the_error_before_the_callback(void **state)
{
	WS_LISTENER *first = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_LISTENER *second = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_STRING any = url_of("net.tcp://127.0.0.1:0/");
	WS_ASYNC_CONTEXT ctx;
	struct seen s;
	char taken[64];
	WS_STRING url;

	(void)state;
	assert_int_equal(WsOpenListener(first, &any, NULL, NULL), S_OK);
	snprintf(taken, sizeof(taken), "net.tcp://127.0.0.1:%d/",
	    port_of(first));
	url = url_of(taken);
	memset(&s, 0, sizeof(s));
	done_init(&s.d, second);
	s.e = error_new();
	s.count_at_callback = s.original_at_callback = 0xcccccccc;
	ctx.callback = seen_cb;
	ctx.callbackState = &s;

	assert_int_equal(WsOpenListener(second, &url, &ctx, s.e), WS_S_ASYNC);
	assert_int_equal(done_wait(&s.d, 1), WS_E_ADDRESS_IN_USE);
	assert_true(s.d.on_loop);
	assert_int_equal(s.count_at_callback, 2);
	assert_int_equal(s.original_at_callback, EADDRINUSE);
	loop_sync(second);
	assert_int_equal(s.d.count, 1);
	assert_int_equal(state_of(second), WS_LISTENER_STATE_CREATED);

	listener_finish(first);
	listener_finish(second);
	done_destroy(&s.d);
	WsFreeError(s.e);
}

/* (b) Success leaves the error object exactly as it was. */
static void
test_successful_calls_leave_the_error_untouched(void **state)
{
	WS_ERROR *e = error_new();
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	WS_LISTENER_STATE ls;
	WS_ASYNC_CONTEXT ctx;
	WS_LISTENER *l = NULL;
	WS_CHANNEL *ch = NULL;
	struct done d;
	ULONG v;

	(void)state;
	assert_int_equal(WsCreateListener(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, NULL, 0, NULL, &l, e), S_OK);
	assert_int_equal(WsGetListenerProperty(l, WS_LISTENER_PROPERTY_STATE,
	    &ls, sizeof(ls), e), S_OK);
	assert_int_equal(WsGetListenerProperty(l,
	    WS_LISTENER_PROPERTY_CONNECT_TIMEOUT, &v, sizeof(v), e), S_OK);
	assert_int_equal(WsCreateChannelForListener(l, NULL, 0, &ch, e), S_OK);
	assert_int_equal(WsResetListener(l, e), S_OK);
	assert_int_equal(WsOpenListener(l, &url, NULL, e), S_OK);
	assert_int_equal(WsCloseListener(l, NULL, e), S_OK);
	assert_int_equal(WsResetListener(l, e), S_OK);

	/* Asynchronously too. */
	done_init(&d, l);
	ctx = done_ctx(&d);
	assert_int_equal(WsOpenListener(l, &url, &ctx, e), WS_S_ASYNC);
	assert_int_equal(done_wait(&d, 1), S_OK);
	assert_int_equal(WsAbortListener(l, e), S_OK);
	assert_int_equal(WsCloseListener(l, NULL, e), S_OK);
	done_destroy(&d);

	assert_int_equal(string_count(e), 0);
	assert_int_equal(original_code(e), 0);
	assert_int_equal(langid_of(e), LANGID_EN_US);
	assert_int_equal(WsFreeChannel(ch), S_OK);
	assert_int_equal(WsFreeListener(l), S_OK);
	WsFreeError(e);
}

/* (c) 6.5 item 33, with an error object. */
static void
test_accept_on_a_never_opened_listener_adds_a_string(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_CHANNEL_STATE cs = (WS_CHANNEL_STATE)-1;
	WS_ERROR *e = error_new();
	WS_CHANNEL *ch = NULL;
	char *text;

	(void)state;
	assert_int_equal(WsCreateChannelForListener(l, NULL, 0, &ch, NULL),
	    S_OK);
	assert_int_equal(WsAcceptChannel(l, ch, NULL, e),
	    WS_E_INVALID_OPERATION);
	assert_int_equal(string_count(e), 1);
	assert_int_equal(original_code(e), 0);
	text = string_at(e, 0);
	assert_true(strlen(text) > 0);
	free(text);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	assert_int_equal(WsGetChannelProperty(ch, WS_CHANNEL_PROPERTY_STATE,
	    &cs, sizeof(cs), NULL), S_OK);
	assert_int_equal(cs, WS_CHANNEL_STATE_CREATED);
	assert_int_equal(WsFreeChannel(ch), S_OK);
	listener_finish(l);
	WsFreeError(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_create_error_with_null_out_pointer_is_invalidarg),
		cmocka_unit_test(test_create_error_without_properties_succeeds),
		cmocka_unit_test(
		    test_string_count_is_zero_initially_and_read_only),
		cmocka_unit_test(
		    test_original_error_code_is_zero_initially_and_settable),
		cmocka_unit_test(
		    test_langid_defaults_to_en_us_and_cannot_be_set_later),
		cmocka_unit_test(
		    test_get_unknown_property_fails_and_leaves_buffer_untouched),
		cmocka_unit_test(
		    test_create_with_a_property_other_than_langid_is_invalidarg),
		cmocka_unit_test(test_create_with_dutch_langid_reads_it_back),
		cmocka_unit_test(test_create_with_bad_langid_value_is_invalidarg),
		cmocka_unit_test(
		    test_get_property_with_wrong_size_or_null_buffer_is_invalidarg),
		cmocka_unit_test(
		    test_set_original_error_code_with_wrong_size_is_invalidarg),
		cmocka_unit_test(test_error_strings_are_most_recent_first),
		cmocka_unit_test(
		    test_error_string_index_past_the_count_is_invalidarg),
		cmocka_unit_test(test_added_error_string_is_copied),
		cmocka_unit_test(
		    test_add_error_string_with_bad_arguments_is_invalidarg),
		cmocka_unit_test(test_add_empty_error_string),
		cmocka_unit_test(test_original_error_code_text_is_the_last_string),
		cmocka_unit_test(
		    test_original_error_code_alone_counts_as_one_string),
		cmocka_unit_test(test_reset_error_returns_to_post_creation_state),
		cmocka_unit_test(test_reset_or_free_of_null_error),
		cmocka_unit_test(test_listener_failures_append_to_the_error),
		cmocka_unit_test(test_open_on_a_taken_port_fills_the_error),
		cmocka_unit_test(
		    test_async_open_failure_fills_the_error_before_the_callback),
		cmocka_unit_test(test_successful_calls_leave_the_error_untouched),
		cmocka_unit_test(
		    test_accept_on_a_never_opened_listener_adds_a_string),
	};

	return (cmocka_run_group_tests_name("WS_ERROR", tests, NULL, NULL));
}
