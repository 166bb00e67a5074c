/* SPDX-License-Identifier: ISC */
/*
 * Fault injection (see inject.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "inject.h"
#include "lifecycle.h"
#include "log.h"

static bool enabled;
static pthread_t control_thread;
/* Faults still to come, control thread only: of the allocations of at
 * least alloc_size bytes, alloc_skip go through, then alloc_faults fail. */
static long long sendmsg_faults, alloc_faults, alloc_skip, alloc_size;
static int sendmsg_errno;

struct stall {
	WSL_TASK task;
	long long ms;
};

static const struct {
	const char *name;
	int value;
} errnos[] = {
	{ "EMFILE", EMFILE }, { "ENFILE", ENFILE }, { "ENOBUFS", ENOBUFS },
	{ "ENOMEM", ENOMEM }, { "ECONNABORTED", ECONNABORTED },
	{ "EPIPE", EPIPE }, { "ECONNRESET", ECONNRESET },
	{ "EMSGSIZE", EMSGSIZE }, { "EPERM", EPERM },
};

/* Is this allocation to fail?  The thread first: only the control thread
 * touches the count. */
static bool
alloc_fault_due(size_t n)
{
	if (!pthread_equal(pthread_self(), control_thread) ||
	    alloc_faults <= 0 || n < (unsigned long long)alloc_size)
		return (false);
	if (alloc_skip > 0) {
		alloc_skip--;
		return (false);
	}
	alloc_faults--;
	return (true);
}

void *
inject_calloc(size_t n, size_t size)
{
	return (alloc_fault_due(n * size) ? NULL : calloc(n, size));
}

void *
inject_realloc(void *p, size_t n)
{
	return (alloc_fault_due(n) ? NULL : realloc(p, n));
}

void *
inject_malloc(size_t n)
{
	return (alloc_fault_due(n) ? NULL : malloc(n));
}

/* The listener core's allocations on the control thread fail too. */
static const WSL_ALLOCATOR core_allocator = { inject_malloc, inject_calloc,
	inject_realloc, free };

void
inject_enable(bool on)
{
	enabled = on;
	control_thread = pthread_self();
	if (on)
		WslSetAllocator(&core_allocator);
}

bool
inject_sendmsg_fault(int *err)
{
	if (sendmsg_faults <= 0)
		return (false);
	sendmsg_faults--;
	*err = sendmsg_errno;
	return (true);
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

static void
inject_stall(struct ctl_request *req, struct wsld_listener *l, long long ms)
{
	struct stall *s;

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
	ctl_reply(req, WSL_HR_S_OK, "injected: the listener's loop stalls",
	    NULL);
}

static int
errno_named(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(errnos) / sizeof(errnos[0]);
	    i++)
		if (strcmp(errnos[i].name, name) == 0)
			return (errnos[i].value);
	return (0);
}

void
cmd_inject(struct ctl_request *req)
{
	struct wsld_listener *l = NULL;
	const char *fault, *ename;
	long long ms, count, skip, size;
	char who[ACTOR_TEXT];
	int e;

	if (!enabled) {
		ctl_reply(req, WSL_HR_E_ACCESSDENIED, "fault injection is "
		    "disabled (start wsld with --fault-injection, for tests "
		    "only)", NULL);
		return;
	}
	if (!args_only(req, "name", "fault", "ms", "errno", "count", "skip",
	    "size", NULL) || !args_string(req, "fault", true, &fault) ||
	    !args_string(req, "errno", false, &ename) ||
	    !args_ms(req, "ms", &ms) || !args_ms(req, "count", &count) ||
	    !args_ms(req, "skip", &skip) || !args_ms(req, "size", &size))
		return;
	e = errno_named(ename);
	if ((strcmp(fault, "stall") == 0 || strcmp(fault, "accept-error") ==
	    0 || strcmp(fault, "mute") == 0) &&
	    (l = args_listener(req)) == NULL)
		return;
	log_warnx("fault injected %s: %s%s%s%s", actor_format(req->actor, who),
	    fault, l != NULL ? " on listener '" : "", l != NULL ? l->name : "",
	    l != NULL ? "'" : "");
	if (strcmp(fault, "stall") == 0 && ms >= 0)
		inject_stall(req, l, ms);
	else if (strcmp(fault, "mute") == 0 && ms >= 0) {
		lifecycle_mute(l, ms);
		ctl_reply(req, WSL_HR_S_OK, "injected: its changes are told "
		    "late", NULL);
	}
	else if (strcmp(fault, "accept-error") == 0 && e != 0 && count >= 0) {
		/* The core counts in 32 bits: more is capped (that is,
		 * for ever in practice). */
		(void)WslInjectAcceptErrors(l->ws, e, count > UINT32_MAX ?
		    UINT32_MAX : (ULONG)count);
		ctl_reply(req, WSL_HR_S_OK, "injected: accept errors", NULL);
	} else if (strcmp(fault, "sendmsg-error") == 0 && e != 0 &&
	    count >= 0) {
		sendmsg_errno = e;
		sendmsg_faults = count;
		ctl_reply(req, WSL_HR_S_OK, "injected: hand-off errors", NULL);
	} else if (strcmp(fault, "alloc-fail") == 0 && count >= 0) {
		/* This reply must not meet the fault itself. */
		ctl_reply(req, WSL_HR_S_OK, "injected: allocation failures",
		    NULL);
		alloc_faults = count;
		alloc_skip = skip > 0 ? skip : 0;
		alloc_size = size > 0 ? size : 0;
	} else
		ctl_reply(req, WSL_HR_E_INVALIDARG, "inject: the faults are "
		    "stall {name, ms}, mute {name, ms}, accept-error {name, errno, count}, "
		    "sendmsg-error {errno, count}, alloc-fail {count, skip, size}; errno "
		    "is EMFILE, ENFILE, ENOBUFS, ENOMEM, ECONNABORTED, EPIPE, "
		    "ECONNRESET, EMSGSIZE or EPERM", NULL);
}
