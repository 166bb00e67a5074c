/* SPDX-License-Identifier: ISC */
/*
 * The listener object that every listener reply carries: name, url,
 * state, where it listens, pending accepts, last error, counters.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "json-memory.h"
#include "listener.h"
#include "watchdog.h"

static const char *const scheme_names[] = { "http", "net.tcp", "soap.udp",
	"custom", "net.pipe" };

const char *const describe_failure_names[WSL_FAIL__COUNT] = {
	[WSL_FAIL_HANDOFF] = "hand-off",
	[WSL_FAIL_UPSTREAM_REFUSED] = "upstream-refused",
	[WSL_FAIL_UPSTREAM_TIMEOUT] = "upstream-timeout",
	[WSL_FAIL_UPSTREAM_ERROR] = "upstream-error",
	[WSL_FAIL_SPAWN] = "spawn",
	[WSL_FAIL_RESOURCES] = "resources",
	[WSL_FAIL_LISTENER_CLOSED] = "listener-closed",
};

const char *const describe_accept_error_names[WSL_ACCEPT__COUNT] = {
	[WSL_ACCEPT_EMFILE] = "EMFILE",
	[WSL_ACCEPT_ENFILE] = "ENFILE",
	[WSL_ACCEPT_ENOBUFS] = "ENOBUFS",
	[WSL_ACCEPT_ENOMEM] = "ENOMEM",
	[WSL_ACCEPT_ECONNABORTED] = "ECONNABORTED",
	[WSL_ACCEPT_OTHER] = "other",
};

/* The counters, all from one snapshot: the equation holds exactly. */
static json_t *
counters(const WSL_LISTENER_INFO *info)
{
	const WSL_LISTENER_COUNTERS *c = &info->counters;
	json_t *o, *reasons, *errors, *queue;
	uint64_t errs = 0;
	int i;

	reasons = json_object();
	for (i = 0; i < WSL_FAIL__COUNT; i++)
		json_object_set_new(reasons, describe_failure_names[i],
		    json_integer((json_int_t)c->failed[i]));
	errors = json_object();
	for (i = 0; i < WSL_ACCEPT__COUNT; i++) {
		errs += c->acceptErrors[i];
		json_object_set_new(errors, describe_accept_error_names[i],
		    json_integer((json_int_t)c->acceptErrors[i]));
	}
	queue = info->queueDepth < 0 ? json_null() : json_pack("{s:i,s:i}",
	    "depth", info->queueDepth, "limit", info->queueLimit);
	o = json_pack("{s:I,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:I,s:o}",
	    "accepted", (json_int_t)c->accepted,
	    "delivered", (json_int_t)c->delivered,
	    "failed", (json_int_t)WslFailed(c),
	    "failed-by-reason", reasons,
	    "closed-on-abort", (json_int_t)c->closedOnAbort,
	    "in-flight", (json_int_t)WslInFlight(c),
	    "active", (json_int_t)c->active,
	    "refused", (json_int_t)c->refused,
	    "reset-on-abort", (json_int_t)c->resetOnAbort,
	    "aborted-accepts", (json_int_t)c->abortedAccepts,
	    "accept-errors", (json_int_t)errs,
	    "accept-errors-by-errno", errors,
	    "datagrams-dropped", (json_int_t)c->datagramsDropped,
	    "kernel-queue", queue);
	return (o);
}

/* A spread listener's lanes: where each runs and what it took (the sum
 * of "accepted" is the listener's). */
static json_t *
lanes(WS_LISTENER *ws)
{
	WSL_LANE_INFO info[WSL_LOOPS_MAX];
	json_t *a = json_array();
	ULONG i, n;

	n = WslGetListenerLanes(ws, info, WSL_LOOPS_MAX);
	for (i = 0; a != NULL && i < n && i < WSL_LOOPS_MAX; i++)
		json_array_append_new(a, json_pack("{s:i,s:I,s:I}", "loop",
		    info[i].loop, "accepted", (json_int_t)info[i].accepted,
		    "pending-accepts", (json_int_t)info[i].pendingAccepts));
	return (a);
}


/*
 * Why it is in its state: its last change as told (from, to, the
 * operation, who asked, when, and the HRESULT, which says why an open
 * failed or the listener faulted).  NULL before its first change.
 */
static long long wall_offset_ms; /* wall clock less monotonic */

