/* SPDX-License-Identifier: ISC */
/*
 * The control protocol library (libwslproto.a) on its own: the HRESULT
 * table (names, result classes, texts, the "0x803D0003" spelling both
 * ways), the command and state tables, the request and reply envelopes
 * including every way a request line can be malformed, the newline
 * framing whatever way read() splits the bytes, and descriptor passing
 * with SCM_RIGHTS over a socketpair.  Every message is decoded from a heap
 * copy of exactly its length, without a NUL, so that AddressSanitizer
 * catches a read past the length.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "webservices.h"
#include "wsl-proto.h"

/* HRESULTs compared as the 32-bit values they are (cmocka prints hex). */
#define assert_hr_equal(a, b) \
	assert_int_equal((uint32_t)(int32_t)(a), (uint32_t)(int32_t)(b))

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* ---- HRESULT table ---------------------------------------------------- */

struct hr_row {
	uint32_t value;
	const char *name;
	int class;
};

static const struct hr_row hr_rows[] = {
	{ 0x00000000, "S_OK", 0 },
	{ 0x003D0000, "WS_S_ASYNC", 0 },
	{ 0x003D0001, "WS_S_END", 0 },
	{ 0x803D0000, "WS_E_INVALID_FORMAT", 2 },
	{ 0x803D0001, "WS_E_OBJECT_FAULTED", 4 },
	{ 0x803D0003, "WS_E_INVALID_OPERATION", 4 },
	{ 0x803D0004, "WS_E_OPERATION_ABORTED", 1 },
	{ 0x803D0006, "WS_E_OPERATION_TIMED_OUT", 124 },
	{ 0x803D000B, "WS_E_ADDRESS_IN_USE", 1 },
	{ 0x803D0020, "WS_E_INVALID_ENDPOINT_URL", 1 },
	{ 0x803D0023, "WS_E_SECURITY_SYSTEM_FAILURE", 1 },
	{ 0x80070057, "E_INVALIDARG", 2 },
	{ 0x8007000E, "E_OUTOFMEMORY", 1 },
	{ 0x80070005, "E_ACCESSDENIED", 6 },
	{ 0x80070490, "ERROR_NOT_FOUND", 5 },
	{ 0x8000FFFF, "E_UNEXPECTED", 1 },
};

static void
test_hr_known_names_classes_texts(void **state)
{
	const char *text;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(hr_rows); i++) {
		assert_string_equal(wsl_hr_name((int32_t)hr_rows[i].value),
		    hr_rows[i].name);
		assert_int_equal(wsl_hr_class((int32_t)hr_rows[i].value),
		    hr_rows[i].class);
		text = wsl_hr_text((int32_t)hr_rows[i].value);
		assert_non_null(text);
		assert_true(strlen(text) > 0);
		assert_string_not_equal(text, "unknown error");
	}
	assert_string_equal(wsl_hr_text(0), "success");
}

static void
test_hr_enum_matches_values(void **state)
{
	(void)state;
	assert_hr_equal(WSL_HR_S_OK, 0x00000000);
	assert_hr_equal(WSL_HR_WS_S_ASYNC, 0x003D0000);
	assert_hr_equal(WSL_HR_WS_E_INVALID_FORMAT, 0x803D0000);
	assert_hr_equal(WSL_HR_WS_E_INVALID_OPERATION, 0x803D0003);
	assert_hr_equal(WSL_HR_WS_E_OPERATION_TIMED_OUT, 0x803D0006);
	assert_hr_equal(WSL_HR_WS_E_INVALID_ENDPOINT_URL, 0x803D0020);
	assert_hr_equal(WSL_HR_E_INVALIDARG, 0x80070057);
	assert_hr_equal(WSL_HR_ERROR_NOT_FOUND, 0x80070490);
	assert_true(WSL_HR_WS_E_INVALID_FORMAT < 0);
}

static void
test_hr_unknown_codes(void **state)
{
	(void)state;
	/* E_FAIL is not in the table. */
	assert_null(wsl_hr_name((int32_t)0x80004005));
	assert_int_equal(wsl_hr_class((int32_t)0x80004005), 1);
	assert_string_equal(wsl_hr_text((int32_t)0x80004005), "unknown error");
	assert_null(wsl_hr_name((int32_t)0x803D0024));
	assert_int_equal(wsl_hr_class((int32_t)0x803D0024), 1);
	/* An unknown success code is still a success. */
	assert_null(wsl_hr_name(0x00000002));
	assert_int_equal(wsl_hr_class(0x00000002), 0);
	assert_string_equal(wsl_hr_text(0x00000002), "unknown error");
}

static void
test_hr_ws_e_range_has_no_gaps(void **state)
{
	const char *name;
	uint32_t v;

	(void)state;
	for (v = 0x803D0000; v <= 0x803D0023; v++) {
		name = wsl_hr_name((int32_t)v);
		if (name == NULL)
			print_message("# 0x%08X has no name\n",
			    (unsigned int)v);
		assert_non_null(name);
		assert_memory_equal(name, "WS_E_", 5);
		assert_true(wsl_hr_class((int32_t)v) > 0);
		assert_string_not_equal(wsl_hr_text((int32_t)v),
		    "unknown error");
	}
}

static void
test_hr_failed(void **state)
{
	(void)state;
	assert_false(wsl_hr_failed(WSL_HR_S_OK));
	assert_false(wsl_hr_failed(WSL_HR_WS_S_ASYNC));
	assert_false(wsl_hr_failed(WSL_HR_WS_S_END));
	assert_true(wsl_hr_failed(WSL_HR_WS_E_INVALID_OPERATION));
	assert_true(wsl_hr_failed(WSL_HR_E_INVALIDARG));
	assert_true(wsl_hr_failed((int32_t)0x80000000));
}

static void
test_hr_format(void **state)
{
	static const struct {
		uint32_t v;
		const char *s;
	} rows[] = {
		{ 0x803D0003, "0x803D0003" },
		{ 0x00000000, "0x00000000" },
		{ 0x003D0000, "0x003D0000" },
		{ 0x8007000E, "0x8007000E" },
		{ 0x80070057, "0x80070057" },
		{ 0xFFFFFFFF, "0xFFFFFFFF" },
		{ 0x0000ABCD, "0x0000ABCD" },
	};
	char buf[11];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		memset(buf, 'z', sizeof(buf));
		wsl_hr_format((int32_t)rows[i].v, buf);
		assert_string_equal(buf, rows[i].s);
	}
}

static void
test_hr_parse_round_trips(void **state)
{
	static const uint32_t extra[] = { 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000,
		0x00000001, 0x80004005 };
	char buf[11];
	int32_t hr;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(hr_rows) + nitems(extra); i++) {
		uint32_t v = i < nitems(hr_rows) ? hr_rows[i].value :
		    extra[i - nitems(hr_rows)];

		wsl_hr_format((int32_t)v, buf);
		hr = 0x5a5a5a5a;
		assert_true(wsl_hr_parse(buf, &hr));
		assert_hr_equal(hr, v);
	}
	assert_true(wsl_hr_parse("0x803D0003", &hr));
	assert_hr_equal(hr, 0x803D0003);
}

/* Exactly "0x" and eight hex digits: nothing before or after, no sign,
 * blank or second "0x" among the digits. */
static void
test_hr_parse_rejects_bad_strings(void **state)
{
	static const char *const bad[] = { "803D0003", "0x803D003",
		"0x803D0003x", "", "0x", "0x803D00030", "0xGGGGGGGG",
		"0x803D000G", "x0803D0003", " 0x803D0003", "0x+803D000",
		"0x-0000001", "0x 803D000", "0x0x803D00", "0x\t803D000" };
	int32_t hr = 0;
	size_t i, accepted = 0;

	(void)state;
	assert_false(wsl_hr_parse(NULL, &hr));
	for (i = 0; i < nitems(bad); i++)
		if (wsl_hr_parse(bad[i], &hr)) {
			print_message("# accepted \"%s\" as 0x%08X\n", bad[i],
			    (unsigned int)(uint32_t)hr);
			accepted++;
		}
	assert_int_equal(accepted, 0);
}

/* ---- commands and states ---------------------------------------------- */

static void
test_cmd_lookup_and_levels(void **state)
{
	static const struct {
		const char *name;
		enum wsl_level level;
	} rows[] = {
		{ "list", WSL_LEVEL_READ },
		{ "status", WSL_LEVEL_READ },
		{ "create", WSL_LEVEL_ADMIN },
		{ "open", WSL_LEVEL_OPERATE },
		{ "accept", WSL_LEVEL_OPERATE },
		{ "close", WSL_LEVEL_OPERATE },
		{ "abort", WSL_LEVEL_OPERATE },
		{ "reset", WSL_LEVEL_OPERATE },
		{ "free", WSL_LEVEL_ADMIN },
		{ "get", WSL_LEVEL_READ },
		{ "set", WSL_LEVEL_ADMIN },
		{ "wait", WSL_LEVEL_READ },
		{ "version", WSL_LEVEL_READ },
		{ "commands", WSL_LEVEL_READ },
	};
	size_t i;
	int c;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		c = wsl_cmd_lookup(rows[i].name);
		assert_in_range(c, 0, WSL_CMD__COUNT - 1);
		assert_string_equal(wsl_cmds[c].name, rows[i].name);
		assert_int_equal(wsl_cmds[c].level, rows[i].level);
	}
	assert_int_equal(wsl_cmd_lookup("open"), WSL_CMD_open);
	assert_int_equal(wsl_cmd_lookup("commands"), WSL_CMD_commands);
}

