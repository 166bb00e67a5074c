/* SPDX-License-Identifier: ISC */
/*
 * Text from a peer or a configuration made safe to show: wsld's log lines,
 * its replies' sentences and wslctl's output may quote what a client sent
 * or a file said, which must not forge a line, drive a terminal or turn
 * the text around (see wsl-proto.h for what is escaped, and how).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "wsl-proto.h"

/* The length of the valid UTF-8 sequence at p (at most len bytes) and its
 * code point, or 0 when p does not start one: a stray continuation byte,
 * an overlong form, a surrogate, past U+10FFFF or cut short. */
static size_t
utf8_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
	static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return (1);
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07;
	} else
		return (0);
	if (n > len)
		return (0);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < least[n] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return (0);
	*cp = c;
	return (n);
}

/* The C1 controls, the bidi format characters, and the line and paragraph
 * separators (a line break to some viewers). */
static bool
escaped_code_point(uint32_t c)
{
	return ((c >= 0x80 && c <= 0x9f) || c == 0x061c || c == 0x200e ||
	    c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069));
}

size_t
wsl_escape(const void *in, size_t len, char *out, size_t size)
{
	const unsigned char *p = in;
	size_t n = 0, i = 0, step, elen;
	uint32_t c;
	char esc[8];

	if (size == 0)
		return (0);
	while (i < len) {
		if ((step = utf8_decode(p + i, len - i, &c)) == 0) {
			step = 1; /* not UTF-8: this byte alone, then resync */
			elen = (size_t)snprintf(esc, sizeof(esc), "\\x%02x",
			    p[i]);
		} else if (c == '\n')
			elen = (size_t)snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\t')
			elen = (size_t)snprintf(esc, sizeof(esc), "\\t");
		else if (c < 0x20 || c == 0x7f)
			elen = (size_t)snprintf(esc, sizeof(esc), "\\x%02x",
			    (unsigned int)c);
		else if (escaped_code_point(c))
			elen = (size_t)snprintf(esc, sizeof(esc), "\\u%04x",
			    (unsigned int)c);
		else {
			memcpy(esc, p + i, step); /* as it is, all of it */
			elen = step;
		}
		if (n + elen >= size)
			break; /* whole or not at all */
		memcpy(out + n, esc, elen);
		n += elen;
		i += step;
	}
	out[n] = '\0';
	return (n);
}

void
wsl_escape_controls(const char *in, char *out, size_t size)
{
	(void)wsl_escape(in, strlen(in), out, size);
}
