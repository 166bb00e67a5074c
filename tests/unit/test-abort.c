/* SPDX-License-Identifier: ISC */
/*
 * WsAbortListener, exactly as documented: it cancels every pending accept
 * (each completes once, with WS_E_OPERATION_ABORTED, on the listener's
 * loop), faults an open listener so that later accepts fail at once with
 * WS_E_OBJECT_FAULTED, does not wait for pending I/O, allocates nothing
 * and needs no descriptor (proved under a failing allocator and an
 * exhausted descriptor limit), and makes the socket refuse connections at
 * once.  Also the accept path it cancels, and recovery after it.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "harness.h"

#define NACCEPTS 8

/*
 * Allocation accounting for both the core's allocator and libevent's.
 * When `failing` is set every allocation attempt fails and is counted.
 */
static atomic_bool failing;
static atomic_int attempts;

static void *
t_malloc(size_t n)
{
	if (atomic_load(&failing)) {
		atomic_fetch_add(&attempts, 1);
		return (NULL);
	}
	return (malloc(n));
}

static void *
t_calloc(size_t n, size_t size)
{
	if (atomic_load(&failing)) {
		atomic_fetch_add(&attempts, 1);
		return (NULL);
	}
	return (calloc(n, size));
}

static void *
t_realloc(void *p, size_t n)
{
	if (atomic_load(&failing)) {
		atomic_fetch_add(&attempts, 1);
		return (NULL);
	}
	return (realloc(p, n));
}

static const WSL_ALLOCATOR test_allocator = { t_malloc, t_calloc, t_realloc,
	free };

static WS_LISTENER *
open_tcp(void)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_STRING url = url_of("net.tcp://127.0.0.1:0/");

	assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
	assert_true(port_of(l) > 0);
	return (l);
}

static ULONG
pending_accepts(WS_LISTENER *l)
{
	WSL_LISTENER_INFO info;

	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	return (info.pendingAccepts);
}

/* Start n asynchronous accepts, each into its own channel. */
static void
start_accepts(WS_LISTENER *l, WS_CHANNEL **ch, struct done *d, int n)
{
	WS_ASYNC_CONTEXT ctx;
	int i;

	for (i = 0; i < n; i++) {
		done_init(&d[i], l);
		ctx = done_ctx(&d[i]);
		assert_int_equal(WsCreateChannelForListener(l, NULL, 0, &ch[i],
		    NULL), S_OK);
		assert_int_equal(WsAcceptChannel(l, ch[i], &ctx, NULL),
		    WS_S_ASYNC);
	}
	assert_int_equal(pending_accepts(l), (ULONG)n);
}

static void
free_channels(WS_CHANNEL **ch, struct done *d, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(WsFreeChannel(ch[i]), S_OK);
		done_destroy(&d[i]);
	}
}

static void
expect_aborted(WS_CHANNEL **ch, struct done *d, int n)
{
	WS_CHANNEL_STATE cs;
	int i;

	for (i = 0; i < n; i++) {
		assert_int_equal(done_wait(&d[i], 1), WS_E_OPERATION_ABORTED);
		assert_true(d[i].on_loop);
		assert_int_equal(WsGetChannelProperty(ch[i],
		    WS_CHANNEL_PROPERTY_STATE, &cs, sizeof(cs), NULL), S_OK);
		assert_int_equal(cs, WS_CHANNEL_STATE_CREATED);
	}
}