/* Every entry has its name, arguments and summary; no name twice. */
static void
test_cmd_table_is_consistent(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < WSL_CMD__COUNT; i++) {
		assert_non_null(wsl_cmds[i].name);
		assert_non_null(wsl_cmds[i].arguments);
		assert_non_null(wsl_cmds[i].summary);
		assert_true(strlen(wsl_cmds[i].summary) > 0);
		assert_int_equal(wsl_cmd_lookup(wsl_cmds[i].name), i);
	}
}

static void
test_cmd_lookup_unknown(void **state)
{
	static const char *const names[] = { "", "nope", "lis", "listx",
		"list ", " list", "open\n" };
	size_t i;

	(void)state;
	for (i = 0; i < nitems(names); i++)
		assert_int_equal(wsl_cmd_lookup(names[i]), -1);
}

static void
test_level_names(void **state)
{
	(void)state;
	assert_string_equal(wsl_level_name(WSL_LEVEL_READ), "read");
	assert_string_equal(wsl_level_name(WSL_LEVEL_OPERATE), "operate");
	assert_string_equal(wsl_level_name(WSL_LEVEL_ADMIN), "admin");
}

static void
test_state_names(void **state)
{
	static const char *const names[] = { "CREATED", "OPENING", "OPEN",
		"FAULTED", "CLOSING", "CLOSED" };
	int i;

	(void)state;
	for (i = 0; i < (int)nitems(names); i++) {
		assert_string_equal(wsl_state_name(i), names[i]);
		assert_int_equal(wsl_state_lookup(names[i]), i);
	}
	/* The numbers are WWSAPI's, as the listener core uses them. */
	assert_int_equal(wsl_state_lookup("CREATED"),
	    WS_LISTENER_STATE_CREATED);
	assert_int_equal(wsl_state_lookup("OPENING"),
	    WS_LISTENER_STATE_OPENING);
	assert_int_equal(wsl_state_lookup("OPEN"),
	    WS_LISTENER_STATE_OPEN);
	assert_int_equal(wsl_state_lookup("FAULTED"),
	    WS_LISTENER_STATE_FAULTED);
	assert_int_equal(wsl_state_lookup("CLOSING"),
	    WS_LISTENER_STATE_CLOSING);
	assert_int_equal(wsl_state_lookup("CLOSED"),
	    WS_LISTENER_STATE_CLOSED);
	assert_string_equal(wsl_state_name(-1), "UNKNOWN");
	assert_string_equal(wsl_state_name(6), "UNKNOWN");
}

static void
test_state_lookup_case_and_unknown(void **state)
{
	(void)state;
	assert_int_equal(wsl_state_lookup("open"), 2);
	assert_int_equal(wsl_state_lookup("Closing"), 4);
	assert_int_equal(wsl_state_lookup("fAuLtEd"), 3);
	assert_int_equal(wsl_state_lookup(""), -1);
	assert_int_equal(wsl_state_lookup("OPENED"), -1);
	assert_int_equal(wsl_state_lookup("OPEN "), -1);
	assert_int_equal(wsl_state_lookup("UNKNOWN"), -1);
}

/* ---- request envelope ------------------------------------------------- */

static int32_t
decode_req(const char *s, size_t len, struct wsl_request *req,
    struct wsl_err *err)
{
	char *copy = exact_copy(s, len);
	int32_t hr;

	memset(err, 0, sizeof(*err));
	hr = wsl_request_decode(copy, len, req, err);
	free(copy);
	return (hr);
}

#define DECODE_REQ(s, req, err) decode_req((s), strlen(s), (req), (err))

static void
assert_cleared(struct wsl_request *req)
{
	wsl_request_clear(req);
	assert_null(req->root);
	assert_null(req->id);
	assert_null(req->command);
	assert_null(req->arguments);
	assert_int_equal(req->cmd, -1);
}

static void
test_request_with_string_id(void **state)
{
	struct wsl_request req;
	struct wsl_err err;

	(void)state;
	assert_hr_equal(DECODE_REQ("{\"id\":\"a1\",\"command\":\"open\","
	    "\"arguments\":{\"name\":\"x\"}}", &req, &err), S_OK);
	assert_non_null(req.root);
	assert_true(json_is_string(req.id));
	assert_string_equal(json_string_value(req.id), "a1");
	assert_string_equal(req.command, "open");
	assert_int_equal(req.cmd, WSL_CMD_open);
	assert_true(json_is_object(req.arguments));
	assert_int_equal(json_object_size(req.arguments), 1);
	assert_string_equal(json_string_value(json_object_get(req.arguments,
	    "name")), "x");
	assert_cleared(&req);
}

static void
test_request_with_number_id_and_no_arguments(void **state)
{
	struct wsl_request req;
	struct wsl_err err;

	(void)state;
	assert_hr_equal(DECODE_REQ("{\"id\":7,\"command\":\"list\"}", &req,
	    &err), S_OK);
	assert_true(json_is_integer(req.id));
	assert_int_equal(json_integer_value(req.id), 7);
	assert_int_equal(req.cmd, WSL_CMD_list);
	/* Absent arguments are an empty object, owned by the request. */
	assert_true(json_is_object(req.arguments));
	assert_int_equal(json_object_size(req.arguments), 0);
	assert_ptr_equal(json_object_get(req.root, "arguments"),
	    req.arguments);
	assert_cleared(&req);
}

static void
test_request_with_object_id(void **state)
{
	struct wsl_request req;
	struct wsl_err err;
	json_t *want;

	(void)state;
	assert_hr_equal(DECODE_REQ("{\"id\":{\"k\":[1,\"two\",null]},"
	    "\"command\":\"version\",\"arguments\":{}}", &req, &err), S_OK);
	want = json_pack("{s:[i,s,n]}", "k", 1, "two");
	assert_non_null(want);
	assert_true(json_equal(req.id, want));
	json_decref(want);
	assert_int_equal(req.cmd, WSL_CMD_version);
	assert_int_equal(json_object_size(req.arguments), 0);
	assert_cleared(&req);
}

static void
test_request_without_id(void **state)
{
	struct wsl_request req;
	struct wsl_err err;

	(void)state;
	assert_hr_equal(DECODE_REQ("{\"command\":\"list\",\"arguments\":{}}",
	    &req, &err), S_OK);
	assert_null(req.id);
	assert_int_equal(req.cmd, WSL_CMD_list);
	assert_cleared(&req);

	/* A null id is an id. */
	assert_hr_equal(DECODE_REQ("{\"id\":null,\"command\":\"list\"}",
	    &req, &err), S_OK);
	assert_non_null(req.id);
	assert_true(json_is_null(req.id));
	assert_cleared(&req);
}

/* A request with a key order other than id, command, arguments. */
static void
test_request_key_order_does_not_matter(void **state)
{
	struct wsl_request req;
	struct wsl_err err;

	(void)state;
	assert_hr_equal(DECODE_REQ("{\"arguments\":{\"name\":\"n\"},"
	    "\"command\":\"status\",\"id\":3}", &req, &err), S_OK);
	assert_int_equal(req.cmd, WSL_CMD_status);
	assert_int_equal(json_integer_value(req.id), 3);
	assert_cleared(&req);
}

struct refused_row {
	const char *json;
	const char *mention; /* must appear in the text, or NULL */
	bool has_id;
};

static void
test_request_refused_with_e_invalidarg(void **state)
{
	static const struct refused_row rows[] = {
		{ "{\"id\":1,\"arguments\":{}}", "command", true },
		{ "{}", "command", false },
		{ "{\"id\":1,\"command\":1}", "command", true },
		{ "{\"id\":1,\"command\":null}", "command", true },
		{ "{\"id\":1,\"command\":[\"list\"]}", "command", true },
		{ "{\"id\":1,\"command\":\"list\",\"arguments\":[]}",
		    "arguments", true },
		{ "{\"id\":1,\"command\":\"list\",\"arguments\":null}",
		    "arguments", true },
		{ "{\"id\":1,\"command\":\"list\",\"arguments\":\"x\"}",
		    "arguments", true },
		{ "{\"id\":1,\"command\":\"list\",\"argument\":{}}",
		    "argument", true },
		{ "{\"id\":1,\"command\":\"list\",\"ID\":2}", "ID", true },
	};
	struct wsl_request req;
	struct wsl_err err;
	HRESULT hr;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(rows); i++) {
		hr = DECODE_REQ(rows[i].json, &req, &err);
		if (hr != E_INVALIDARG)
			print_message("# %s: 0x%08X\n", rows[i].json,
			    (unsigned int)(uint32_t)hr);
		assert_hr_equal(hr, E_INVALIDARG);
		assert_hr_equal(err.hr, E_INVALIDARG);
		assert_true(strlen(err.text) > 0);
		if (rows[i].mention != NULL)
			assert_non_null(strstr(err.text, rows[i].mention));
		if (rows[i].has_id) {
			assert_non_null(req.id);
			assert_int_equal(json_integer_value(req.id), 1);
		} else
			assert_null(req.id);
		assert_int_equal(req.cmd, -1);
		assert_cleared(&req);
	}
}

static void
test_request_unknown_command(void **state)
{
	struct wsl_request req;
	struct wsl_err err;

	(void)state;
	assert_hr_equal(DECODE_REQ("{\"id\":\"q\",\"command\":\"frobnicate\","
	    "\"arguments\":{}}", &req, &err), E_INVALIDARG);
	assert_hr_equal(err.hr, E_INVALIDARG);
	assert_non_null(strstr(err.text, "frobnicate"));
	/* The reply can still carry the id. */
	assert_non_null(req.id);
	assert_string_equal(json_string_value(req.id), "q");
	assert_int_equal(req.cmd, -1);
	assert_cleared(&req);
}

