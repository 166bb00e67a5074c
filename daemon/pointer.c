/* SPDX-License-Identifier: ISC */
/*
 * JSON pointers (see pointer.h).  jansson keeps no positions for values,
 * so pointer_locate() finds a value's position by scanning the text along
 * the pointer; the text is valid JSON by then.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pointer.h"

int
pointer_append(char *buf, size_t len, const char *key)
{
	size_t n = strlen(buf), start = n;

	if (n + 1 >= len)
		return (-1);
	buf[n++] = '/';
	for (; *key != '\0'; key++) {
		if (n + (*key == '~' || *key == '/' ? 2 : 1) >= len) {
			buf[start] = '\0';
			return (-1);
		}
		if (*key == '~' || *key == '/') {
			buf[n++] = '~';
			buf[n++] = *key == '~' ? '0' : '1';
		} else
			buf[n++] = *key;
	}
	buf[n] = '\0';
	return (0);
}

static size_t
escaped_len(const char *key)
{
	size_t n = 0;

	for (; *key != '\0'; key++)
		n += *key == '~' || *key == '/' ? 2 : 1;
	return (n);
}

/* The longest pointer below v; jansson bounds the depth (2048). */
static size_t
longest(const json_t *v)
{
	const char *key;
	json_t *child;
	size_t i, n, most = 0;
	char digits[24];

	if (json_is_object(v))
		json_object_foreach((json_t *)v, key, child) {
			n = 1 + escaped_len(key) + longest(child);
			if (n > most)
				most = n;
		}
	else if (json_is_array(v))
		json_array_foreach((json_t *)v, i, child) {
			n = 1 + (size_t)snprintf(digits, sizeof(digits), "%zu",
			    i) + longest(child);
			if (n > most)
				most = n;
		}
	return (most);
}

size_t
pointer_room(const json_t *v, size_t prefix_len)
{
	return (prefix_len + longest(v) + 1);
}

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

static long
hex4(const char *p, const char *end)
{
	long v = 0;
	int i;

	if (end - p < 4)
		return (-1);
	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= p[i] - 'A' + 10;
		else
			return (-1);
	}
	return (v);
}

/*
 * The bytes of the next character of a JSON string (inside its quotes),
 * escapes decoded as jansson decodes them: UTF-8 in out.  0 at the closing
 * quote (or the end).
 */
static size_t
string_char(const char **pp, const char *end, unsigned char out[4])
{
	static const char plain[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";
	const char *p = *pp, *q;
	long c, lo;

	if (p >= end || *p == '"')
		return (0);
	if (*p != '\\') {
		out[0] = (unsigned char)*p;
		*pp = p + 1;
		return (1);
	}
	if (p + 1 < end && p[1] != 'u' && p[1] != '\0' &&
	    (q = strchr(plain, p[1])) != NULL) {
		out[0] = (unsigned char)meant[q - plain];
		*pp = p + 2;
		return (1);
	}
	if ((c = hex4(p + 2, end)) < 0)
		return (0);
	*pp = p + 6;
	if (c >= 0xD800 && c <= 0xDBFF && end - *pp >= 6 && (*pp)[0] == '\\' &&
	    (*pp)[1] == 'u' && (lo = hex4(*pp + 2, end)) >= 0xDC00 &&
	    lo <= 0xDFFF) {
		c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
		*pp += 6;
	}
	if (c < 0x80) {
		out[0] = (unsigned char)c;
		return (1);
	}
	if (c < 0x800) {
		out[0] = (unsigned char)(0xC0 | (c >> 6));
		out[1] = (unsigned char)(0x80 | (c & 0x3F));
		return (2);
	}
	if (c < 0x10000) {
		out[0] = (unsigned char)(0xE0 | (c >> 12));
		out[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		out[2] = (unsigned char)(0x80 | (c & 0x3F));
		return (3);
	}
	out[0] = (unsigned char)(0xF0 | (c >> 18));
	out[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
	out[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
	out[3] = (unsigned char)(0x80 | (c & 0x3F));
	return (4);
}

/* The next byte of a pointer segment, "~0" and "~1" decoded; -1 at its
 * end. */
static int
segment_byte(const char **sp, const char *send)
{
	const char *s = *sp;

	if (s >= send)
		return (-1);
	if (*s == '~' && s + 1 < send && (s[1] == '0' || s[1] == '1')) {
		*sp = s + 2;
		return (s[1] == '0' ? '~' : '/');
	}
	*sp = s + 1;
	return ((unsigned char)*s);
}

/* Does the JSON string at p (its opening quote) equal the segment? */
static bool
key_equals(const char *p, const char *end, const char *seg, size_t seglen)
{
	const char *send = seg + seglen;
	unsigned char c[4];
	size_t i, n;

	for (p++; (n = string_char(&p, end, c)) > 0;)
		for (i = 0; i < n; i++)
			if (segment_byte(&seg, send) != c[i])
				return (false);
	return (seg == send);
}

int
pointer_locate(const char *text, size_t len, const char *pointer, int *line,
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
