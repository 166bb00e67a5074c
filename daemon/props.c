/* SPDX-License-Identifier: ISC */
/*
 * The property table (see props.h).  Every property is decoded and encoded
 * here and nowhere else; the core enforces which may be given when.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pointer.h"
#include "props.h"

enum kind { K_ULONG, K_TIMEOUT, K_IP_VERSION, K_CALLBACK_MODEL, K_STATE,
	K_CHANNEL_TYPE, K_BINDING, K_BOOL };

/* Integers and timeouts: from min to max (timeouts: or "infinite"). */
static const struct prop {
	const char *name;
	WS_LISTENER_PROPERTY_ID id;
	enum kind kind;
	bool read_only;
	long long min, max;
} table[] = {
	/* listen(2) takes an int. */
	{ "listen-backlog", WS_LISTENER_PROPERTY_LISTEN_BACKLOG, K_ULONG, false,
	    1, INT32_MAX },
	{ "ip-version", WS_LISTENER_PROPERTY_IP_VERSION, K_IP_VERSION, false,
	    0, 0 },
	{ "state", WS_LISTENER_PROPERTY_STATE, K_STATE, true, 0, 0 },
	{ "async-callback-model", WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL,
	    K_CALLBACK_MODEL, false, 0, 0 },
	{ "channel-type", WS_LISTENER_PROPERTY_CHANNEL_TYPE, K_CHANNEL_TYPE,
	    true, 0, 0 },
	{ "channel-binding", WS_LISTENER_PROPERTY_CHANNEL_BINDING, K_BINDING,
	    true, 0, 0 },
	{ "connect-timeout", WS_LISTENER_PROPERTY_CONNECT_TIMEOUT, K_TIMEOUT,
	    false, 0, UINT32_MAX },
	{ "is-multicast", WS_LISTENER_PROPERTY_IS_MULTICAST, K_BOOL, false,
	    0, 0 },
	{ "close-timeout", WS_LISTENER_PROPERTY_CLOSE_TIMEOUT, K_TIMEOUT, false,
	    0, UINT32_MAX },
	{ "to-header-matching-options",
	    WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS, K_ULONG, false,
	    0, UINT32_MAX },
	{ "transport-url-matching-options",
	    WS_LISTENER_PROPERTY_TRANSPORT_URL_MATCHING_OPTIONS, K_ULONG, false,
	    0, UINT32_MAX },
};
#define NPROPS (sizeof(table) / sizeof(table[0]))

static const struct {
	WS_CHANNEL_TYPE type;
	const char *name;
} types[] = {
	{ WS_CHANNEL_TYPE_INPUT, "INPUT" },
	{ WS_CHANNEL_TYPE_OUTPUT, "OUTPUT" },
	{ WS_CHANNEL_TYPE_INPUT_SESSION, "INPUT_SESSION" },
	{ WS_CHANNEL_TYPE_OUTPUT_SESSION, "OUTPUT_SESSION" },
	{ WS_CHANNEL_TYPE_DUPLEX, "DUPLEX" },
	{ WS_CHANNEL_TYPE_DUPLEX_SESSION, "DUPLEX_SESSION" },
	{ WS_CHANNEL_TYPE_REQUEST, "REQUEST" },
	{ WS_CHANNEL_TYPE_REPLY, "REPLY" },
};
static const char *const bindings[] = { "HTTP", "TCP", "UDP", "CUSTOM",
	"NAMEDPIPE" };

static const struct prop *
find(const char *name)
{
	size_t i;

	for (i = 0; i < NPROPS; i++)
		if (strcmp(table[i].name, name) == 0)
			return (&table[i]);
	return (NULL);
}

static int
unknown(const char *name, struct wsl_err *err)
{
	char known[512];
	size_t i, n = 0;

	for (i = 0; i < NPROPS; i++)
		n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s",
		    i > 0 ? ", " : "", table[i].name);
	wsl_err_set(err, WSL_HR_E_INVALIDARG,
	    "unknown property '%.64s' (known: %s)", name, known);
	return (-1);
}

