/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer harness for the configuration and its reload.  Each input is
 *  1. parsed as a configuration: it is one, or an error located at
 *     FILE:LINE:COLUMN;
 *  2. if it is one, prepared as a change on top of a fixed previous
 *     configuration and discarded (config_apply_prepare/discard: the
 *     diff, new listeners made and given back, names taken and returned);
 *  3. written to the configuration file and reloaded as `wslctl reload`
 *     does (reload_start, on the real control loop: a broken file must be
 *     refused at once naming the file, a valid one applied whole), and
 *     the previous configuration reloaded again, which must give back
 *     the same listeners in the same states.
 * Real sockets are opened (loopback, ports the system picks unless the
 * input names one, pipes in a private directory), as the control harness
 * does: handing an OPEN listener's socket to its successor is part of
 * what a reload does.  Nothing connects, so no handler runs a channel.
 * Inputs with more than 32 listeners are only parsed: each listener costs
 * descriptors and memory.  So are valid inputs with "include": their
 * reload would read whatever files the patterns match on this machine
 * (tests/integration/conf-include.sh tests included files).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "config-apply.h"
#include "control.h"
#include "fuzz-daemon.h"
#include "lifecycle.h"
#include "listener.h"
#include "reload.h"

#define MAX_LISTENERS 32

/* Every kind of listener, two of them OPEN (the pipe on a fixed path, so
 * that an input changing it hands its socket over). */
static const char previous[] =
    "{\"listeners\": {\n"
    " \"a\": {\"url\": \"net.tcp://127.0.0.1:0/\", \"handler\": "
    "{\"type\": \"echo\"}, \"open\": true},\n"
    " \"b\": {\"url\": \"net.pipe://localhost/b.sock\", \"open\": true},\n"
    " \"c\": {\"url\": \"soap.udp://127.0.0.1:0/\", \"handler\": "
    "{\"type\": \"echo\"}},\n"
    " \"d\": {\"url\": \"http://127.0.0.1:0/\", \"properties\": "
    "{\"listen-backlog\": 8, \"close-timeout\": 100}}}}\n";

static char path[PATH_MAX];
static char *expected;          /* the previous configuration's listeners */

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
write_file(const char *text, size_t len)
{
	ssize_t r;
	size_t n;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0)
		abort();
	for (n = 0; n < len; n += (size_t)r)
		if ((r = write(fd, text + n, len - n)) <= 0)
			abort();
	close(fd);
}

static void
reloaded(HRESULT hr, const char *text, json_t *result, void *arg)
{
	bool *done = arg;

	(void)hr;
	(void)text;
	(void)result;
	*done = true;
}

static bool
flag_set(void *arg)
{
	return (*(bool *)arg);
}

/* Listeners a change made and no longer needs are freed on the loop. */
static bool
only_named_alive(void *arg)
{
	(void)arg;
	return (lifecycle_alive() == lifecycle_count());
}

/* Reload the file: 0 once applied, -1 when refused at once (err set). */
static int
reload(struct wsl_err *err)
{
	bool done = false;

	if (reload_start(actor_peer(0, 1), reloaded, &done, err) < 0)
		return (-1);
	fuzz_daemon_run_until(flag_set, &done);
	fuzz_daemon_run_until(only_named_alive, NULL);
	return (0);
}

/* "name state url" of every listener, sorted by name. */
static char *
listeners_now(void)
{
	struct wsld_listener **all;
	size_t n, i, len = 0;
	char *s = NULL;
	FILE *f;

	if ((f = open_memstream(&s, &len)) == NULL)
		abort();
	all = lifecycle_sorted(&n);
	for (i = 0; all != NULL && i < n; i++)
		fprintf(f, "%s %s %s\n", all[i]->name,
		    wsl_state_name((int)listener_state(all[i])), all[i]->url);
	lifecycle_sorted_free(all, n);
	if (fclose(f) != 0)
		abort();
	return (s);
}

/* Back to the previous configuration as it was applied at first; from
 * scratch when a reload cannot bring it back (a listener whose open
 * failed is replaced in the state it had, CREATED). */
static void
restore(void)
{
	struct wsl_err err;
	char *now;

	write_file(previous, sizeof(previous) - 1);
	if (reload(&err) < 0)
		abort();
	now = listeners_now();
	if (strcmp(now, expected) != 0) {
		fuzz_daemon_clean_up();
		if (reload(&err) < 0)
			abort();
		free(now);
		now = listeners_now();
		if (strcmp(now, expected) != 0)
			abort();
	}
	free(now);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct wsl_err err;

	(void)argc;
	(void)argv;
	fuzz_daemon_init();
	snprintf(path, sizeof(path), "%s/wsld.json", fuzz_daemon_dir());
	reload_init(path, "/nonexistent/control.sock", fuzz_daemon_dir());
	write_file(previous, sizeof(previous) - 1);
	if (reload(&err) < 0)
		abort();
	expected = listeners_now();
	return (0);
}

/* Step 2: the change prepared, then given up; nothing must remain. */
static void
prepare_and_discard(const json_t *listeners)
{
	struct wsl_err err;
	struct plan *plan;
	json_t *none = NULL;
	char *now;

	if (listeners == NULL && (listeners = none = json_object()) == NULL)
		return;
	plan = config_apply_prepare(listeners, NULL, actor_peer(0, 1), &err);
	if (plan != NULL)
		config_apply_discard(plan);
	fuzz_daemon_run_until(only_named_alive, NULL);
	json_decref(none);
	now = listeners_now();
	if (strcmp(now, expected) != 0)
		abort(); /* a discarded change changed something */
	free(now);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wsl_err err;
	struct conf c;
	char msg[1024], *now;
	bool valid, includes = false;

	valid = conf_parse("fuzz.json", (const char *)data, size, &c, msg,
	    sizeof(msg)) == 0;
	if (!valid && strncmp(msg, "fuzz.json:", 10) != 0)
		abort(); /* every error says where */
	if (valid && c.listeners != NULL &&
	    json_object_size(c.listeners) > MAX_LISTENERS) {
		conf_free(&c);
		return (0);
	}
	if (valid) {
		includes = c.include != NULL;
		prepare_and_discard(c.listeners);
		conf_free(&c);
	}
	if (includes)
		return (0);
	write_file((const char *)data, size);
	if (reload(&err) < 0) {
		/* Refused at once: only a broken file, naming it. */
		if (valid || strncmp(err.text, path, strlen(path)) != 0)
			abort();
		if ((now = listeners_now()) == NULL ||
		    strcmp(now, expected) != 0)
			abort(); /* a refused reload changed something */
		free(now);
		return (0);
	}
	if (!valid)
		abort(); /* applied what the parser refused */
	restore();
	return (0);
}
