/* SPDX-License-Identifier: ISC */
/*
 * The pool of loops: listeners share a fixed set of loops and cost no
 * descriptor until they open; they are spread over the pool; a dedicated
 * loop is the listener's alone, so a held pool loop does not hold it up;
 * freeing one listener leaves its loop serving the others; and a loop's
 * thread cannot wait for a listener of its own loop.  A listener spread
 * over two loops is still one: each lane accepts for its own loop, and one
 * abort, one close stop both.
 */
#include <sys/socket.h>

#include <dirent.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define POOL 2
#define NOT_RUN ((HRESULT)0x7fffffff) /* no call returns it */

static WS_STRING tcp_url;

static int
open_descriptors(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

static int
setup(void **state)
{
	(void)state;
	tcp_url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	assert_int_equal(WslSetLoopCount(POOL), S_OK);
	assert_int_equal(WslStartLoops(NULL), S_OK);
	return (0);
}

static WS_LISTENER *
dedicated_new(void)
{
	BOOL yes = TRUE;
	WS_LISTENER_PROPERTY p = { WSL_LISTENER_PROPERTY_DEDICATED_LOOP, &yes,
		sizeof(yes) };
	WS_LISTENER *l = NULL;

	assert_int_equal(WsCreateListener(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, &p, 1, NULL, &l, NULL), S_OK);
	return (l);
}

static void
created_listeners_cost_no_descriptor(void **state)
{
	WS_LISTENER *l[200];
	int before, i;

	(void)state;
	before = open_descriptors();
	for (i = 0; i < 200; i++)
		l[i] = listener_new(WS_TCP_CHANNEL_BINDING);
	assert_int_equal(open_descriptors(), before);
	assert_int_equal(WsOpenListener(l[0],
	    &tcp_url, NULL, NULL),
	    S_OK);
	assert_int_equal(open_descriptors(), before + 1); /* its socket */
	for (i = 0; i < 200; i++)
		listener_finish(l[i]);
	assert_int_equal(open_descriptors(), before);
}

static void
listeners_spread_over_the_pool(void **state)
{
	WS_LISTENER *l[2 * POOL];
	int on[POOL] = { 0 }, i, loop;

	(void)state;
	assert_int_equal(WslGetLoopCount(), POOL);
	for (i = 0; i < 2 * POOL; i++) {
		l[i] = listener_new(WS_TCP_CHANNEL_BINDING);
		loop = WslGetListenerLoop(l[i]);
		assert_true(loop >= 0 && loop < POOL);
		on[loop]++;
	}
	for (i = 0; i < POOL; i++)
		assert_int_equal(on[i], 2);
	for (i = 0; i < 2 * POOL; i++)
		listener_finish(l[i]);
}

static void
a_dedicated_loop_is_its_own(void **state)
{
	WS_LISTENER *pooled[POOL], *own;
	struct gate g[POOL];
	int before, i;
	BOOL v = FALSE;

	(void)state;
	before = open_descriptors();
	own = dedicated_new();
	assert_int_equal(WslGetListenerLoop(own), WSL_LOOP_DEDICATED);
	assert_int_equal(WsGetListenerProperty(own,
	    WSL_LISTENER_PROPERTY_DEDICATED_LOOP, &v, sizeof(v), NULL), S_OK);
	assert_true(v);
	assert_int_equal(open_descriptors(), before + 4); /* a loop's */
	/* Every loop of the pool held: the dedicated one still opens. */
	for (i = 0; i < POOL; i++) {
		pooled[i] = listener_new(WS_TCP_CHANNEL_BINDING);
		gate_close(&g[i], pooled[i]);
	}
	assert_int_equal(WsOpenListener(own,
	    &tcp_url, NULL, NULL),
	    S_OK);
	assert_int_equal(state_of(own), WS_LISTENER_STATE_OPEN);
	for (i = 0; i < POOL; i++) {
		gate_open(&g[i]);
		listener_finish(pooled[i]);
	}
	listener_finish(own);
	assert_int_equal(open_descriptors(), before); /* its loop ended */
}

static void
freeing_one_leaves_its_loop_serving_the_others(void **state)
{
	WS_LISTENER *a, *b;
	WS_CHANNEL *ch = NULL;
	struct done d;
	WS_ASYNC_CONTEXT ctx;
	int c;

	(void)state;
	assert_int_equal(WslSetLoopCount(1), S_OK); /* same loop */
	a = listener_new(WS_TCP_CHANNEL_BINDING);
	b = listener_new(WS_TCP_CHANNEL_BINDING);
	assert_int_equal(WslGetListenerLoop(a), WslGetListenerLoop(b));
	assert_int_equal(WsOpenListener(a,
	    &tcp_url, NULL, NULL),
	    S_OK);
	assert_int_equal(WsCreateChannelForListener(a, NULL, 0, &ch, NULL),
	    S_OK);
	done_init(&d, a);
	ctx = done_ctx(&d);
	assert_int_equal(WsAcceptChannel(a, ch, &ctx, NULL), WS_S_ASYNC);
	listener_finish(b); /* while a's accept is pending on the loop */
	c = connect_to(a);
	assert_true(c >= 0);
	assert_int_equal(done_wait(&d, 1), S_OK);
	assert_true(d.on_loop);
	close(c);
	done_destroy(&d);
	assert_int_equal(WsCloseChannel(ch, NULL, NULL), S_OK);
	assert_int_equal(WsFreeChannel(ch), S_OK);
	listener_finish(a);
	assert_int_equal(WslSetLoopCount(POOL), S_OK);
}

struct sibling_call {
	WS_LISTENER *sibling;
	HRESULT hr;
};

static void
call_sibling(void *arg)
{
	struct sibling_call *s = arg;

	s->hr = WsOpenListener(s->sibling,
	    &tcp_url, NULL, NULL);
}

static void
a_loop_cannot_wait_for_a_listener_of_its_own(void **state)
{
	struct sibling_call s = { NULL, S_OK };
	WSL_TASK t = { call_sibling, &s, NULL };
	WS_LISTENER *a, *b;

	(void)state;
	assert_int_equal(WslSetLoopCount(1), S_OK);
	a = listener_new(WS_TCP_CHANNEL_BINDING);
	b = listener_new(WS_TCP_CHANNEL_BINDING);
	s.sibling = b;
	assert_int_equal(WslPostTask(a, &t), S_OK);
	loop_sync(a);
	/* A synchronous open of b from a's loop would wait for itself. */
	assert_int_equal(s.hr, WS_E_INVALID_OPERATION);
	assert_int_equal(state_of(b), WS_LISTENER_STATE_CREATED);
	listener_finish(a);
	listener_finish(b);
	assert_int_equal(WslSetLoopCount(POOL), S_OK);
}

static WS_LISTENER *
spread_new(WS_CHANNEL_BINDING b, ULONG loops, HRESULT expect)
{
	WS_LISTENER_PROPERTY p = { WSL_LISTENER_PROPERTY_LOOPS, &loops,
		sizeof(loops) };
	WS_LISTENER *l = NULL;

	assert_int_equal(WsCreateListener(channel_type_for(b), b, &p, 1, NULL,
	    &l, NULL), expect);
	return (l);
}

/* An accept made on one lane's loop, as a handler there makes it. */
struct lane_accept {
	WS_LISTENER *l;
	WS_CHANNEL *ch;
	struct done d;
	_Atomic HRESULT hr;  /* of the call; NOT_RUN until the task ran */
	WSL_TASK task;
};

static void
accept_on_lane(void *arg)
{
	struct lane_accept *a = arg;
	WS_ASYNC_CONTEXT ctx = done_ctx(&a->d);

	atomic_store(&a->hr, WsAcceptChannel(a->l, a->ch, &ctx, NULL));
}

static bool
accept_made(void *arg)
{
	struct lane_accept *a = arg;

	return (atomic_load(&a->hr) != NOT_RUN);
}

/* Call WsAcceptChannel on the lane's loop; what it returned. */
static HRESULT
lane_accept(struct lane_accept *a, WS_LISTENER *l, ULONG lane)
{
	a->l = l;
	a->task.run = accept_on_lane;
	a->task.arg = a;
	atomic_store(&a->hr, NOT_RUN);
	assert_int_equal(WslPostLaneTask(l, lane, &a->task), S_OK);
	poll_bounded(accept_made, a, "an accept on a lane's loop");
	return (atomic_load(&a->hr));
}

static uint64_t
lane_accepted(WS_LISTENER *l, ULONG lane)
{
	WSL_LANE_INFO info[2];

	assert_int_equal(WslGetListenerLanes(l, info, 2), 2);
	return (info[lane].accepted);
}

static void
a_listener_on_two_loops_is_still_one(void **state)
{
	struct lane_accept a[2];
	WSL_LANE_INFO info[2];
	WSL_LISTENER_INFO li;
	WS_LISTENER *l;
	ULONG n = 0, i;
	int c[2];

	(void)state;
	l = spread_new(WS_TCP_CHANNEL_BINDING, 2, S_OK);
	assert_int_equal(WslGetListenerLaneCount(l), 2);
	assert_int_equal(WsGetListenerProperty(l, WSL_LISTENER_PROPERTY_LOOPS,
	    &n, sizeof(n), NULL), S_OK);
	assert_int_equal(n, 2);
	assert_int_equal(WslGetListenerLanes(l, info, 2), 2);
	assert_int_not_equal(info[0].loop, info[1].loop);
	assert_int_equal(info[0].loop, WslGetListenerLoop(l));
	assert_int_equal(WsOpenListener(l, &tcp_url, NULL, NULL), S_OK);

	/* One accept queued on each lane: each lane takes one connection
	 * and completes it on its own loop. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(WsCreateChannelForListener(l, NULL, 0,
		    &a[i].ch, NULL), S_OK);
		done_init(&a[i].d, l);
		assert_int_equal(lane_accept(&a[i], l, i), WS_S_ASYNC);
	}
	for (i = 0; i < 2; i++) {
		c[i] = connect_to(l);
		assert_true(c[i] >= 0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(done_wait(&a[i].d, 1), S_OK);
		assert_true(a[i].d.on_loop);
		assert_int_equal(lane_accepted(l, i), 1);
		close(c[i]);
		assert_int_equal(WsCloseChannel(a[i].ch, NULL, NULL), S_OK);
		assert_int_equal(WsResetChannel(a[i].ch, NULL), S_OK);
	}
	assert_int_equal(WslGetListenerInfo(l, &li), S_OK);
	assert_int_equal(li.counters.accepted, 2);

	/* One abort cancels the accepts of both lanes and faults the one
	 * listener; an accept on either lane then fails at once. */
	for (i = 0; i < 2; i++)
		assert_int_equal(lane_accept(&a[i], l, i), WS_S_ASYNC);
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	for (i = 0; i < 2; i++)
		assert_int_equal(done_wait(&a[i].d, 2),
		    WS_E_OPERATION_ABORTED);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_FAULTED);
	for (i = 0; i < 2; i++)
		assert_int_equal(lane_accept(&a[i], l, i),
		    WS_E_OBJECT_FAULTED);

	/* The close ends once neither lane polls the socket; then the
	 * listener opens again and both lanes serve. */
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	assert_int_equal(WsResetListener(l, NULL), S_OK);
	assert_int_equal(WsOpenListener(l, &tcp_url, NULL, NULL), S_OK);
	assert_int_equal(lane_accept(&a[1], l, 1), WS_S_ASYNC);
	c[0] = connect_to(l);
	assert_true(c[0] >= 0);
	assert_int_equal(done_wait(&a[1].d, 3), S_OK);
	assert_int_equal(lane_accepted(l, 1), 2);
	close(c[0]);
	for (i = 0; i < 2; i++) {
		(void)WsCloseChannel(a[i].ch, NULL, NULL);
		assert_int_equal(WsFreeChannel(a[i].ch), S_OK);
		done_destroy(&a[i].d);
	}
	listener_finish(l);
}

