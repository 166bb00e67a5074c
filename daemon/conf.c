/* SPDX-License-Identifier: ISC */
/*
 * Loading and checking the configuration file (see conf.h).  jansson
 * reports syntax errors with their position but keeps no positions for
 * values, so conf_locate() finds a value's position by scanning the text
 * along a JSON pointer; the text is valid JSON by then.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "conf.h"
#include "control.h"
#include "inject.h"
#include "json-memory.h"
#include "spec.h"

#define CONF_MAX (16 * 1024 * 1024)

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return (p);
}

/* Skip a string starting at its opening quote; returns past the closing. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	return (p < end ? p + 1 : end);
}

/* Skip one value of any kind, without recursion. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	do {
		p = skip_ws(p, end);
		if (p >= end)
			return (end);
		if (*p == '"')
			p = skip_string(p, end);
		else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			depth--;
			p++;
		} else if (*p == ',' || *p == ':')
			p++;
		else /* memchr, not strchr: a NUL byte is no delimiter */
			while (p < end && memchr(",:]} \t\r\n", *p, 8) == NULL)
				p++;
	} while (depth > 0);
	return (p);
}

/* Does the JSON string at p equal the pointer segment seg? */
static bool
key_equals(const char *p, const char *end, const char *seg, size_t seglen)
{
	const char *e = skip_string(p, end) - 1;
	size_t n = (size_t)(e - (p + 1));

	/* Keys with escapes never match: wsld's own keys have none. */
	return (n == seglen && memchr(p + 1, '\\', n) == NULL &&
	    memcmp(p + 1, seg, n) == 0);
}

int
conf_locate(const char *text, size_t len, const char *pointer, int *line,
    int *column)
{
	const char *p = text, *end = text + len, *seg, *q;
	char *q2;
	size_t seglen;
	long idx;
	bool found;

	while (*pointer == '/') {
		seg = pointer + 1;
		seglen = strcspn(seg, "/");
		pointer = seg + seglen;
		p = skip_ws(p, end);
		if (p < end && *p == '[') {
			/* An array: the segment is an index. */
			idx = strtol(seg, &q2, 10);
			if (q2 != seg + seglen || idx < 0)
				return (-1);
			for (p++; idx > 0; idx--) {
				p = skip_ws(skip_value(p, end), end);
				if (p >= end || *p != ',')
					return (-1);
				p++;
			}
			continue;
		}
		if (p >= end || *p != '{')
			return (-1);
		found = false;
		for (p++;;) {
			p = skip_ws(p, end);
			if (p >= end || *p != '"')
				return (-1);
			q = p;
			p = skip_ws(skip_string(p, end), end);
			if (p >= end || *p != ':')
				return (-1);
			p = skip_ws(p + 1, end);
			if (key_equals(q, end, seg, seglen)) {
				found = true;
				break;
			}
			p = skip_ws(skip_value(p, end), end);
			if (p >= end || *p != ',')
				return (-1);
			p++;
		}
		if (!found)
			return (-1);
	}
	p = skip_ws(p, end);
	*line = 1;
	*column = 1;
	for (q = text; q < p; q++) {
		if (*q == '\n') {
			(*line)++;
			*column = 1;
		} else
			(*column)++;
	}
	return (0);
}

static char *
read_file(const char *path, size_t *len, char *err, size_t errlen,
    bool *no_memory)
{
	char *buf = NULL, *p;
	size_t cap = 0, n = 0, r;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			if (cap > CONF_MAX) {
				snprintf(err, errlen, "%s: larger than %d bytes",
				    path, CONF_MAX);
				free(buf);
				fclose(f);
				return (NULL);
			}
			if ((p = inject_realloc(buf, cap)) == NULL) {
				snprintf(err, errlen, "%s: out of memory", path);
				*no_memory = true;
				free(buf);
				fclose(f);
				return (NULL);
			}
			buf = p;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(buf);
		fclose(f);
		return (NULL);
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return (buf);
}

/* "FILE:LINE:COLUMN: message", the position of the pointer's value. */
static int
fail_at(const char *path, const char *text, size_t len, const char *pointer,
    const char *msg, char *err, size_t errlen)
{
	int line, column;

	if (conf_locate(text, len, pointer, &line, &column) < 0)
		line = column = 1;
	snprintf(err, errlen, "%s:%d:%d: %s", path, line, column, msg);
	return (-1);
}

/* {"GROUP": "read" | "operate" | "admin"}; pointer ends at the culprit. */
static int
check_access(const json_t *v, char *pointer, size_t plen, char *msg,
    size_t mlen)
{
	const char *group;
	json_t *level;
	size_t n = strlen(pointer);

	if (!json_is_object(v)) {
		snprintf(msg, mlen, "\"access\" must be an object of levels "
		    "by group, such as {\"wsld-operators\": \"operate\"}");
		return (-1);
	}
	json_object_foreach((json_t *)v, group, level) {
		snprintf(pointer + n, plen - n, "/%s", group);
		if (getgrnam(group) == NULL) {
			snprintf(msg, mlen, "access: no group named '%.64s'",
			    group);
			return (-1);
		}
		if (!json_is_string(level) ||
		    access_parse_level(json_string_value(level)) < 0) {
			snprintf(msg, mlen, "access.%.64s: the level must be "
			    "\"read\", \"operate\" or \"admin\"", group);
			return (-1);
		}
	}
	return (0);
}

