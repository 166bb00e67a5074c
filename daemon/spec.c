/* SPDX-License-Identifier: ISC */
/*
 * Checking a listener definition (see spec.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "handler.h"
#include "pointer.h"
#include "spec.h"

/* Names: 1 to 64 of [A-Za-z0-9._-], starting with a letter or digit. */
bool
spec_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > LISTENER_NAME_MAX || !isalnum((unsigned char)name[0]))
		return (false);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '.' &&
		    name[i] != '_' && name[i] != '-')
			return (false);
	return (true);
}

/*
 * The keys of a listener definition, and what each value must be, as the
 * messages say it; tests/lint/conf-keys.sh checks wsld.conf(5) against
 * this table.
 */
enum spec_key { KEY_URL, KEY_PROPERTIES, KEY_HANDLER, KEY_OPEN, KEY_LOOP,
	KEY_LOOPS, NSPEC_KEYS };

static const char *const spec_keys[NSPEC_KEYS] = {
	[KEY_URL] = "url",
	[KEY_PROPERTIES] = "properties",
	[KEY_HANDLER] = "handler",
	[KEY_OPEN] = "open",
	[KEY_LOOP] = "loop",
	[KEY_LOOPS] = "loops",
};

#define STR(x) #x
#define XSTR(x) STR(x)
static const char *const spec_phrases[NSPEC_KEYS] = {
	[KEY_URL] = "a string such as \"net.tcp://127.0.0.1:8808/\"",
	[KEY_PROPERTIES] = "an object of listener properties by name",
	[KEY_HANDLER] = "an object such as {\"type\": \"echo\"}",
	[KEY_OPEN] = "true or false",
	[KEY_LOOP] = "\"pool\" or \"dedicated\"",
	[KEY_LOOPS] = "an integer from 1 to " XSTR(WSL_LOOPS_MAX)
	    ", or \"all\"",
};

const char *
spec_key_name(size_t i)
{
	return (i < NSPEC_KEYS ? spec_keys[i] : NULL);
}

const char *
spec_key_phrase(size_t i)
{
	return (i < NSPEC_KEYS ? spec_phrases[i] : NULL);
}

/* "\"KEY\" must be WHAT", at the key's value. */
static int
wrong(struct wsl_err *err, enum spec_key k)
{
	wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"%s\" must be %s",
	    spec_keys[k], spec_phrases[k]);
	return (-1);
}

static bool
allowed(const char *key, const char *const *extra)
{
	size_t i;

	for (i = 0; i < NSPEC_KEYS; i++)
		if (strcmp(key, spec_keys[i]) == 0)
			return (true);
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		if (strcmp(key, extra[i]) == 0)
			return (true);
	return (false);
}

static int
unknown(const char *key, struct wsl_err *err)
{
	char known[128];
	size_t i, n = 0;

	for (i = 0; i < NSPEC_KEYS; i++)
		n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s",
		    i > 0 ? ", " : "", spec_keys[i]);
	wsl_err_set(err, WSL_HR_E_INVALIDARG,
	    "unknown key '%.64s' (expected %s)", key, known);
	return (-1);
}

/* A part's own pointer goes after its prefix in where (not a buffer of
 * its own: where has the room the caller found the value needs). */
static char *
below(char *where, size_t wherelen, const char *prefix, size_t *sublen)
{
	size_t n;

	snprintf(where, wherelen, "%s", prefix);
	n = strlen(where);
	*sublen = wherelen - n;
	return (where + n);
}

static int
handler_parse(const json_t *h, struct listener_spec *s, struct wsl_err *err,
    char *where, size_t wherelen)
{
	const char *type;
	size_t sublen;
	char *sub;
	json_t *t;

	if (h == NULL) {
		s->handler = &handler_accept;
		s->handler_conf = json_pack("{s:s}", "type", "accept");
		return (s->handler->configure(s->handler_conf, s->binding,
		    &s->handler_state, err, where, wherelen));
	}
	snprintf(where, wherelen, "/handler");
	if (!json_is_object(h))
		return (wrong(err, KEY_HANDLER));
	if ((t = json_object_get(h, "type")) == NULL || !json_is_string(t)) {
		wsl_err_set(err, WSL_HR_E_INVALIDARG,
		    "the handler needs a \"type\" string (one of: %s)",
		    handler_names());
		return (-1);
	}
	type = json_string_value(t);
	snprintf(where, wherelen, "/handler/type");
	if ((s->handler = handler_lookup(type)) == NULL) {
		wsl_err_set(err, WSL_HR_E_INVALIDARG,
		    "unknown handler type '%s' (one of: %s)", type,
		    handler_names());
		return (-1);
	}
	s->handler_conf = json_incref((json_t *)h);
	sub = below(where, wherelen, "/handler", &sublen);
	sub[0] = '\0';
	return (s->handler->configure(h, s->binding, &s->handler_state, err,
	    sub, sublen) < 0 ? -1 : 0);
}

