/* SPDX-License-Identifier: ISC */
/*
 * wait: answer when a listener reaches a state, when the timeout runs out
 * (WS_E_OPERATION_TIMED_OUT), or when the listener is freed
 * (ERROR_NOT_FOUND).  It hears of every change the listener makes, so a
 * state the listener reaches and leaves at once still answers it.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "cmd.h"
#include "inject.h"
#include "lifecycle.h"


struct waiter {
	TAILQ_ENTRY(waiter) entry;
	struct ctl_request *req;
	struct wsld_listener *l;      /* a reference */
	int state;
	struct event *timer;
};

size_t
waiters_count(const struct wsld_listener *l)
{
	const struct waiter *w;
	size_t n = 0;

	TAILQ_FOREACH(w, &l->waiters.list, entry)
		n++;
	return (n);
}

static void
waiter_free(struct waiter *w)
{
	TAILQ_REMOVE(&w->l->waiters.list, w, entry);
	if (w->timer != NULL)
		event_free(w->timer);
	listener_unref(w->l);
	free(w);
}

/* reached: the state the wait was for, shown even if the listener has
 * left it since (the change is what was waited for); -1: none. */
static void
finish(struct waiter *w, HRESULT hr, const char *text, int reached)
{
	struct ctl_request *req = w->req;
	struct wsld_listener *l = w->l;
	json_t *o;

	listener_ref(l);
	waiter_free(w);
	/* Answered from here on: a reply that cannot be sent drops the
	 * client, and that must not cancel this wait a second time. */
	req->cancel = NULL;
	req->data = NULL;
	if (l->ws == NULL)
		ctl_reply(req, hr, text, json_pack("{s:s}", "name", l->name));
	else if ((o = describe_listener(l)) == NULL)
		ctl_reply_lost(req, -1, NULL);
	else {
		if (reached >= 0) {
			json_object_set_new(o, "state",
			    json_string(wsl_state_name(reached)));
			json_object_set_new(o, "state-code",
			    json_integer(reached));
		}
		ctl_reply(req, hr, text, o);
	}
	listener_unref(l);
}

void
waiters_changed(struct wsld_listener *l, const WSL_TRANSITION *t)
{
	struct waiter *w, *next;
	char text[160];

	for (w = TAILQ_FIRST(&l->waiters.list); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->state != (int)t->to)
			continue;
		snprintf(text, sizeof(text), "listener '%s' became %s",
		    l->name, wsl_state_name(w->state));
		finish(w, WSL_HR_S_OK, text, w->state);
	}
}

void
waiters_freed(struct wsld_listener *l)
{
	struct waiter *w;
	char text[160];

	snprintf(text, sizeof(text), "listener '%s' was freed", l->name);
	while ((w = TAILQ_FIRST(&l->waiters.list)) != NULL)
		finish(w, WSL_HR_ERROR_NOT_FOUND, text, -1);
}

/* The name now leads to new: so does every wait on it. */
void
waiters_replaced(struct wsld_listener *old, struct wsld_listener *new)
{
	struct waiter *w, *next;
	char text[160];

	while ((w = TAILQ_FIRST(&old->waiters.list)) != NULL) {
		TAILQ_REMOVE(&old->waiters.list, w, entry);
		listener_ref(new);
		listener_unref(old);
		w->l = new;
		TAILQ_INSERT_TAIL(&new->waiters.list, w, entry);
	}
	for (w = TAILQ_FIRST(&new->waiters.list); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if ((int)listener_state(new) != w->state)
			continue;
		snprintf(text, sizeof(text), "listener '%s' is %s", new->name,
		    wsl_state_name(w->state));
		finish(w, WSL_HR_S_OK, text, w->state);
	}
}

static void
timeout(evutil_socket_t fd, short what, void *arg)
{
	struct waiter *w = arg;
	char text[160];

	(void)fd;
	(void)what;
	snprintf(text, sizeof(text), "listener '%s' did not become %s in time",
	    w->l->name, wsl_state_name(w->state));
	finish(w, WSL_HR_WS_E_OPERATION_TIMED_OUT, text, -1);
}

static void
cancel(struct ctl_request *req)
{
	struct waiter *w = req->data;

	finish(w, WSL_HR_WS_E_OPERATION_ABORTED, "the client went away", -1);
}

void
cmd_wait(struct ctl_request *req)
{
	struct wsld_listener *l;
	struct waiter *w;
	struct timeval tv;
	const char *state;
	char text[160];
	long long ms;
	int s;

	if (!args_only(req, "name", "state", "timeout-ms", NULL) ||
	    !args_string(req, "state", true, &state) ||
	    !args_ms(req, "timeout-ms", &ms) || (l = args_listener(req)) == NULL)
		return;
	if ((s = wsl_state_lookup(state)) < 0) {
		snprintf(text, sizeof(text), "unknown state '%.32s' (CREATED, "
		    "OPENING, OPEN, FAULTED, CLOSING or CLOSED)", state);
		ctl_reply(req, WSL_HR_E_INVALIDARG, text, NULL);
		return;
	}
	if ((int)listener_state(l) == s) {
		snprintf(text, sizeof(text), "listener '%s' is %s", l->name,
		    wsl_state_name(s));
		reply_listener(req, l, WSL_HR_S_OK, text, -1);
		return;
	}
	if ((w = inject_calloc(1, sizeof(*w))) == NULL ||
	    (ms >= 0 && (w->timer = evtimer_new(control_base, timeout,
		w)) == NULL)) {
		free(w);
		ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory", NULL);
		return;
	}
	listener_ref(l);
	w->l = l;
	w->req = req;
	w->state = s;
	TAILQ_INSERT_TAIL(&l->waiters.list, w, entry);
	req->data = w;
	req->cancel = cancel;
	if (w->timer != NULL) {
		tv = wsl_ms_to_tv(ms);
		evtimer_add(w->timer, &tv);
	}
}
