/* SPDX-License-Identifier: ISC */
/*
 * The record of state changes (WslGetListenerTransitions): every change
 * the listener makes, once, in order, with the operation, its result and
 * the caller's tag (also for completions that run on the loop); nothing
 * for calls that change nothing; a ring that says what it lost; and, with
 * threads racing every call, a chain in which each change starts where the
 * one before ended.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define C WS_LISTENER_STATE_CREATED
#define OG WS_LISTENER_STATE_OPENING
#define O WS_LISTENER_STATE_OPEN
#define F WS_LISTENER_STATE_FAULTED
#define CG WS_LISTENER_STATE_CLOSING
#define CD WS_LISTENER_STATE_CLOSED

struct expected {
	WS_LISTENER_STATE from, to;
	WSL_OPERATION op;
	HRESULT result;
	uint64_t tag;
};

/* The transitions after *seen are exactly these; *seen moves past them. */
static void
expect_transitions(WS_LISTENER *l, uint64_t *seen, const struct expected *e,
    ULONG n)
{
	WSL_TRANSITION t[WSL_TRANSITIONS_KEPT];
	uint64_t lost = 99;
	ULONG count = 0, i;

	assert_int_equal(WslGetListenerTransitions(l, *seen, t,
	    WSL_TRANSITIONS_KEPT, &count, &lost), S_OK);
	assert_int_equal(lost, 0);
	if (count != n)
		fail_msg("%u transitions recorded, %u expected", (unsigned)count,
		    (unsigned)n);
	for (i = 0; i < n; i++) {
		assert_int_equal(t[i].sequence, *seen + 1 + i);
		assert_int_equal(t[i].from, e[i].from);
		assert_int_equal(t[i].to, e[i].to);
		assert_int_equal(t[i].operation, e[i].op);
		assert_int_equal(t[i].result, e[i].result);
		assert_int_equal(t[i].tag, e[i].tag);
		assert_true(t[i].monotonicMs > 0);
	}
	*seen += n;
}

static void
each_operation_records_what_it_changed(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	uint64_t seen = 0;

	(void)state;
	expect_transitions(l, &seen, NULL, 0); /* created: no change yet */
	WslSetCallerTag(11);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
	expect_transitions(l, &seen, (struct expected[]){
		{ C, OG, WSL_OPERATION_OPEN, S_OK, 11 },
		{ OG, O, WSL_OPERATION_OPEN, S_OK, 11 } }, 2);
	WslSetCallerTag(12);
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	expect_transitions(l, &seen, (struct expected[]){
		{ O, F, WSL_OPERATION_ABORT, S_OK, 12 } }, 1);
	WslSetCallerTag(13);
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	expect_transitions(l, &seen, (struct expected[]){
		{ F, CG, WSL_OPERATION_CLOSE, S_OK, 13 },
		{ CG, CD, WSL_OPERATION_CLOSE, S_OK, 13 } }, 2);
	WslSetCallerTag(14);
	assert_int_equal(WsResetListener(l, NULL), S_OK);
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	expect_transitions(l, &seen, (struct expected[]){
		{ CD, C, WSL_OPERATION_RESET, S_OK, 14 },
		{ C, CD, WSL_OPERATION_CLOSE, S_OK, 14 } }, 2);
	WslSetCallerTag(0);
	assert_int_equal(WsFreeListener(l), S_OK);
}

static void
calls_that_change_nothing_record_nothing(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	uint64_t seen = 0;

	(void)state;
	WslSetCallerTag(21);
	assert_int_equal(WsResetListener(l, NULL), S_OK);     /* CREATED */
	assert_int_equal(WsAbortListener(l, NULL), S_OK);     /* a flag */
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	expect_transitions(l, &seen, (struct expected[]){
		{ C, CD, WSL_OPERATION_CLOSE, S_OK, 21 } }, 1);
	assert_int_equal(WsAbortListener(l, NULL), S_OK);     /* CLOSED */
	assert_int_equal(WsCloseListener(l, NULL, NULL), WS_E_INVALID_OPERATION);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL),
	    WS_E_INVALID_OPERATION);
	expect_transitions(l, &seen, NULL, 0);
	/* Aborted before the open: the open fails without a change. */
	assert_int_equal(WsResetListener(l, NULL), S_OK);
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL),
	    WS_E_OPERATION_ABORTED);
	expect_transitions(l, &seen, (struct expected[]){
		{ CD, C, WSL_OPERATION_RESET, S_OK, 21 } }, 1);
	WslSetCallerTag(0);
	assert_int_equal(WsFreeListener(l), S_OK);
}