struct malformed {
	const char *json;
	size_t len;          /* 0: strlen(json) */
	char name[128];
};

static struct malformed malformed[] = {
	{ "{", 0 },
	{ "[1]", 0 },
	{ "[]", 0 },
	{ "null", 0 },
	{ "\"list\"", 0 },
	{ "42", 0 },
	{ "", 0 },
	{ "   ", 0 },
	{ "{\"a\":}", 0 },
	{ "{} x", 0 },
	{ "{\"command\":\"list\"}{\"command\":\"list\"}", 0 },
	{ "\xff", 0 },
	{ "{\"command\":\"li\xffst\"}", 0 },
	{ "{\"command\":\"\xc0\x80\"}", 0 },
	{ "{\"command\":\"\\ud800\"}", 0 },
	{ "{\"command\":\"li\\u0000st\"}", 0 },
	{ "{\"command\":\"li\0st\"}", 19 },
	{ "{\"command\":\"list\",\"command\":\"list\"}", 0 },
	{ "{\"id\":1,\"id\":2,\"command\":\"list\"}", 0 },
	{ "{'command':'list'}", 0 },
	{ "{\"command\":\"list\",}", 0 },
};

static void
test_request_malformed(void **state)
{
	const struct malformed *m = *state;
	size_t len = m->len != 0 ? m->len : strlen(m->json);
	struct wsl_request req;
	struct wsl_err err;

	assert_hr_equal(decode_req(m->json, len, &req, &err),
	    WS_E_INVALID_FORMAT);
	assert_hr_equal(err.hr, WS_E_INVALID_FORMAT);
	assert_true(strlen(err.text) > 0);
	assert_null(req.root);
	assert_null(req.id);
	assert_null(req.command);
	assert_int_equal(req.cmd, -1);
	assert_cleared(&req);
}

static void
test_request_new_round_trips(void **state)
{
	struct wsl_request req;
	struct wsl_err err;
	json_t *id, *msg;
	size_t len;
	char *line;

	(void)state;
	id = json_string("r-9");
	msg = wsl_request_new(id, "status", json_pack("{s:s}", "name", "l1"));
	assert_non_null(msg);
	/* The id is shared, not stolen. */
	assert_int_equal(id->refcount, 2);
	line = wsl_encode(msg, &len);
	assert_non_null(line);
	json_decref(msg);
	assert_int_equal(id->refcount, 1);

	assert_hr_equal(decode_req(line, len, &req, &err), S_OK);
	assert_true(json_equal(req.id, id));
	assert_int_equal(req.cmd, WSL_CMD_status);
	assert_string_equal(json_string_value(json_object_get(req.arguments,
	    "name")), "l1");
	assert_cleared(&req);
	free(line);
	json_decref(id);

	/* No id, no arguments. */
	msg = wsl_request_new(NULL, "list", NULL);
	assert_non_null(msg);
	assert_null(json_object_get(msg, "id"));
	assert_true(json_is_object(json_object_get(msg, "arguments")));
	line = wsl_encode(msg, &len);
	json_decref(msg);
	assert_hr_equal(decode_req(line, len, &req, &err), S_OK);
	assert_null(req.id);
	assert_int_equal(req.cmd, WSL_CMD_list);
	assert_cleared(&req);
	free(line);
}

/* Nesting: 32 levels are a request; 33 are refused before parsing, and
 * brackets inside strings do not count. */
static void
test_request_nesting_depth(void **state)
{
	struct wsl_request req;
	struct wsl_err err;
	char line[512];
	int i, n, off;

	(void)state;
	/* {"command":"version","id":[[...]]}: depth 1 + n. */
	for (n = 31; n <= 32; n++) {
		off = snprintf(line, sizeof(line),
		    "{\"command\":\"version\",\"id\":");
		for (i = 0; i < n; i++)
			line[off++] = '[';
		for (i = 0; i < n; i++)
			line[off++] = ']';
		off += snprintf(line + off, sizeof(line) - (size_t)off, "}");
		if (n + 1 <= WSL_PROTO_MAX_DEPTH)
			assert_hr_equal(decode_req(line, (size_t)off, &req,
			    &err), S_OK);
		else {
			assert_hr_equal(decode_req(line, (size_t)off, &req,
			    &err), WSL_HR_WS_E_INVALID_FORMAT);
			assert_non_null(strstr(err.text, "deeper than 32"));
		}
		assert_cleared(&req);
	}
	assert_hr_equal(DECODE_REQ("{\"command\":\"version\",\"id\":"
	    "\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[\"}", &req,
	    &err), S_OK);
	assert_cleared(&req);
}

/* ---- reply envelope --------------------------------------------------- */

static const char *
str_of(const json_t *o, const char *key)
{
	return (json_string_value(json_object_get(o, key)));
}

static void
test_reply_success(void **state)
{
	json_t *id, *r;

	(void)state;
	id = json_string("r1");
	r = wsl_reply_new(id, S_OK, "done", NULL);
	assert_non_null(r);
	assert_true(json_equal(json_object_get(r, "id"), id));
	json_decref(id);
	assert_true(json_is_integer(json_object_get(r, "result")));
	assert_int_equal(json_integer_value(json_object_get(r, "result")), 0);
	assert_string_equal(str_of(r, "hresult"), "0x00000000");
	assert_null(json_object_get(r, "error"));
	assert_string_equal(str_of(r, "text"), "done");
	assert_true(json_is_object(json_object_get(r, "arguments")));
	assert_int_equal(json_object_size(json_object_get(r, "arguments")), 0);
	assert_int_equal(json_object_size(r), 5);
	json_decref(r);

	/* No id: null; no text: the HRESULT's; a success code: no error. */
	r = wsl_reply_new(NULL, WS_S_ASYNC, NULL, NULL);
	assert_non_null(r);
	assert_true(json_is_null(json_object_get(r, "id")));
	assert_int_equal(json_integer_value(json_object_get(r, "result")), 0);
	assert_string_equal(str_of(r, "hresult"), "0x003D0000");
	assert_null(json_object_get(r, "error"));
	assert_string_equal(str_of(r, "text"), wsl_hr_text(WS_S_ASYNC));
	json_decref(r);
}

static void
test_reply_failure(void **state)
{
	json_t *args, *r;

	(void)state;
	args = json_pack("{s:s,s:i}", "state", "OPEN", "n", 3);
	r = wsl_reply_new(NULL, WS_E_INVALID_OPERATION, "listener l1 is OPEN",
	    args); /* steals args */
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "result")), 4);
	assert_string_equal(str_of(r, "hresult"), "0x803D0003");
	assert_string_equal(str_of(r, "error"), "WS_E_INVALID_OPERATION");
	assert_string_equal(str_of(r, "text"), "listener l1 is OPEN");
	assert_ptr_equal(json_object_get(r, "arguments"), args);
	assert_int_equal(json_object_size(r), 6);
	json_decref(r);

	r = wsl_reply_new(NULL, WS_E_OPERATION_TIMED_OUT, NULL, NULL);
	assert_int_equal(json_integer_value(json_object_get(r, "result")), 124);
	assert_string_equal(str_of(r, "error"), "WS_E_OPERATION_TIMED_OUT");
	assert_string_equal(str_of(r, "text"),
	    wsl_hr_text(WS_E_OPERATION_TIMED_OUT));
	json_decref(r);

	r = wsl_reply_new(NULL, E_ACCESSDENIED, NULL, NULL);
	assert_int_equal(json_integer_value(json_object_get(r, "result")), 6);
	assert_string_equal(str_of(r, "error"), "E_ACCESSDENIED");
	json_decref(r);
}

static void
test_reply_unknown_failure_names_the_hex(void **state)
{
	json_t *r;

	(void)state;
	r = wsl_reply_new(NULL, (int32_t)0x80004005, NULL, NULL);
	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "result")), 1);
	assert_string_equal(str_of(r, "hresult"), "0x80004005");
	assert_string_equal(str_of(r, "error"), "0x80004005");
	assert_string_equal(str_of(r, "text"), "unknown error");
	json_decref(r);
}

static void
test_encode_is_one_line(void **state)
{
	json_t *id, *r;
	char *s;
	size_t len, i;

	(void)state;
	id = json_string("a\nb");
	r = wsl_reply_new(id, WS_E_INVALID_OPERATION,
	    "first\nsecond\r\nthird\n", json_pack("{s:s,s:[s]}", "k\n",
	    "v\n\n", "list", "\n"));
	json_decref(id);
	assert_non_null(r);
	s = wsl_encode(r, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen(s));
	assert_true(len > 1);
	assert_int_equal(s[len - 1], '\n');
	assert_null(memchr(s, '\n', len - 1));
	for (i = 0; i + 1 < len; i++)
		assert_true((unsigned char)s[i] >= 0x20);
	free(s);
	json_decref(r);

	/* Any JSON value, not only objects. */
	r = json_string("x");
	s = wsl_encode(r, &len);
	assert_non_null(s);
	assert_string_equal(s, "\"x\"\n");
	assert_int_equal(len, 4);
	free(s);
	json_decref(r);
}

