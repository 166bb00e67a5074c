/* SPDX-License-Identifier: ISC */
/*
 * Listener URLs, row by row: every accepted form with the scheme, host,
 * wildcard flag, port and path ws_url_parse() decodes from it, every
 * rejected form with the HRESULT it must give (WS_E_INVALID_FORMAT for a
 * malformed URL, WS_E_INVALID_ENDPOINT_URL for a well-formed net.pipe URL
 * that names no socket of ours) and a non-empty explanation, and the
 * binding and channel type WslUrlBinding() derives from the scheme.  Each
 * URL is parsed from a heap copy of exactly its length, without a NUL, so
 * that a read past the length is caught by AddressSanitizer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "ws-internal.h"

/* HRESULTs compared as the 32-bit values they are (cmocka prints hex). */
#define assert_hr_equal(a, b) \
	assert_int_equal((uint32_t)(HRESULT)(a), (uint32_t)(HRESULT)(b))

static const char *const scheme_names[] = { "HTTP", "HTTPS", "NETTCP",
	"SOAPUDP", "NETPIPE" };

struct good {
	const char *url;
	enum ws_scheme scheme;
	const char *host;     /* "" when wildcard */
	bool wildcard;
	int port;
	const char *path;
	char name[160];
};

static struct good goods[] = {
	/* url                              scheme              host          wild   port   path */
	{ "net.tcp://127.0.0.1:8808/",      WS_SCHEME_NETTCP,   "127.0.0.1",  false, 8808,  "" },
	{ "net.tcp://+:2017/path",          WS_SCHEME_NETTCP,   "",           true,  2017,  "path" },
	{ "net.tcp://*:1/",                 WS_SCHEME_NETTCP,   "",           true,  1,     "" },
	{ "net.tcp://localhost:2017",       WS_SCHEME_NETTCP,   "localhost",  false, 2017,  "" },
	{ "net.tcp://h/",                   WS_SCHEME_NETTCP,   "h",          false, 808,   "" },
	{ "net.tcp://h",                    WS_SCHEME_NETTCP,   "h",          false, 808,   "" },
	{ "net.tcp://h:65535/",             WS_SCHEME_NETTCP,   "h",          false, 65535, "" },
	{ "net.tcp://h/a/b%20c",            WS_SCHEME_NETTCP,   "h",          false, 808,   "a/b c" },
	{ "NET.TCP://127.0.0.1:9/",         WS_SCHEME_NETTCP,   "127.0.0.1",  false, 9,     "" },
	{ "Net.Tcp://h:9/x",                WS_SCHEME_NETTCP,   "h",          false, 9,     "x" },
	{ "net.tcp://[::1]:9/",             WS_SCHEME_NETTCP,   "::1",        false, 9,     "" },
	{ "net.tcp://[::1]",                WS_SCHEME_NETTCP,   "::1",        false, 808,   "" },
	{ "net.tcp://[fe80::1%25eth0]:9/",  WS_SCHEME_NETTCP,   "fe80::1%eth0", false, 9,   "" },
	{ "http://+:8080/",                 WS_SCHEME_HTTP,     "",           true,  8080,  "" },
	{ "http://127.0.0.1/",              WS_SCHEME_HTTP,     "127.0.0.1",  false, 80,    "" },
	{ "HTTP://[::1]/svc",               WS_SCHEME_HTTP,     "::1",        false, 80,    "svc" },
	{ "https://x/",                     WS_SCHEME_HTTPS,    "x",          false, 443,   "" },
	{ "soap.udp://127.0.0.1:0/",        WS_SCHEME_SOAPUDP,  "127.0.0.1",  false, 0,     "" },
	{ "soap.udp://h/",                  WS_SCHEME_SOAPUDP,  "h",          false, 65535, "" },
	{ "net.pipe://localhost/echo",      WS_SCHEME_NETPIPE,  "localhost",  false, -1,    "echo" },
	{ "net.pipe://LocalHost/echo",      WS_SCHEME_NETPIPE,  "LocalHost",  false, -1,    "echo" },
	{ "net.pipe://+/a.b_c-d",           WS_SCHEME_NETPIPE,  "",           true,  -1,    "a.b_c-d" },
	{ "net.pipe://*/x",                 WS_SCHEME_NETPIPE,  "",           true,  -1,    "x" },
	{ "net.pipe://localhost/echo/",     WS_SCHEME_NETPIPE,  "localhost",  false, -1,    "echo" },
};