static void
abort_completes_every_pending_accept_once(void **state)
{
	WS_LISTENER *l = open_tcp();
	WS_CHANNEL *ch[NACCEPTS], *late;
	struct done d[NACCEPTS], late_done;
	WS_ASYNC_CONTEXT ctx;
	WSL_ABORT_RESULT r;
	WSL_LISTENER_INFO info;
	int i;

	(void)state;
	start_accepts(l, ch, d, NACCEPTS);
	assert_int_equal(WslAbortListenerEx(l, &r, NULL), S_OK);
	assert_int_equal(r.previousState, WS_LISTENER_STATE_OPEN);
	assert_int_equal(r.state, WS_LISTENER_STATE_FAULTED);
	assert_int_equal(r.pendingAccepts, NACCEPTS);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_FAULTED);
	expect_aborted(ch, d, NACCEPTS);

	/* Accepts started afterwards fail at once, without a callback. */
	done_init(&late_done, l);
	ctx = done_ctx(&late_done);
	assert_int_equal(WsCreateChannelForListener(l, NULL, 0, &late, NULL),
	    S_OK);
	assert_int_equal(WsAcceptChannel(l, late, &ctx, NULL),
	    WS_E_OBJECT_FAULTED);
	assert_int_equal(WsAcceptChannel(l, late, NULL, NULL),
	    WS_E_OBJECT_FAULTED);
	loop_sync(l);
	assert_int_equal(late_done.count, 0);

	/* Exactly once: nothing more arrives once the loop has settled. */
	for (i = 0; i < NACCEPTS; i++)
		assert_int_equal(d[i].count, 1);
	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	assert_int_equal(info.counters.abortedAccepts, NACCEPTS);
	assert_int_equal(info.pendingAccepts, 0);
	assert_int_equal(info.port, -1); /* the socket is gone */
	assert_int_equal(WsFreeChannel(late), S_OK);
	done_destroy(&late_done);
	free_channels(ch, d, NACCEPTS);
	listener_finish(l);
}

static void
abort_does_not_wait_for_pending_io(void **state)
{
	WS_LISTENER *l = open_tcp();
	WS_CHANNEL *ch[2];
	struct done d[2];
	struct gate g;

	(void)state;
	start_accepts(l, ch, d, 2);
	gate_close(&g, l); /* the loop cannot complete anything now */
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_FAULTED);
	assert_int_equal(d[0].count + d[1].count, 0);
	gate_open(&g);
	expect_aborted(ch, d, 2);
	free_channels(ch, d, 2);
	listener_finish(l);
}

static struct rlimit saved;

/* Teardown: whatever failed, later tests get memory and descriptors. */
static int
restore_resources(void **state)
{
	(void)state;
	atomic_store(&failing, false);
	if (saved.rlim_max != 0)
		(void)setrlimit(RLIMIT_NOFILE, &saved);
	return (0);
}

/* The lowest descriptor number not in use: with the limit there, no new
 * descriptor can be made. */
static rlim_t
next_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return ((rlim_t)fd);
}

static void
abort_needs_no_memory_and_no_descriptor(void **state)
{
	WS_LISTENER *l = open_tcp();
	WS_CHANNEL *ch[4];
	struct done d[4];
	struct rlimit tight;
	WSL_ABORT_RESULT r;
	int probe;

	(void)state;
	start_accepts(l, ch, d, 4);
	loop_sync(l); /* the loop has set itself up for them */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	tight = saved;
	tight.rlim_cur = next_fd();
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
	probe = dup(0);
	assert_int_equal(probe, -1); /* really out of descriptors */
	assert_int_equal(errno, EMFILE);

	atomic_store(&attempts, 0);
	atomic_store(&failing, true);
	assert_null(t_malloc(16)); /* the allocator really fails */
	assert_int_equal(atomic_load(&attempts), 1);
	atomic_store(&attempts, 0);

	assert_int_equal(WslAbortListenerEx(l, &r, NULL), S_OK);
	assert_int_equal(r.state, WS_LISTENER_STATE_FAULTED);
	assert_int_equal(r.pendingAccepts, 4);
	expect_aborted(ch, d, 4); /* the loop completes them, still failing */
	loop_sync(l);
	assert_int_equal(atomic_load(&attempts), 0);

	restore_resources(NULL);
	free_channels(ch, d, 4);
	listener_finish(l);
}

