/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer harness for the control-request dispatcher: each input is a
 * series of request lines, decoded and dispatched exactly as the control
 * socket does (the real command handlers, registry and listener core, on a
 * real control loop), then every listener the input made is closed and
 * freed, so that inputs do not pile up.  A reply goes nowhere (the client
 * is "gone"), which is a path of its own.
 *
 * No name service: a fuzzer must not wait on DNS, so host names other than
 * localhost fail as numeric-only lookups (getaddrinfo below).
 */
#define _GNU_SOURCE 1
#include <sys/socket.h>

#include <dlfcn.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd.h"
#include "control.h"
#include "lifecycle.h"
#include "listener.h"
#include "log.h"

#define MAX_LINES 32
#define MAX_STEPS 100000

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/wsl-fuzz.XXXXXX";

	(void)argc;
	(void)argv;
	/* Quiet (syslog, nowhere here) unless WSL_FUZZ_LOG is set. */
	log_init(getenv("WSL_FUZZ_LOG") != NULL, 1);
	if (mkdtemp(dir) == NULL)
		abort();
	listener_set_pipe_dir(dir);
	WslInitialize();
	if ((control_base = event_base_new()) == NULL)
		abort();
	if (lifecycle_init(control_base) < 0)
		abort();
	return (0);
}

static void
request(const char *line, size_t len)
{
	struct ctl_request *req;
	struct wsl_request wr;
	struct wsl_err err;

	if ((req = calloc(1, sizeof(*req))) == NULL)
		return;
	req->actor = actor_peer(0, 1);
	if (FAILED(wsl_request_decode(line, len, &wr, &err))) {
		req->root = wr.root;
		ctl_reply(req, err.hr, err.text, NULL);
		return;
	}
	req->root = wr.root;
	req->id = wr.id;
	req->args = wr.arguments;
	req->cmd = wr.cmd;
	cmd_dispatch(req);
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

/* Close and free every listener, waiting for what is in progress. */
static void
clean_up(void)
{
	size_t step;
	bool busy;

	for (step = 0;; step++) {
		if (step == MAX_STEPS)
			abort(); /* something never finishes: a real bug */
		busy = false;
		lifecycle_foreach(finish_one, &busy);
		if (!busy)
			break;
		(void)event_base_loop(control_base, EVLOOP_ONCE);
	}
	(void)event_base_loop(control_base, EVLOOP_NONBLOCK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *p, *nl;
	size_t left;
	int lines = 0;

	if ((copy = malloc(size + 1)) == NULL)
		return (0);
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (p = copy, left = size; left > 0 && lines < MAX_LINES; lines++) {
		nl = memchr(p, '\n', left);
		request(p, nl != NULL ? (size_t)(nl - p) : left);
		if (nl == NULL)
			break;
		left -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	free(copy);
	clean_up();
	return (0);
}
