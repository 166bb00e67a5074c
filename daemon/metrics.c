/* SPDX-License-Identifier: ISC */
/*
 * The OpenMetrics text exposition (metrics.h): the counters `status` and
 * `version` show, as metric families named by Prometheus's conventions
 * (the wsld_ prefix, _total for counters, bytes for sizes), each with its
 * HELP and TYPE, ending with "# EOF".
 *
 * Every listener's figures are read once, into a compact snapshot (its
 * counters, state and gauges: about 220 bytes), because a family's
 * samples must stand together while a listener's figures must come from
 * one reading for the accounting equation to hold between families; the
 * snapshot lives only while the text is written.  The text grows by
 * doubling from an estimate, so 10,000 listeners cost a few reallocations.
 *
 * Two readers check it: `promtool check metrics` (Prometheus's text format
 * 0.0.4 linter) and an OpenMetrics 1.0 parser (tests/integration/
 * metrics.sh).  So the types are those both know (counter, gauge: an info
 * metric is a gauge named _info whose value is 1, and the state a set of
 * gauges, 1 for the current state), and HELP texts hold no backslash or
 * double quote, which the two formats escape differently.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "control.h"
#include "descriptors.h"
#include "inject.h"
#include "lifecycle.h"
#include "listener.h"
#include "metrics.h"
#include "notify-send.h"

#define STATES (WS_LISTENER_STATE_CLOSED + 1)
#define BYTES_PER_LISTENER 2560 /* the first estimate (2.1 KB measured) */

/*
 * The text being written, into one allocation that grows: a struct
 * metrics_text (the text starts at skip), or, for a control reply, a
 * line of JSON whose string the text is (json: written escaped).
 */
struct out {
	char *buf;
	size_t skip, len, cap;       /* len and cap count from skip */
	bool json;
	bool failed;                 /* nothing more is written */
	char *scratch;               /* a URL made fit to show */
	size_t scratch_size;
};

static bool
room(struct out *o, size_t n)
{
	size_t cap;
	char *b;

	if (o->failed)
		return (false);
	if (o->len + n < o->cap)
		return (true);
	for (cap = o->cap; cap <= o->len + n; cap *= 2)
		;
	if ((b = inject_realloc(o->buf, o->skip + cap)) == NULL) {
		o->failed = true;
		return (false);
	}
	o->buf = b;
	o->cap = cap;
	return (true);
}

static void
put_raw(struct out *o, const char *s, size_t n)
{
	if (!room(o, n))
		return;
	memcpy(o->buf + o->skip + o->len, s, n);
	o->len += n;
}

/* As the body of a JSON string: the text is ASCII but for what
 * wsl_escape lets through of a URL, valid UTF-8, so only these. */
