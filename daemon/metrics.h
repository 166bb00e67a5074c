/* SPDX-License-Identifier: ISC */
/*
 * The OpenMetrics text exposition of the daemon: every listener's
 * counters and state and the control socket's counters, rendered on the
 * control thread (which owns the listener table) for the `metrics`
 * command and for the metrics handler's scrapes (handler-metrics.c).
 *
 * The text is one allocation with a reference count, so that one
 * rendering can be handed to several loop threads, each sending it from
 * the same bytes and dropping its reference when the bytes are sent.
 */
#ifndef WSL_METRICS_H
#define WSL_METRICS_H

#include <stdatomic.h>
#include <stddef.h>

#define METRICS_CONTENT_TYPE \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

struct metrics_text {
	atomic_uint refs;
	size_t len;
	char data[];             /* len bytes, then a NUL */
};

/* Control thread: the whole exposition, ending in "# EOF\n", with one
 * reference; NULL when out of memory (nothing is ever cut short). */
struct metrics_text *metrics_render(void);
/* Control thread: the same text as the body of a JSON string, between
 * head (head_len bytes) and tail, as they are; a malloc'd line of len
 * bytes and a NUL, or NULL when out of memory.  For a control reply
 * written in place (cmd-metrics.c), without a second copy of the text. */
char *metrics_render_json(const char *head, size_t head_len,
    const char *tail, size_t *len);
/* Any thread. */
void metrics_text_ref(struct metrics_text *);
void metrics_text_unref(struct metrics_text *);

#endif