/* What a value of the property must be, as its messages say it. */
static int
phrase(const struct prop *p, char *buf, size_t len)
{
	switch (p->kind) {
	case K_ULONG:
		return (snprintf(buf, len, "an integer from %lld to %lld",
		    p->min, p->max));
	case K_TIMEOUT:
		return (snprintf(buf, len, "an integer from %lld to %lld "
		    "(milliseconds) or \"infinite\"", p->min, p->max));
	case K_IP_VERSION:
		return (snprintf(buf, len, "\"4\", \"6\" or \"auto\""));
	case K_CALLBACK_MODEL:
		return (snprintf(buf, len, "\"short\" or \"long\""));
	case K_BOOL:
		return (snprintf(buf, len, "true or false"));
	case K_STATE:
	case K_CHANNEL_TYPE:
	case K_BINDING:
		break;
	}
	return (snprintf(buf, len, "read-only"));
}

static int
read_only(const struct prop *p, struct wsl_err *err)
{
	wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"%s\" is read-only", p->name);
	return (-1);
}

/* A JSON value to the property's binary value; -1 when it does not fit. */
static int
decode(const struct prop *p, const json_t *v, ULONG *out, struct wsl_err *err)
{
	char what[128];
	json_int_t i;
	const char *s;

	switch (p->kind) {
	case K_ULONG:
	case K_TIMEOUT:
		if (p->kind == K_TIMEOUT && json_is_string(v) &&
		    strcmp(json_string_value(v), "infinite") == 0) {
			*out = INFINITE;
			return (0);
		}
		if (!json_is_integer(v) || (i = json_integer_value(v)) < p->min ||
		    i > p->max)
			break;
		*out = (ULONG)i;
		return (0);
	case K_IP_VERSION:
		s = json_is_string(v) ? json_string_value(v) : NULL;
		i = json_is_integer(v) ? json_integer_value(v) : 0;
		if ((s != NULL && strcmp(s, "4") == 0) || i == 4)
			*out = WS_IP_VERSION_4;
		else if ((s != NULL && strcmp(s, "6") == 0) || i == 6)
			*out = WS_IP_VERSION_6;
		else if (s != NULL && strcasecmp(s, "auto") == 0)
			*out = WS_IP_VERSION_AUTO;
		else
			break;
		return (0);
	case K_CALLBACK_MODEL:
		s = json_is_string(v) ? json_string_value(v) : "";
		if (strcasecmp(s, "short") == 0)
			*out = WS_SHORT_CALLBACK;
		else if (strcasecmp(s, "long") == 0)
			*out = WS_LONG_CALLBACK;
		else
			break;
		return (0);
	case K_BOOL:
		if (!json_is_boolean(v))
			break;
		*out = json_is_true(v) ? TRUE : FALSE;
		return (0);
	case K_STATE:
	case K_CHANNEL_TYPE:
	case K_BINDING:
		return (read_only(p, err));
	}
	phrase(p, what, sizeof(what));
	wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"%s\" must be %s", p->name,
	    what);
	return (-1);
}

const char *
props_name(size_t i)
{
	return (i < NPROPS ? table[i].name : NULL);
}

int
props_phrase(size_t i, char *buf, size_t len)
{
	return (i < NPROPS ? phrase(&table[i], buf, len) : -1);
}

static json_t *
encode(const struct prop *p, ULONG v)
{
	size_t i;

	switch (p->kind) {
	case K_TIMEOUT:
		if (v == INFINITE)
			return (json_string("infinite"));
		/* FALLTHROUGH */
	case K_ULONG:
		return (json_integer((json_int_t)v));
	case K_IP_VERSION:
		return (json_string(v == WS_IP_VERSION_4 ? "4" :
		    v == WS_IP_VERSION_6 ? "6" : "auto"));
	case K_CALLBACK_MODEL:
		return (json_string(v == WS_SHORT_CALLBACK ? "short" : "long"));
	case K_BOOL:
		return (json_boolean(v != 0));
	case K_STATE:
		return (json_string(wsl_state_name((int)v)));
	case K_CHANNEL_TYPE:
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if ((ULONG)types[i].type == v)
				return (json_string(types[i].name));
		return (json_integer((json_int_t)v));
	case K_BINDING:
		return (json_string(v < 5 ? bindings[v] : "?"));
	}
	return (json_null());
}

struct stored {
	WS_LISTENER_PROPERTY prop;
	ULONG value;
};