static void
test_reply_decode_round_trips(void **state)
{
	static const int32_t hrs[] = { WSL_HR_S_OK, WSL_HR_WS_S_ASYNC,
		WSL_HR_WS_E_INVALID_OPERATION, WSL_HR_E_INVALIDARG,
		WSL_HR_WS_E_OPERATION_TIMED_OUT, (int32_t)0x80004005 };
	struct wsl_reply rep;
	struct wsl_err err;
	json_t *args, *r;
	char *s, *copy, hex[11];
	size_t len, i;

	(void)state;
	for (i = 0; i < nitems(hrs); i++) {
		args = json_pack("{s:s,s:{s:i}}", "name", "l\n1", "counters",
		    "accepted", 12);
		r = wsl_reply_new(NULL, hrs[i], "multi\nline text", args);
		s = wsl_encode(r, &len);
		assert_non_null(s);
		copy = exact_copy(s, len);
		memset(&err, 0, sizeof(err));
		assert_hr_equal(wsl_reply_decode(copy, len, &rep, &err), S_OK);
		free(copy);
		assert_int_equal(rep.result, wsl_hr_class(hrs[i]));
		assert_hr_equal(rep.hr, hrs[i]);
		if (wsl_hr_failed(hrs[i])) {
			wsl_hr_format(hrs[i], hex);
			assert_non_null(rep.error);
			assert_string_equal(rep.error,
			    wsl_hr_name(hrs[i]) != NULL ? wsl_hr_name(hrs[i]) :
			    hex);
		} else
			assert_null(rep.error);
		/* The sentence is escaped, the arguments stay exact. */
		assert_string_equal(rep.text, "multi\\nline text");
		assert_true(json_equal(rep.arguments, args));
		wsl_reply_clear(&rep);
		assert_null(rep.root);
		free(s);
		json_decref(r);
	}
}

/* Only result and hresult are required; text and arguments default. */
static void
test_reply_decode_minimal(void **state)
{
	static const char msg[] = "{\"result\":5,\"hresult\":\"0x80070490\"}";
	struct wsl_reply rep;
	struct wsl_err err;
	char *copy;

	(void)state;
	copy = exact_copy(msg, strlen(msg));
	assert_hr_equal(wsl_reply_decode(copy, strlen(msg), &rep, &err), S_OK);
	free(copy);
	assert_int_equal(rep.result, 5);
	assert_hr_equal(rep.hr, 0x80070490);
	assert_null(rep.error);
	assert_non_null(rep.text);
	assert_string_equal(rep.text, "");
	assert_true(json_is_object(rep.arguments));
	assert_int_equal(json_object_size(rep.arguments), 0);
	wsl_reply_clear(&rep);
}

static void
test_reply_decode_refusals(void **state)
{
	static const char *const bad[] = {
		"{\"hresult\":\"0x00000000\"}",
		"{\"result\":\"0\",\"hresult\":\"0x00000000\"}",
		"{\"result\":0.0,\"hresult\":\"0x00000000\"}",
		"{\"result\":null,\"hresult\":\"0x00000000\"}",
		"{\"result\":0}",
		"{\"result\":0,\"hresult\":0}",
		"{\"result\":0,\"hresult\":\"0x0\"}",
		"{\"result\":0,\"hresult\":\"00000000\"}",
		"{\"result\":0,\"hresult\":\"0x00000000z\"}",
		"[]",
		"{",
		"",
		"{\"result\":0,\"result\":0,\"hresult\":\"0x00000000\"}",
	};
	struct wsl_reply rep;
	struct wsl_err err;
	char *copy;
	int32_t hr;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(bad); i++) {
		copy = exact_copy(bad[i], strlen(bad[i]));
		memset(&err, 0, sizeof(err));
		hr = wsl_reply_decode(copy, strlen(bad[i]), &rep, &err);
		free(copy);
		if (hr != WS_E_INVALID_FORMAT)
			print_message("# %s: 0x%08X\n", bad[i],
			    (unsigned int)(uint32_t)hr);
		assert_hr_equal(hr, WS_E_INVALID_FORMAT);
		assert_hr_equal(err.hr, WS_E_INVALID_FORMAT);
		assert_true(strlen(err.text) > 0);
		wsl_reply_clear(&rep);
		assert_null(rep.root);
	}
}

/* ---- line framing ----------------------------------------------------- */

#define MAXLINES 32

struct lines_out {
	char *line[MAXLINES];
	size_t len[MAXLINES];
	size_t n;
	char *rest;          /* the unterminated tail at EOF, or NULL */
	size_t rest_len;
};

static void
lines_out_free(struct lines_out *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->line[i]);
	free(o->rest);
	memset(o, 0, sizeof(*o));
}

/* Take every complete line out, consuming each as the contract says. */
static void
drain(struct wsl_lines *lb, struct lines_out *o)
{
	char *line;
	size_t len;
	int r;

	while ((r = wsl_lines_next(lb, &line, &len)) == WSL_LINES_LINE) {
		assert_true(o->n < MAXLINES);
		assert_int_equal(line[len], '\0');
		o->line[o->n] = malloc(len + 1);
		assert_non_null(o->line[o->n]);
		memcpy(o->line[o->n], line, len + 1);
		o->len[o->n++] = len;
		wsl_lines_consume(lb, len + 1);
	}
	assert_int_equal(r, WSL_LINES_NONE);
}

/* Feed data in chunks of size chunk (0: all at once), draining as we go. */
static void
feed(const char *data, size_t n, size_t chunk, size_t max,
    struct lines_out *o)
{
	struct wsl_lines lb;
	size_t off, k;
	char *line;
	size_t len;
	int r;

	memset(o, 0, sizeof(*o));
	wsl_lines_init(&lb, max);
	if (chunk == 0)
		chunk = n;
	for (off = 0; off < n; off += k) {
		k = n - off < chunk ? n - off : chunk;
		assert_int_equal(wsl_lines_append(&lb, data + off, k), 0);
		drain(&lb, o);
	}
	r = wsl_lines_take_rest(&lb, &line, &len);
	if (r == WSL_LINES_LINE) {
		o->rest = malloc(len + 1);
		assert_non_null(o->rest);
		memcpy(o->rest, line, len + 1);
		o->rest_len = len;
		wsl_lines_consume(&lb, len);
		assert_int_equal(wsl_lines_pending(&lb), 0);
	} else
		assert_int_equal(r, WSL_LINES_NONE);
	wsl_lines_free(&lb);
}

static void
assert_same_lines(const struct lines_out *a, const struct lines_out *b)
{
	size_t i;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		assert_int_equal(a->len[i], b->len[i]);
		assert_memory_equal(a->line[i], b->line[i], a->len[i]);
	}
	assert_int_equal(a->rest_len, b->rest_len);
	if (a->rest == NULL || b->rest == NULL)
		assert_ptr_equal(a->rest, b->rest);
	else
		assert_string_equal(a->rest, b->rest);
}

static void
test_lines_independent_of_split(void **state)
{
	static const size_t chunks[] = { 1, 143, 2, 7, 4096 };
	char longline[301], *input;
	const char *want[8];
	struct lines_out whole, split;
	size_t n, i;

	(void)state;
	memset(longline, 'L', 300);
	longline[300] = '\0';
	want[0] = "{\"id\":1,\"command\":\"list\"}";
	want[1] = "";
	want[2] = longline;
	want[3] = "a";
	want[4] = "{\"command\":\"status\",\"arguments\":{\"name\":\"x\"}}";
	want[5] = "";
	want[6] = "";
	input = malloc(1024);
	assert_non_null(input);
	n = 0;
	for (i = 0; i < 7; i++) {
		memcpy(input + n, want[i], strlen(want[i]));
		n += strlen(want[i]);
		input[n++] = '\n';
	}
	memcpy(input + n, "tail without newline", 20);
	n += 20;

	feed(input, n, 0, 4096, &whole);
	assert_int_equal(whole.n, 7);
	for (i = 0; i < 7; i++) {
		assert_int_equal(whole.len[i], strlen(want[i]));
		assert_string_equal(whole.line[i], want[i]);
	}
	assert_non_null(whole.rest);
	assert_string_equal(whole.rest, "tail without newline");

	for (i = 0; i < nitems(chunks); i++) {
		feed(input, n, chunks[i], 4096, &split);
		assert_same_lines(&whole, &split);
		lines_out_free(&split);
	}
	/* Without the tail, nothing is left at EOF. */
	feed(input, n - 20, 143, 4096, &split);
	assert_int_equal(split.n, 7);
	assert_null(split.rest);
	lines_out_free(&split);
	lines_out_free(&whole);
	free(input);
}

static void
test_lines_several_in_one_append(void **state)
{
	struct wsl_lines lb;
	char *line;
	size_t len;

	(void)state;
	wsl_lines_init(&lb, 64);
	assert_int_equal(wsl_lines_append(&lb, "a\nbb\nccc\n", 9), 0);
	assert_int_equal(wsl_lines_pending(&lb), 9);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_int_equal(len, 1);
	assert_string_equal(line, "a");
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_pending(&lb), 7);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_int_equal(len, 2);
	assert_string_equal(line, "bb");
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_int_equal(len, 3);
	assert_string_equal(line, "ccc");
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_NONE);
	assert_int_equal(wsl_lines_pending(&lb), 0);
	assert_int_equal(wsl_lines_take_rest(&lb, &line, &len),
	    WSL_LINES_NONE);
	wsl_lines_free(&lb);
}

static void
test_lines_empty_line(void **state)
{
	struct wsl_lines lb;
	char *line = NULL;
	size_t len = 99;

	(void)state;
	wsl_lines_init(&lb, 64);
	assert_int_equal(wsl_lines_append(&lb, "\n", 1), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_int_equal(len, 0);
	assert_non_null(line);
	assert_string_equal(line, "");
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_pending(&lb), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_NONE);
	wsl_lines_free(&lb);
}