static int
check(struct conf *c, const char *path, const char *text, size_t len,
    char *err, size_t errlen)
{
	char pointer[256], where[128], msg[512];
	struct listener_spec spec;
	struct wsl_err e;
	const char *key;
	json_t *v;

	json_object_foreach(c->root, key, v) {
		snprintf(pointer, sizeof(pointer), "/%s", key);
		if (strcmp(key, "listeners") == 0) {
			if (!json_is_object(v))
				return (fail_at(path, text, len, pointer,
				    "\"listeners\" must be an object of "
				    "listeners by name", err, errlen));
			c->listeners = v;
		} else if (strcmp(key, "control-socket") == 0 ||
		    strcmp(key, "read-only-socket") == 0 ||
		    strcmp(key, "pipe-directory") == 0) {
			if (!json_is_string(v) || json_string_value(v)[0] != '/')
				return (fail_at(path, text, len, pointer,
				    "must be an absolute path (a string)", err,
				    errlen));
			if (key[0] != 'p' && strlen(json_string_value(v)) >=
			    sizeof(((struct sockaddr_un *)0)->sun_path)) {
				snprintf(msg, sizeof(msg), "the path is longer "
				    "than a socket's %zu bytes",
				    sizeof(((struct sockaddr_un *)0)->sun_path) -
				    1);
				return (fail_at(path, text, len, pointer, msg,
				    err, errlen));
			}
			if (key[0] == 'c')
				c->control_socket = json_string_value(v);
			else if (key[0] == 'r')
				c->read_only_socket = json_string_value(v);
			else
				c->pipe_directory = json_string_value(v);
		} else if (strcmp(key, "control-socket-group") == 0) {
			if (!json_is_string(v) ||
			    getgrnam(json_string_value(v)) == NULL)
				return (fail_at(path, text, len, pointer,
				    "must name a group that exists", err,
				    errlen));
			c->control_group = json_string_value(v);
		} else if (strcmp(key, "control-max-clients") == 0 ||
		    strcmp(key, "control-request-timeout-ms") == 0) {
			bool clients = key[8] == 'm';
			long long lo = clients ? 1 : 100;
			long long hi = clients ? 65536 : 3600000;

			if (!json_is_integer(v) || json_integer_value(v) < lo ||
			    json_integer_value(v) > hi) {
				snprintf(msg, sizeof(msg), "must be an integer "
				    "from %lld to %lld", lo, hi);
				return (fail_at(path, text, len, pointer, msg,
				    err, errlen));
			}
			if (clients)
				c->max_clients = json_integer_value(v);
			else
				c->request_timeout_ms = json_integer_value(v);
		} else if (strcmp(key, "access") == 0) {
			if (check_access(v, pointer, sizeof(pointer), msg,
			    sizeof(msg)) < 0)
				return (fail_at(path, text, len, pointer, msg,
				    err, errlen));
			c->access = v;
		} else {
			snprintf(msg, sizeof(msg), "unknown key '%s' (expected "
			    "listeners, control-socket, control-socket-group, "
			    "read-only-socket, access, control-max-clients, "
			    "control-request-timeout-ms, pipe-directory)", key);
			return (fail_at(path, text, len, pointer, msg, err,
			    errlen));
		}
	}
	if (c->listeners == NULL)
		return (0);
	json_object_foreach(c->listeners, key, v) {
		if (spec_parse(key, v, NULL, &spec, &e, where,
		    sizeof(where)) < 0) {
			if (e.hr == WSL_HR_E_OUTOFMEMORY) {
				snprintf(err, errlen, "%s: out of memory", path);
				return (CONF_NO_MEMORY);
			}
			snprintf(pointer, sizeof(pointer), "/listeners/%s%s", key,
			    where);
			snprintf(msg, sizeof(msg), "listeners.%s: %s", key,
			    e.text);
			return (fail_at(path, text, len, pointer, msg, err,
			    errlen));
		}
		spec_clear(&spec);
	}
	return (0);
}

int
conf_parse(const char *path, const char *text, size_t len, struct conf *c,
    char *err, size_t errlen)
{
	json_error_t jerr;
	unsigned long failures;
	int r;

	memset(c, 0, sizeof(*c));
	c->max_clients = CONTROL_MAX_CLIENTS;
	c->request_timeout_ms = CONTROL_REQUEST_TIMEOUT_MS;
	failures = json_allocation_failures();
	c->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (json_allocation_failures() != failures) {
		/* Even if it parsed: a string may have lost a byte. */
		snprintf(err, errlen, "%s: out of memory", path);
		json_decref(c->root);
		c->root = NULL;
		return (CONF_NO_MEMORY);
	}
	if (c->root == NULL) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line,
		    jerr.column, jerr.text);
		return (-1);
	}
	if (!json_is_object(c->root)) {
		snprintf(err, errlen, "%s:1:1: the configuration must be a JSON "
		    "object, such as {\"listeners\": {}}", path);
		conf_free(c);
		return (-1);
	}
	if ((r = check(c, path, text, len, err, errlen)) < 0) {
		conf_free(c);
		return (r);
	}
	return (0);
}

int
conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	size_t len;
	char *text;
	int r;

	bool no_memory = false;

	memset(c, 0, sizeof(*c));
	if ((text = read_file(path, &len, err, errlen, &no_memory)) == NULL)
		return (no_memory ? CONF_NO_MEMORY : -1);
	r = conf_parse(path, text, len, c, err, errlen);
	free(text);
	return (r);
}

void
conf_free(struct conf *c)
{
	json_decref(c->root);
	memset(c, 0, sizeof(*c));
}