static void
abort_before_open_sticks_until_reset(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_STRING url = url_of("net.tcp://127.0.0.1:0/");
	WSL_ABORT_RESULT r;
	WSL_LISTENER_INFO info;

	(void)state;
	assert_int_equal(WslAbortListenerEx(l, &r, NULL), S_OK);
	assert_int_equal(r.previousState, WS_LISTENER_STATE_CREATED);
	assert_int_equal(r.state, WS_LISTENER_STATE_CREATED);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL),
	    WS_E_OPERATION_ABORTED);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL),
	    WS_E_OPERATION_ABORTED);
	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	assert_true(info.abortedBeforeOpen);
	assert_int_equal(info.lastError, WS_E_OPERATION_ABORTED);
	assert_int_equal(WsResetListener(l, NULL), S_OK);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
	listener_finish(l);
}

static int
connect_port(int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return (-errno);
	}
	return (fd);
}

static void
abort_resets_the_tcp_queue_and_refuses_at_once(void **state)
{
	WS_LISTENER *l = open_tcp();
	WSL_ABORT_RESULT r;
	WSL_LISTENER_INFO info;
	int port = port_of(l), c[3], i;
	char b;

	(void)state;
	/* No accept is pending: these wait in the kernel's queue. */
	for (i = 0; i < 3; i++)
		assert_true((c[i] = connect_port(port)) >= 0);
	assert_int_equal(WslAbortListenerEx(l, &r, NULL), S_OK);
	assert_int_equal(r.queuedReset, 3);
	/* Refused as soon as abort has returned, before the loop ran. */
	assert_int_equal(connect_port(port), -ECONNREFUSED);
	for (i = 0; i < 3; i++) {
		assert_int_equal(read(c[i], &b, 1), -1);
		assert_int_equal(errno, ECONNRESET);
		close(c[i]);
	}
	loop_sync(l);
	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	assert_int_equal(info.counters.resetOnAbort, 3);
	assert_int_equal(info.counters.accepted, 0);
	listener_finish(l);
}

static void
abort_pipe_refuses_new_and_ends_queued_cleanly(void **state)
{
	char dir[] = "/tmp/wsl-test-XXXXXX";
	WS_LISTENER *l;
	WS_STRING url = url_of("net.pipe://localhost/abort.sock");
	WSL_LISTENER_INFO info;
	struct gate g;
	int c[2], i;
	char b;

	(void)state;
	assert_non_null(mkdtemp(dir));
	set_pipe_dir(dir);
	l = listener_new(WS_NAMEDPIPE_CHANNEL_BINDING);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
	for (i = 0; i < 2; i++)
		assert_true((c[i] = connect_to(l)) >= 0);
	gate_close(&g, l); /* refusal must not depend on the loop */
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	assert_int_equal(connect_to(l), -1);
	assert_int_equal(errno, ECONNREFUSED);
	gate_open(&g);
	loop_sync(l); /* the loop accepts and closes the queued ones */
	for (i = 0; i < 2; i++) {
		assert_int_equal(read(c[i], &b, 1), 0); /* EOF, not a reset */
		close(c[i]);
	}
	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	assert_int_equal(info.counters.accepted, 2);
	assert_int_equal(info.counters.closedOnAbort, 2);
	assert_string_equal(info.path, ""); /* socket file removed */
	listener_finish(l);
	assert_int_equal(rmdir(dir), 0);
	set_pipe_dir("/tmp");
}

