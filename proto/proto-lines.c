/* SPDX-License-Identifier: ISC */
/*
 * Newline framing, independent of how the bytes were split by read():
 * one byte at a time and many requests in one write give the same lines.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wsl-proto.h"

void
wsl_lines_init(struct wsl_lines *lb, size_t max)
{
	memset(lb, 0, sizeof(*lb));
	lb->max = max;
}

void
wsl_lines_free(struct wsl_lines *lb)
{
	free(lb->buf);
	memset(lb, 0, sizeof(*lb));
}

int
wsl_lines_append(struct wsl_lines *lb, const void *data, size_t n)
{
	size_t cap;
	char *p;

	if (lb->len + n + 1 > lb->cap) {
		cap = lb->cap != 0 ? lb->cap : 4096;
		while (cap < lb->len + n + 1)
			cap *= 2;
		if ((p = realloc(lb->buf, cap)) == NULL)
			return (-ENOMEM);
		lb->buf = p;
		lb->cap = cap;
	}
	memcpy(lb->buf + lb->len, data, n);
	lb->len += n;
	return (0);
}

/* Drop the first n bytes (a line the caller has finished with). */
void
wsl_lines_consume(struct wsl_lines *lb, size_t n)
{
	if (n >= lb->len) {
		lb->len = 0;
		lb->scanned = 0;
		return;
	}
	memmove(lb->buf, lb->buf + n, lb->len - n);
	lb->len -= n;
	lb->scanned = lb->scanned > n ? lb->scanned - n : 0;
}

/*
 * Find the next complete line.  On WSL_LINES_LINE, *line points inside the
 * buffer, NUL-terminated in place of its newline, and stays valid until the
 * next append or consume; the caller must consume *len + 1 bytes before
 * asking for the next line.
 */
int
wsl_lines_next(struct wsl_lines *lb, char **line, size_t *len)
{
	char *nl = NULL;

	if (lb->len > lb->scanned)
		nl = memchr(lb->buf + lb->scanned, '\n', lb->len - lb->scanned);
	if (nl == NULL) {
		lb->scanned = lb->len;
		if (lb->len >= lb->max)
			return (WSL_LINES_TOO_LONG);
		return (WSL_LINES_NONE);
	}
	if ((size_t)(nl - lb->buf) + 1 > lb->max)
		return (WSL_LINES_TOO_LONG);
	*nl = '\0';
	*line = lb->buf;
	*len = (size_t)(nl - lb->buf);
	lb->scanned = 0;
	return (WSL_LINES_LINE);
}

/* At end of input: what is left is the last request, unterminated. */
int
wsl_lines_take_rest(struct wsl_lines *lb, char **line, size_t *len)
{
	if (lb->len == 0)
		return (WSL_LINES_NONE);
	if (lb->len >= lb->max)
		return (WSL_LINES_TOO_LONG);
	lb->buf[lb->len] = '\0'; /* append() always leaves room for this */
	*line = lb->buf;
	*len = lb->len;
	return (WSL_LINES_LINE);
}

size_t
wsl_lines_pending(const struct wsl_lines *lb)
{
	return (lb->len);
}

/* Bytes after the last newline: a request still arriving. */
size_t
wsl_lines_partial(const struct wsl_lines *lb)
{
	const char *nl;

	if (lb->len == 0)
		return (0);
	nl = memrchr(lb->buf, '\n', lb->len);
	return (nl == NULL ? lb->len : lb->len - (size_t)(nl + 1 - lb->buf));
}