/* A partial line stays put until its newline comes, then is whole. */
static void
test_lines_partial_then_rest(void **state)
{
	struct wsl_lines lb;
	char *line;
	size_t len;

	(void)state;
	wsl_lines_init(&lb, 64);
	assert_int_equal(wsl_lines_append(&lb, "one\ntwo\nthr", 11), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_string_equal(line, "one");
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_string_equal(line, "two");
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_NONE);
	assert_int_equal(wsl_lines_pending(&lb), 3);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_NONE);
	assert_int_equal(wsl_lines_append(&lb, "ee\nfo", 5), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_int_equal(len, 5);
	assert_string_equal(line, "three");
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_NONE);
	/* EOF: the unterminated "fo" is the last request. */
	assert_int_equal(wsl_lines_take_rest(&lb, &line, &len),
	    WSL_LINES_LINE);
	assert_int_equal(len, 2);
	assert_string_equal(line, "fo");
	wsl_lines_consume(&lb, len);
	assert_int_equal(wsl_lines_pending(&lb), 0);
	assert_int_equal(wsl_lines_take_rest(&lb, &line, &len),
	    WSL_LINES_NONE);
	wsl_lines_free(&lb);
}

#define M 16

static void
test_lines_exactly_max_with_newline_is_accepted(void **state)
{
	char buf[M];
	struct wsl_lines lb;
	char *line;
	size_t len;

	(void)state;
	memset(buf, 'x', M - 1);
	buf[M - 1] = '\n';
	/* All at once. */
	wsl_lines_init(&lb, M);
	assert_int_equal(wsl_lines_append(&lb, buf, M), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_int_equal(len, M - 1);
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_pending(&lb), 0);
	wsl_lines_free(&lb);
	/* The newline last and alone. */
	wsl_lines_init(&lb, M);
	assert_int_equal(wsl_lines_append(&lb, buf, M - 1), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_NONE);
	assert_int_equal(wsl_lines_append(&lb, "\n", 1), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_int_equal(len, M - 1);
	wsl_lines_consume(&lb, len + 1);
	wsl_lines_free(&lb);
	/* After a shorter line in the same buffer: the limit is per line. */
	wsl_lines_init(&lb, M);
	assert_int_equal(wsl_lines_append(&lb, "ab\n", 3), 0);
	assert_int_equal(wsl_lines_append(&lb, buf, M), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_string_equal(line, "ab");
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_int_equal(len, M - 1);
	wsl_lines_consume(&lb, len + 1);
	wsl_lines_free(&lb);
}

/* "ok\n", then n bytes of tail over the limit: the line comes out first,
 * then the tail is too long. */
static void
expect_line_then_too_long(const char *tail, size_t n)
{
	struct wsl_lines lb;
	char *line;
	size_t len;

	wsl_lines_init(&lb, M);
	assert_int_equal(wsl_lines_append(&lb, "ok\n", 3), 0);
	assert_int_equal(wsl_lines_append(&lb, tail, n), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_string_equal(line, "ok");
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_TOO_LONG);
	wsl_lines_free(&lb);
}

static void
test_lines_max_plus_one_is_too_long(void **state)
{
	char buf[M + 1];
	struct wsl_lines lb;
	char *line;
	size_t len;

	(void)state;
	memset(buf, 'x', M);
	buf[M] = '\n';
	wsl_lines_init(&lb, M);
	assert_int_equal(wsl_lines_append(&lb, buf, M + 1), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_TOO_LONG);
	wsl_lines_free(&lb);
	/* After a short line, which still comes out first. */
	expect_line_then_too_long(buf, M + 1);
}

static void
test_lines_max_bytes_without_newline_is_too_long(void **state)
{
	char buf[4 * M];
	struct wsl_lines lb;
	char *line;
	size_t len, i;

	(void)state;
	memset(buf, 'y', sizeof(buf));
	/* M - 1 bytes may still become a line; M may not. */
	wsl_lines_init(&lb, M);
	assert_int_equal(wsl_lines_append(&lb, buf, M - 1), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_NONE);
	assert_int_equal(wsl_lines_append(&lb, buf, 1), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_TOO_LONG);
	wsl_lines_free(&lb);
	/* Byte by byte: reported as soon as the limit is reached. */
	wsl_lines_init(&lb, M);
	for (i = 0; i < M - 1; i++) {
		assert_int_equal(wsl_lines_append(&lb, buf, 1), 0);
		assert_int_equal(wsl_lines_next(&lb, &line, &len),
		    WSL_LINES_NONE);
	}
	assert_int_equal(wsl_lines_append(&lb, buf, 1), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_TOO_LONG);
	wsl_lines_free(&lb);
	/* Far more than the limit in one go. */
	wsl_lines_init(&lb, M);
	assert_int_equal(wsl_lines_append(&lb, buf, sizeof(buf)), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_TOO_LONG);
	wsl_lines_free(&lb);
	/* A short line, then a tail over the limit. */
	expect_line_then_too_long(buf, M + 4);
}

static void
test_lines_take_rest_limits(void **state)
{
	char buf[M];
	struct wsl_lines lb;
	char *line;
	size_t len;

	(void)state;
	memset(buf, 'z', sizeof(buf));
	/* M - 1 bytes plus the missing newline make M: accepted. */
	wsl_lines_init(&lb, M);
	assert_int_equal(wsl_lines_append(&lb, buf, M - 1), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_NONE);
	assert_int_equal(wsl_lines_take_rest(&lb, &line, &len),
	    WSL_LINES_LINE);
	assert_int_equal(len, M - 1);
	assert_int_equal(strlen(line), M - 1);
	wsl_lines_consume(&lb, len);
	assert_int_equal(wsl_lines_take_rest(&lb, &line, &len),
	    WSL_LINES_NONE);
	wsl_lines_free(&lb);
	/* M bytes: too long. */
	wsl_lines_init(&lb, M);
	assert_int_equal(wsl_lines_append(&lb, buf, M), 0);
	assert_int_equal(wsl_lines_take_rest(&lb, &line, &len),
	    WSL_LINES_TOO_LONG);
	wsl_lines_free(&lb);
}

/* The buffer grows past its first allocation without losing bytes. */
static void
test_lines_growth(void **state)
{
	struct wsl_lines lb;
	char *big, *line;
	size_t len, n = 3 * 4096 + 5;

	(void)state;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'g', n);
	big[n - 1] = 'E';
	big[n] = '\n';
	wsl_lines_init(&lb, WSL_PROTO_MAX_REQUEST);
	assert_int_equal(wsl_lines_append(&lb, "s\n", 2), 0);
	assert_int_equal(wsl_lines_append(&lb, big, 100), 0);
	assert_int_equal(wsl_lines_append(&lb, big + 100, n + 1 - 100), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_string_equal(line, "s");
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_int_equal(len, n);
	assert_memory_equal(line, big, n);
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_pending(&lb), 0);
	wsl_lines_free(&lb);
	free(big);
}

/*
 * A megabyte of empty lines, all buffered before any is taken (what a
 * client sends while one of its requests is in progress): taking them
 * moves no byte, and every line starts where the last one ended.  Moving
 * the rest of the buffer at every line, as the framing once did, copied
 * half a terabyte here.
 */
static void
test_lines_consuming_moves_nothing(void **state)
{
	size_t n = WSL_PROTO_MAX_REQUEST, len, count = 0;
	struct wsl_lines lb;
	char *flood, *line, *prev = NULL;

	(void)state;
	flood = malloc(n);
	assert_non_null(flood);
	memset(flood, '\n', n);
	wsl_lines_init(&lb, WSL_PROTO_MAX_REQUEST);
	assert_int_equal(wsl_lines_append(&lb, flood, n), 0);
	while (wsl_lines_next(&lb, &line, &len) == WSL_LINES_LINE) {
		assert_int_equal(len, 0);
		if (prev != NULL)
			assert_ptr_equal(line, prev + 1);
		prev = line;
		wsl_lines_consume(&lb, len + 1);
		count++;
	}
	assert_int_equal(count, n);
	assert_int_equal(lb.moved, 0);
	assert_int_equal(wsl_lines_pending(&lb), 0);
	wsl_lines_free(&lb);
	free(flood);
}

/*
 * Reads of 64 KiB into a buffer that stays nearly full, a few lines taken
 * between reads (as the daemon does when it bounds its work per turn),
 * and a partial line at the end of each read: the bytes moved to make
 * room stay within a small multiple of the bytes appended, so the cost
 * is linear in the input whatever its shape.
 */
static void
test_lines_moves_are_linear(void **state)
{
	size_t chunk = 65536, total = 0, taken = 0, len, k;
	struct wsl_lines lb;
	char *data, *line;
	int round;

	(void)state;
	data = malloc(chunk);
	assert_non_null(data);
	for (k = 0; k < chunk; k++)
		data[k] = k % 7 == 6 ? '\n' : 'a'; /* lines of 6 bytes */
	wsl_lines_init(&lb, WSL_PROTO_MAX_REQUEST);
	for (round = 0; round < 2000; round++) {
		/* Read only while under the limit, as the daemon does. */
		if (wsl_lines_pending(&lb) < WSL_PROTO_MAX_REQUEST) {
			assert_int_equal(wsl_lines_append(&lb, data,
			    chunk - round % 5), 0);
			total += chunk - round % 5;
		}
		for (k = 0; k < 4096 && wsl_lines_next(&lb, &line, &len) ==
		    WSL_LINES_LINE; k++) {
			taken += len + 1;
			wsl_lines_consume(&lb, len + 1);
		}
		assert_true(wsl_lines_size(&lb) <= 2 * WSL_PROTO_MAX_REQUEST);
	}
	print_message("# %zu bytes appended, %zu taken, %zu moved, buffer "
	    "%zu\n", total, taken, lb.moved, wsl_lines_size(&lb));
	assert_true(taken > 50 * 1024 * 1024);
	assert_true(lb.moved <= 4 * total);
	wsl_lines_free(&lb);
	free(data);
}

/* Every line of input, joined with '|', and what was left at EOF after a
 * '#': the same string whatever the reads were. */
struct joined {
	char *s;
	size_t len, cap;
};

static void
join(struct joined *j, const char *p, size_t n, char sep)
{
	if (j->len + n + 1 > j->cap) {
		j->cap = (j->len + n + 1) * 2;
		j->s = realloc(j->s, j->cap);
		assert_non_null(j->s);
	}
	memcpy(j->s + j->len, p, n);
	j->len += n;
	j->s[j->len++] = sep;
}

/* Feed in reads whose sizes come from sizes[] in turn, taking at most
 * per_read lines after each (0: all). */
static void
feed_joined(const char *data, size_t n, const size_t *sizes, size_t nsizes,
    size_t per_read, struct joined *j)
{
	struct wsl_lines lb;
	size_t off, k, len, i = 0, taken;
	char *line;
	int r;

	memset(j, 0, sizeof(*j));
	wsl_lines_init(&lb, 4096);
	for (off = 0; off < n; off += k) {
		k = sizes[i++ % nsizes];
		if (k > n - off)
			k = n - off;
		assert_int_equal(wsl_lines_append(&lb, data + off, k), 0);
		for (taken = 0; per_read == 0 || taken < per_read; taken++) {
			if ((r = wsl_lines_next(&lb, &line, &len)) !=
			    WSL_LINES_LINE)
				break;
			join(j, line, len, '|');
			wsl_lines_consume(&lb, len + 1);
		}
	}
	while (wsl_lines_next(&lb, &line, &len) == WSL_LINES_LINE) {
		join(j, line, len, '|');
		wsl_lines_consume(&lb, len + 1);
	}
	if (wsl_lines_take_rest(&lb, &line, &len) == WSL_LINES_LINE) {
		join(j, line, len, '#');
		wsl_lines_consume(&lb, len);
	}
	assert_int_equal(wsl_lines_pending(&lb), 0);
	wsl_lines_free(&lb);
}

/*
 * Thousands of lines of every length up to the limit (empty ones, blank
 * ones, one byte, thousands of bytes), read in pieces of 1, 2, 3, 7, 4095
 * to 4097 bytes and mixed sizes, with all or only a few lines taken after
 * each read: the lines are the same as from one read of everything.
 */
static void
test_lines_split_independent_while_moving(void **state)
{
	static const size_t one[] = { 1 }, two[] = { 2 }, three[] = { 3 },
	    seven[] = { 7 }, around[] = { 4095, 4096, 4097 },
	    mixed[] = { 1, 4000, 13, 2, 999, 4096, 5, 3000 };
	static const struct {
		const size_t *sizes;
		size_t n, per_read;
	} ways[] = {
		{ one, 1, 0 }, { one, 1, 1 }, { two, 1, 0 }, { three, 1, 2 },
		{ seven, 1, 1 }, { around, 3, 0 }, { around, 3, 1 },
		{ mixed, 8, 0 }, { mixed, 8, 3 },
	};
	size_t cap = 1024 * 1024, n = 0, len, i, all;
	struct joined whole, split;
	uint32_t x = 12345;
	char *data;

	(void)state;
	data = malloc(cap);
	assert_non_null(data);
	while (n < cap - 8192) {
		x = x * 1103515245 + 12345;
		len = (x >> 8) % 16 == 0 ? (x >> 12) % 4095 : (x >> 12) % 40;
		for (i = 0; i < len; i++)
			data[n + i] = (x >> 4) % 3 == 0 ? ' ' : 'a' + i % 26;
		n += len;
		data[n++] = '\n';
	}
	memcpy(data + n, "no newline", 10);
	n += 10;
	all = n;
	feed_joined(data, n, &all, 1, 0, &whole);
	assert_int_equal(whole.len, n + 1);
	assert_int_equal(whole.s[whole.len - 1], '#');
	for (i = 0; i < nitems(ways); i++) {
		feed_joined(data, n, ways[i].sizes, ways[i].n,
		    ways[i].per_read, &split);
		assert_int_equal(split.len, whole.len);
		assert_memory_equal(split.s, whole.s, whole.len);
		free(split.s);
	}
	free(whole.s);
	free(data);
}

/* What the daemon needs for its memory budget: what an append will cost,
 * a partial request dropped with the complete lines kept, and a buffer
 * given back once a large request is done. */
static void
test_lines_memory(void **state)
{
	struct wsl_lines lb;
	char big[10000], *line;
	size_t grow, len;

	(void)state;
	memset(big, 'b', sizeof(big));
	wsl_lines_init(&lb, 65536);
	assert_int_equal(wsl_lines_size(&lb), 0);
	assert_int_equal(wsl_lines_growth(&lb, 10), 4096);
	assert_int_equal(wsl_lines_append(&lb, "one\ntwo\npart", 12), 0);
	assert_int_equal(wsl_lines_size(&lb), 4096);
	assert_int_equal(wsl_lines_growth(&lb, 100), 0);
	grow = wsl_lines_growth(&lb, sizeof(big));
	assert_int_equal(grow, 16384 - 4096);
	assert_int_equal(wsl_lines_append(&lb, big, sizeof(big)), 0);
	assert_int_equal(wsl_lines_size(&lb), 4096 + grow);
	assert_int_equal(wsl_lines_partial(&lb), 4 + sizeof(big));
	wsl_lines_drop_partial(&lb);
	assert_int_equal(wsl_lines_partial(&lb), 0);
	assert_int_equal(wsl_lines_pending(&lb), 8);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_string_equal(line, "one");
	wsl_lines_consume(&lb, len + 1);
	/* A line still pending: moved into a buffer of keep bytes. */
	wsl_lines_trim(&lb, 4096);
	assert_int_equal(wsl_lines_size(&lb), 4096);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	assert_string_equal(line, "two");
	wsl_lines_consume(&lb, len + 1);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_NONE);
	wsl_lines_trim(&lb, 4096); /* no larger than keep: kept */
	assert_int_equal(wsl_lines_size(&lb), 4096);
	wsl_lines_trim(&lb, 0); /* empty: freed */
	assert_int_equal(wsl_lines_size(&lb), 0);
	/* A large partial request shrinks to what it needs once most is
	 * consumed, and its bytes stay. */
	assert_int_equal(wsl_lines_append(&lb, big, 9000), 0);
	assert_int_equal(wsl_lines_append(&lb, "\nrest", 5), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_LINE);
	wsl_lines_consume(&lb, len + 1);
	wsl_lines_trim(&lb, 4096);
	assert_int_equal(wsl_lines_size(&lb), 4096);
	assert_int_equal(wsl_lines_partial(&lb), 4);
	assert_int_equal(wsl_lines_take_rest(&lb, &line, &len),
	    WSL_LINES_LINE);
	assert_string_equal(line, "rest");
	wsl_lines_free(&lb);
}