struct bad {
	const char *url;
	size_t len;           /* 0: strlen(url) */
	HRESULT hr;
	const char *why;      /* what is wrong, for the test name */
	char name[160];
};

#define FMT WS_E_INVALID_FORMAT
#define EPURL WS_E_INVALID_ENDPOINT_URL

static struct bad bads[] = {
	{ "",                            0,  FMT,   "empty" },
	{ "net.tcp",                     0,  FMT,   "no ://" },
	{ "ftp://h/",                    0,  FMT,   "unknown scheme" },
	{ "net.tcpx://h/",               0,  FMT,   "scheme with a suffix" },
	{ "://h/",                       0,  FMT,   "empty scheme" },
	{ "net.tcp://",                  0,  FMT,   "no host" },
	{ "net.tcp:///x",                0,  FMT,   "empty host before a path" },
	{ "net.tcp://:80/",              0,  FMT,   "port without host" },
	{ "net.tcp://h:70000/",          0,  FMT,   "port above 65535" },
	{ "net.tcp://h:65536/",          0,  FMT,   "port 65536" },
	{ "net.tcp://h:12a/",            0,  FMT,   "port with a letter" },
	{ "net.tcp://h:-1/",             0,  FMT,   "negative port" },
	{ "net.tcp://h:/",               0,  FMT,   "empty port" },
	{ "net.tcp://h:99999999/",       0,  FMT,   "eight-digit port" },
	{ "net.tcp://h/?q=1",            0,  FMT,   "query" },
	{ "net.tcp://h/#f",              0,  FMT,   "fragment" },
	{ "net.tcp://h?q=1",             0,  FMT,   "query right after the host" },
	{ "net.tcp://[::1/",             0,  FMT,   "unterminated bracket" },
	{ "net.tcp://[127.0.0.1]/",      0,  FMT,   "IPv4 in brackets" },
	{ "net.tcp://[]/",               0,  FMT,   "empty brackets" },
	{ "net.tcp://[h:80]/",           0,  FMT,   "host and port in brackets" },
	{ "net.tcp://[::1]x/",           0,  FMT,   "junk after the bracket" },
	{ "net.tcp://::1/",              0,  FMT,   "unbracketed IPv6" },
	{ "net.tcp://h%zz/",             0,  FMT,   "bad percent escape in host" },
	{ "net.tcp://h%2/",              0,  FMT,   "short percent escape in host" },
	{ "net.tcp://h%00/",             0,  FMT,   "percent-encoded NUL in host" },
	{ "net.tcp://h/a%2",             0,  FMT,   "short percent escape in path" },
	{ "net.tcp://h/a%00b",           0,  FMT,   "percent-encoded NUL in path" },
	{ "net.pipe://localhost:5/x",    0,  FMT,   "net.pipe with a port" },
	{ "net.tcp://h\0/x",             14, FMT,   "embedded NUL" },
	{ "net.pipe://otherhost/x",      0,  EPURL, "net.pipe on another host" },
	{ "net.pipe://127.0.0.1/x",      0,  EPURL, "net.pipe on an address" },
	{ "net.pipe://localhost/",       0,  EPURL, "net.pipe without a name" },
	{ "net.pipe://localhost",        0,  EPURL, "net.pipe without a path" },
	{ "net.pipe://localhost/.",      0,  EPURL, "net.pipe named ." },
	{ "net.pipe://localhost/..",     0,  EPURL, "net.pipe named .." },
	{ "net.pipe://localhost/%2E%2E", 0,  EPURL, "net.pipe named .. percent-encoded" },
	{ "net.pipe://localhost/../etc", 0,  EPURL, "net.pipe climbing out" },
	{ "net.pipe://localhost/a/b",    0,  EPURL, "net.pipe with two segments" },
	{ "net.pipe://localhost/a%2Fb",  0,  EPURL, "net.pipe with an encoded slash" },
	{ "net.pipe://localhost/sp ace", 0,  EPURL, "net.pipe with a space" },
	{ "net.pipe://localhost/echo//", 0,  EPURL, "net.pipe with two trailing slashes" },
};

