/* SPDX-License-Identifier: ISC */
/*
 * The state a stopping wsld saves for the next one (see saved-state.h).
 * Counters are saved field by field, by name, so that a later wsld with
 * more counters still reads an older document.
 */
#include <stddef.h>
#include <string.h>

#include "listener.h"
#include "saved-state.h"

#define SCALAR(f) { #f, offsetof(WSL_LISTENER_COUNTERS, f), 1 }
#define ARRAY(f, n) { #f, offsetof(WSL_LISTENER_COUNTERS, f), n }

static const struct {
	const char *name;
	size_t offset;
	int n;
} fields[] = {
	SCALAR(accepted), SCALAR(completed), SCALAR(delivered),
	ARRAY(failed, WSL_FAIL__COUNT), SCALAR(closedOnAbort),
	SCALAR(refused), SCALAR(resetOnAbort), SCALAR(abortedAccepts),
	ARRAY(acceptErrors, WSL_ACCEPT__COUNT), SCALAR(datagramsDropped),
};

json_t *
saved_state_new(void)
{
	return (json_pack("{s:i,s:{}}", "wsld-state", SAVED_STATE_VERSION,
	    "listeners"));
}

static json_t *
counters_json(const WSL_LISTENER_COUNTERS *c)
{
	const unsigned char *base = (const unsigned char *)c;
	const uint64_t *v;
	json_t *o = json_object(), *a;
	size_t i;
	int k;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		v = (const uint64_t *)(const void *)(base + fields[i].offset);
		a = json_array();
		for (k = 0; k < fields[i].n; k++)
			json_array_append_new(a, json_integer((json_int_t)v[k]));
		json_object_set_new(o, fields[i].name, a);
	}
	return (o);
}

void
saved_state_add(json_t *doc, struct wsld_listener *l, WS_LISTENER_STATE s)
{
	WSL_LISTENER_INFO info;

	if (l->ws == NULL || WslGetListenerInfo(l->ws, &info) != S_OK)
		return;
	json_object_set_new(json_object_get(doc, "listeners"), l->name,
	    json_pack("{s:O,s:b,s:s,s:b,s:o}", "definition",
	    l->conf.definition, "from-config", l->conf.from_config, "state",
	    wsl_state_name((int)s), "stored", l->fdstore.stored, "counters",
	    counters_json(&info.counters)));
}

void
saved_state_final(json_t *doc, struct wsld_listener *l)
{
	WSL_LISTENER_INFO info;
	json_t *entry = json_object_get(json_object_get(doc, "listeners"),
	    l->name);

	if (entry != NULL && l->ws != NULL &&
	    WslGetListenerInfo(l->ws, &info) == S_OK)
		(void)json_object_set_new(entry, "counters",
		    counters_json(&info.counters));
}

const json_t *
saved_state_find(const json_t *doc, const char *name)
{
	json_t *v = json_object_get(doc, "wsld-state");

	if (!json_is_integer(v) || json_integer_value(v) != SAVED_STATE_VERSION)
		return (NULL);
	return (json_object_get(json_object_get(doc, "listeners"), name));
}

int
saved_state_state(const json_t *entry)
{
	const char *s = json_string_value(json_object_get(entry, "state"));

	return (s != NULL ? wsl_state_lookup(s) : -1);
}

bool
saved_state_counters(const json_t *entry, WSL_LISTENER_COUNTERS *c)
{
	json_t *o = json_object_get(entry, "counters"), *a, *x;
	unsigned char *base = (unsigned char *)c;
	uint64_t *v;
	size_t i;
	int k;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(o))
		return (false);
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		a = json_object_get(o, fields[i].name);
		v = (uint64_t *)(void *)(base + fields[i].offset);
		for (k = 0; k < fields[i].n; k++)
			if ((x = json_array_get(a, (size_t)k)) != NULL &&
			    json_is_integer(x) && json_integer_value(x) >= 0)
				v[k] = (uint64_t)json_integer_value(x);
	}
	return (true);
}