static void
only_stream_listeners_on_the_pool_spread(void **state)
{
	WS_LISTENER_PROPERTY p[2];
	ULONG two = 2, n;
	BOOL yes = TRUE;
	WS_LISTENER *l = NULL;

	(void)state;
	(void)spread_new(WS_UDP_CHANNEL_BINDING, 2, E_INVALIDARG);
	(void)spread_new(WS_TCP_CHANNEL_BINDING, WSL_LOOPS_MAX + 1,
	    E_INVALIDARG);
	p[0].id = WSL_LISTENER_PROPERTY_LOOPS;
	p[0].value = &two;
	p[0].valueSize = sizeof(two);
	p[1].id = WSL_LISTENER_PROPERTY_DEDICATED_LOOP;
	p[1].value = &yes;
	p[1].valueSize = sizeof(yes);
	assert_int_equal(WsCreateListener(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, p, 2, NULL, &l, NULL), E_INVALIDARG);
	/* 0 is every loop of the pool; more is clamped to the pool. */
	l = spread_new(WS_TCP_CHANNEL_BINDING, 0, S_OK);
	assert_int_equal(WslGetListenerLaneCount(l), POOL);
	listener_finish(l);
	l = spread_new(WS_NAMEDPIPE_CHANNEL_BINDING, 5, S_OK);
	assert_int_equal(WslGetListenerLaneCount(l), POOL);
	assert_int_equal(WsSetListenerProperty(l, WSL_LISTENER_PROPERTY_LOOPS,
	    &two, sizeof(two), NULL), E_INVALIDARG);
	listener_finish(l);
	l = listener_new(WS_UDP_CHANNEL_BINDING);
	assert_int_equal(WsGetListenerProperty(l, WSL_LISTENER_PROPERTY_LOOPS,
	    &n, sizeof(n), NULL), S_OK);
	assert_int_equal(n, 1);
	listener_finish(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(created_listeners_cost_no_descriptor),
		cmocka_unit_test(listeners_spread_over_the_pool),
		cmocka_unit_test(a_dedicated_loop_is_its_own),
		cmocka_unit_test(freeing_one_leaves_its_loop_serving_the_others),
		cmocka_unit_test(a_loop_cannot_wait_for_a_listener_of_its_own),
		cmocka_unit_test(a_listener_on_two_loops_is_still_one),
		cmocka_unit_test(only_stream_listeners_on_the_pool_spread),
	};

	return (cmocka_run_group_tests(tests, setup, NULL));
}
