/* SPDX-License-Identifier: ISC */
/*
 * Text from a peer made safe to show: wsld's log lines and wslctl's output
 * may quote what a client sent, which must not forge a line or drive a
 * terminal.
 */
#include <stdio.h>
#include <string.h>

#include "wsl-proto.h"

void
wsl_escape_controls(const char *in, char *out, size_t size)
{
	const unsigned char *p;
	size_t n = 0;
	char esc[5];

	if (size == 0)
		return;
	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (*p == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
		else {
			esc[0] = (char)*p;
			esc[1] = '\0';
		}
		if (n + strlen(esc) >= size)
			break;
		memcpy(out + n, esc, strlen(esc));
		n += strlen(esc);
	}
	out[n] = '\0';
}