static json_t *
last_transition(struct wsld_listener *l)
{
	WSL_TRANSITION t;
	ULONG n = 0;
	uint64_t lost = 0;
	char who[ACTOR_TEXT], hex[11], when[40];
	time_t wall;
	struct tm tm;

	if (l->life.told == 0 || WslGetListenerTransitions(l->ws,
	    l->life.told - 1, &t, 1, &n, &lost) != S_OK || n != 1)
		return (NULL);
	/* From the monotonic clock by one offset, taken once: the same
	 * change shows the same time in every reply. */
	if (wall_offset_ms == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		wall_offset_ms = (long long)ts.tv_sec * 1000 +
		    ts.tv_nsec / 1000000 - wsl_now_ms();
	}
	wall = (time_t)((t.monotonicMs + wall_offset_ms) / 1000);
	if (gmtime_r(&wall, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	wsl_hr_format(t.result, hex);
	return (json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s}",
	    "from", wsl_state_name((int)t.from), "to", wsl_state_name((int)t.to),
	    "operation", WslOperationName(t.operation),
	    "actor", actor_format(t.tag, who), "time", when,
	    "monotonic-ms", (json_int_t)t.monotonicMs, "hresult", hex,
	    "error", wsl_hr_name(t.result) != NULL ? wsl_hr_name(t.result) :
	    hex));
}

/*
 * The listener object's fields, in the order it has them; list's "fields"
 * names some of them.
 */
static const char *const field_names[] = {
	"name", "url", "binding", "state", "state-code", "port", "path",
	"address", "bound", "socket-origin", "loop", "loop-stalled-ms",
	"pending-accepts", "pending-waits", "handler", "aborted-before-open",
	"paused", "last-error", "last-transition", "counters", "lanes",
};
enum {
	F_NAME, F_URL, F_BINDING, F_STATE, F_STATE_CODE, F_PORT, F_PATH,
	F_ADDRESS, F_BOUND, F_SOCKET_ORIGIN, F_LOOP, F_LOOP_STALLED,
	F_PENDING_ACCEPTS, F_PENDING_WAITS, F_HANDLER, F_ABORTED_BEFORE_OPEN,
	F_PAUSED, F_LAST_ERROR, F_LAST_TRANSITION, F_COUNTERS, F_LANES,
	F__COUNT
};
_Static_assert(sizeof(field_names) / sizeof(field_names[0]) == F__COUNT,
    "a name for every field");
_Static_assert(F__COUNT <= DESCRIBE_FIELDS_MAX, "room for every field");

#define BIT(f) ((uint32_t)1 << (f))
#define ALL_FIELDS (BIT(F__COUNT) - 1)
/* Those that are read from the core (the rest are the daemon's own), and
 * those of them that need all it knows (the state alone is cheaper). */
#define CORE_FIELDS (ALL_FIELDS & ~(BIT(F_NAME) | BIT(F_URL)))
#define INFO_FIELDS (CORE_FIELDS & ~(BIT(F_STATE) | BIT(F_STATE_CODE) | \
    BIT(F_LOOP) | BIT(F_LOOP_STALLED) | BIT(F_PENDING_WAITS) | \
    BIT(F_HANDLER) | BIT(F_LANES) | BIT(F_LAST_TRANSITION)))

const char *
describe_field_list(void)
{
	static char text[512];
	size_t i, n = 0;

	if (text[0] == '\0')
		for (i = 0; i < F__COUNT; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s",
			    i > 0 ? ", " : "", field_names[i]);
	return (text);
}

int
describe_fields_parse(const json_t *names, struct describe_fields *f,
    char *why, size_t len)
{
	bool strings = json_is_array(names);
	const char *name;
	json_t *v;
	size_t i, k;

	json_array_foreach(names, i, v)
		strings = strings && json_is_string(v);
	if (!strings || json_array_size(names) == 0 ||
	    json_array_size(names) > DESCRIBE_FIELDS_MAX) {
		snprintf(why, len, "\"fields\" must be an array of 1 to %d field "
		    "names (%s)", DESCRIBE_FIELDS_MAX, describe_field_list());
		return (-1);
	}
	f->mask = 0;
	f->count = 0;
	json_array_foreach(names, i, v) {
		name = json_string_value(v);
		for (k = 0; k < F__COUNT; k++)
			if (strcmp(name, field_names[k]) == 0)
				break;
		if (k == F__COUNT) {
			snprintf(why, len, "unknown field '%.40s' (%s)", name,
			    describe_field_list());
			return (-1);
		}
		if (f->mask & BIT(k))
			continue; /* named twice: shown once */
		f->mask |= BIT(k);
		f->order[f->count++] = (unsigned char)k;
	}
	return (0);
}

static json_t *describe(struct wsld_listener *, uint32_t);

/* All of it, or NULL when out of memory (never a partial object). */
json_t *
describe_listener(struct wsld_listener *l)
{
	return (describe_listener_fields(l, NULL));
}

