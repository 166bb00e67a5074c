/* SPDX-License-Identifier: ISC */
/*
 * Newline framing, independent of how the bytes were split by read():
 * one byte at a time and many requests in one write give the same lines.
 *
 * Linear in the bytes that pass, however they come: a consumed line only
 * moves the start offset; the unconsumed bytes are moved to the front
 * when an append needs the room, and then only if at least a quarter of
 * the buffer is consumed (or it grows anyway), so that every move is paid
 * for by the bytes consumed or appended before it.
 * (Moving the rest at every line made a megabyte of empty lines cost half
 * a terabyte of copying.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wsl-proto.h"

#define MIN_CAP 4096

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

/* Move the unconsumed bytes to the front of the buffer. */
static void
compact(struct wsl_lines *lb)
{
	size_t live = lb->len - lb->off;

	if (lb->off == 0)
		return;
	memmove(lb->buf, lb->buf + lb->off, live);
	lb->moved += live;
	lb->scanned -= lb->off;
	lb->tail = lb->tail > lb->off ? lb->tail - lb->off : 0;
	lb->len = live;
	lb->off = 0;
}

/* The buffer's size once n more bytes (and the terminating NUL) are in. */
static size_t
capacity_for(const struct wsl_lines *lb, size_t n)
{
	size_t need = lb->len - lb->off + n + 1, cap;

	if (lb->len + n + 1 <= lb->cap)
		return (lb->cap);
	/* Moving the bytes to the front pays once a quarter of the buffer
	 * is consumed; for less, the buffer grows instead. */
	if (need <= lb->cap && lb->off >= lb->cap / 4)
		return (lb->cap);
	for (cap = lb->cap != 0 ? lb->cap * 2 : MIN_CAP; cap < need; cap *= 2)
		continue;
	return (cap);
}

int
wsl_lines_append(struct wsl_lines *lb, const void *data, size_t n)
{
	const char *nl;
	size_t cap;
	char *p;

	if (lb->len + n + 1 > lb->cap) {
		cap = capacity_for(lb, n);
		compact(lb);
		if (cap > lb->cap) {
			if ((p = realloc(lb->buf, cap)) == NULL)
				return (-ENOMEM);
			lb->buf = p;
			lb->cap = cap;
		}
	}
	memcpy(lb->buf + lb->len, data, n);
	if ((nl = memrchr(data, '\n', n)) != NULL)
		lb->tail = lb->len + (size_t)(nl - (const char *)data) + 1;
	lb->len += n;
	return (0);
}

/* Drop the first n bytes (a line the caller has finished with). */
void
wsl_lines_consume(struct wsl_lines *lb, size_t n)
{
	if (n >= lb->len - lb->off) {
		lb->off = lb->len = lb->scanned = lb->tail = 0;
		return;
	}
	lb->off += n;
	if (lb->scanned < lb->off)
		lb->scanned = lb->off;
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

	if (lb->scanned < lb->off)
		lb->scanned = lb->off;
	if (lb->len > lb->scanned)
		nl = memchr(lb->buf + lb->scanned, '\n', lb->len - lb->scanned);
	if (nl == NULL) {
		lb->scanned = lb->len;
		if (lb->len - lb->off >= lb->max)
			return (WSL_LINES_TOO_LONG);
		return (WSL_LINES_NONE);
	}
	*line = lb->buf + lb->off;
	*len = (size_t)(nl - *line);
	if (*len + 1 > lb->max)
		return (WSL_LINES_TOO_LONG);
	*nl = '\0';
	lb->scanned = lb->off;
	return (WSL_LINES_LINE);
}

/* At end of input: what is left is the last request, unterminated. */
int
wsl_lines_take_rest(struct wsl_lines *lb, char **line, size_t *len)
{
	if (lb->len == lb->off)
		return (WSL_LINES_NONE);
	if (lb->len - lb->off >= lb->max)
		return (WSL_LINES_TOO_LONG);
	lb->buf[lb->len] = '\0'; /* append() always leaves room for this */
	*line = lb->buf + lb->off;
	*len = lb->len - lb->off;
	return (WSL_LINES_LINE);
}

size_t
wsl_lines_pending(const struct wsl_lines *lb)
{
	return (lb->len - lb->off);
}

/* Bytes after the last newline: a request still arriving. */
size_t
wsl_lines_partial(const struct wsl_lines *lb)
{
	return (lb->len - (lb->tail > lb->off ? lb->tail : lb->off));
}

/* What appending n bytes would add to the buffer's size (0: it fits). */
size_t
wsl_lines_growth(const struct wsl_lines *lb, size_t n)
{
	return (capacity_for(lb, n) - lb->cap);
}

size_t
wsl_lines_size(const struct wsl_lines *lb)
{
	return (lb->cap);
}

/* Forget a request still arriving; the complete lines stay. */
void
wsl_lines_drop_partial(struct wsl_lines *lb)
{
	if (lb->tail <= lb->off)
		lb->off = lb->len = lb->scanned = lb->tail = 0;
	else {
		lb->len = lb->tail;
		if (lb->scanned > lb->len)
			lb->scanned = lb->len;
	}
}

/*
 * Give back memory that a large request left behind: a buffer larger than
 * keep shrinks once three quarters of it are unused (freed when empty).
 * Best effort: without memory to move into, the buffer stays.
 */
void
wsl_lines_trim(struct wsl_lines *lb, size_t keep)
{
	size_t live = lb->len - lb->off, cap;
	char *p;

	if (lb->cap <= keep || (live + 1) * 4 > lb->cap)
		return;
	if (live == 0) {
		free(lb->buf);
		lb->buf = NULL;
		lb->cap = lb->off = lb->len = lb->scanned = lb->tail = 0;
		return;
	}
	for (cap = MIN_CAP; cap < live + 1 || cap < keep; cap *= 2)
		continue;
	if (cap >= lb->cap)
		return;
	compact(lb);
	if ((p = realloc(lb->buf, cap)) != NULL) {
		lb->buf = p;
		lb->cap = cap;
	}
}