/* "loops": how many of the pool's loops accept for the listener. */
static int
loops_parse(const json_t *v, struct listener_spec *s, struct wsl_err *err,
    char *where, size_t wherelen)
{
	s->loops = 1;
	if (v == NULL)
		return (0);
	snprintf(where, wherelen, "/loops");
	if (json_is_string(v) && strcmp(json_string_value(v), "all") == 0)
		s->loops = 0;
	else if (json_is_integer(v) && json_integer_value(v) >= 1 &&
	    json_integer_value(v) <= WSL_LOOPS_MAX)
		s->loops = (ULONG)json_integer_value(v);
	else
		return (wrong(err, KEY_LOOPS));
	if (s->loops != 1 && s->binding == WS_UDP_CHANNEL_BINDING)
		return (wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"loops\": a "
		    "UDP listener runs on one loop (its sessions live "
		    "there)"), -1);
	if (s->loops != 1 && s->dedicated_loop)
		return (wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"loops\": a "
		    "listener on a dedicated loop runs on that loop only"), -1);
	return (0);
}

int
spec_parse(const char *name, const json_t *obj, const char *const *extra,
    struct listener_spec *s, struct wsl_err *err, char *where,
    size_t wherelen)
{
	char why[256], *sub;
	const char *key;
	size_t sublen;
	json_t *v;

	memset(s, 0, sizeof(*s));
	where[0] = '\0';
	if (!spec_name_ok(name))
		return (wsl_err_set(err, WSL_HR_E_INVALIDARG, "bad listener "
		    "name '%.64s': use 1 to 64 letters, digits, '.', '_' or "
		    "'-', starting with a letter or digit", name), -1);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->definition = obj;
	if (!json_is_object(obj))
		return (wsl_err_set(err, WSL_HR_E_INVALIDARG,
		    "a listener must be an object with at least \"url\""), -1);
	json_object_foreach((json_t *)obj, key, v) {
		if (!allowed(key, extra)) {
			(void)pointer_append(where, wherelen, key);
			return (unknown(key, err));
		}
	}
	snprintf(where, wherelen, "/url");
	v = json_object_get(obj, "url");
	if (v == NULL)
		return (wsl_err_set(err, WSL_HR_E_INVALIDARG, "listener '%s' "
		    "needs a \"url\", %s", name, spec_phrases[KEY_URL]), -1);
	if (!json_is_string(v))
		return (wrong(err, KEY_URL));
	s->url = json_string_value(v);
	if (FAILED(WslUrlBinding(s->url, &s->binding, &s->type, why,
	    sizeof(why))))
		return (wsl_err_set(err, WSL_HR_E_INVALIDARG, "bad url '%s': %s",
		    s->url, why), -1);
	snprintf(where, wherelen, "/open");
	v = json_object_get(obj, "open");
	if (v != NULL && !json_is_boolean(v))
		return (wrong(err, KEY_OPEN));
	s->open = json_is_true(v);
	snprintf(where, wherelen, "/loop");
	v = json_object_get(obj, "loop");
	if (v != NULL && (!json_is_string(v) ||
	    (strcmp(json_string_value(v), "pool") != 0 &&
	    strcmp(json_string_value(v), "dedicated") != 0)))
		return (wrong(err, KEY_LOOP));
	s->dedicated_loop = v != NULL &&
	    strcmp(json_string_value(v), "dedicated") == 0;
	if (loops_parse(json_object_get(obj, "loops"), s, err, where,
	    wherelen) < 0)
		return (-1);
	s->properties = json_object_get(obj, "properties");
	if (s->properties != NULL && !json_is_object(s->properties)) {
		snprintf(where, wherelen, "/properties");
		return (wrong(err, KEY_PROPERTIES));
	}
	sub = below(where, wherelen, "/properties", &sublen);
	if (props_from_json(s->properties, &s->props, err, sub, sublen) < 0 ||
	    props_check(&s->props, s->type, s->binding, err, sub, sublen) < 0) {
		props_clear(&s->props);
		return (-1);
	}
	if (handler_parse(json_object_get(obj, "handler"), s, err, where,
	    wherelen) < 0) {
		spec_clear(s);
		return (-1);
	}
	if (s->loops != 1 && s->handler->serves_accept_requests) {
		snprintf(where, wherelen, "/loops");
		spec_clear(s);
		return (wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"loops\" needs "
		    "a handler that accepts on its loops (echo, forward or "
		    "exec): `accept` requests take channels on one"), -1);
	}
	where[0] = '\0';
	return (0);
}

void
spec_clear(struct listener_spec *s)
{
	props_clear(&s->props);
	if (s->handler != NULL && s->handler_state != NULL)
		s->handler->destroy(s->handler_state);
	s->handler_state = NULL;
	json_decref(s->handler_conf);
	s->handler_conf = NULL;
}