json_t *
describe_listener_fields(struct wsld_listener *l,
    const struct describe_fields *f)
{
	unsigned long failures = json_allocation_failures();
	json_t *o = describe(l, f != NULL ? f->mask : ALL_FIELDS), *v, *r;
	size_t i;

	/* In the order asked for: the object has them in its own. */
	if (o != NULL && f != NULL && f->count > 1 &&
	    (r = json_object()) != NULL) {
		for (i = 0; i < f->count; i++)
			if ((v = json_object_get(o, field_names[f->order[i]])) !=
			    NULL)
				json_object_set(r, field_names[f->order[i]], v);
		json_decref(o);
		o = r;
	}
	if (json_allocation_failures() != failures) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

#define WANT(f) (mask & BIT(f))

static json_t *
describe(struct wsld_listener *l, uint32_t mask)
{
	WSL_LISTENER_INFO info;
	WSL_URL_INFO url = { 0 };
	char hex[11], why[8], path[PATH_MAX + 256];
	bool bound;
	json_t *o, *v;
	int loop;

	if ((o = json_object()) == NULL)
		return (NULL);
	if (WANT(F_NAME))
		json_object_set_new(o, "name", json_string(l->name));
	if (WANT(F_URL))
		json_object_set_new(o, "url", json_string(l->url));
	if (!(mask & CORE_FIELDS) || l->ws == NULL)
		return (o);
	if (!(mask & INFO_FIELDS)) {
		memset(&info, 0, sizeof(info));
		info.state = listener_state(l);
	} else if (WslGetListenerInfo(l->ws, &info) != S_OK)
		return (o);
	/* Unbound, it shows what its URL names (parsed only then). */
	bound = info.port >= 0 || info.path[0] != '\0';
	if (!bound && (WANT(F_PORT) || WANT(F_PATH)) &&
	    WslParseUrl(l->url, &url, why, sizeof(why)) != S_OK)
		return (o);
	if (WANT(F_BINDING))
		json_object_set_new(o, "binding",
		    json_string(scheme_names[info.binding]));
	if (WANT(F_STATE))
		json_object_set_new(o, "state",
		    json_string(wsl_state_name(info.state)));
	if (WANT(F_STATE_CODE))
		json_object_set_new(o, "state-code", json_integer(info.state));
	if (info.binding == WS_NAMEDPIPE_CHANNEL_BINDING) {
		if (WANT(F_PATH) && info.path[0] != '\0')
			json_object_set_new(o, "path", json_string(info.path));
		else if (WANT(F_PATH)) {
			snprintf(path, sizeof(path), "%s/%s", listener_pipe_dir(),
			    url.path);
			json_object_set_new(o, "path", json_string(path));
		}
	} else {
		if (WANT(F_PORT))
			json_object_set_new(o, "port", json_integer(
			    info.port >= 0 ? info.port : url.port));
		if (WANT(F_ADDRESS) && info.address[0] != '\0')
			json_object_set_new(o, "address",
			    json_string(info.address));
	}
	if (WANT(F_BOUND))
		json_object_set_new(o, "bound", json_boolean(bound));
	if (WANT(F_SOCKET_ORIGIN) && bound)
		json_object_set_new(o, "socket-origin", json_string(
		    info.socketAdopted ? l->given.in_use : "bound"));
	if (WANT(F_LOOP)) {
		loop = WslGetListenerLoop(l->ws);
		json_object_set_new(o, "loop", loop == WSL_LOOP_DEDICATED ?
		    json_string("dedicated") : json_integer(loop));
	}
	if (WANT(F_LOOP_STALLED) && l->watchdog.stalled_since_ms != 0)
		json_object_set_new(o, "loop-stalled-ms", json_integer(
		    (json_int_t)((uint64_t)wsl_now_ms() -
		    l->watchdog.stalled_since_ms)));
	if (WANT(F_PENDING_ACCEPTS))
		json_object_set_new(o, "pending-accepts",
		    json_integer(info.pendingAccepts));
	if (WANT(F_PENDING_WAITS))
		json_object_set_new(o, "pending-waits",
		    json_integer((json_int_t)waiters_count(l)));
	if (WANT(F_HANDLER))
		json_object_set(o, "handler", l->handler_conf);
	if (WANT(F_ABORTED_BEFORE_OPEN) && info.abortedBeforeOpen)
		json_object_set_new(o, "aborted-before-open", json_true());
	if (WANT(F_PAUSED) && info.paused)
		json_object_set_new(o, "paused", json_true());
	if (WANT(F_LAST_ERROR) && FAILED(info.lastError)) {
		wsl_hr_format(info.lastError, hex);
		json_object_set_new(o, "last-error", json_pack(
		    "{s:s,s:s,s:s,s:s}", "hresult", hex, "error",
		    wsl_hr_name(info.lastError) != NULL ?
			wsl_hr_name(info.lastError) : hex,
		    "text", info.lastErrorText,
		    "operation", info.lastErrorOperation));
	}
	if (WANT(F_LAST_TRANSITION) && (v = last_transition(l)) != NULL)
		json_object_set_new(o, "last-transition", v);
	if (WANT(F_COUNTERS))
		json_object_set_new(o, "counters", counters(&info));
	if (WANT(F_LANES) && WslGetListenerLaneCount(l->ws) > 1)
		json_object_set_new(o, "lanes", lanes(l->ws));
	return (o);
}
