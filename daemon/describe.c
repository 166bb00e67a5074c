/* SPDX-License-Identifier: ISC */
/*
 * The listener object that every listener reply carries: name, url,
 * state, where it listens, pending accepts, last error, counters.
 */
#include <limits.h>
#include <stdio.h>

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

static json_t *describe(struct wsld_listener *);

/* All of it, or NULL when out of memory (never a partial object). */
json_t *
describe_listener(struct wsld_listener *l)
{
	unsigned long failures = json_allocation_failures();
	json_t *o = describe(l);

	if (json_allocation_failures() != failures) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

static json_t *
describe(struct wsld_listener *l)
{
	WSL_LISTENER_INFO info;
	WSL_URL_INFO url = { 0 };
	char hex[11], why[8], path[PATH_MAX + 256];
	bool bound;
	json_t *o;
	int loop;

	o = json_pack("{s:s,s:s}", "name", l->name, "url", l->url);
	if (o == NULL || l->ws == NULL)
		return (o);
	if (WslGetListenerInfo(l->ws, &info) != S_OK)
		return (o);
	/* Unbound, it shows what its URL names (parsed only then). */
	bound = info.port >= 0 || info.path[0] != '\0';
	if (!bound && WslParseUrl(l->url, &url, why, sizeof(why)) != S_OK)
		return (o);
	json_object_set_new(o, "binding",
	    json_string(scheme_names[info.binding]));
	json_object_set_new(o, "state", json_string(wsl_state_name(info.state)));
	json_object_set_new(o, "state-code", json_integer(info.state));
	if (info.binding == WS_NAMEDPIPE_CHANNEL_BINDING) {
		if (info.path[0] != '\0')
			snprintf(path, sizeof(path), "%s", info.path);
		else
			snprintf(path, sizeof(path), "%s/%s", listener_pipe_dir(),
			    url.path);
		json_object_set_new(o, "path", json_string(path));
	} else {
		json_object_set_new(o, "port", json_integer(info.port >= 0 ?
		    info.port : url.port));
		if (info.address[0] != '\0')
			json_object_set_new(o, "address",
			    json_string(info.address));
	}
	json_object_set_new(o, "bound", json_boolean(bound));
	if (bound)
		json_object_set_new(o, "socket-origin", json_string(
		    info.socketAdopted ? l->given.in_use : "bound"));
	loop = WslGetListenerLoop(l->ws);
	json_object_set_new(o, "loop", loop == WSL_LOOP_DEDICATED ?
	    json_string("dedicated") : json_integer(loop));
	if (l->watchdog.stalled_since_ms != 0)
		json_object_set_new(o, "loop-stalled-ms", json_integer(
		    (json_int_t)((uint64_t)wsl_now_ms() -
		    l->watchdog.stalled_since_ms)));
	json_object_set_new(o, "pending-accepts",
	    json_integer(info.pendingAccepts));
	json_object_set_new(o, "pending-waits",
	    json_integer((json_int_t)waiters_count(l)));
	json_object_set(o, "handler", l->handler_conf);
	if (info.abortedBeforeOpen)
		json_object_set_new(o, "aborted-before-open", json_true());
	if (info.paused)
		json_object_set_new(o, "paused", json_true());
	if (FAILED(info.lastError)) {
		wsl_hr_format(info.lastError, hex);
		json_object_set_new(o, "last-error", json_pack(
		    "{s:s,s:s,s:s,s:s}", "hresult", hex, "error",
		    wsl_hr_name(info.lastError) != NULL ?
			wsl_hr_name(info.lastError) : hex,
		    "text", info.lastErrorText,
		    "operation", info.lastErrorOperation));
	}
	json_object_set_new(o, "counters", counters(&info));
	if (WslGetListenerLaneCount(l->ws) > 1)
		json_object_set_new(o, "lanes", lanes(l->ws));
	return (o);
}