static void
accept_delivers_connections_in_order(void **state)
{
	WS_LISTENER *l = open_tcp();
	WS_CHANNEL *ch[3];
	struct done d[3];
	struct sockaddr_storage peer, mine;
	socklen_t plen, mlen = sizeof(mine);
	int c[3], i, fd;
	char buf[8];

	(void)state;
	start_accepts(l, ch, d, 3);
	for (i = 0; i < 3; i++) {
		assert_true((c[i] = connect_port(port_of(l))) >= 0);
		/* First come, first served: the i-th accept gets it. */
		assert_int_equal(done_wait(&d[i], 1), S_OK);
		assert_true(d[i].on_loop);
		fd = WslGetChannelFd(ch[i]);
		assert_true(fd >= 0);
		assert_int_equal(write(c[i], "abc", 3), 3);
		assert_int_equal(read(fd, buf, sizeof(buf)), 3);
		assert_memory_equal(buf, "abc", 3);
		assert_int_equal(WslGetChannelPeer(ch[i], &peer, &plen), S_OK);
		assert_int_equal(getsockname(c[i], (struct sockaddr *)&mine,
		    &mlen), 0);
		assert_int_equal(((struct sockaddr_in *)&peer)->sin_port,
		    ((struct sockaddr_in *)&mine)->sin_port);
		close(c[i]);
	}
	free_channels(ch, d, 3);
	listener_finish(l);
}

static void
abort_channel_cancels_only_its_accept(void **state)
{
	WS_LISTENER *l = open_tcp();
	WS_CHANNEL *ch[2];
	struct done d[2];
	int c;

	(void)state;
	start_accepts(l, ch, d, 2);
	assert_int_equal(WsAbortChannel(ch[0], NULL), S_OK);
	assert_int_equal(done_wait(&d[0], 1), WS_E_OPERATION_ABORTED);
	assert_int_equal(pending_accepts(l), 1);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_OPEN);
	assert_true((c = connect_port(port_of(l))) >= 0);
	assert_int_equal(done_wait(&d[1], 1), S_OK);
	close(c);
	free_channels(ch, d, 2);
	listener_finish(l);
}

/*
 * A cancel that comes after the accept was already cancelled (twice, or
 * after the listener's abort) finds nothing to do, even while the loop has
 * not completed the first: the accept completes once, the queue stays
 * whole, and the next accept is served.  (Found by review: the second
 * cancel took the channel off a list it was no longer on.)
 */
static void
cancel_of_a_cancelled_accept_does_nothing(void **state)
{
	WS_LISTENER *l = open_tcp();
	WS_CHANNEL *ch[3];
	struct done d[3];
	struct gate g;
	int c;

	(void)state;
	start_accepts(l, ch, d, 2);
	gate_close(&g, l); /* the loop completes nothing meanwhile */
	assert_int_equal(WslCancelAccept(ch[0]), S_OK);
	assert_int_equal(WslCancelAccept(ch[0]), WS_E_INVALID_OPERATION);
	assert_int_equal(WsAbortChannel(ch[0], NULL), S_OK);
	assert_int_equal(pending_accepts(l), 1);
	gate_open(&g);
	assert_int_equal(done_wait(&d[0], 1), WS_E_OPERATION_ABORTED);
	assert_true((c = connect_port(port_of(l))) >= 0);
	assert_int_equal(done_wait(&d[1], 1), S_OK);
	close(c);
	loop_sync(l);
	assert_int_equal(d[0].count, 1);
	assert_int_equal(d[1].count, 1);
	free_channels(ch, d, 2);

	/* After the listener's abort, before the loop has run. */
	start_accepts(l, &ch[2], &d[2], 1);
	gate_close(&g, l);
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	assert_int_equal(WslCancelAccept(ch[2]), WS_E_INVALID_OPERATION);
	assert_int_equal(pending_accepts(l), 0);
	gate_open(&g);
	assert_int_equal(done_wait(&d[2], 1), WS_E_OPERATION_ABORTED);
	loop_sync(l);
	assert_int_equal(d[2].count, 1);
	free_channels(&ch[2], &d[2], 1);
	listener_finish(l);
}

static void
close_aborts_pending_accepts_and_waits_for_them(void **state)
{
	WS_LISTENER *l = open_tcp();
	WS_CHANNEL *ch[2];
	struct done d[2];

	(void)state;
	start_accepts(l, ch, d, 2);
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	/* Unlike abort, close has waited: both callbacks already ran. */
	assert_int_equal(d[0].count, 1);
	assert_int_equal(d[1].count, 1);
	assert_int_equal(d[0].hr, WS_E_OPERATION_ABORTED);
	assert_int_equal(d[1].hr, WS_E_OPERATION_ABORTED);
	free_channels(ch, d, 2);
	assert_int_equal(WsFreeListener(l), S_OK);
}