static HRESULT
parse(const char *s, size_t len, struct ws_url *u, char *why, size_t whylen)
{
	char *copy = exact_copy(s, len);
	HRESULT hr;

	hr = ws_url_parse(copy, len, u, why, whylen);
	free(copy);
	return (hr);
}

static void
test_good(void **state)
{
	const struct good *g = *state;
	struct ws_url u;
	char why[256] = "";
	HRESULT hr;

	memset(&u, 0xa5, sizeof(u));
	hr = parse(g->url, strlen(g->url), &u, why, sizeof(why));
	if (hr != S_OK)
		print_message("# why: %s\n", why);
	assert_hr_equal(hr, S_OK);
	assert_int_equal(u.scheme, g->scheme);
	assert_string_equal(u.host, g->host);
	assert_int_equal(u.wildcard, g->wildcard);
	assert_int_equal(u.port, g->port);
	assert_string_equal(u.path, g->path);
}

static void
test_bad(void **state)
{
	const struct bad *b = *state;
	size_t len = b->len != 0 ? b->len : strlen(b->url);
	struct ws_url u;
	char why[256];
	HRESULT hr;

	memset(why, 0, sizeof(why));
	hr = parse(b->url, len, &u, why, sizeof(why));
	assert_hr_equal(hr, b->hr);
	assert_true(strlen(why) > 0);
}

/* The explanation is cut to the buffer and stays a string. */
static void
test_why_truncated(void **state)
{
	struct ws_url u;
	char why[8];

	(void)state;
	memset(why, 'x', sizeof(why));
	assert_hr_equal(parse("ftp://h/", 8, &u, why, sizeof(why)),
	    WS_E_INVALID_FORMAT);
	assert_int_equal(strlen(why), sizeof(why) - 1);
}

/* Only the first len bytes count; whatever follows is not looked at. */
static void
test_length_limits_parse(void **state)
{
	static const char buf[] = "net.tcp://127.0.0.1:8808/?q=1#frag";
	static const char path[] = "net.tcp://h/pathXYZ?";
	static const char pipe[] = "net.pipe://localhost/echo/../x y";
	static const char port[] = "net.tcp://h:80/";
	struct ws_url u;
	char why[256] = "";

	(void)state;
	assert_hr_equal(parse(buf, 25, &u, why, sizeof(why)), S_OK);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 8808);
	assert_string_equal(u.path, "");

	/* Cut inside the port: "net.tcp://127.0.0.1:88". */
	assert_hr_equal(parse(buf, 22, &u, why, sizeof(why)), S_OK);
	assert_int_equal(u.port, 88);

	assert_hr_equal(parse(path, 16, &u, why, sizeof(why)), S_OK);
	assert_string_equal(u.host, "h");
	assert_string_equal(u.path, "path");

	assert_hr_equal(parse(pipe, 26, &u, why, sizeof(why)), S_OK);
	assert_string_equal(u.path, "echo");

	/* "net.tcp://h:" has an empty port. */
	why[0] = '\0';
	assert_hr_equal(parse(port, 12, &u, why, sizeof(why)),
	    WS_E_INVALID_FORMAT);
	assert_true(strlen(why) > 0);

	/* "net.tcp:/" has no "://" even though the buffer does. */
	assert_hr_equal(parse(port, 9, &u, why, sizeof(why)),
	    WS_E_INVALID_FORMAT);

	/* Zero bytes of a valid URL: empty. */
	assert_hr_equal(ws_url_parse(port, 0, &u, why, sizeof(why)),
	    WS_E_INVALID_FORMAT);
}

struct binding_row {
	const char *url;
	WS_CHANNEL_BINDING binding;
	WS_CHANNEL_TYPE type;
};

