/* SPDX-License-Identifier: ISC */
/*
 * Pause (WslPauseListener, an extension): an OPEN listener stops taking
 * connections while its socket stays bound, so new clients wait in the
 * kernel's queue and pending accepts stay pending; resume serves them.
 * Abort still works while paused; a pause ends with its open; and it is
 * refused outside OPEN.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static WS_LISTENER *
open_tcp(WS_STRING *url)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);

	*url = url_of("net.tcp://127.0.0.1:0/");
	assert_int_equal(WsOpenListener(l, url, NULL, NULL), S_OK);
	return (l);
}

static void
paused_connections_wait_in_the_kernel_queue(void **state)
{
	WS_STRING url;
	WS_LISTENER *l = open_tcp(&url);
	WS_CHANNEL *ch = NULL;
	WS_ASYNC_CONTEXT ctx;
	WSL_LISTENER_INFO info;
	struct done d;
	int c;

	(void)state;
	assert_int_equal(WsCreateChannelForListener(l, NULL, 0, &ch, NULL),
	    S_OK);
	done_init(&d, l);
	ctx = done_ctx(&d);
	assert_int_equal(WslPauseListener(l, TRUE, NULL), S_OK);
	assert_int_equal(WsAcceptChannel(l, ch, &ctx, NULL), WS_S_ASYNC);
	assert_true((c = connect_to(l)) >= 0);
	loop_sync(l); /* the loop had its chance to take it */
	info = info_of(l);
	assert_int_equal(info.state, WS_LISTENER_STATE_OPEN);
	assert_true(info.paused);
	assert_int_equal(d.count, 0);
	assert_int_equal(info.pendingAccepts, 1);
	assert_int_equal(info.counters.accepted, 0);
	assert_int_equal(info.queueDepth, 1);
	/* Paused twice is still paused; resume takes the waiting client. */
	assert_int_equal(WslPauseListener(l, TRUE, NULL), S_OK);
	assert_int_equal(WslPauseListener(l, FALSE, NULL), S_OK);
	assert_int_equal(done_wait(&d, 1), S_OK);
	info = info_of(l);
	assert_false(info.paused);
	assert_int_equal(info.counters.accepted, 1);
	close(c);
	done_destroy(&d);
	assert_int_equal(WsCloseChannel(ch, NULL, NULL), S_OK);
	assert_int_equal(WsFreeChannel(ch), S_OK);
	listener_finish(l);
}

static void
abort_works_while_paused_and_ends_the_pause(void **state)
{
	WS_STRING url;
	WS_LISTENER *l = open_tcp(&url);
	WS_CHANNEL *ch = NULL;
	WS_ASYNC_CONTEXT ctx;
	WSL_ABORT_RESULT r;
	WSL_LISTENER_INFO info;
	struct done d;
	int c[2], i;
	char b;

	(void)state;
	assert_int_equal(WsCreateChannelForListener(l, NULL, 0, &ch, NULL),
	    S_OK);
	done_init(&d, l);
	ctx = done_ctx(&d);
	assert_int_equal(WslPauseListener(l, TRUE, NULL), S_OK);
	assert_int_equal(WsAcceptChannel(l, ch, &ctx, NULL), WS_S_ASYNC);
	for (i = 0; i < 2; i++)
		assert_true((c[i] = connect_to(l)) >= 0);
	assert_int_equal(WslAbortListenerEx(l, &r, NULL), S_OK);
	assert_int_equal(r.pendingAccepts, 1);
	assert_int_equal(r.queuedReset, 2);
	assert_int_equal(done_wait(&d, 1), WS_E_OPERATION_ABORTED);
	for (i = 0; i < 2; i++) {
		assert_int_equal(read(c[i], &b, 1), -1);
		assert_int_equal(errno, ECONNRESET);
		close(c[i]);
	}
	info = info_of(l);
	assert_int_equal(info.state, WS_LISTENER_STATE_FAULTED);
	assert_false(info.paused);
	assert_int_equal(WslPauseListener(l, FALSE, NULL),
	    WS_E_INVALID_OPERATION);
	/* The way back opens a listener that is not paused. */
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	assert_int_equal(WsResetListener(l, NULL), S_OK);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
	assert_false(info_of(l).paused);
	assert_int_equal(WsAcceptChannel(l, ch, &ctx, NULL), WS_S_ASYNC);
	assert_true((c[0] = connect_to(l)) >= 0);
	assert_int_equal(done_wait(&d, 2), S_OK);
	close(c[0]);
	done_destroy(&d);
	assert_int_equal(WsCloseChannel(ch, NULL, NULL), S_OK);
	assert_int_equal(WsFreeChannel(ch), S_OK);
	listener_finish(l);
}

static void
pause_only_when_open(void **state)
{
	WS_STRING url = url_of("net.tcp://127.0.0.1:0/");
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);

	(void)state;
	assert_int_equal(WslPauseListener(NULL, TRUE, NULL), E_INVALIDARG);
	assert_int_equal(WslPauseListener(l, TRUE, NULL),
	    WS_E_INVALID_OPERATION);
	assert_int_equal(WslPauseListener(l, FALSE, NULL),
	    WS_E_INVALID_OPERATION);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
	assert_int_equal(WslPauseListener(l, FALSE, NULL), S_OK);
	assert_int_equal(WslPauseListener(l, TRUE, NULL), S_OK);
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	assert_false(info_of(l).paused);
	assert_int_equal(WslPauseListener(l, TRUE, NULL),
	    WS_E_INVALID_OPERATION);
	listener_finish(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paused_connections_wait_in_the_kernel_queue),
		cmocka_unit_test(abort_works_while_paused_and_ends_the_pause),
		cmocka_unit_test(pause_only_when_open),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
