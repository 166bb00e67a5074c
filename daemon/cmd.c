/* SPDX-License-Identifier: ISC */
/*
 * Dispatch (a table generated from commands.def: a command without a
 * handler does not link) and the argument helpers handlers share.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static cmd_fn *const table[WSL_CMD__COUNT] = {
#define WSL_CMD(c, wire, level, args, summary) [WSL_CMD_##c] = cmd_##c,
#include "commands.def"
#undef WSL_CMD
};

void
cmd_dispatch(struct ctl_request *req)
{
	table[req->cmd](req);
}

bool
args_only(struct ctl_request *req, ...)
{
	const char *key, *k;
	json_t *v;
	va_list ap;
	bool ok;

	json_object_foreach(req->args, key, v) {
		ok = false;
		va_start(ap, req);
		while ((k = va_arg(ap, const char *)) != NULL)
			if (strcmp(k, key) == 0)
				ok = true;
		va_end(ap);
		if (!ok) {
			char text[160];

			snprintf(text, sizeof(text), "unknown argument '%.64s' "
			    "for '%s' (arguments: %s)", key,
			    wsl_cmds[req->cmd].name, wsl_cmds[req->cmd].arguments);
			ctl_reply(req, WSL_HR_E_INVALIDARG, text, NULL);
			return (false);
		}
	}
	return (true);
}

bool
args_string(struct ctl_request *req, const char *key, bool required,
    const char **out)
{
	json_t *v = json_object_get(req->args, key);
	char text[160];

	*out = NULL;
	if (v == NULL && !required)
		return (true);
	if (v != NULL && json_is_string(v)) {
		*out = json_string_value(v);
		return (true);
	}
	snprintf(text, sizeof(text), v == NULL ?
	    "'%s' needs the argument '%s' (a string)" :
	    "'%s': the argument '%s' must be a string",
	    wsl_cmds[req->cmd].name, key);
	ctl_reply(req, WSL_HR_E_INVALIDARG, text, NULL);
	return (false);
}

bool
args_ms(struct ctl_request *req, const char *key, long long *out)
{
	json_t *v = json_object_get(req->args, key);
	char text[160];

	*out = -1;
	if (v == NULL)
		return (true);
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= 86400000LL * 365) {
		*out = json_integer_value(v);
		return (true);
	}
	snprintf(text, sizeof(text), "'%s': the argument '%s' must be a "
	    "number of milliseconds (an integer, 0 or more)",
	    wsl_cmds[req->cmd].name, key);
	ctl_reply(req, WSL_HR_E_INVALIDARG, text, NULL);
	return (false);
}

/* The names near a mistyped one (2 edits at most), appended to text as
 * "; did you mean 'a', 'b'?" (`wslctl list` shows them all).  A walk of
 * the named listeners, so only while there are at most SUGGEST_WALK: an
 * error must not cost much. */
#define SUGGEST_WALK 1000
#define SUGGEST_SHOWN 5

struct near {
	const char *name;
	char *text;
	size_t size;
	int found;
};

static void
near_one(struct wsld_listener *l, void *arg)
{
	struct near *n = arg;
	size_t len = strlen(n->text);

	if (!l->life.bound || n->found >= SUGGEST_SHOWN ||
	    wsl_edit_distance(n->name, l->name, 2) > 2)
		return;
	snprintf(n->text + len, n->size - len, "%s'%s'", n->found == 0 ?
	    "; did you mean " : ", ", l->name);
	n->found++;
}

static void
suggest(const char *name, char *text, size_t size)
{
	struct near n = { name, text, size, 0 };
	size_t len;

	if (lifecycle_count() > SUGGEST_WALK)
		return;
	lifecycle_foreach(near_one, &n);
	len = strlen(text);
	if (n.found > 0)
		snprintf(text + len, size - len, "?");
}

/* The listener named by the "name" argument. */
struct wsld_listener *
args_listener(struct ctl_request *req)
{
	struct wsld_listener *l;
	const char *name;
	char text[512];

	if (!args_string(req, "name", true, &name))
		return (NULL);
	if ((l = lifecycle_find(name)) == NULL) {
		snprintf(text, sizeof(text), "no listener named '%.64s'", name);
		suggest(name, text, sizeof(text));
		ctl_reply(req, WSL_HR_ERROR_NOT_FOUND, text,
		    json_pack("{s:s}", "name", name));
		return (NULL);
	}
	return (l);
}

void
reply_listener(struct ctl_request *req, struct wsld_listener *l, HRESULT hr,
    const char *text, int previous)
{
	json_t *o = describe_listener(l);

	if (o == NULL || (previous >= 0 && json_object_set_new(o,
	    "previous-state", json_string(wsl_state_name(previous))) < 0)) {
		json_decref(o);
		ctl_reply_lost(req, -1, NULL);
		return;
	}
	ctl_reply(req, hr, text, o);
}