static void
test_url_binding(void **state)
{
	static const struct binding_row rows[] = {
		{ "http://+:8080/", WS_HTTP_CHANNEL_BINDING,
		    WS_CHANNEL_TYPE_REPLY },
		{ "https://+:8443/", WS_HTTP_CHANNEL_BINDING,
		    WS_CHANNEL_TYPE_REPLY },
		{ "net.tcp://127.0.0.1:0/", WS_TCP_CHANNEL_BINDING,
		    WS_CHANNEL_TYPE_DUPLEX_SESSION },
		{ "soap.udp://127.0.0.1:0/", WS_UDP_CHANNEL_BINDING,
		    WS_CHANNEL_TYPE_DUPLEX },
		{ "net.pipe://localhost/echo", WS_NAMEDPIPE_CHANNEL_BINDING,
		    WS_CHANNEL_TYPE_DUPLEX_SESSION },
	};
	WS_CHANNEL_BINDING binding;
	WS_CHANNEL_TYPE type;
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		binding = (WS_CHANNEL_BINDING)-1;
		type = (WS_CHANNEL_TYPE)0;
		why[0] = '\0';
		assert_hr_equal(WslUrlBinding(rows[i].url, &binding, &type,
		    why, sizeof(why)), S_OK);
		assert_int_equal(binding, rows[i].binding);
		assert_int_equal(type, rows[i].type);
	}
}

static void
test_url_binding_refusals(void **state)
{
	WS_CHANNEL_BINDING binding = (WS_CHANNEL_BINDING)-1;
	WS_CHANNEL_TYPE type = (WS_CHANNEL_TYPE)0;
	char why[256] = "";

	(void)state;
	assert_hr_equal(WslUrlBinding(NULL, &binding, &type, why, sizeof(why)),
	    E_INVALIDARG);
	assert_hr_equal(WslUrlBinding("net.tcp://h/", NULL, &type, why,
	    sizeof(why)), E_INVALIDARG);
	assert_hr_equal(WslUrlBinding("net.tcp://h/", &binding, NULL, why,
	    sizeof(why)), E_INVALIDARG);
	assert_hr_equal(WslUrlBinding("ftp://h/", &binding, &type, why,
	    sizeof(why)), WS_E_INVALID_FORMAT);
	assert_true(strlen(why) > 0);
	why[0] = '\0';
	assert_hr_equal(WslUrlBinding("net.pipe://otherhost/x", &binding,
	    &type, why, sizeof(why)), WS_E_INVALID_ENDPOINT_URL);
	assert_true(strlen(why) > 0);
	/* A refused call leaves the outputs alone. */
	assert_int_equal(binding, (WS_CHANNEL_BINDING)-1);
	assert_int_equal(type, (WS_CHANNEL_TYPE)0);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_why_truncated),
		cmocka_unit_test(test_length_limits_parse),
		cmocka_unit_test(test_url_binding),
		cmocka_unit_test(test_url_binding_refusals),
	};
	size_t ngood = sizeof(goods) / sizeof(goods[0]);
	size_t nbad = sizeof(bads) / sizeof(bads[0]);
	size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	size_t i, n = 0;
	struct CMUnitTest *tests;
	int r;

	tests = calloc(ngood + nbad + nfixed, sizeof(*tests));
	if (tests == NULL)
		return (1);
	for (i = 0; i < ngood; i++) {
		snprintf(goods[i].name, sizeof(goods[i].name),
		    "accepts %s as %s host '%s'%s port %d path '%s'",
		    goods[i].url, scheme_names[goods[i].scheme], goods[i].host,
		    goods[i].wildcard ? " (wildcard)" : "", goods[i].port,
		    goods[i].path);
		tests[n].name = goods[i].name;
		tests[n].test_func = test_good;
		tests[n++].initial_state = &goods[i];
	}
	for (i = 0; i < nbad; i++) {
		snprintf(bads[i].name, sizeof(bads[i].name),
		    "rejects %s (%s) with %s", bads[i].why,
		    bads[i].len != 0 ? "with an explicit length" : bads[i].url,
		    bads[i].hr == FMT ? "WS_E_INVALID_FORMAT" :
		    "WS_E_INVALID_ENDPOINT_URL");
		tests[n].name = bads[i].name;
		tests[n].test_func = test_bad;
		tests[n++].initial_state = &bads[i];
	}
	for (i = 0; i < nfixed; i++)
		tests[n++] = fixed[i];
	r = _cmocka_run_group_tests("listener URLs", tests, n, NULL, NULL);
	free(tests);
	return (r);
}