int
props_from_json(const json_t *obj, struct props_set *set, struct wsl_err *err,
    char *where, size_t wherelen)
{
	const struct prop *p;
	struct stored *s;
	const char *key;
	json_t *v;
	size_t n = 0;

	memset(set, 0, sizeof(*set));
	if (obj == NULL)
		return (0);
	if (!json_is_object(obj)) {
		wsl_err_set(err, WSL_HR_E_INVALIDARG,
		    "\"properties\" must be an object");
		return (-1);
	}
	if ((s = calloc(json_object_size(obj) + 1, sizeof(*s))) == NULL ||
	    (set->props = calloc(json_object_size(obj) + 1,
		sizeof(*set->props))) == NULL) {
		free(s);
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (-1);
	}
	set->values = s;
	json_object_foreach((json_t *)obj, key, v) {
		where[0] = '\0';
		(void)pointer_append(where, wherelen, key);
		if ((p = find(key)) == NULL) {
			props_clear(set);
			return (unknown(key, err));
		}
		if (decode(p, v, &s[n].value, err) < 0) {
			props_clear(set);
			return (-1);
		}
		set->props[n].id = p->id;
		set->props[n].value = &s[n].value;
		set->props[n].valueSize = sizeof(ULONG);
		n++;
	}
	set->count = (ULONG)n;
	where[0] = '\0';
	return (0);
}

int
props_check(const struct props_set *set, WS_CHANNEL_TYPE type,
    WS_CHANNEL_BINDING binding, struct wsl_err *err, char *where,
    size_t wherelen)
{
	WS_ERROR *error = NULL;
	HRESULT hr;
	size_t i, j;

	where[0] = '\0';
	(void)WsCreateError(NULL, 0, &error);
	hr = WslCheckListenerArguments(type, binding, set->props, set->count,
	    error);
	if (SUCCEEDED(hr)) {
		WsFreeError(error);
		return (0);
	}
	/* Point at the first property the core would refuse on its own. */
	for (i = 0; i < set->count; i++)
		if (FAILED(WslCheckListenerArguments(type, binding,
		    &set->props[i], 1, NULL)))
			for (j = 0; j < NPROPS; j++)
				if (table[j].id == set->props[i].id) {
					(void)pointer_append(where, wherelen,
					    table[j].name);
					i = set->count;
					break;
				}
	wsl_err_set(err, hr, "%s", WslErrorText(error));
	WsFreeError(error);
	return (-1);
}

void
props_clear(struct props_set *set)
{
	free(set->props);
	free(set->values);
	memset(set, 0, sizeof(*set));
}

static json_t *
get_one(WS_LISTENER *ws, const struct prop *p)
{
	ULONG v = 0;

	/* Every listener property here is 4 bytes wide (ULONG, BOOL, enums). */
	if (WsGetListenerProperty(ws, p->id, &v, sizeof(v), NULL) != S_OK)
		return (NULL);
	return (encode(p, v));
}

json_t *
props_get_all(WS_LISTENER *ws)
{
	json_t *o = json_object(), *v;
	size_t i;

	for (i = 0; o != NULL && i < NPROPS; i++)
		if ((v = get_one(ws, &table[i])) != NULL)
			json_object_set_new(o, table[i].name, v);
	return (o);
}

int
props_get(WS_LISTENER *ws, const char *name, json_t **out, struct wsl_err *err)
{
	const struct prop *p;

	if ((p = find(name)) == NULL)
		return (unknown(name, err));
	if ((*out = get_one(ws, p)) == NULL) {
		wsl_err_set(err, WSL_HR_E_UNEXPECTED, "cannot read '%s'", name);
		return (-1);
	}
	return (0);
}

int
props_set(WS_LISTENER *ws, const char *name, const json_t *value,
    struct wsl_err *err)
{
	const struct prop *p;
	ULONG v;
	HRESULT hr;

	if ((p = find(name)) == NULL)
		return (unknown(name, err));
	if (p->read_only)
		return (read_only(p, err));
	if (decode(p, value, &v, err) < 0)
		return (-1);
	if ((hr = WsSetListenerProperty(ws, p->id, &v, sizeof(v), NULL)) != S_OK) {
		wsl_err_set(err, hr, "property '%s' can only be given when the "
		    "listener is created (WsSetListenerProperty refuses it)", name);
		return (-1);
	}
	return (0);
}