struct sync_accept {
	WS_LISTENER *l;
	WS_CHANNEL *ch;
	HRESULT hr;
};

static void *
sync_accept_thread(void *arg)
{
	struct sync_accept *a = arg;

	a->hr = WsAcceptChannel(a->l, a->ch, NULL, NULL);
	return (NULL);
}

static bool
accept_queued(void *l)
{
	return (pending_accepts(l) > 0);
}

static void
blocked_sync_accept_returns_aborted(void **state)
{
	struct sync_accept a;
	pthread_t t;

	(void)state;
	a.l = open_tcp();
	assert_int_equal(WsCreateChannelForListener(a.l, NULL, 0, &a.ch, NULL),
	    S_OK);
	assert_int_equal(pthread_create(&t, NULL, sync_accept_thread, &a), 0);
	poll_bounded(accept_queued, a.l, "the synchronous accept to be queued");
	assert_int_equal(WsAbortListener(a.l, NULL), S_OK);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(a.hr, WS_E_OPERATION_ABORTED);
	assert_int_equal(WsFreeChannel(a.ch), S_OK);
	listener_finish(a.l);
}

static void
recovers_by_close_reset_open(void **state)
{
	WS_LISTENER *l = open_tcp();
	WS_STRING url = url_of("net.tcp://127.0.0.1:0/");
	WS_CHANNEL *ch[1];
	struct done d[1];
	int c;

	(void)state;
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL),
	    WS_E_INVALID_OPERATION);
	assert_int_equal(WsResetListener(l, NULL), WS_E_INVALID_OPERATION);
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CLOSED);
	assert_int_equal(WsResetListener(l, NULL), S_OK);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
	start_accepts(l, ch, d, 1);
	assert_true((c = connect_port(port_of(l))) >= 0);
	assert_int_equal(done_wait(&d[0], 1), S_OK);
	close(c);
	free_channels(ch, d, 1);
	listener_finish(l);
}

static void
abort_of_udp_listener_completes_accepts(void **state)
{
	WS_LISTENER *l = listener_new(WS_UDP_CHANNEL_BINDING);
	WS_STRING url = url_of("soap.udp://127.0.0.1:0/");
	WS_CHANNEL *ch[2];
	struct done d[2];

	(void)state;
	assert_int_equal(WsOpenListener(l, &url, NULL, NULL), S_OK);
	start_accepts(l, ch, d, 2);
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	expect_aborted(ch, d, 2);
	loop_sync(l);
	assert_int_equal(port_of(l), -1);
	free_channels(ch, d, 2);
	listener_finish(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(abort_completes_every_pending_accept_once),
		cmocka_unit_test(abort_does_not_wait_for_pending_io),
		cmocka_unit_test_teardown(abort_needs_no_memory_and_no_descriptor,
		    restore_resources),
		cmocka_unit_test(abort_before_open_sticks_until_reset),
		cmocka_unit_test(abort_resets_the_tcp_queue_and_refuses_at_once),
		cmocka_unit_test(abort_pipe_refuses_new_and_ends_queued_cleanly),
		cmocka_unit_test(abort_of_udp_listener_completes_accepts),
		cmocka_unit_test(accept_delivers_connections_in_order),
		cmocka_unit_test(abort_channel_cancels_only_its_accept),
		cmocka_unit_test(cancel_of_a_cancelled_accept_does_nothing),
		cmocka_unit_test(close_aborts_pending_accepts_and_waits_for_them),
		cmocka_unit_test(blocked_sync_accept_returns_aborted),
		cmocka_unit_test(recovers_by_close_reset_open),
	};

	/* Before any libevent allocation: count libevent's too. */
	event_set_mem_functions(t_malloc, t_realloc, free);
	WslSetAllocator(&test_allocator);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
