/* SPDX-License-Identifier: ISC */
/*
 * The pool of loops: listeners share a fixed set of loops and cost no
 * descriptor until they open; they are spread over the pool; a dedicated
 * loop is the listener's alone, so a held pool loop does not hold it up;
 * freeing one listener leaves its loop serving the others; and a loop's
 * thread cannot wait for a listener of its own loop.
 */
#include <sys/socket.h>

#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define POOL 2

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(created_listeners_cost_no_descriptor),
		cmocka_unit_test(listeners_spread_over_the_pool),
		cmocka_unit_test(a_dedicated_loop_is_its_own),
		cmocka_unit_test(freeing_one_leaves_its_loop_serving_the_others),
		cmocka_unit_test(a_loop_cannot_wait_for_a_listener_of_its_own),
	};

	return (cmocka_run_group_tests(tests, setup, NULL));
}
