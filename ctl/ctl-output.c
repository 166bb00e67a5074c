/* SPDX-License-Identifier: ISC */
/*
 * Human output: one line per listener for list, "NAME STATE" for the
 * commands that change a state, "key value" lines for status.  Scripts
 * that want every field use -j, which prints the daemon's reply as is.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : "-");
}

static void
defang(json_t *v)
{
	const char *key, *s;
	json_t *item;
	size_t i, len;
	char *safe;

	if (json_is_object(v)) {
		json_object_foreach(v, key, item)
			defang(item);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			defang(item);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		len = strlen(s);
		if ((safe = malloc(len * WSL_ESCAPE_MAX + 1)) == NULL) {
			fprintf(stderr, "wslctl: out of memory\n");
			exit(1); /* never show it raw */
		}
		/* An escape only ever lengthens the text. */
		if (wsl_escape(s, len, safe, len * WSL_ESCAPE_MAX + 1) != len)
			json_string_set(v, safe);
		free(safe);
	}
}

/* Text of several lines: each line escaped alone, the newlines kept. */
static void
defang_lines(json_t *v)
{
	const char *s = json_string_value(v), *nl;
	size_t len = json_string_length(v), size, n = 0, seg;
	char *safe;

	size = len * WSL_ESCAPE_MAX + 1;
	if ((safe = malloc(size)) == NULL) {
		fprintf(stderr, "wslctl: out of memory\n");
		exit(1); /* never show it raw */
	}
	while (len > 0) {
		nl = memchr(s, '\n', len);
		seg = nl != NULL ? (size_t)(nl - s) : len;
		n += wsl_escape(s, seg, safe + n, size - n);
		if (nl != NULL) {
			safe[n++] = '\n';
			seg++;
		}
		s += seg;
		len -= seg;
	}
	safe[n] = '\0';
	json_string_set(v, safe);
	free(safe);
}

void
defang_reply(struct wsl_reply *r, const char *lines)
{
	json_t *multi = NULL;
	const char *text;

	if (lines != NULL && json_is_string(multi = json_object_get(
	    r->arguments, lines))) {
		json_incref(multi);
		json_object_del(r->arguments, lines);
	} else
		multi = NULL;
	defang(r->root);
	if (multi != NULL) {
		defang_lines(multi);
		json_object_set_new(r->arguments, lines, multi);
	}
	/* The reply's pointers into strings that may have been replaced. */
	r->error = json_string_value(json_object_get(r->root, "error"));
	text = json_string_value(json_object_get(r->root, "text"));
	r->text = text != NULL ? text : "";
}

void
print_json(const struct wsl_reply *r)
{
	json_dumpf(r->root, stdout, JSON_COMPACT);
	putchar('\n');
}

void
print_state(const struct wsl_reply *r)
{
	printf("%s %s%s\n", str(r->arguments, "name"),
	    str(r->arguments, "state"),
	    json_is_true(json_object_get(r->arguments, "paused")) ?
	    " paused" : "");
}

/* One line per step: NAME STATE (OPERATION). */
void
print_reopen(const struct wsl_reply *r)
{
	json_t *step;
	size_t i;

	json_array_foreach(json_object_get(r->arguments, "steps"), i, step)
		printf("%s %s (%s)\n", str(r->arguments, "name"),
		    str(step, "state"), str(step, "operation"));
}

void
print_freed(const struct wsl_reply *r)
{
	printf("%s freed\n", str(r->arguments, "name"));
}

/* A field's value as a column: text as it is, the rest as JSON; "-" when
 * the listener has no such field.  Free it. */
static char *
cell(json_t *l, const char *field)
{
	json_t *v = json_object_get(l, field);
	char *text;

	if (v == NULL)
		text = strdup("-");
	else if (json_is_string(v))
		text = strdup(json_string_value(v));
	else
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text == NULL) {
		fprintf(stderr, "wslctl: out of memory\n");
		exit(1);
	}
	return (text);
}

#define MAX_COLUMNS 64

/*
 * One line per listener, a column per field in the order the listeners
 * have them (the order asked for; a field one listener lacks goes where
 * the others have it).  Columns are padded but the last; name and state
 * keep the widths they always had.
 */