static void
put_json(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\', 'u', '0', '0' };
	size_t run;

	while (n > 0) {
		for (run = 0; run < n && s[run] != '"' && s[run] != '\\' &&
		    (unsigned char)s[run] >= 0x20; run++)
			;
		put_raw(o, s, run);
		if (run == n)
			return;
		if (s[run] == '"' || s[run] == '\\' || s[run] == '\n') {
			e[1] = s[run] == '\n' ? 'n' : s[run];
			put_raw(o, e, 2);
		} else {
			e[1] = 'u';
			e[4] = hex[(unsigned char)s[run] >> 4];
			e[5] = hex[s[run] & 0xf];
			put_raw(o, e, 6);
		}
		s += run + 1;
		n -= run + 1;
	}
}

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->json)
		put_json(o, s, n);
	else
		put_raw(o, s, n);
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void
put_u64(struct out *o, uint64_t v)
{
	char b[20];
	size_t i = sizeof(b);

	do
		b[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	put(o, b + i, sizeof(b) - i);
}

/* A label value, escaped as OpenMetrics (and the 0.0.4 format) say:
 * backslash, double quote and newline. */
static void
put_value(struct out *o, const char *s)
{
	size_t n;

	for (;;) {
		n = strcspn(s, "\\\"\n");
		put(o, s, n);
		s += n;
		if (*s == '\0')
			return;
		put(o, *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : "\\n", 2);
		s++;
	}
}

/* "# HELP ...", "# TYPE ..." and, for a unit, "# UNIT ...". */
static void
family(struct out *o, const char *name, const char *type, const char *unit,
    const char *help)
{
	puts_(o, "# HELP ");
	puts_(o, name);
	put(o, " ", 1);
	puts_(o, help);
	puts_(o, "\n# TYPE ");
	puts_(o, name);
	put(o, " ", 1);
	puts_(o, type);
	put(o, "\n", 1);
	if (unit != NULL) {
		puts_(o, "# UNIT ");
		puts_(o, name);
		put(o, " ", 1);
		puts_(o, unit);
		put(o, "\n", 1);
	}
}

/* NAME[SUFFIX]{listener="L"[,KEY="VALUE"]} V */
static void
sample(struct out *o, const char *name, const char *suffix,
    const char *listener, const char *key, const char *value, uint64_t v)
{
	puts_(o, name);
	if (suffix != NULL)
		puts_(o, suffix);
	if (listener != NULL || key != NULL) {
		put(o, "{", 1);
		if (listener != NULL) {
			puts_(o, "listener=\"");
			put_value(o, listener);
			put(o, "\"", 1);
		}
		if (key != NULL) {
			if (listener != NULL)
				put(o, ",", 1);
			puts_(o, key);
			puts_(o, "=\"");
			put_value(o, value);
			put(o, "\"", 1);
		}
		put(o, "}", 1);
	}
	put(o, " ", 1);
	put_u64(o, v);
	put(o, "\n", 1);
}

/* The daemon's own figures, from what `version` shows (the key after
 * "version:" in each HELP), so that the two cannot say different things. */
static const struct {
	const char *section, *key, *name, *type, *unit, *help;
} service_metrics[] = {
	{ "control", "clients", "wsld_control_connections_accepted",
	  "counter", NULL, "Control connections accepted "
	  "(version: control.clients)." },
	{ "control", "turned-away", "wsld_control_turned_away", "counter",
	  NULL, "Control connections turned away at control-max-clients or "
	  "for want of a descriptor (version: control.turned-away)." },
	{ "control", "denied", "wsld_control_denied", "counter", NULL,
	  "Control requests denied for their access level "
	  "(version: control.denied)." },
	{ "control", "timed-out", "wsld_control_timed_out", "counter", NULL,
	  "Control connections closed because a request did not arrive in "
	  "time or their replies were not read (version: control.timed-out)." },
	{ "control", "closed-for-lack-of-memory",
	  "wsld_control_closed_for_lack_of_memory", "counter", NULL,
	  "Control connections closed for lack of memory "
	  "(version: control.closed-for-lack-of-memory)." },
	{ "control", "hand-offs-failed", "wsld_control_hand_offs_failed",
	  "counter", NULL, "Accept replies whose descriptor could not be sent "
	  "(version: control.hand-offs-failed)." },
	{ "control", "refused-over-budget", "wsld_control_refused_over_budget",
	  "counter", NULL, "Control requests refused because all buffered "
	  "requests reached their budget "
	  "(version: control.refused-over-budget)." },
	{ "control", "request-bytes-buffered",
	  "wsld_control_request_buffered_bytes", "gauge", "bytes",
	  "Memory the control connections' buffered requests take now "
	  "(version: control.request-bytes-buffered)." },
	{ "control", "request-bytes-buffered-peak",
	  "wsld_control_request_buffered_peak_bytes", "gauge", "bytes",
	  "The most the buffered requests ever took at once "
	  "(version: control.request-bytes-buffered-peak)." },
	{ "control", "reply-bytes-queued", "wsld_control_reply_queued_bytes",
	  "gauge", "bytes", "Replies waiting for their control clients now "
	  "(version: control.reply-bytes-queued)." },
	{ "control", "reply-bytes-queued-peak",
	  "wsld_control_reply_queued_peak_bytes", "gauge", "bytes",
	  "The most replies ever waiting at once "
	  "(version: control.reply-bytes-queued-peak)." },
	{ "descriptors", "limit", "wsld_descriptors_limit", "gauge", NULL,
	  "The soft RLIMIT_NOFILE (version: descriptors.limit)." },
	{ "descriptors", "wsld", "wsld_descriptors_held_at_start", "gauge",
	  NULL, "Descriptors held at start: standard streams, control "
	  "sockets, loops (version: descriptors.wsld)." },
	{ "descriptors", "control-reserve", "wsld_descriptors_control_reserve",
	  "gauge", NULL, "Descriptors kept for control clients "
	  "(version: descriptors.control-reserve)." },
	{ "descriptors", "listeners", "wsld_descriptors_listeners", "gauge",
	  NULL, "Descriptors charged to the listeners, one each "
	  "(version: descriptors.listeners)." },
	{ "descriptors", "channels", "wsld_descriptors_channels", "gauge",
	  NULL, "Descriptors held for channels now "
	  "(version: descriptors.channels)." },
	{ "descriptors", "channels-max", "wsld_descriptors_channels_max",
	  "gauge", NULL, "The most descriptors channels may hold now "
	  "(version: descriptors.channels-max)." },
	{ "descriptors", "channels-refused",
	  "wsld_descriptors_channels_refused", "counter", NULL, "Times an "
	  "accept loop was refused descriptors and deferred accepting "
	  "(version: descriptors.channels-refused)." },
	{ "service-manager", "sent", "wsld_service_manager_sent", "counter",
	  NULL, "Messages sent to the service manager "
	  "(version: service-manager.sent)." },
	{ "service-manager", "waited", "wsld_service_manager_waited",
	  "counter", NULL, "Messages to the service manager that could not "
	  "be sent at once (version: service-manager.waited)." },
	{ "service-manager", "queued", "wsld_service_manager_queued", "gauge",
	  NULL, "Messages to the service manager waiting now "
	  "(version: service-manager.queued)." },
	{ "service-manager", "dropped", "wsld_service_manager_dropped",
	  "counter", NULL, "Messages to the service manager dropped "
	  "(version: service-manager.dropped)." },
};

static void
service(struct out *o)
{
	json_t *sections[3], *v;
	const char *names[3] = { "control", "descriptors", "service-manager" };
	size_t i, j;

	family(o, "wsld_build_info", "gauge", NULL, "The daemon's version and "
	    "protocol version, as labels; always 1.");
	puts_(o, "wsld_build_info{version=\"");
	put_value(o, PACKAGE_VERSION);
	puts_(o, "\",protocol=\"");
	put_u64(o, WSL_PROTO_VERSION);
	puts_(o, "\"} 1\n");
	family(o, "wsld_listeners", "gauge", NULL, "Named listeners in each "
	    "state.");
	for (i = 0; i < STATES; i++)
		sample(o, "wsld_listeners", NULL, NULL, "state",
		    wsl_state_name((int)i),
		    lifecycle_count_in((WS_LISTENER_STATE)i));
	family(o, "wsld_control_connections_open", "gauge", NULL, "Control "
	    "connections open now.");
	sample(o, "wsld_control_connections_open", NULL, NULL, NULL, NULL,
	    control_connections());

	sections[0] = control_stats();
	sections[1] = descriptors_describe();
	sections[2] = notify_send_stats();
	for (i = 0; i < sizeof(service_metrics) / sizeof(service_metrics[0]);
	    i++) {
		for (j = 0; j < 3; j++)
			if (strcmp(names[j], service_metrics[i].section) == 0)
				break;
		v = j < 3 ? json_object_get(sections[j],
		    service_metrics[i].key) : NULL;
		if (!json_is_integer(v)) {
			/* A figure it could not get (no memory): no sample
			 * rather than a wrong one, and no text at all. */
			o->failed = true;
			break;
		}
		family(o, service_metrics[i].name, service_metrics[i].type,
		    service_metrics[i].unit, service_metrics[i].help);
		sample(o, service_metrics[i].name,
		    strcmp(service_metrics[i].type, "counter") == 0 ?
		    "_total" : NULL, NULL, NULL, NULL,
		    (uint64_t)json_integer_value(v));
	}
	for (j = 0; j < 3; j++)
		json_decref(sections[j]);
}

/* One listener's figures, read once. */
struct snap {
	struct wsld_listener *l;
	WSL_LISTENER_COUNTERS c;
	size_t waits;
	ULONG pending_accepts;
	int queue_depth, queue_limit;
	unsigned char state;
	bool paused;
	bool ok;                    /* read; else only its info sample */
};

static void
snap_take(struct snap *s, struct wsld_listener *l)
{
	WSL_LISTENER_INFO info;

	s->l = l;
	s->ok = l->ws != NULL && WslGetListenerInfo(l->ws, &info) == S_OK &&
	    (unsigned)info.state < STATES;
	if (!s->ok)
		return;
	s->c = info.counters;
	s->waits = waiters_count(l);
	s->pending_accepts = info.pendingAccepts;
	s->queue_depth = info.queueDepth;
	s->queue_limit = info.queueLimit;
	s->state = (unsigned char)info.state;
	s->paused = info.paused != 0;
}

/* The counters that are one number each: family, status key, help. */
static const struct {
	const char *name, *help;
	size_t offset;
} listener_counters[] = {
	{ "wsld_listener_accepted", "Connections accepted and UDP peers taken "
	  "(status: counters.accepted).",
	  offsetof(WSL_LISTENER_COUNTERS, accepted) },
	{ "wsld_listener_delivered", "Channels served or passed on "
	  "(status: counters.delivered).",
	  offsetof(WSL_LISTENER_COUNTERS, delivered) },
	{ "wsld_listener_closed_on_abort", "Connections accepted after an "
	  "abort and closed (status: counters.closed-on-abort).",
	  offsetof(WSL_LISTENER_COUNTERS, closedOnAbort) },
	{ "wsld_listener_refused", "Peers turned away by a limit "
	  "(status: counters.refused).",
	  offsetof(WSL_LISTENER_COUNTERS, refused) },
	{ "wsld_listener_reset_on_abort", "Connections reset in the kernel "
	  "queue by an abort (status: counters.reset-on-abort).",
	  offsetof(WSL_LISTENER_COUNTERS, resetOnAbort) },
	{ "wsld_listener_aborted_accepts", "Accepts completed with "
	  "WS_E_OPERATION_ABORTED (status: counters.aborted-accepts).",
	  offsetof(WSL_LISTENER_COUNTERS, abortedAccepts) },
	{ "wsld_listener_datagrams_dropped", "UDP datagrams lost for lack of "
	  "resources (status: counters.datagrams-dropped).",
	  offsetof(WSL_LISTENER_COUNTERS, datagramsDropped) },
};

enum gauge { G_ACTIVE, G_IN_FLIGHT, G_PENDING_ACCEPTS, G_PENDING_WAITS,
	G_PAUSED, G_QUEUE_DEPTH, G_QUEUE_LIMIT };
static const struct {
	const char *name, *help;
} listener_gauges[] = {
	[G_ACTIVE] = { "wsld_listener_active_channels", "Channels delivered "
	    "and still being served (status: counters.active)." },
	[G_IN_FLIGHT] = { "wsld_listener_in_flight_channels", "Channels "
	    "handed to an accept whose fate is not reported yet "
	    "(status: counters.in-flight)." },
	[G_PENDING_ACCEPTS] = { "wsld_listener_pending_accepts", "Accepts "
	    "pending now (status: pending-accepts)." },
	[G_PENDING_WAITS] = { "wsld_listener_pending_waits", "wait requests "
	    "pending now (status: pending-waits)." },
	[G_PAUSED] = { "wsld_listener_paused", "1 while the listener is "
	    "paused (status: paused)." },
	[G_QUEUE_DEPTH] = { "wsld_listener_kernel_queue_depth", "Connections "
	    "waiting in the kernel's accept queue, where known "
	    "(status: counters.kernel-queue.depth)." },
	[G_QUEUE_LIMIT] = { "wsld_listener_kernel_queue_limit", "The limit "
	    "of the kernel's accept queue, where known "
	    "(status: counters.kernel-queue.limit)." },
};

/* A gauge's value for s; false when s has none (kernel queue unknown). */
static bool
gauge_value(const struct snap *s, enum gauge g, uint64_t *v)
{
	switch (g) {
	case G_ACTIVE:
		*v = s->c.active;
		return (true);
	case G_IN_FLIGHT:
		*v = WslInFlight(&s->c);
		return (true);
	case G_PENDING_ACCEPTS:
		*v = s->pending_accepts;
		return (true);
	case G_PENDING_WAITS:
		*v = s->waits;
		return (true);
	case G_PAUSED:
		*v = s->paused ? 1 : 0;
		return (true);
	case G_QUEUE_DEPTH:
		*v = (uint64_t)s->queue_depth;
		return (s->queue_depth >= 0);
	case G_QUEUE_LIMIT:
		*v = (uint64_t)s->queue_limit;
		return (s->queue_limit >= 0);
	}
	return (false);
}

/* The info sample's URL: made fit to show first (no control or bidi
 * character, valid UTF-8: see wsl_escape), for it is text from a client,
 * then escaped as a label value. */
static void
put_url(struct out *o, const char *url)
{
	size_t len = strlen(url), need = len * WSL_ESCAPE_MAX + 1;
	char *p;

	if (need > o->scratch_size) {
		if ((p = inject_realloc(o->scratch, need)) == NULL) {
			o->failed = true;
			return;
		}
		o->scratch = p;
		o->scratch_size = need;
	}
	(void)wsl_escape(url, len, o->scratch, o->scratch_size);
	put_value(o, o->scratch);
}

static void
listeners(struct out *o, const struct snap *s, size_t n)
{
	size_t i, k, r;
	uint64_t v;
	int st;

	family(o, "wsld_listener_info", "gauge", NULL, "A listener: its URL "
	    "(control characters escaped) and handler type, as labels; "
	    "always 1.");
	for (i = 0; i < n && !o->failed; i++) {
		puts_(o, "wsld_listener_info{listener=\"");
		put_value(o, s[i].l->name);
		puts_(o, "\",url=\"");
		put_url(o, s[i].l->url);
		puts_(o, "\",handler=\"");
		put_value(o, s[i].l->handler->name);
		puts_(o, "\"} 1\n");
	}
	family(o, "wsld_listener_state", "gauge", NULL, "1 for the state the "
	    "listener is in, 0 for the others (status: state).");
	for (i = 0; i < n && !o->failed; i++)
		for (st = 0; s[i].ok && st < STATES; st++)
			sample(o, "wsld_listener_state", NULL, s[i].l->name,
			    "state", wsl_state_name(st), s[i].state == st);
	for (k = 0; k < sizeof(listener_counters) /
	    sizeof(listener_counters[0]); k++) {
		family(o, listener_counters[k].name, "counter", NULL,
		    listener_counters[k].help);
		for (i = 0; i < n && !o->failed; i++)
			if (s[i].ok)
				sample(o, listener_counters[k].name, "_total",
				    s[i].l->name, NULL, NULL, *(const uint64_t *)
				    (const void *)((const char *)&s[i].c +
				    listener_counters[k].offset));
	}
	family(o, "wsld_listener_failed", "counter", NULL, "Channels not "
	    "delivered, by reason (status: counters.failed-by-reason).");
	for (i = 0; i < n && !o->failed; i++)
		for (r = 0; s[i].ok && r < WSL_FAIL__COUNT; r++)
			sample(o, "wsld_listener_failed", "_total",
			    s[i].l->name, "reason", describe_failure_names[r],
			    s[i].c.failed[r]);
	family(o, "wsld_listener_accept_errors", "counter", NULL, "Accepts "
	    "the kernel failed, by errno "
	    "(status: counters.accept-errors-by-errno).");
	for (i = 0; i < n && !o->failed; i++)
		for (r = 0; s[i].ok && r < WSL_ACCEPT__COUNT; r++)
			sample(o, "wsld_listener_accept_errors", "_total",
			    s[i].l->name, "errno",
			    describe_accept_error_names[r],
			    s[i].c.acceptErrors[r]);
	for (k = 0; k < sizeof(listener_gauges) / sizeof(listener_gauges[0]);
	    k++) {
		family(o, listener_gauges[k].name, "gauge", NULL,
		    listener_gauges[k].help);
		for (i = 0; i < n && !o->failed; i++)
			if (s[i].ok && gauge_value(&s[i], (enum gauge)k, &v))
				sample(o, listener_gauges[k].name, NULL,
				    s[i].l->name, NULL, NULL, v);
	}
}

/* The text into o (made here), after head and before tail (raw); false
 * when out of memory, with o->buf freed. */
static bool
render(struct out *o, const char *head, size_t head_len, const char *tail)
{
	struct wsld_listener **all;
	struct snap *snaps = NULL;
	size_t n = 0, i;

	if ((all = lifecycle_sorted(&n)) == NULL ||
	    (n > 0 && (snaps = inject_calloc(n, sizeof(*snaps))) == NULL))
		goto fail;
	for (i = 0; i < n; i++)
		snap_take(&snaps[i], all[i]);
	o->cap = 8192 + head_len + n * BYTES_PER_LISTENER;
	if (o->json)
		o->cap += o->cap / 8; /* a quote or a newline in 20 bytes */
	if ((o->buf = inject_malloc(o->skip + o->cap)) == NULL)
		goto fail;
	put_raw(o, head, head_len);
	service(o);
	listeners(o, snaps, n);
	puts_(o, "# EOF\n");
	put_raw(o, tail, strlen(tail) + 1); /* with its NUL */
	if (o->failed)
		goto fail;
	o->len--;
	free(o->scratch);
	free(snaps);
	lifecycle_sorted_free(all, n);
	return (true);
fail:
	free(o->buf);
	free(o->scratch);
	free(snaps);
	lifecycle_sorted_free(all, all != NULL ? n : 0);
	return (false);
}

struct metrics_text *
metrics_render(void)
{
	struct out o = { .skip = offsetof(struct metrics_text, data) };
	struct metrics_text *t;

	if (!render(&o, "", 0, ""))
		return (NULL);
	t = (struct metrics_text *)(void *)o.buf;
	t->len = o.len;
	atomic_init(&t->refs, 1);
	return (t);
}

char *
metrics_render_json(const char *head, size_t head_len, const char *tail,
    size_t *len)
{
	struct out o = { .json = true };

	if (!render(&o, head, head_len, tail))
		return (NULL);
	*len = o.len;
	return (o.buf);
}

void
metrics_text_ref(struct metrics_text *t)
{
	atomic_fetch_add(&t->refs, 1);
}

void
metrics_text_unref(struct metrics_text *t)
{
	if (t != NULL && atomic_fetch_sub(&t->refs, 1) == 1)
		free(t);
}
