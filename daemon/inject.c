/* SPDX-License-Identifier: ISC */
/*
 * Fault injection (see inject.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "inject.h"
#include "log.h"

static bool enabled;

struct stall {
	WSL_TASK task;
	long long ms;
};

void
inject_enable(bool on)
{
	enabled = on;
}

/* On the listener's loop: block it, as a handler stuck in a call would. */
static void
stall(void *arg)
{
	struct stall *s = arg;
	struct timespec ts = { (time_t)(s->ms / 1000),
		(long)(s->ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		continue;
	free(s);
}

void
cmd_inject(struct ctl_request *req)
{
	struct wsld_listener *l;
	const char *fault;
	struct stall *s;
	long long ms;
	char text[160];

	if (!enabled) {
		ctl_reply(req, WSL_HR_E_ACCESSDENIED, "fault injection is "
		    "disabled (start wsld with --fault-injection, for tests "
		    "only)", NULL);
		return;
	}
	if (!args_only(req, "name", "fault", "ms", NULL) ||
	    !args_string(req, "fault", true, &fault) ||
	    !args_ms(req, "ms", &ms) || (l = args_listener(req)) == NULL)
		return;
	if (strcmp(fault, "stall") != 0 || ms < 0) {
		ctl_reply(req, WSL_HR_E_INVALIDARG, "inject: the faults are: "
		    "stall (with \"ms\")", NULL);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory", NULL);
		return;
	}
	s->ms = ms;
	s->task.run = stall;
	s->task.arg = s;
	if (WslPostTask(l->ws, &s->task) != S_OK) {
		free(s);
		ctl_reply(req, WSL_HR_E_UNEXPECTED, "the listener's loop does "
		    "not take work", NULL);
		return;
	}
	log_listener(LOG_WARNING, l->name, "fault injected: its loop stalls "
	    "for %lld ms (%s)", ms, req->actor);
	snprintf(text, sizeof(text), "listener '%s': its loop stalls for %lld "
	    "ms", l->name, ms);
	ctl_reply(req, WSL_HR_S_OK, text, NULL);
}