void
print_list(const struct wsl_reply *r)
{
	json_t *all = json_object_get(r->arguments, "listeners"), *l, *v;
	const char *col[MAX_COLUMNS], *key;
	size_t i, k, n = 0, width[MAX_COLUMNS], len;
	long at, prev;
	char *text;

	json_array_foreach(all, i, l) {
		prev = -1;
		json_object_foreach(l, key, v) {
			for (at = 0; at < (long)n && strcmp(col[at], key) != 0;
			    at++)
				;
			if (at == (long)n) {
				if (n == MAX_COLUMNS)
					continue;
				at = prev + 1;
				memmove(col + at + 1, col + at,
				    (n - (size_t)at) * sizeof(col[0]));
				col[at] = key;
				n++;
			}
			prev = at;
		}
	}
	for (k = 0; k < n; k++)
		width[k] = strcmp(col[k], "name") == 0 ? 4 :
		    strcmp(col[k], "state") == 0 ? 8 : 0;
	json_array_foreach(all, i, l)
		for (k = 0; k + 1 < n; k++) {
			text = cell(l, col[k]);
			if ((len = strlen(text)) > width[k])
				width[k] = len;
			free(text);
		}
	json_array_foreach(all, i, l)
		for (k = 0; k < n; k++) {
			text = cell(l, col[k]);
			if (k + 1 < n)
				printf("%-*s ", (int)width[k], text);
			else
				printf("%s\n", text);
			free(text);
		}
}

/* "label k=v k=v": numbers only; nested objects on lines of their own,
 * with only their non-zero entries. */
static void
print_counters(json_t *c)
{
	const char *key, *k2;
	json_t *v, *v2;
	bool any;

	printf("counters");
	json_object_foreach(c, key, v)
		if (json_is_integer(v))
			printf(" %s=%lld", key, (long long)json_integer_value(v));
	putchar('\n');
	json_object_foreach(c, key, v) {
		if (!json_is_object(v) || strcmp(key, "kernel-queue") == 0)
			continue;
		any = false;
		json_object_foreach(v, k2, v2)
			if (json_integer_value(v2) != 0) {
				printf("%s%s%s=%lld", any ? "" : key, " ", k2,
				    (long long)json_integer_value(v2));
				any = true;
			}
		if (any)
			putchar('\n');
	}
	if ((v = json_object_get(c, "kernel-queue")) != NULL && json_is_object(v))
		printf("kernel-queue %lld/%lld\n",
		    (long long)json_integer_value(json_object_get(v, "depth")),
		    (long long)json_integer_value(json_object_get(v, "limit")));
}

static void print_value(const char *, const json_t *);

/* "handler TYPE KEY=VALUE...": its settings as configured (strings as
 * they are, anything else as JSON), so that an upstream or a command
 * shows without -j. */
static void
print_handler(const json_t *h)
{
	const char *key;
	json_t *v;
	char *s;

	printf("handler %s", str(h, "type"));
	json_object_foreach((json_t *)h, key, v) {
		if (strcmp(key, "type") == 0)
			continue;
		if (json_is_string(v))
			printf(" %s=%s", key, json_string_value(v));
		else if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) !=
		    NULL) {
			printf(" %s=%s", key, s);
			free(s);
		}
	}
	putchar('\n');
}

/* Where it runs: its loop, or each lane of a spread listener. */
static void
print_loops(const json_t *a)
{
	json_t *v, *lane;
	size_t i;

	if ((v = json_object_get(a, "lanes")) != NULL && json_is_array(v))
		json_array_foreach(v, i, lane)
			printf("lane %zu loop %lld accepted %lld\n", i,
			    (long long)json_integer_value(json_object_get(lane,
			    "loop")), (long long)json_integer_value(
			    json_object_get(lane, "accepted")));
	else if ((v = json_object_get(a, "loop")) != NULL)
		print_value("loop", v);
	if ((v = json_object_get(a, "loop-stalled-ms")) != NULL)
		printf("loop-stalled-ms %lld (its loop does not answer)\n",
		    (long long)json_integer_value(v));
}

