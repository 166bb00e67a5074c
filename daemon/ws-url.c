/* SPDX-License-Identifier: ISC */
/*
 * Listener URLs: scheme://host[:port][/path].  The scheme selects the
 * binding (http, net.tcp, soap.udp, net.pipe); host may be "+" or "*" for
 * every address, an IPv4 literal, a bracketed IPv6 literal or a name.  As on
 * Windows, no query or fragment is allowed.  A net.pipe URL names a socket
 * in the pipe directory: net.pipe://localhost/NAME.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ws-internal.h"

static const struct {
	const char *name;
	enum ws_scheme scheme;
	int default_port;
} schemes[] = {
	{ "http", WS_SCHEME_HTTP, 80 },
	{ "https", WS_SCHEME_HTTPS, 443 },
	{ "net.tcp", WS_SCHEME_NETTCP, 808 },
	{ "soap.udp", WS_SCHEME_SOAPUDP, 65535 },
	{ "net.pipe", WS_SCHEME_NETPIPE, -1 },
};

WS_CHANNEL_BINDING
ws_scheme_binding(enum ws_scheme s)
{
	switch (s) {
	case WS_SCHEME_HTTP:
	case WS_SCHEME_HTTPS:
		return (WS_HTTP_CHANNEL_BINDING);
	case WS_SCHEME_NETTCP:
		return (WS_TCP_CHANNEL_BINDING);
	case WS_SCHEME_SOAPUDP:
		return (WS_UDP_CHANNEL_BINDING);
	case WS_SCHEME_NETPIPE:
		break;
	}
	return (WS_NAMEDPIPE_CHANNEL_BINDING);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* Percent-decode [s, s+n) into out; false on a bad escape or overflow. */
static bool
decode(const char *s, size_t n, char *out, size_t outsize)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= outsize)
			return (false);
		if (s[i] == '%') {
			if (i + 2 >= n)
				return (false);
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return (false);
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return (true);
}

/* An IPv6 address, optionally with a %zone after it. */
static bool
ipv6_literal(const char *host)
{
	struct in6_addr a;
	char addr[INET6_ADDRSTRLEN];
	size_t n = strcspn(host, "%");

	if (n == 0 || n >= sizeof(addr))
		return (false);
	memcpy(addr, host, n);
	addr[n] = '\0';
	return (inet_pton(AF_INET6, addr, &a) == 1);
}

static bool
pipe_name_ok(const char *name)
{
	const char *p;

	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return (false);
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' &&
		    *p != '-')
			return (false);
	return (true);
}

#define BAD(...) (snprintf(why, whylen, __VA_ARGS__), WS_E_INVALID_FORMAT)