/* ---- descriptor passing ----------------------------------------------- */

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

/* The write end of a pipe travels; what is written to it comes out of p0. */
static void
assert_is_write_end_of(int fd, int p0)
{
	char c = 0;

	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(read(p0, &c, 1), 1);
	assert_int_equal(c, 'x');
}

static void
test_fd_arrives_with_the_bytes(void **state)
{
	int sv[2], p[2], fd = -1, flags;
	char buf[16];
	char c;

	(void)state;
	pair(sv);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(wsl_send_fd(sv[0], "hello", 5, p[1]), 5);
	assert_int_equal(close(p[1]), 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(wsl_recv_fd(sv[1], buf, sizeof(buf), &fd), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_true(fd >= 0);
	flags = fcntl(fd, F_GETFD);
	assert_true(flags >= 0);
	assert_true((flags & FD_CLOEXEC) != 0);
	assert_is_write_end_of(fd, p[0]);
	/* It was the last write end: closing it ends the pipe. */
	assert_int_equal(close(fd), 0);
	assert_int_equal(read(p[0], &c, 1), 0);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_fd_minus_one_passes_none(void **state)
{
	int sv[2], fd = -1;
	char buf[16];

	(void)state;
	pair(sv);
	assert_int_equal(wsl_send_fd(sv[0], "plain\n", 6, -1), 6);
	assert_int_equal(wsl_recv_fd(sv[1], buf, sizeof(buf), &fd), 6);
	assert_memory_equal(buf, "plain\n", 6);
	assert_int_equal(fd, -1);
	close(sv[0]);
	close(sv[1]);
}

/* Read exactly the first message: the second one's descriptor waits. */
static void
test_fd_stays_with_its_message(void **state)
{
	int sv[2], p[2], fd = -1;
	char buf[32];

	(void)state;
	pair(sv);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(wsl_send_fd(sv[0], "first\n", 6, -1), 6);
	assert_int_equal(wsl_send_fd(sv[0], "second\n", 7, p[1]), 7);
	close(p[1]);
	assert_int_equal(wsl_recv_fd(sv[1], buf, 6, &fd), 6);
	assert_memory_equal(buf, "first\n", 6);
	assert_int_equal(fd, -1);
	assert_int_equal(wsl_recv_fd(sv[1], buf, sizeof(buf), &fd), 7);
	assert_memory_equal(buf, "second\n", 7);
	assert_true(fd >= 0);
	assert_is_write_end_of(fd, p[0]);
	close(fd);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

/* Whatever the reads merge, the descriptor comes with the second's bytes. */
static void
test_fd_in_order_with_big_reads(void **state)
{
	int sv[2], p[2], fd = -1, got = 0;
	char buf[64];
	size_t off = 0, fd_from = 0, fd_to = 0;
	ssize_t n;

	(void)state;
	pair(sv);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(wsl_send_fd(sv[0], "first\n", 6, -1), 6);
	assert_int_equal(wsl_send_fd(sv[0], "second\n", 7, p[1]), 7);
	close(p[1]);
	while (off < 13) {
		n = wsl_recv_fd(sv[1], buf + off, sizeof(buf) - off, &fd);
		assert_true(n > 0);
		if (fd >= 0 && !got) {
			got = 1;
			fd_from = off;
			fd_to = off + (size_t)n;
		}
		off += (size_t)n;
	}
	assert_int_equal(off, 13);
	assert_memory_equal(buf, "first\nsecond\n", 13);
	assert_true(got);
	/* The read that brought it also brought "second"'s first byte. */
	assert_true(fd_from <= 6 && 6 < fd_to);
	assert_is_write_end_of(fd, p[0]);
	close(fd);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

/* wsl_recv_fd wants *fd == -1: a descriptor already held is kept and the
 * incoming one closed, not leaked. */
static void
test_fd_recv_keeps_held_fd_and_closes_incoming(void **state)
{
	int sv[2], p[2], held, fd;
	char buf[16], c;

	(void)state;
	pair(sv);
	assert_int_equal(pipe(p), 0);
	held = dup(sv[1]);
	assert_true(held >= 0);
	fd = held;
	assert_int_equal(wsl_send_fd(sv[0], "m", 1, p[1]), 1);
	close(p[1]);
	assert_int_equal(wsl_recv_fd(sv[1], buf, sizeof(buf), &fd), 1);
	assert_int_equal(fd, held);
	/* No write end is left anywhere. */
	assert_int_equal(read(p[0], &c, 1), 0);
	close(held);
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

/* Two descriptors on one message: the first is kept, the second closed. */
static void
test_fd_extra_descriptors_are_closed(void **state)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	char one[] = "2";
	struct iovec iov = { one, 1 };
	struct msghdr msg;
	struct cmsghdr *cmh;
	int sv[2], a[2], b[2], fds[2], fd = -1;
	char buf[8], c;

	(void)state;
	pair(sv);
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	fds[0] = a[1];
	fds[1] = b[1];
	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.space;
	msg.msg_controllen = sizeof(cm.space);
	cmh = CMSG_FIRSTHDR(&msg);
	cmh->cmsg_level = SOL_SOCKET;
	cmh->cmsg_type = SCM_RIGHTS;
	cmh->cmsg_len = CMSG_LEN(2 * sizeof(int));
	memcpy(CMSG_DATA(cmh), fds, sizeof(fds));
	assert_int_equal(sendmsg(sv[0], &msg, 0), 1);
	close(a[1]);
	close(b[1]);
	assert_int_equal(wsl_recv_fd(sv[1], buf, sizeof(buf), &fd), 1);
	assert_true(fd >= 0);
	assert_is_write_end_of(fd, a[0]);
	assert_int_equal(read(b[0], &c, 1), 0);
	close(fd);
	close(a[0]);
	close(b[0]);
	close(sv[0]);
	close(sv[1]);
}

static void
test_fd_eof_and_broken_peer(void **state)
{
	int sv[2], fd = -1;
	char buf[8];

	(void)state;
	pair(sv);
	close(sv[0]);
	assert_int_equal(wsl_recv_fd(sv[1], buf, sizeof(buf), &fd), 0);
	assert_int_equal(fd, -1);
	/* A vanished peer is EPIPE, not SIGPIPE. */
	errno = 0;
	assert_int_equal(wsl_send_fd(sv[1], "x", 1, -1), -1);
	assert_int_equal(errno, EPIPE);
	close(sv[1]);
}

/* ---- text made safe to show ------------------------------------------- */

static void
test_escape_controls(void **state)
{
	char out[64];

	(void)state;
	wsl_escape_controls("a\nwsld: forged\t\x1b[2J\x7f\xc3\xa9", out, sizeof(out));
	assert_string_equal(out, "a\\nwsld: forged\\t\\x1b[2J\\x7f\xc3\xa9");
	/* Cut whole: never half an escape. */
	wsl_escape_controls("ab\n", out, 4);
	assert_string_equal(out, "ab");
	wsl_escape_controls("abcdef", out, 4);
	assert_string_equal(out, "abc");
}

/* What the escaper must escape, written out independently of it. */
static bool
must_escape(uint32_t c)
{
	static const uint32_t bidi[] = { 0x061c, 0x200e, 0x200f, 0x202a,
		0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068,
		0x2069, 0x2028, 0x2029 };
	size_t i;

	if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
		return (true);
	for (i = 0; i < nitems(bidi); i++)
		if (c == bidi[i])
			return (true);
	return (false);
}

static size_t
utf8_encode(uint32_t c, unsigned char *b)
{
	if (c < 0x80) {
		b[0] = (unsigned char)c;
		return (1);
	}
	if (c < 0x800) {
		b[0] = (unsigned char)(0xc0 | c >> 6);
		b[1] = (unsigned char)(0x80 | (c & 0x3f));
		return (2);
	}
	if (c < 0x10000) {
		b[0] = (unsigned char)(0xe0 | c >> 12);
		b[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (c & 0x3f));
		return (3);
	}
	b[0] = (unsigned char)(0xf0 | c >> 18);
	b[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
	b[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
	b[3] = (unsigned char)(0x80 | (c & 0x3f));
	return (4);
}

/* Every code point: as it is, or its one escape, and nothing else. */
static void
test_escape_every_code_point(void **state)
{
	unsigned char b[4];
	char out[16], want[16];
	size_t n, len;
	uint32_t c;

	(void)state;
	for (c = 0; c <= 0x10ffff; c++) {
		if (c >= 0xd800 && c <= 0xdfff)
			continue; /* not characters (see the invalid forms) */
		n = utf8_encode(c, b);
		len = wsl_escape(b, n, out, sizeof(out));
		if (c == '\n')
			snprintf(want, sizeof(want), "\\n");
		else if (c == '\t')
			snprintf(want, sizeof(want), "\\t");
		else if (c < 0x20 || c == 0x7f)
			snprintf(want, sizeof(want), "\\x%02x", (unsigned int)c);
		else if (must_escape(c))
			snprintf(want, sizeof(want), "\\u%04x", (unsigned int)c);
		else {
			memcpy(want, b, n);
			want[n] = '\0';
		}
		if (strcmp(out, want) != 0 || len != strlen(want))
			fail_msg("U+%04X: got '%s', want '%s'", (unsigned int)c,
			    out, want);
	}
}

/* The classes by example, with the code points around each edge. */
static void
test_escape_classes_and_their_edges(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "\x01\x1f \x7e\x7f", "\\x01\\x1f \x7e\\x7f" },
		{ "\r", "\\x0d" },
		/* C1: U+0080..U+009F, not U+00A0 */
		{ "\xc2\x80\xc2\x9b[2J\xc2\x9f\xc2\xa0", "\\u0080\\u009b[2J\\u009f\xc2\xa0" },
		/* ALM, not its neighbours */
		{ "\xd8\x9b\xd8\x9c\xd8\x9d", "\xd8\x9b\\u061c\xd8\x9d" },
		/* LRM, RLM; the joiners before them stay */
		{ "\xe2\x80\x8d\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\x90",
		  "\xe2\x80\x8d\\u200e\\u200f\xe2\x80\x90" },
		/* U+2027, the separators, the embeddings and overrides, U+202F */
		{ "\xe2\x80\xa7\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa\xe2\x80\xab"
		  "\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae\xe2\x80\xaf",
		  "\xe2\x80\xa7\\u2028\\u2029\\u202a\\u202b\\u202c\\u202d"
		  "\\u202e\xe2\x80\xaf" },
		/* the isolates, not U+2065 or U+206A */
		{ "\xe2\x81\xa5\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"
		  "\xe2\x81\xaa",
		  "\xe2\x81\xa5\\u2066\\u2067\\u2068\\u2069\xe2\x81\xaa" },
		/* text in other scripts, and the last code point, as they are */
		{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
		  "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf" },
		/* a backslash stays: escaping twice changes nothing */
		{ "a\\x1b\\u202e", "a\\x1b\\u202e" },
	};
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		wsl_escape_controls(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
	}
}

/* A byte that is not part of valid UTF-8 is escaped alone, and what
 * follows is read afresh. */
static void
test_escape_invalid_utf8(void **state)
{
	static const struct {
		const char *in, *out;
		size_t len;
	} cases[] = {
		{ "\x9b[2J", "\\x9b[2J", 0 },              /* raw 8-bit CSI */
		{ "\x80\xbf", "\\x80\\xbf", 0 },           /* stray continuation */
		{ "\xc0\x80\xc1\xbf", "\\xc0\\x80\\xc1\\xbf", 0 }, /* overlong */
		{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf", 0 },
		{ "\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf", 0 },
		{ "\xed\xa0\x80", "\\xed\\xa0\\x80", 0 },  /* a surrogate */
		{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", 0 }, /* > U+10FFFF */
		{ "\xf5\xfe\xff", "\\xf5\\xfe\\xff", 0 },
		{ "\xe2\x80" "a", "\\xe2\\x80a", 0 },      /* cut short... */
		{ "\xc3\xc3\xa9", "\\xc3\xc3\xa9", 0 },    /* ...by another */
		{ "\xe2\x80", "\\xe2\\x80", 0 },           /* ...by the end */
		{ "\xe2\x80\xae", "\\xe2\\x80", 2 },       /* ...by the length */
		{ "a\0b\n", "a\\x00b\\n", 4 },             /* bytes: NUL too */
	};
	char out[64];
	size_t i, len;

	(void)state;
	for (i = 0; i < nitems(cases); i++) {
		len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].in);
		assert_int_equal(wsl_escape(cases[i].in, len, out, sizeof(out)),
		    strlen(cases[i].out));
		assert_string_equal(out, cases[i].out);
	}
}

/* Cut to the size, at an escape's or a character's edge, never inside:
 * each prefix of the full output that ends at an edge is what a buffer
 * of its size (plus the NUL) gets, and a byte less cuts back to the
 * previous edge. */
static void
test_escape_cut_at_edges(void **state)
{
	static const char in[] = "a\xc2\x9b" "b\xe2\x80\xae\xc3\xa9\x1b\xff"
	    "\xf0\x9f\x98\x80\n";
	static const size_t edges[] = { 0, 1, 7, 8, 14, 16, 20, 24, 28, 30 };
	char full[64], out[64];
	size_t size, e, want;

	(void)state;
	assert_int_equal(wsl_escape(in, strlen(in), full, sizeof(full)), 30);
	assert_string_equal(full, "a\\u009bb\\u202e\xc3\xa9\\x1b\\xff"
	    "\xf0\x9f\x98\x80\\n");
	for (size = 1; size <= 31; size++) {
		for (e = 0, want = 0; e < nitems(edges); e++)
			if (edges[e] < size)
				want = edges[e];
		memset(out, 'Z', sizeof(out));
		assert_int_equal(wsl_escape(in, strlen(in), out, size), want);
		assert_int_equal(strlen(out), want);
		assert_memory_equal(out, full, want);
	}
	/* Nothing fits in nothing; out is not touched. */
	out[0] = 'Z';
	assert_int_equal(wsl_escape(in, strlen(in), out, 0), 0);
	assert_int_equal(out[0], 'Z');
}

/* Escaped text is valid UTF-8 and needs no more escaping: the output of
 * every byte pair, and of the worst case at WSL_ESCAPE_MAX per byte. */
static void
test_escape_output_is_final(void **state)
{
	unsigned char in[2];
	char once[16], twice[64], big[4 * WSL_ESCAPE_MAX + 1];
	unsigned int a, b;
	json_t *j;

	(void)state;
	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++) {
			in[0] = (unsigned char)a;
			in[1] = (unsigned char)b;
			(void)wsl_escape(in, 2, once, sizeof(once));
			wsl_escape_controls(once, twice, sizeof(twice));
			if (strcmp(once, twice) != 0)
				fail_msg("%02x %02x: '%s' then '%s'", a, b, once,
				    twice);
			if ((j = json_string(once)) == NULL)
				fail_msg("%02x %02x: '%s' is not UTF-8", a, b,
				    once);
			json_decref(j);
		}
	/* Four bytes that each become four: all of it fits. */
	assert_int_equal(wsl_escape("\xff\x01\x80\x7f", 4, big, sizeof(big)),
	    4 * WSL_ESCAPE_MAX);
}

/* ---- binding a Unix socket with a mode and a group --------------------- */

static int
bind_at(const char *path, mode_t mode, gid_t gid)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), r;

	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	r = wsl_bind_unix(fd, &sun, mode, gid);
	close(fd);
	return (r);
}

static void
test_bind_unix_mode_and_group_whatever_the_umask(void **state)
{
	char dir[] = "/tmp/wsl-bind.XXXXXX", path[64];
	struct stat st;
	mode_t old;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
	old = umask(0077); /* would strip 0666 to 0600 */
	assert_int_equal(bind_at(path, 0666, (gid_t)-1), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0666);
	assert_int_equal(unlink(path), 0);
	umask(0); /* would leave 0777 */
	assert_int_equal(bind_at(path, 0660, getegid()), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, getegid());
	umask(old);
	/* A path that exists already: nothing is changed or removed. */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(bind_at(path, 0666, (gid_t)-1), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- framing before the first append ---------------------------------- */

/* Run last: with UBSan in the library this may end the program. */
static void
test_lines_next_before_any_append(void **state)
{
	struct wsl_lines lb;
	char *line;
	size_t len;

	(void)state;
	wsl_lines_init(&lb, M);
	assert_int_equal(wsl_lines_take_rest(&lb, &line, &len),
	    WSL_LINES_NONE);
	assert_int_equal(wsl_lines_pending(&lb), 0);
	assert_int_equal(wsl_lines_next(&lb, &line, &len), WSL_LINES_NONE);
	wsl_lines_free(&lb);
}

/* One group, so that the TAP output has one plan. */
#define TEST(f) { #f, f, NULL, NULL, NULL }

static const struct CMUnitTest before[] = {
	/* HRESULT table */
	TEST(test_hr_known_names_classes_texts),
	TEST(test_hr_enum_matches_values),
	TEST(test_hr_unknown_codes),
	TEST(test_hr_ws_e_range_has_no_gaps),
	TEST(test_hr_failed),
	TEST(test_hr_format),
	TEST(test_hr_parse_round_trips),
	TEST(test_hr_parse_rejects_bad_strings),
	/* command and state tables */
	TEST(test_cmd_lookup_and_levels),
	TEST(test_cmd_table_is_consistent),
	TEST(test_cmd_lookup_unknown),
	TEST(test_level_names),
	TEST(test_state_names),
	TEST(test_state_lookup_case_and_unknown),
	/* request envelope */
	TEST(test_request_with_string_id),
	TEST(test_request_with_number_id_and_no_arguments),
	TEST(test_request_with_object_id),
	TEST(test_request_without_id),
	TEST(test_request_key_order_does_not_matter),
	TEST(test_request_refused_with_e_invalidarg),
	TEST(test_request_unknown_command),
	TEST(test_request_new_round_trips),
	TEST(test_request_nesting_depth),
};

static const struct CMUnitTest after[] = {
	/* reply envelope */
	TEST(test_reply_success),
	TEST(test_reply_failure),
	TEST(test_reply_unknown_failure_names_the_hex),
	TEST(test_encode_is_one_line),
	TEST(test_reply_decode_round_trips),
	TEST(test_reply_decode_minimal),
	TEST(test_reply_decode_refusals),
	/* line framing */
	TEST(test_lines_independent_of_split),
	TEST(test_lines_several_in_one_append),
	TEST(test_lines_empty_line),
	TEST(test_lines_partial_then_rest),
	TEST(test_lines_exactly_max_with_newline_is_accepted),
	TEST(test_lines_max_plus_one_is_too_long),
	TEST(test_lines_max_bytes_without_newline_is_too_long),
	TEST(test_lines_take_rest_limits),
	TEST(test_lines_growth),
	TEST(test_lines_consuming_moves_nothing),
	TEST(test_lines_moves_are_linear),
	TEST(test_lines_split_independent_while_moving),
	TEST(test_lines_memory),
	/* descriptor passing */
	TEST(test_fd_arrives_with_the_bytes),
	TEST(test_fd_minus_one_passes_none),
	TEST(test_fd_stays_with_its_message),
	TEST(test_fd_in_order_with_big_reads),
	TEST(test_fd_recv_keeps_held_fd_and_closes_incoming),
	TEST(test_fd_extra_descriptors_are_closed),
	TEST(test_fd_eof_and_broken_peer),
	TEST(test_bind_unix_mode_and_group_whatever_the_umask),
	TEST(test_escape_controls),
	TEST(test_escape_every_code_point),
	TEST(test_escape_classes_and_their_edges),
	TEST(test_escape_invalid_utf8),
	TEST(test_escape_cut_at_edges),
	TEST(test_escape_output_is_final),
	/* last: with UBSan in the library this one may end the program */
	TEST(test_lines_next_before_any_append),
};

int
main(void)
{
	size_t nmal = nitems(malformed), i, n = 0;
	const unsigned char *s, *end;
	struct CMUnitTest *tests;
	char *p, *lim;
	int r;

	tests = calloc(nitems(before) + nmal + nitems(after), sizeof(*tests));
	if (tests == NULL)
		return (1);
	for (i = 0; i < nitems(before); i++)
		tests[n++] = before[i];
	for (i = 0; i < nmal; i++) {
		/* The name shows the bytes, escaped. */
		s = (const unsigned char *)malformed[i].json;
		end = s + (malformed[i].len != 0 ? malformed[i].len :
		    strlen(malformed[i].json));
		p = malformed[i].name;
		lim = p + sizeof(malformed[i].name) - 40;
		p += sprintf(p, "request '");
		for (; s < end && p < lim; s++)
			p += *s >= 0x20 && *s < 0x7f && *s != '\\' ?
			    sprintf(p, "%c", *s) : sprintf(p, "\\x%02x", *s);
		sprintf(p, "' is WS_E_INVALID_FORMAT");
		tests[n].name = malformed[i].name;
		tests[n].test_func = test_request_malformed;
		tests[n++].initial_state = &malformed[i];
	}
	for (i = 0; i < nitems(after); i++)
		tests[n++] = after[i];
	r = _cmocka_run_group_tests("control protocol library", tests, n,
	    NULL, NULL);
	free(tests);
	return (r);
}
