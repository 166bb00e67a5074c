/* SPDX-License-Identifier: ISC */
/*
 * What the fuzzers share (see fuzz-daemon.h).
 */
#define _GNU_SOURCE 1
#include <sys/socket.h>

#include <dlfcn.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "control.h"
#include "fuzz-daemon.h"
#include "lifecycle.h"
#include "listener.h"
#include "log.h"

/* Below libFuzzer's -timeout (10 s in smoke.sh), to say what hung. */
#define DEADLINE_S 8

static char dir[] = "/tmp/wsl-fuzz.XXXXXX";

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	static int (*real)(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);
	struct addrinfo h;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	memset(&h, 0, sizeof(h));
	if (hints != NULL)
		h = *hints;
	if (node == NULL || strcmp(node, "localhost") != 0)
		h.ai_flags |= AI_NUMERICHOST;
	return (real(node, service, &h, res));
}

void
fuzz_daemon_init(void)
{
	log_init(getenv("WSL_FUZZ_LOG") != NULL, 1);
	if (mkdtemp(dir) == NULL)
		abort();
	listener_set_pipe_dir(dir);
	WslInitialize();
	if ((control_base = event_base_new()) == NULL)
		abort();
	if (lifecycle_init(control_base) < 0)
		abort();
}

const char *
fuzz_daemon_dir(void)
{
	return (dir);
}

void
fuzz_daemon_run_until(bool (*cond)(void *), void *arg)
{
	struct timespec start, now, nap = { 0, 1000000 };

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!cond(arg)) {
		/* Other threads' news arrives as active events: with
		 * nothing pending the loop returns at once, so nap. */
		if (event_base_loop(control_base, EVLOOP_ONCE) == 1)
			nanosleep(&nap, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec > DEADLINE_S)
			abort(); /* something never finishes: a real bug */
	}
	(void)event_base_loop(control_base, EVLOOP_NONBLOCK);
}

/* Close it (abort it first if opening), or free it once it can be. */
static void
finish_one(struct wsld_listener *l, void *arg)
{
	WSL_ABORT_RESULT r;
	WS_LISTENER_STATE s = listener_state(l);
	bool *busy = arg;

	*busy = true;
	if (s == WS_LISTENER_STATE_OPENING)
		(void)listener_abort(l, &r, actor_peer(0, 1));
	else if (s == WS_LISTENER_STATE_OPEN || s == WS_LISTENER_STATE_FAULTED)
		listener_close(l, NULL, NULL, actor_peer(0, 1));
	else if (lifecycle_freeable(l))
		lifecycle_free_later(l, actor_peer(0, 1));
}

/* Every listener was asked to close or go, and has gone. */
static bool
none_left(void *arg)
{
	bool busy = false;

	(void)arg;
	lifecycle_foreach(finish_one, &busy);
	return (!busy);
}

void
fuzz_daemon_clean_up(void)
{
	fuzz_daemon_run_until(none_left, NULL);
}
