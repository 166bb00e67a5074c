/* SPDX-License-Identifier: ISC */
/*
 * The record of a listener's state changes (see WslGetListenerTransitions
 * in webservices.h).  Every change of l->state goes through
 * ws_set_state(), under the listener's mutex, so the record has the order
 * in which the changes were made, whichever threads made them; a fixed
 * ring, so recording never allocates and never fails.
 */
#include <string.h>

#include "ws-internal.h"

/* Who the calls of this thread are made for (WslSetCallerTag). */
static _Thread_local uint64_t caller_tag;

void
WslSetCallerTag(uint64_t tag)
{
	caller_tag = tag;
}

uint64_t
WslGetCallerTag(void)
{
	return (caller_tag);
}

const char *
WslOperationName(WSL_OPERATION op)
{
	static const char *const names[] = { "open", "close", "abort",
		"reset", "restore" };

	return ((unsigned int)op < sizeof(names) / sizeof(names[0]) ?
	    names[op] : "?");
}

void
ws_set_state(WS_LISTENER *l, WS_LISTENER_STATE to, WSL_OPERATION op,
    HRESULT hr, uint64_t tag)
{
	WSL_TRANSITION *t;

	if (l->state == to)
		return;
	l->transitions_made++;
	t = &l->transitions[l->transitions_made % WSL_TRANSITIONS_KEPT];
	t->sequence = l->transitions_made;
	t->from = l->state;
	t->to = to;
	t->operation = op;
	t->result = hr;
	t->tag = tag;
	t->monotonicMs = wsl_now_ms();
	l->state = to;
	if (to != WS_LISTENER_STATE_OPEN)
		l->operator_paused = false; /* a pause ends with its open */
}

HRESULT
WslGetListenerTransitions(WS_LISTENER *l, uint64_t after, WSL_TRANSITION *out,
    ULONG max, ULONG *count, uint64_t *lost)
{
	uint64_t first, seq;
	ULONG n = 0;

	if (!ws_listener_valid(l) || (out == NULL && max > 0) || count == NULL)
		return (E_INVALIDARG);
	pthread_mutex_lock(&l->mu);
	/* The oldest still kept. */
	first = l->transitions_made > WSL_TRANSITIONS_KEPT ?
	    l->transitions_made - WSL_TRANSITIONS_KEPT + 1 : 1;
	if (lost != NULL)
		*lost = after + 1 < first ? first - (after + 1) : 0;
	for (seq = after + 1 > first ? after + 1 : first;
	    seq <= l->transitions_made && n < max; seq++)
		out[n++] = l->transitions[seq % WSL_TRANSITIONS_KEPT];
	pthread_mutex_unlock(&l->mu);
	*count = n;
	return (S_OK);
}
