/* SPDX-License-Identifier: ISC */
/*
 * The listener object that every listener reply carries: name, url,
 * state, where it listens, pending accepts, last error, counters.
 */
#include <limits.h>
#include <stdio.h>

#include "cmd.h"
#include "listener.h"

static const char *const scheme_names[] = { "http", "net.tcp", "soap.udp",
	"custom", "net.pipe" };

static json_t *
counters(const WSL_LISTENER_COUNTERS *c, uint64_t delivered, uint64_t failed)
{
	uint64_t in_flight = c->completed - delivered - failed;

	return (json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "accepted", (json_int_t)c->accepted,
	    "delivered", (json_int_t)delivered,
	    "failed", (json_int_t)failed,
	    "closed-on-abort", (json_int_t)c->closedOnAbort,
	    "closed-on-close", (json_int_t)c->closedOnClose,
	    "in-flight", (json_int_t)in_flight,
	    "reset-on-abort", (json_int_t)c->resetOnAbort,
	    "aborted-accepts", (json_int_t)c->abortedAccepts,
	    "accept-errors", (json_int_t)c->acceptErrors,
	    "datagrams-dropped", (json_int_t)c->datagramsDropped));
}

json_t *
describe_listener(struct wsld_listener *l)
{
	WSL_LISTENER_INFO info;
	WSL_URL_INFO url;
	uint64_t delivered, failed;
	char hex[11], why[8], path[PATH_MAX + 256];
	json_t *o;

	o = json_pack("{s:s,s:s}", "name", l->name, "url", l->url);
	if (o == NULL || l->ws == NULL)
		return (o);
	/* Daemon counters first: the core's completed count only grows, so
	 * in-flight can never come out negative. */
	delivered = atomic_load(&l->delivered);
	failed = atomic_load(&l->failed);
	if (WslGetListenerInfo(l->ws, &info) != S_OK ||
	    WslParseUrl(l->url, &url, why, sizeof(why)) != S_OK)
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
	json_object_set_new(o, "bound", json_boolean(info.port >= 0 ||
	    info.path[0] != '\0'));
	json_object_set_new(o, "pending-accepts",
	    json_integer(info.pendingAccepts));
	json_object_set(o, "handler", l->handler_conf);
	if (info.abortedBeforeOpen)
		json_object_set_new(o, "aborted-before-open", json_true());
	if (FAILED(info.lastError)) {
		wsl_hr_format(info.lastError, hex);
		json_object_set_new(o, "last-error", json_pack(
		    "{s:s,s:s,s:s,s:s}", "hresult", hex, "error",
		    wsl_hr_name(info.lastError) != NULL ?
			wsl_hr_name(info.lastError) : hex,
		    "text", info.lastErrorText,
		    "operation", info.lastErrorOperation));
	}
	json_object_set_new(o, "counters", counters(&info.counters,
	    delivered, failed));
	return (o);
}