void
print_status(const struct wsl_reply *r)
{
	json_t *a = r->arguments, *e, *v;

	printf("%s %s %s\n", str(a, "name"), str(a, "state"), str(a, "url"));
	if ((v = json_object_get(a, "address")) != NULL)
		printf("address %s\n", json_string_value(v));
	if ((v = json_object_get(a, "port")) != NULL)
		printf("port %lld\n", (long long)json_integer_value(v));
	if ((v = json_object_get(a, "path")) != NULL)
		printf("path %s\n", json_string_value(v));
	printf("bound %s\n", json_is_true(json_object_get(a, "bound")) ?
	    "yes" : "no");
	printf("pending-accepts %lld\n",
	    (long long)json_integer_value(json_object_get(a, "pending-accepts")));
	printf("pending-waits %lld\n",
	    (long long)json_integer_value(json_object_get(a, "pending-waits")));
	print_handler(json_object_get(a, "handler"));
	print_loops(a);
	if (json_is_true(json_object_get(a, "aborted-before-open")))
		printf("aborted-before-open yes (reset it before opening)\n");
	if (json_is_true(json_object_get(a, "paused")))
		printf("paused yes (new connections wait in the kernel's "
		    "queue; wslctl resume %s)\n", str(a, "name"));
	if ((e = json_object_get(a, "last-transition")) != NULL)
		printf("last-transition %s -> %s (%s %s, %s): %s\n",
		    str(e, "from"), str(e, "to"), str(e, "operation"),
		    str(e, "actor"), str(e, "time"), str(e, "error"));
	if ((e = json_object_get(a, "last-error")) != NULL)
		printf("last-error %s (%s) in %s: %s\n", str(e, "error"),
		    str(e, "hresult"), str(e, "operation"), str(e, "text"));
	if ((v = json_object_get(a, "counters")) != NULL)
		print_counters(v);
	/* Faulted: the way back, as the last line. */
	if (strcmp(str(a, "state"), "FAULTED") == 0)
		printf("way back: wslctl reopen %s\n", str(a, "name"));
}

/* A property value as a shell wants it: strings without quotes. */
static void
print_value(const char *key, const json_t *v)
{
	char *s = NULL;

	if (key != NULL)
		printf("%s ", key);
	if (json_is_string(v))
		printf("%s\n", json_string_value(v));
	else {
		s = json_dumps(v, JSON_ENCODE_ANY);
		printf("%s\n", s != NULL ? s : "?");
		free(s);
	}
}

void
print_get(const struct wsl_reply *r)
{
	json_t *props = json_object_get(r->arguments, "properties"), *v;
	const char *key;

	if (props == NULL) {
		print_value(NULL, json_object_get(r->arguments, "value"));
		return;
	}
	json_object_foreach(props, key, v)
		print_value(key, v);
}

void
print_version(const struct wsl_reply *r)
{
	printf("wslctl %s\nwsld %s (control protocol %lld)\n", PACKAGE_VERSION,
	    str(r->arguments, "version"),
	    (long long)json_integer_value(json_object_get(r->arguments,
		"protocol")));
}

/* The OpenMetrics text as it came (each line escaped, which changes
 * nothing in what wsld writes). */
void
print_metrics(const struct wsl_reply *r)
{
	json_t *v = json_object_get(r->arguments, "metrics");

	fwrite(json_string_value(v), 1, json_string_length(v), stdout);
}

/* One line per listener the reload looked at, then the summary. */
void
print_reload_listeners(const struct wsl_reply *r)
{
	json_t *all = json_object_get(r->arguments, "listeners"), *o;
	size_t i;

	json_array_foreach(all, i, o)
		printf("%-16s %-9s %s\n", str(o, "name"), str(o, "action"),
		    str(o, "state"));
}

void
print_reload(const struct wsl_reply *r)
{
	print_reload_listeners(r);
	printf("%s\n", r->text);
}

void
print_commands(const struct wsl_reply *r)
{
	json_t *all = json_object_get(r->arguments, "commands"), *c;
	size_t i;

	json_array_foreach(all, i, c)
		printf("%-9s %-8s %s\n", str(c, "name"), str(c, "level"),
		    str(c, "summary"));
}