struct opener {
	WS_LISTENER *l;
	struct done *done;
};

/* Opens from a thread of its own, as tag 31. */
static void *
open_as_31(void *arg)
{
	struct opener *o = arg;
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	WS_ASYNC_CONTEXT ctx = done_ctx(o->done);

	WslSetCallerTag(31);
	assert_int_equal(WsOpenListener(o->l, &url, &ctx, NULL), WS_S_ASYNC);
	return (NULL);
}

/* A completion's change carries the tag of whoever started the call, not
 * the loop's or the aborter's; its result says why it ended as it did. */
static void
completions_carry_the_callers_tag(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	struct opener o;
	struct done d;
	struct gate g;
	pthread_t t;
	uint64_t seen = 0;

	(void)state;
	done_init(&d, l);
	o.l = l;
	o.done = &d;
	gate_close(&g, l);
	assert_int_equal(pthread_create(&t, NULL, open_as_31, &o), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	WslSetCallerTag(32);
	assert_int_equal(WsAbortListener(l, NULL), S_OK); /* during OPENING */
	gate_open(&g);
	assert_int_equal(done_wait(&d, 1), WS_E_OPERATION_ABORTED);
	expect_transitions(l, &seen, (struct expected[]){
		{ C, OG, WSL_OPERATION_OPEN, S_OK, 31 },
		{ OG, F, WSL_OPERATION_OPEN, WS_E_OPERATION_ABORTED, 31 } }, 2);
	/* A close aborted while CLOSING ends CLOSED, aborted. */
	gate_close(&g, l);
	WslSetCallerTag(33);
	{
		WS_ASYNC_CONTEXT ctx = done_ctx(&d);

		assert_int_equal(WsCloseListener(l, &ctx, NULL), WS_S_ASYNC);
	}
	WslSetCallerTag(34);
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	gate_open(&g);
	assert_int_equal(done_wait(&d, 2), WS_E_OPERATION_ABORTED);
	expect_transitions(l, &seen, (struct expected[]){
		{ F, CG, WSL_OPERATION_CLOSE, S_OK, 33 },
		{ CG, CD, WSL_OPERATION_CLOSE, WS_E_OPERATION_ABORTED, 33 } }, 2);
	WslSetCallerTag(0);
	done_destroy(&d);
	assert_int_equal(WsFreeListener(l), S_OK);
}

static void
failed_open_records_why(void **state)
{
	WS_LISTENER *a = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_LISTENER *b = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	char taken[64];
	uint64_t seen = 0;
	WS_STRING same;

	(void)state;
	assert_int_equal(WsOpenListener(a, &url, NULL, NULL), S_OK);
	snprintf(taken, sizeof(taken), "net.tcp://127.0.0.1:%d/", port_of(a));
	same = url_of(taken);
	WslSetCallerTag(41);
	assert_int_equal(WsOpenListener(b, &same, NULL, NULL),
	    WS_E_ADDRESS_IN_USE);
	expect_transitions(b, &seen, (struct expected[]){
		{ C, OG, WSL_OPERATION_OPEN, S_OK, 41 },
		{ OG, C, WSL_OPERATION_OPEN, WS_E_ADDRESS_IN_USE, 41 } }, 2);
	WslSetCallerTag(0);
	listener_finish(a);
	listener_finish(b);
}

/* Past the ring's size, the oldest go, and a reader learns how many. */
static void
the_ring_says_what_it_lost(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WSL_TRANSITION t[WSL_TRANSITIONS_KEPT];
	ULONG count, i;
	uint64_t lost;

	(void)state;
	for (i = 0; i < WSL_TRANSITIONS_KEPT / 2 + 4; i++) {
		assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
		assert_int_equal(WsResetListener(l, NULL), S_OK);
	}
	/* 2 * (16 + 4) = 40 made, 32 kept: 1 to 8 are gone. */
	assert_int_equal(WslGetListenerTransitions(l, 0, t,
	    WSL_TRANSITIONS_KEPT, &count, &lost), S_OK);
	assert_int_equal(lost, 8);
	assert_int_equal(count, WSL_TRANSITIONS_KEPT);
	assert_int_equal(t[0].sequence, 9);
	assert_int_equal(t[count - 1].sequence, 40);
	/* Reading on from where one left off, a few at a time. */
	assert_int_equal(WslGetListenerTransitions(l, 37, t, 2, &count, &lost),
	    S_OK);
	assert_int_equal(lost, 0);
	assert_int_equal(count, 2);
	assert_int_equal(t[0].sequence, 38);
	assert_int_equal(t[1].sequence, 39);
	assert_int_equal(WslGetListenerTransitions(l, 40, t, 2, &count, &lost),
	    S_OK);
	assert_int_equal(count, 0);
	assert_int_equal(WslGetListenerTransitions(l, 0, NULL, 1, &count,
	    NULL), E_INVALIDARG);
	assert_int_equal(WslGetListenerTransitions(NULL, 0, t, 1, &count,
	    NULL), E_INVALIDARG);
	assert_int_equal(WsFreeListener(l), S_OK);
}

/*
 * Threads call everything at once on one listener, and the state hook
 * follows the record (it runs after every change, on whichever thread made
 * it).  Every change it reads is a legal edge of the state machine, made
 * by an operation that can make it, and starts in the state the one before
 * it ended in: the record is the listener's history, in order.
 */
#define RACERS 4
#define ROUNDS 300

static struct {
	pthread_mutex_t mu;
	WS_LISTENER_STATE at;
	uint64_t seen, total;
	char failure[200];
} follower = { PTHREAD_MUTEX_INITIALIZER, C, 0, 0, "" };

static bool
legal(const WSL_TRANSITION *t)
{
	switch (t->operation) {
	case WSL_OPERATION_OPEN:
		return ((t->from == C && t->to == OG) || (t->from == OG &&
		    (t->to == O || t->to == C || t->to == F)));
	case WSL_OPERATION_CLOSE:
		return ((t->from == C && t->to == CD) || ((t->from == O ||
		    t->from == F) && t->to == CG) || (t->from == CG &&
		    t->to == CD));
	case WSL_OPERATION_ABORT:
		return (t->from == O && t->to == F);
	case WSL_OPERATION_RESET:
		return (t->from == CD && t->to == C);
	case WSL_OPERATION_RESTORE:
		break;
	}
	return (false);
}

/* The state hook: read what is new and check it follows on. */
static void
follow(WS_LISTENER *l, void *arg)
{
	WSL_TRANSITION t[WSL_TRANSITIONS_KEPT];
	uint64_t lost;
	ULONG count, k;

	(void)arg;
	pthread_mutex_lock(&follower.mu);
	if (WslGetListenerTransitions(l, follower.seen, t,
	    WSL_TRANSITIONS_KEPT, &count, &lost) != S_OK || lost > 0)
		snprintf(follower.failure, sizeof(follower.failure),
		    "%llu transitions lost", (unsigned long long)lost);
	for (k = 0; k < count && follower.failure[0] == '\0'; k++) {
		if (t[k].sequence != follower.seen + 1 ||
		    t[k].from != follower.at || !legal(&t[k]) ||
		    t[k].tag < 100 || t[k].tag >= 100 + RACERS)
			snprintf(follower.failure, sizeof(follower.failure),
			    "transition %llu: %s -> %s by %s (tag %llu) after "
			    "%llu, which ended in %s",
			    (unsigned long long)t[k].sequence,
			    wsl_state_name((int)t[k].from),
			    wsl_state_name((int)t[k].to),
			    WslOperationName(t[k].operation),
			    (unsigned long long)t[k].tag,
			    (unsigned long long)follower.seen,
			    wsl_state_name((int)follower.at));
		follower.at = t[k].to;
		follower.seen = t[k].sequence;
		follower.total++;
	}
	pthread_mutex_unlock(&follower.mu);
}

static void *
racer(void *arg)
{
	WS_LISTENER *l = ((void **)arg)[0];
	int id = *(int *)((void **)arg)[1];
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	WS_CHANNEL *ch = NULL;
	WS_ASYNC_CONTEXT ctx;
	struct done d;
	int i, accepts = 0, fd;

	done_init(&d, l);
	ctx = done_ctx(&d);
	if (WsCreateChannelForListener(l, NULL, 0, &ch, NULL) != S_OK)
		abort();
	WslSetCallerTag((uint64_t)id);
	for (i = 0; i < ROUNDS; i++) {
		switch ((i + id) % 6) {
		case 0:
			(void)WsOpenListener(l, &url, NULL, NULL);
			break;
		case 1:
			(void)WsCloseListener(l, NULL, NULL);
			break;
		case 2:
			(void)WsAbortListener(l, NULL);
			break;
		case 3:
			(void)WsResetListener(l, NULL);
			break;
		case 4:
			if (WsAcceptChannel(l, ch, &ctx, NULL) == WS_S_ASYNC) {
				(void)WslCancelAccept(ch);
				(void)done_wait(&d, ++accepts);
				if ((fd = WslDetachChannelFd(ch)) >= 0)
					close(fd);
				(void)WsResetChannel(ch, NULL);
			}
			break;
		default:
			if ((fd = connect_to(l)) >= 0)
				close(fd);
			break;
		}
	}
	(void)WsFreeChannel(ch);
	done_destroy(&d);
	return (NULL);
}

static void
the_record_is_a_chain_under_racing_threads(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	pthread_t th[RACERS];
	int ids[RACERS], i;
	void *args[RACERS][2];

	(void)state;
	WslSetListenerStateHook(l, follow, NULL);
	for (i = 0; i < RACERS; i++) {
		ids[i] = 100 + i;
		args[i][0] = l;
		args[i][1] = &ids[i];
		assert_int_equal(pthread_create(&th[i], NULL, racer, args[i]),
		    0);
	}
	for (i = 0; i < RACERS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	follow(l, NULL); /* nothing may be left unread */
	if (follower.failure[0] != '\0')
		fail_msg("%s", follower.failure);
	assert_true(follower.total > RACERS);
	assert_int_equal(state_of(l), follower.at);
	print_message("%llu transitions followed in order\n",
	    (unsigned long long)follower.total);
	WslSetCallerTag(100);
	listener_finish(l);
	WslSetCallerTag(0);
}

/* After WslHandOverListener the socket is the successor's: an abort of
 * the closing predecessor must not shut it down under the successor. */
static void
abort_while_handing_over_spares_the_successors_socket(void **state)
{
	WS_LISTENER *old = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_LISTENER *next = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	WS_ASYNC_CONTEXT ctx;
	struct done d;
	struct gate g;
	char at[64];
	WS_STRING same;
	int fd, c;

	(void)state;
	done_init(&d, old);
	ctx = done_ctx(&d);
	assert_int_equal(WsOpenListener(old, &url, NULL, NULL), S_OK);
	assert_int_equal(WslDupListenerSocket(old, &fd), S_OK);
	assert_int_equal(WslAdoptListenerSocket(next, fd, NULL), S_OK);
	snprintf(at, sizeof(at), "net.tcp://127.0.0.1:%d/", port_of(old));
	same = url_of(at);
	assert_int_equal(WsOpenListener(next, &same, NULL, NULL), S_OK);
	assert_int_equal(WslHandOverListener(old), S_OK);
	gate_close(&g, old);
	assert_int_equal(WsCloseListener(old, &ctx, NULL), WS_S_ASYNC);
	assert_int_equal(WsAbortListener(old, NULL), S_OK); /* CLOSING */
	gate_open(&g);
	assert_int_equal(done_wait(&d, 1), WS_E_OPERATION_ABORTED);
	c = connect_to(next);
	assert_true(c >= 0);
	close(c);
	done_destroy(&d);
	listener_finish(old);
	listener_finish(next);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_operation_records_what_it_changed),
		cmocka_unit_test(calls_that_change_nothing_record_nothing),
		cmocka_unit_test(completions_carry_the_callers_tag),
		cmocka_unit_test(failed_open_records_why),
		cmocka_unit_test(the_ring_says_what_it_lost),
		cmocka_unit_test(the_record_is_a_chain_under_racing_threads),
		cmocka_unit_test(
		    abort_while_handing_over_spares_the_successors_socket),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
