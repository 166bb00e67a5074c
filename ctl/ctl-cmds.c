/* SPDX-License-Identifier: ISC */
/*
 * The wslctl verbs: one row per verb, with the function that turns its
 * argv into the request's arguments and the one that prints the reply.
 * Validation beyond the shape of argv is the daemon's job.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* The command's argument object, or NULL after a usage message. */
static json_t *
args_none(int argc, char **argv, const struct ctl_cmd *c)
{
	(void)argv;
	if (argc != 0) {
		ctl_usage_error(c, "unexpected argument '%s'", argv[0]);
		return (NULL);
	}
	return (json_object());
}

static json_t *
args_name(int argc, char **argv, const struct ctl_cmd *c)
{
	if (argc != 1) {
		ctl_usage_error(c, argc == 0 ? "missing NAME" :
		    "unexpected argument '%s'", argc > 1 ? argv[1] : "");
		return (NULL);
	}
	return (json_pack("{s:s}", "name", argv[0]));
}

/* "128" is a number, "true" a boolean, "auto" a string. */
json_t *
ctl_value(const char *s)
{
	json_t *v;

	if ((v = json_loads(s, JSON_DECODE_ANY, NULL)) != NULL)
		return (v);
	return (json_string(s));
}

static json_t *
args_create(int argc, char **argv, const struct ctl_cmd *c)
{
	static const struct option longopts[] = {
		{ "echo", no_argument, NULL, 'e' },
		{ "handler", required_argument, NULL, 'H' },
		{ "property", required_argument, NULL, 'p' },
		{ "open", no_argument, NULL, 'o' },
		{ "loops", required_argument, NULL, 'L' },
		{ "keep", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *args, *props, *handler = NULL;
	char *eq;
	int ch;

	args = json_object();
	props = json_object();
	optind = 0; /* restart getopt on the verb's own argv */
	while ((ch = getopt_long(argc + 1, argv - 1, "eH:p:oL:k", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'e':
			json_decref(handler);
			handler = json_pack("{s:s}", "type", "echo");
			break;
		case 'H':
			json_decref(handler);
			if (optarg[0] == '{') {
				if ((handler = json_loads(optarg, 0, NULL)) == NULL) {
					ctl_usage_error(c, "--handler: '%s' is "
					    "not a JSON object", optarg);
					goto fail;
				}
			} else
				handler = json_pack("{s:s}", "type", optarg);
			break;
		case 'p':
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg) {
				ctl_usage_error(c, "--property needs KEY=VALUE, "
				    "not '%s'", optarg);
				goto fail;
			}
			*eq = '\0';
			json_object_set_new(props, optarg, ctl_value(eq + 1));
			*eq = '=';
			break;
		case 'o':
			json_object_set_new(args, "open", json_true());
			break;
		case 'k':
			json_object_set_new(args, "keep", json_true());
			break;
		case 'L': /* a number, or "all": the daemon checks it */
			json_object_set_new(args, "loops", ctl_value(optarg));
			break;
		default:
			ctl_usage_error(c, "bad option");
			goto fail;
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (argc != 2) {
		ctl_usage_error(c, argc < 2 ? "missing NAME or URL" :
		    "unexpected argument '%s'", argc > 2 ? argv[2] : "");
		goto fail;
	}
	json_object_set_new(args, "name", json_string(argv[0]));
	json_object_set_new(args, "url", json_string(argv[1]));
	if (json_object_size(props) > 0)
		json_object_set(args, "properties", props);
	if (handler != NULL)
		json_object_set(args, "handler", handler);
	json_decref(props);
	json_decref(handler);
	return (args);
fail:
	json_decref(args);
	json_decref(props);
	json_decref(handler);
	return (NULL);
}

static json_t *
args_accept(int argc, char **argv, const struct ctl_cmd *c)
{
	/* NAME [-- COMMAND ...]: the command is run by wslctl, not sent. */
	if (argc < 1 || (argc > 1 && strcmp(argv[1], "--") != 0) ||
	    (argc == 2)) {
		ctl_usage_error(c, argc < 1 ? "missing NAME" :
		    "expected NAME [-- COMMAND [ARGS...]]");
		return (NULL);
	}
	return (json_pack("{s:s}", "name", argv[0]));
}

static json_t *
args_get(int argc, char **argv, const struct ctl_cmd *c)
{
	if (argc < 1 || argc > 2) {
		ctl_usage_error(c, argc < 1 ? "missing NAME" :
		    "unexpected argument '%s'", argc > 2 ? argv[2] : "");
		return (NULL);
	}
	if (argc == 1)
		return (json_pack("{s:s}", "name", argv[0]));
	return (json_pack("{s:s,s:s}", "name", argv[0], "property", argv[1]));
}

static json_t *
args_set(int argc, char **argv, const struct ctl_cmd *c)
{
	if (argc != 3) {
		ctl_usage_error(c, "expected NAME PROPERTY VALUE");
		return (NULL);
	}
	return (json_pack("{s:s,s:s,s:o}", "name", argv[0], "property",
	    argv[1], "value", ctl_value(argv[2])));
}

static json_t *
args_wait(int argc, char **argv, const struct ctl_cmd *c)
{
	if (argc != 2) {
		ctl_usage_error(c, "expected NAME STATE");
		return (NULL);
	}
	return (json_pack("{s:s,s:s}", "name", argv[0], "state", argv[1]));
}

/* "a,b,c" as ["a", "b", "c"] (an empty name is the daemon's to refuse). */
static json_t *
split_fields(const char *list)
{
	json_t *a = json_array();
	const char *p = list, *comma;

	for (;;) {
		comma = strchr(p, ',');
		json_array_append_new(a, json_stringn(p, comma != NULL ?
		    (size_t)(comma - p) : strlen(p)));
		if (comma == NULL)
			return (a);
		p = comma + 1;
	}
}

/* list [--state STATE] [--fields F1,F2...] [GLOB] */
static json_t *
args_list(int argc, char **argv, const struct ctl_cmd *c)
{
	json_t *args = json_object();
	int i;

	for (i = 0; i < argc && args != NULL; i++) {
		if (strcmp(argv[i], "--state") == 0 && i + 1 < argc)
			json_object_set_new(args, "state",
			    json_string(argv[++i]));
		else if (strcmp(argv[i], "--fields") == 0 && i + 1 < argc)
			json_object_set_new(args, "fields",
			    split_fields(argv[++i]));
		else if (strncmp(argv[i], "--fields=", 9) == 0)
			json_object_set_new(args, "fields",
			    split_fields(argv[i] + 9));
		else if (argv[i][0] != '-' &&
		    json_object_get(args, "match") == NULL)
			json_object_set_new(args, "match",
			    json_string(argv[i]));
		else {
			json_decref(args);
			ctl_usage_error(c, "unexpected argument '%s'", argv[i]);
			return (NULL);
		}
	}
	/* For a person, only what is printed: a tenth of the bytes. */
	if (args != NULL && !opts.json &&
	    json_object_get(args, "fields") == NULL)
		json_object_set_new(args, "fields",
		    json_pack("[sss]", "name", "state", "url"));
	return (args);
}

/* call COMMAND [ARGUMENTS-JSON]: any request, for scripts. */
static json_t *
args_call(int argc, char **argv, const struct ctl_cmd *c)
{
	json_t *args;

	if (argc < 1 || argc > 2) {
		ctl_usage_error(c, "expected COMMAND [ARGUMENTS-JSON]");
		return (NULL);
	}
	if (argc == 1)
		return (json_object());
	if ((args = json_loads(argv[1], 0, NULL)) == NULL ||
	    !json_is_object(args)) {
		json_decref(args);
		ctl_usage_error(c, "'%s' is not a JSON object", argv[1]);
		return (NULL);
	}
	return (args);
}

static const struct ctl_cmd cmds[] = {
	{ "list", "list", "list [--state STATE] [--fields FIELD,...] [GLOB]",
	    args_list, print_list, CTL_QUICK },
	{ "status", "status", "status NAME", args_name, print_status, CTL_QUICK },
	{ "create", "create", "create NAME URL [--echo | --handler TYPE|JSON] "
	    "[-p KEY=VALUE]... [--loops N|all] [--open [--keep]]", args_create, print_state, CTL_QUICK },
	{ "open", "open", "open NAME", args_name, print_state, CTL_QUICK },
	{ "accept", "accept", "accept NAME [-- COMMAND [ARGS...]]",
	    args_accept, NULL, CTL_TIMED },
	{ "close", "close", "close NAME", args_name, print_state, CTL_QUICK },
	{ "abort", "abort", "abort NAME", args_name, print_state, CTL_QUICK },
	{ "reopen", "reopen", "reopen NAME", args_name, print_reopen,
	    CTL_QUICK },
	{ "pause", "pause", "pause NAME", args_name, print_state, CTL_QUICK },
	{ "resume", "resume", "resume NAME", args_name, print_state,
	    CTL_QUICK },
	{ "reset", "reset", "reset NAME", args_name, print_state, CTL_QUICK },
	{ "free", "free", "free NAME", args_name, print_freed, CTL_QUICK },
	{ "get", "get", "get NAME [PROPERTY]", args_get, print_get, CTL_QUICK },
	{ "set", "set", "set NAME PROPERTY VALUE", args_set, print_state, CTL_QUICK },
	{ "wait", "wait", "wait NAME STATE", args_wait, print_state, CTL_TIMED },
	{ "reload", "reload", "reload", args_none, print_reload, CTL_SLOW },
	{ "metrics", "metrics", "metrics", args_none, print_metrics, CTL_QUICK },
	{ "version", "version", "version", args_none, print_version, CTL_QUICK },
	{ "commands", "commands", "commands", args_none, print_commands,
	    CTL_QUICK },
	{ "call", NULL, "call COMMAND [ARGUMENTS-JSON]", args_call, print_json,
	    CTL_TIMED },
};

const struct ctl_cmd *
ctl_cmd_find(const char *verb)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmds[i].verb, verb) == 0)
			return (&cmds[i]);
	return (NULL);
}

const char *
ctl_cmd_nearest(const char *word)
{
	const char *best = NULL;
	int bound = 2, d;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if ((d = wsl_edit_distance(word, cmds[i].verb, bound)) <=
		    bound) {
			best = cmds[i].verb;
			bound = d - 1; /* a nearer one only */
			if (bound < 0)
				break;
		}
	return (best);
}

void
ctl_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: wslctl [-jq] [-H [user@]host[:port]]... [-s socket] "
	    "[-t seconds] command [arguments]\n       wslctl --bridge "
	    "[-s socket]\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].usage);
}

void
ctl_usage_error(const struct ctl_cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wslctl: %s: ", c->verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: wslctl %s\n", c->usage);
}
