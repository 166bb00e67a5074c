/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer harness for the control-request dispatcher: each input is a
 * series of request lines, decoded and dispatched exactly as the control
 * socket does (the real command handlers, registry and listener core, on a
 * real control loop), then every listener the input made is closed and
 * freed, so that inputs do not pile up.  A reply goes nowhere (the client
 * is "gone"), which is a path of its own.  fuzz-daemon.c sets the daemon
 * up, without a name service.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cmd.h"
#include "control.h"
#include "fuzz-daemon.h"
#include "lifecycle.h"

#define MAX_LINES 32

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_daemon_init();
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
	fuzz_daemon_clean_up();
	return (0);
}