HRESULT
ws_url_parse(const char *s, size_t len, struct ws_url *u, char *why,
    size_t whylen)
{
	const char *p, *end = s + len, *host, *hend, *q;
	char port[8];
	size_t i, n;
	long v;
	int default_port = -1;
	bool found = false;

	memset(u, 0, sizeof(*u));
	if (len == 0)
		return (BAD("the URL is empty"));
	if (memchr(s, '\0', len) != NULL)
		return (BAD("the URL contains a NUL byte"));
	if ((p = memmem(s, len, "://", 3)) == NULL)
		return (BAD("the URL has no scheme (expected scheme://host...)"));
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		n = strlen(schemes[i].name);
		if ((size_t)(p - s) == n && strncasecmp(s, schemes[i].name, n) == 0) {
			u->scheme = schemes[i].scheme;
			default_port = schemes[i].default_port;
			found = true;
		}
	}
	if (!found)
		return (BAD("unknown scheme '%.*s' (expected net.tcp, http, "
		    "soap.udp or net.pipe)", (int)(p - s), s));
	host = p + 3;
	for (q = host; q < end; q++)
		if (*q == '?' || *q == '#')
			return (BAD("the URL may not have a query or fragment"));
	if (host < end && *host == '[') {
		if ((hend = memchr(host, ']', (size_t)(end - host))) == NULL)
			return (BAD("unterminated '[' in the host"));
		if (!decode(host + 1, (size_t)(hend - host - 1), u->host,
		    sizeof(u->host)) || !ipv6_literal(u->host))
			return (BAD("bad IPv6 literal"));
		p = hend + 1;
	} else {
		for (hend = host; hend < end && *hend != ':' && *hend != '/';
		    hend++)
			;
		if (!decode(host, (size_t)(hend - host), u->host,
		    sizeof(u->host)))
			return (BAD("bad host"));
		p = hend;
	}
	if (u->host[0] == '\0')
		return (BAD("the URL has no host"));
	if (strcmp(u->host, "+") == 0 || strcmp(u->host, "*") == 0) {
		u->wildcard = true;
		u->host[0] = '\0';
	}
	u->port = default_port;
	if (p < end && *p == ':') {
		for (q = ++p; q < end && *q != '/'; q++)
			if (!isdigit((unsigned char)*q))
				return (BAD("the port is not a number"));
		n = (size_t)(q - p);
		if (n == 0 || n >= sizeof(port))
			return (BAD("bad port"));
		memcpy(port, p, n);
		port[n] = '\0';
		v = strtol(port, NULL, 10);
		if (v > 65535)
			return (BAD("port %ld is out of range", v));
		if (u->scheme == WS_SCHEME_NETPIPE)
			return (BAD("a net.pipe URL has no port"));
		u->port = (int)v;
		p = q;
	} else if (p < end && *p != '/')
		return (BAD("unexpected '%c' after the host", *p));
	if (p < end && *p == '/')
		p++;
	if (!decode(p, (size_t)(end - p), u->path, sizeof(u->path)))
		return (BAD("bad path"));
	if (u->scheme == WS_SCHEME_NETPIPE) {
		if (!u->wildcard && strcasecmp(u->host, "localhost") != 0)
			return (snprintf(why, whylen, "a net.pipe URL must name "
			    "localhost, not '%s'", u->host),
			    WS_E_INVALID_ENDPOINT_URL);
		n = strlen(u->path);
		if (n > 0 && u->path[n - 1] == '/')
			u->path[n - 1] = '\0';
		if (!pipe_name_ok(u->path))
			return (snprintf(why, whylen, "a net.pipe URL names one "
			    "socket: net.pipe://localhost/NAME with NAME made "
			    "of letters, digits, '.', '_' and '-'"),
			    WS_E_INVALID_ENDPOINT_URL);
	}
	return (S_OK);
}

HRESULT
WslParseUrl(const char *url, WSL_URL_INFO *info, char *why, size_t whylen)
{
	struct ws_url u;
	HRESULT hr;

	if (url == NULL || info == NULL)
		return (E_INVALIDARG);
	if (FAILED(hr = ws_url_parse(url, strlen(url), &u, why, whylen)))
		return (hr);
	memset(info, 0, sizeof(*info));
	info->binding = ws_scheme_binding(u.scheme);
	switch (info->binding) {
	case WS_HTTP_CHANNEL_BINDING:
		info->type = WS_CHANNEL_TYPE_REPLY;
		break;
	case WS_UDP_CHANNEL_BINDING:
		info->type = WS_CHANNEL_TYPE_DUPLEX;
		break;
	default:
		info->type = WS_CHANNEL_TYPE_DUPLEX_SESSION;
		break;
	}
	info->wildcard = u.wildcard;
	memcpy(info->host, u.host, sizeof(info->host));
	info->port = u.port;
	memcpy(info->path, u.path, sizeof(info->path));
	return (S_OK);
}

HRESULT
WslUrlBinding(const char *url, WS_CHANNEL_BINDING *binding,
    WS_CHANNEL_TYPE *type, char *why, size_t whylen)
{
	WSL_URL_INFO info;
	HRESULT hr;

	if (binding == NULL || type == NULL)
		return (E_INVALIDARG);
	if (FAILED(hr = WslParseUrl(url, &info, why, whylen)))
		return (hr);
	*binding = info.binding;
	*type = info.type;
	return (S_OK);
}
