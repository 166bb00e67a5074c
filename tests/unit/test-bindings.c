/* SPDX-License-Identifier: ISC */
/*
 * Every channel binding of the listener core through its C API: net.tcp on
 * IPv4, IPv6, the dual-stack wildcard and each IP_VERSION; http (a REPLY
 * listener on TCP); soap.udp, whose channels are SOCK_SEQPACKET relays, one
 * per peer, one packet per datagram (an empty one too); net.pipe, a Unix
 * socket file in the pipe directory, with its stale, busy, full-backlog,
 * missing and too-long paths.  Also a URL that does not fit the binding,
 * reopening on the same port, a port held by another listener, and many
 * channels from one listener.  Each accepted channel carries data both
 * ways, so a test fails if the descriptor is not really connected to the
 * client.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define WAIT_MS 10000 /* only so that a broken test cannot hang forever */
#define NCHANNELS 16
#define PIPE_NAME "bind.sock"

/* Wait until fd is readable (or has hung up). */
static void
wait_readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r;

	do
		r = poll(&p, 1, WAIT_MS);
	while (r < 0 && errno == EINTR);
	assert_int_equal(r, 1); /* 0: timed out */
}

/* Read exactly n bytes from a stream socket. */
static void
read_exact(int fd, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		wait_readable(fd);
		r = recv(fd, buf + got, n - got, MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		assert_true(r > 0);
		got += (size_t)r;
	}
}

static void
send_all(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL),
	    (ssize_t)strlen(s));
}

/* Data goes both ways between a client and a channel's descriptor. */
static void
round_trip(int client, int chfd)
{
	char buf[16];

	send_all(client, "ping from client");
	read_exact(chfd, buf, 16);
	assert_memory_equal(buf, "ping from client", 16);
	send_all(chfd, "pong from server");
	read_exact(client, buf, 16);
	assert_memory_equal(buf, "pong from server", 16);
}

/* The other end has closed: a read returns 0. */
static void
expect_eof(int fd)
{
	char b;

	wait_readable(fd);
	assert_int_equal(recv(fd, &b, 1, MSG_DONTWAIT), 0);
}

static bool
ipv6_loopback_works(void)
{
	struct sockaddr_in6 sin6;
	int fd, r;

	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (false);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	r = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6));
	close(fd);
	return (r == 0);
}

/* A connected TCP client, or -errno. */
static int
connect_ip(int family, const char *addr, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, e;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (void *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr),
		    1);
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (void *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
		len = sizeof(*sin);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		e = errno;
		close(fd);
		return (-e);
	}
	return (fd);
}

static void
open_ok(WS_LISTENER *l, const char *url)
{
	WS_STRING u = url_of(url);

	assert_int_equal(WsOpenListener(l, &u, NULL, NULL), S_OK);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_OPEN);
}

/* A failed open returns hr and leaves the listener CREATED. */
static void
open_fails(WS_LISTENER *l, const char *url, HRESULT hr)
{
	WS_STRING u = url_of(url);

	assert_int_equal(WsOpenListener(l, &u, NULL, NULL), hr);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	assert_int_equal(info_of(l).lastError, hr);
	assert_string_equal(info_of(l).lastErrorOperation, "open");
	assert_int_equal(info_of(l).port, -1);
}

static WS_LISTENER *
tcp_listener_with_ip_version(WS_IP_VERSION v)
{
	ULONG value = (ULONG)v;
	WS_LISTENER_PROPERTY p = { WS_LISTENER_PROPERTY_IP_VERSION, &value,
		sizeof(value) };
	WS_IP_VERSION got = 0;
	WS_LISTENER *l = NULL;

	assert_int_equal(WsCreateListener(WS_CHANNEL_TYPE_DUPLEX_SESSION,
	    WS_TCP_CHANNEL_BINDING, &p, 1, NULL, &l, NULL), S_OK);
	assert_int_equal(WsGetListenerProperty(l,
	    WS_LISTENER_PROPERTY_IP_VERSION, &got, sizeof(got), NULL), S_OK);
	assert_int_equal(got, v);
	return (l);
}

/* Create a channel and start an asynchronous accept into it. */
static WS_CHANNEL *
start_accept(WS_LISTENER *l, struct done *d)
{
	WS_ASYNC_CONTEXT ctx;
	WS_CHANNEL *ch = NULL;

	done_init(d, l);
	ctx = done_ctx(d);
	assert_int_equal(WsCreateChannelForListener(l, NULL, 0, &ch, NULL),
	    S_OK);
	assert_int_equal(WsAcceptChannel(l, ch, &ctx, NULL), WS_S_ASYNC);
	return (ch);
}

/* The accept into ch completed once, with S_OK, on the loop: ch is OPEN. */
static int
expect_accepted(WS_CHANNEL *ch, struct done *d, int count)
{
	int fd;

	assert_int_equal(done_wait(d, count), S_OK);
	assert_true(d->on_loop);
	assert_int_equal(channel_state_of(ch), WS_CHANNEL_STATE_OPEN);
	fd = WslGetChannelFd(ch);
	assert_true(fd >= 0);
	return (fd);
}

static void
close_and_free_channel(WS_CHANNEL *ch, struct done *d)
{
	assert_int_equal(WsCloseChannel(ch, NULL, NULL), S_OK);
	assert_int_equal(channel_state_of(ch), WS_CHANNEL_STATE_CLOSED);
	assert_int_equal(WsFreeChannel(ch), S_OK);
	done_destroy(d);
}

/* The channel's peer is the client's own address. */
static void
expect_peer_is(WS_CHANNEL *ch, int client)
{
	struct sockaddr_storage peer, mine;
	socklen_t plen = 0, mlen = sizeof(mine);

	assert_int_equal(WslGetChannelPeer(ch, &peer, &plen), S_OK);
	assert_int_equal(getsockname(client, (struct sockaddr *)&mine, &mlen),
	    0);
	assert_int_equal(plen, mlen);
	assert_int_equal(peer.ss_family, mine.ss_family);
	if (mine.ss_family == AF_INET) {
		const struct sockaddr_in *a = (void *)&peer, *b = (void *)&mine;
		assert_int_equal(a->sin_port, b->sin_port);
		assert_int_equal(a->sin_addr.s_addr, b->sin_addr.s_addr);
	} else if (mine.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (void *)&peer,
		    *b = (void *)&mine;
		assert_int_equal(a->sin6_port, b->sin6_port);
		assert_memory_equal(&a->sin6_addr, &b->sin6_addr,
		    sizeof(a->sin6_addr));
	} else if (mine.ss_family != AF_UNIX) /* unbound: nothing more */
		fail_msg("unexpected family %d", (int)mine.ss_family);
}

/*
 * Accept client c's connection (made already, or -1 for a failed connect)
 * into a new channel: the descriptor carries data both ways, the peer is
 * the client, and closing the channel ends the connection.  Closes c.
 */
static void
accept_round_trip(WS_LISTENER *l, int c)
{
	WS_CHANNEL *ch;
	struct done d;
	int fd;

	assert_true(c >= 0);
	ch = start_accept(l, &d);
	fd = expect_accepted(ch, &d, 1);
	round_trip(c, fd);
	expect_peer_is(ch, c);
	close_and_free_channel(ch, &d);
	expect_eof(c);
	close(c);
}

/*
 * 1. net.tcp on 127.0.0.1: the accepted descriptor carries data both ways
 * and the peer is the client.  Detaching hands the descriptor over and
 * leaves the channel CLOSED without it (freeing the channel does not close
 * it).  WsCloseChannel ends a connection; the closed channel, reset, takes
 * another accept; WsFreeChannel of an OPEN channel ends its connection.
 */
static void
tcp_ipv4_round_trip_peer_detach_and_close(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WSL_LISTENER_INFO info;
	struct sockaddr_storage ss;
	socklen_t sslen;
	WS_ASYNC_CONTEXT ctx;
	WS_CHANNEL *ch, *ch2;
	struct done d, d2;
	int c, c2, c3, fd, detached;

	(void)state;
	open_ok(l, "net.tcp://127.0.0.1:0/");
	info = info_of(l);
	assert_int_equal(info.binding, WS_TCP_CHANNEL_BINDING);
	assert_int_equal(info.family, AF_INET);
	assert_string_equal(info.address, "127.0.0.1");
	assert_true(info.port > 0);
	assert_string_equal(info.path, "");

	ch = start_accept(l, &d);
	assert_int_equal(channel_state_of(ch), WS_CHANNEL_STATE_ACCEPTING);
	assert_int_equal(WslGetChannelFd(ch), -1);
	assert_true((c = connect_to(l)) >= 0);
	fd = expect_accepted(ch, &d, 1);
	assert_true(fd != c);
	round_trip(c, fd);
	expect_peer_is(ch, c);

	/* Detach: the caller owns the descriptor, the channel is CLOSED. */
	detached = WslDetachChannelFd(ch);
	assert_int_equal(detached, fd);
	assert_int_equal(channel_state_of(ch), WS_CHANNEL_STATE_CLOSED);
	assert_int_equal(WslGetChannelFd(ch), -1);
	assert_int_equal(WslDetachChannelFd(ch), -1);
	assert_int_equal(WslGetChannelPeer(ch, &ss, &sslen),
	    WS_E_INVALID_OPERATION);
	assert_int_equal(WsFreeChannel(ch), S_OK);
	done_destroy(&d);
	assert_true(fcntl(detached, F_GETFD) >= 0); /* not closed by free */
	round_trip(c, detached);
	assert_int_equal(close(detached), 0);
	expect_eof(c);
	close(c);

	/* WsCloseChannel ends the connection. */
	ch2 = start_accept(l, &d2);
	assert_true((c2 = connect_to(l)) >= 0);
	fd = expect_accepted(ch2, &d2, 1);
	round_trip(c2, fd);
	expect_peer_is(ch2, c2);
	assert_int_equal(WsCloseChannel(ch2, NULL, NULL), S_OK);
	assert_int_equal(channel_state_of(ch2), WS_CHANNEL_STATE_CLOSED);
	assert_int_equal(WslGetChannelFd(ch2), -1);
	expect_eof(c2);
	close(c2);

	/* Reset, the same channel accepts again; freeing it ends that one. */
	assert_int_equal(WsResetChannel(ch2, NULL), S_OK);
	assert_int_equal(channel_state_of(ch2), WS_CHANNEL_STATE_CREATED);
	ctx = done_ctx(&d2);
	assert_int_equal(WsAcceptChannel(l, ch2, &ctx, NULL), WS_S_ASYNC);
	assert_true((c3 = connect_to(l)) >= 0);
	fd = expect_accepted(ch2, &d2, 2);
	round_trip(c3, fd);
	expect_peer_is(ch2, c3);
	assert_int_equal(WsFreeChannel(ch2), S_OK);
	done_destroy(&d2);
	expect_eof(c3);
	close(c3);

	info = info_of(l);
	assert_int_equal(info.counters.accepted, 3);
	assert_int_equal(info.counters.completed, 3);
	assert_int_equal(info.pendingAccepts, 0);
	listener_finish(l);
}

/* 2. net.tcp on [::1]. */
static void
tcp_ipv6_loopback_round_trip(void **state)
{
	WS_LISTENER *l;
	WSL_LISTENER_INFO info;

	(void)state;
	if (!ipv6_loopback_works())
		skip();
	l = listener_new(WS_TCP_CHANNEL_BINDING);
	open_ok(l, "net.tcp://[::1]:0/v6");
	info = info_of(l);
	assert_int_equal(info.family, AF_INET6);
	assert_string_equal(info.address, "::1");
	assert_true(info.port > 0);
	accept_round_trip(l, connect_to(l)); /* connects to [::1] */
	listener_finish(l);
}

/*
 * 3. The wildcard with IP_VERSION AUTO (the default) is every address of
 * both families: one IPv6 socket without V6ONLY, reached over 127.0.0.1
 * (peer a v4-mapped address) and over ::1.
 */
static void
tcp_wildcard_auto_is_dual_stack(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	bool v6 = ipv6_loopback_works();
	WSL_LISTENER_INFO info;
	WS_IP_VERSION ipv = 0;
	struct sockaddr_storage peer, mine;
	socklen_t plen, mlen = sizeof(mine);
	WS_CHANNEL *ch[2];
	struct done d[2];
	int c4, c6, fd;

	(void)state;
	assert_int_equal(WsGetListenerProperty(l,
	    WS_LISTENER_PROPERTY_IP_VERSION, &ipv, sizeof(ipv), NULL), S_OK);
	assert_int_equal(ipv, WS_IP_VERSION_AUTO);
	open_ok(l, "net.tcp://+:0/");
	info = info_of(l);
	assert_true(info.port > 0);
	if (v6) {
		assert_int_equal(info.family, AF_INET6);
		assert_string_equal(info.address, "::");
	} else {
		assert_int_equal(info.family, AF_INET);
		assert_string_equal(info.address, "0.0.0.0");
	}

	ch[0] = start_accept(l, &d[0]);
	assert_true((c4 = connect_ip(AF_INET, "127.0.0.1", info.port)) >= 0);
	fd = expect_accepted(ch[0], &d[0], 1);
	round_trip(c4, fd);
	assert_int_equal(WslGetChannelPeer(ch[0], &peer, &plen), S_OK);
	assert_int_equal(getsockname(c4, (struct sockaddr *)&mine, &mlen), 0);
	if (v6) {
		const struct sockaddr_in6 *p6 = (void *)&peer;
		const struct sockaddr_in *m4 = (void *)&mine;
		assert_int_equal(peer.ss_family, AF_INET6);
		assert_true(IN6_IS_ADDR_V4MAPPED(&p6->sin6_addr));
		assert_memory_equal(&p6->sin6_addr.s6_addr[12],
		    &m4->sin_addr.s_addr, 4);
		assert_int_equal(p6->sin6_port, m4->sin_port);
	} else
		expect_peer_is(ch[0], c4);
	close_and_free_channel(ch[0], &d[0]);
	close(c4);

	if (v6) {
		ch[1] = start_accept(l, &d[1]);
		assert_true((c6 = connect_ip(AF_INET6, "::1", info.port)) >= 0);
		fd = expect_accepted(ch[1], &d[1], 1);
		round_trip(c6, fd);
		expect_peer_is(ch[1], c6);
		close_and_free_channel(ch[1], &d[1]);
		close(c6);
	}
	assert_int_equal(info_of(l).counters.completed, v6 ? 2 : 1);
	listener_finish(l);
}

/*
 * 4a. IP_VERSION 4: the wildcard is 0.0.0.0 (IPv4 only), and an IPv6
 * literal cannot be bound.
 */
static void
tcp_ip_version_4_binds_ipv4_only(void **state)
{
	WS_LISTENER *l = tcp_listener_with_ip_version(WS_IP_VERSION_4);
	WSL_LISTENER_INFO info;

	(void)state;
	open_fails(l, "net.tcp://[::1]:0/", WS_E_ADDRESS_NOT_AVAILABLE);
	open_ok(l, "net.tcp://+:0/");
	info = info_of(l);
	assert_int_equal(info.family, AF_INET);
	assert_string_equal(info.address, "0.0.0.0");
	assert_true(info.port > 0);
	accept_round_trip(l, connect_ip(AF_INET, "127.0.0.1", info.port));
	if (ipv6_loopback_works())
		assert_int_equal(connect_ip(AF_INET6, "::1", info.port),
		    -ECONNREFUSED);
	listener_finish(l);
}

/*
 * 4b. IP_VERSION 6: the wildcard is :: with V6ONLY, so 127.0.0.1 on the
 * same port is refused; an IPv4 literal cannot be bound.
 */
static void
tcp_ip_version_6_binds_ipv6_only(void **state)
{
	WS_LISTENER *l;
	WSL_LISTENER_INFO info;
	int c4;

	(void)state;
	if (!ipv6_loopback_works())
		skip();
	l = tcp_listener_with_ip_version(WS_IP_VERSION_6);
	open_fails(l, "net.tcp://127.0.0.1:0/", WS_E_ADDRESS_NOT_AVAILABLE);
	open_ok(l, "net.tcp://+:0/");
	info = info_of(l);
	assert_int_equal(info.family, AF_INET6);
	assert_string_equal(info.address, "::");
	assert_true(info.port > 0);
	/* Not reachable over IPv4: refused, unless another process listens
	 * on that IPv4 port (a machine with thousands of listeners); then
	 * the connection must not have reached this listener's queue. */
	if ((c4 = connect_ip(AF_INET, "127.0.0.1", info.port)) >= 0) {
		close(c4);
		assert_int_equal(info_of(l).queueDepth, 0);
	} else
		assert_int_equal(c4, -ECONNREFUSED);
	accept_round_trip(l, connect_ip(AF_INET6, "::1", info.port));
	listener_finish(l);
}

/* 5. http: a REPLY listener on TCP, accepting like net.tcp. */
static void
http_listener_is_reply_and_accepts(void **state)
{
	WS_LISTENER *l = listener_new(WS_HTTP_CHANNEL_BINDING);
	WS_CHANNEL_TYPE type = 0;
	WS_CHANNEL_BINDING binding = (WS_CHANNEL_BINDING)-1;
	WSL_LISTENER_INFO info;
	WS_CHANNEL *ch;
	struct done d;
	int c, fd;

	(void)state;
	assert_int_equal(WsGetListenerProperty(l,
	    WS_LISTENER_PROPERTY_CHANNEL_TYPE, &type, sizeof(type), NULL),
	    S_OK);
	assert_int_equal(type, WS_CHANNEL_TYPE_REPLY);
	assert_int_equal(WsGetListenerProperty(l,
	    WS_LISTENER_PROPERTY_CHANNEL_BINDING, &binding, sizeof(binding),
	    NULL), S_OK);
	assert_int_equal(binding, WS_HTTP_CHANNEL_BINDING);
	open_ok(l, "http://127.0.0.1:0/");
	info = info_of(l);
	assert_int_equal(info.binding, WS_HTTP_CHANNEL_BINDING);
	assert_int_equal(info.family, AF_INET);
	assert_string_equal(info.address, "127.0.0.1");
	assert_true(info.port > 0);

	ch = start_accept(l, &d);
	type = 0;
	assert_int_equal(WsGetChannelProperty(ch,
	    WS_CHANNEL_PROPERTY_CHANNEL_TYPE, &type, sizeof(type), NULL), S_OK);
	assert_int_equal(type, WS_CHANNEL_TYPE_REPLY);
	assert_true((c = connect_to(l)) >= 0);
	fd = expect_accepted(ch, &d, 1);
	round_trip(c, fd);
	expect_peer_is(ch, c);
	close_and_free_channel(ch, &d);
	expect_eof(c);
	close(c);
	listener_finish(l);
}

/* A UDP client socket on 127.0.0.1, not connected. */
static int
udp_client(void)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return (fd);
}

static void
udp_send(int fd, int port, const char *msg)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd, msg, strlen(msg), 0,
	    (struct sockaddr *)&sin, sizeof(sin)), (ssize_t)strlen(msg));
}

/* The next packet on a channel is exactly msg (MSG_TRUNC: its real size). */
static void
expect_packet(int fd, const char *msg)
{
	char buf[256];
	ssize_t n;

	wait_readable(fd);
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	assert_int_equal(n, (ssize_t)strlen(msg));
	assert_memory_equal(buf, msg, strlen(msg));
}

static void
expect_no_packet(int fd)
{
	char b;

	assert_int_equal(recv(fd, &b, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

/*
 * The relay notices a closed channel when the loop's end of the pair turns
 * readable.  A task posted to the loop can run before that socket event
 * (the loop's wake-up has the higher priority), so one loop_sync does not
 * order against it: look again after each pass, within WAIT_MS.
 */
static void
wait_udp_channels(WS_LISTENER *l, ULONG n)
{
	struct timespec start, now;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &start), 0);
	for (;;) {
		loop_sync(l);
		if (info_of(l).channels == n)
			return;
		assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &now), 0);
		assert_true((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000 < WAIT_MS);
	}
}

/*
 * 6a. soap.udp: the first datagram from a new peer completes a pending
 * accept with a SOCK_SEQPACKET channel; datagrams and packets map one to
 * one in both directions, replies leave from the listener's port; later
 * datagrams from that peer need no accept; a new peer with no accept
 * pending is dropped and counted; closing the channel ends the relay.
 */
static void
udp_channel_relays_datagrams_per_peer(void **state)
{
	WS_LISTENER *l = listener_new(WS_UDP_CHANNEL_BINDING);
	WSL_LISTENER_INFO info;
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from), optlen;
	WS_CHANNEL *ch;
	struct done d;
	char buf[64];
	int c1, c2, fd, port, type = -1;

	(void)state;
	open_ok(l, "soap.udp://127.0.0.1:0/");
	info = info_of(l);
	assert_int_equal(info.binding, WS_UDP_CHANNEL_BINDING);
	assert_int_equal(info.family, AF_INET);
	assert_string_equal(info.address, "127.0.0.1");
	assert_true(info.port > 0);
	assert_int_equal(info.channels, 0);
	port = info.port;

	ch = start_accept(l, &d);
	c1 = udp_client();
	udp_send(c1, port, "first datagram");
	fd = expect_accepted(ch, &d, 1);
	optlen = sizeof(type);
	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &optlen),
	    0);
	assert_int_equal(type, SOCK_SEQPACKET);
	expect_peer_is(ch, c1);
	expect_packet(fd, "first datagram");
	expect_no_packet(fd);
	info = info_of(l);
	assert_int_equal(info.channels, 1);
	assert_int_equal(info.pendingAccepts, 0);
	assert_int_equal(info.counters.accepted, 1);
	assert_int_equal(info.counters.completed, 1);

	/* A packet written to the channel is one datagram from the port. */
	send_all(fd, "reply");
	wait_readable(c1);
	memset(&from, 0, sizeof(from));
	assert_int_equal(recvfrom(c1, buf, sizeof(buf), MSG_DONTWAIT,
	    (struct sockaddr *)&from, &fromlen), 5);
	assert_memory_equal(buf, "reply", 5);
	assert_int_equal(fromlen, sizeof(from));
	assert_int_equal(from.sin_family, AF_INET);
	assert_int_equal(ntohs(from.sin_port), port);
	assert_int_equal(ntohl(from.sin_addr.s_addr), INADDR_LOOPBACK);

	/* The same peer again: the same channel, packet by packet. */
	udp_send(c1, port, "second");
	udp_send(c1, port, "third, longer");
	expect_packet(fd, "second");
	expect_packet(fd, "third, longer");
	assert_int_equal(d.count, 1);

	/*
	 * A new peer, no accept pending: turned away (refused).  The relay
	 * reads the socket in order, so once the marker sent after it has
	 * arrived, the refusal has been counted.
	 */
	c2 = udp_client();
	udp_send(c2, port, "dropped");
	udp_send(c1, port, "marker");
	expect_packet(fd, "marker");
	expect_no_packet(fd);
	loop_sync(l);
	info = info_of(l);
	assert_int_equal(info.counters.refused, 1);
	assert_int_equal(info.counters.datagramsDropped, 0);
	assert_int_equal(info.counters.accepted, 1);
	assert_int_equal(info.channels, 1);
	assert_int_equal(info.pendingAccepts, 0);

	/* The owner closes the channel: the relay ends. */
	assert_int_equal(WsCloseChannel(ch, NULL, NULL), S_OK);
	wait_udp_channels(l, 0);
	assert_int_equal(WsFreeChannel(ch), S_OK);
	done_destroy(&d);
	close(c1);
	close(c2);
	listener_finish(l);
}

/* 6b. WsAbortListener ends every UDP channel: its descriptor reads EOF. */
static void
udp_abort_ends_channels(void **state)
{
	WS_LISTENER *l = listener_new(WS_UDP_CHANNEL_BINDING);
	WSL_LISTENER_INFO info;
	WS_CHANNEL *ch[2];
	struct done d[2];
	int c[2], fd[2], i, port;

	(void)state;
	open_ok(l, "soap.udp://127.0.0.1:0/");
	port = port_of(l);
	for (i = 0; i < 2; i++) {
		ch[i] = start_accept(l, &d[i]);
		c[i] = udp_client();
		udp_send(c[i], port, i == 0 ? "hello 0" : "hello 1");
		fd[i] = expect_accepted(ch[i], &d[i], 1);
		expect_packet(fd[i], i == 0 ? "hello 0" : "hello 1");
		expect_peer_is(ch[i], c[i]);
	}
	assert_int_equal(info_of(l).channels, 2);
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_FAULTED);
	loop_sync(l);
	for (i = 0; i < 2; i++)
		assert_int_equal(recv(fd[i], &(char){ 0 }, 1, MSG_DONTWAIT), 0);
	info = info_of(l);
	assert_int_equal(info.channels, 0);
	assert_int_equal(info.port, -1);
	for (i = 0; i < 2; i++) {
		close_and_free_channel(ch[i], &d[i]);
		close(c[i]);
	}
	listener_finish(l);
}

/*
 * 6c. An empty packet written to a channel is an empty datagram (UDP has
 * them), not the owner closing the channel: the relay goes on, and the
 * packet after it arrives too.
 */
static void
udp_empty_packet_is_an_empty_datagram(void **state)
{
	WS_LISTENER *l = listener_new(WS_UDP_CHANNEL_BINDING);
	struct pollfd p[2];
	WS_CHANNEL *ch;
	struct done d;
	char buf[16];
	ssize_t first = -2, second = -2;
	bool ended;
	int c, fd, r;

	(void)state;
	open_ok(l, "soap.udp://127.0.0.1:0/");
	ch = start_accept(l, &d);
	c = udp_client();
	udp_send(c, port_of(l), "hello");
	fd = expect_accepted(ch, &d, 1);
	expect_packet(fd, "hello");
	assert_int_equal(send(fd, "", 0, MSG_NOSIGNAL), 0);
	send_all(fd, "after");

	/* Either the client gets a datagram or the channel ends (EOF). */
	p[0] = (struct pollfd){ c, POLLIN, 0 };
	p[1] = (struct pollfd){ fd, POLLIN, 0 };
	do
		r = poll(p, 2, WAIT_MS);
	while (r < 0 && errno == EINTR);
	assert_true(r >= 1);
	ended = p[1].revents != 0;
	if (p[0].revents != 0) {
		first = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
		wait_readable(c);
		second = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
	}
	/* Clean up first, so that a failure leaks nothing. */
	assert_int_equal(WsCloseChannel(ch, NULL, NULL), S_OK);
	assert_int_equal(WsFreeChannel(ch), S_OK);
	done_destroy(&d);
	close(c);
	listener_finish(l);
	assert_false(ended);
	assert_int_equal(first, 0);
	assert_int_equal(second, 5);
	assert_memory_equal(buf, "after", 5);
}

/*
 * net.pipe tests run in a fresh directory, the harness's pipe directory
 * meanwhile.  A test checks that it left the directory empty; the teardown
 * removes it with whatever a failed test left behind.
 */
struct pipe_fixture {
	char dir[32];
};

static int
pipe_setup(void **state)
{
	struct pipe_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return (-1);
	snprintf(f->dir, sizeof(f->dir), "/tmp/wsl-bindings-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return (-1);
	}
	set_pipe_dir(f->dir);
	*state = f;
	return (0);
}

static int
remove_entry(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return (0);
}

static int
pipe_teardown(void **state)
{
	struct pipe_fixture *f = *state;

	(void)nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	set_pipe_dir("/tmp");
	free(f);
	return (0);
}

#define PIPE_TEST(f) cmocka_unit_test_setup_teardown(f, pipe_setup, \
	pipe_teardown)

static void
expect_empty_dir(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	assert_int_equal(n, 0);
}

/* A Unix stream socket bound at path (not unlinked), listening or not. */
static int
unix_bound(const char *path, bool listening)
{
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	strcpy(sun.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	if (listening)
		assert_int_equal(listen(fd, 4), 0);
	return (fd);
}

/* A Unix stream client connected to path, or -errno.  flags: of socket(). */
static int
unix_connect(const char *path, int flags)
{
	struct sockaddr_un sun;
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		close(fd);
		return (-e);
	}
	return (fd);
}

static void
expect_socket_file(const char *path, mode_t mode)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, mode);
}

static void
expect_no_file(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/*
 * 7a. net.pipe: a socket file dir/NAME, mode 0666, reported as the path;
 * a Unix stream client round-trips; close removes the file.
 */
static void
pipe_socket_file_round_trip_and_removal(void **state)
{
	struct pipe_fixture *f = *state;
	char path[128];
	WSL_LISTENER_INFO info;
	WS_LISTENER *l;

	snprintf(path, sizeof(path), "%s/%s", f->dir, PIPE_NAME);
	l = listener_new(WS_NAMEDPIPE_CHANNEL_BINDING);
	open_ok(l, "net.pipe://localhost/" PIPE_NAME);
	expect_socket_file(path, 0666);
	info = info_of(l);
	assert_int_equal(info.binding, WS_NAMEDPIPE_CHANNEL_BINDING);
	assert_int_equal(info.family, AF_UNIX);
	assert_string_equal(info.path, path);
	assert_int_equal(info.port, -1);
	accept_round_trip(l, connect_to(l));
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	expect_no_file(path);
	assert_string_equal(info_of(l).path, "");
	assert_int_equal(WsFreeListener(l), S_OK);
	expect_empty_dir(f->dir);
}

/* 7b. A socket file nobody listens on (stale) is replaced at open. */
static void
pipe_stale_socket_is_replaced(void **state)
{
	struct pipe_fixture *f = *state;
	char path[128];
	WS_LISTENER *l;

	snprintf(path, sizeof(path), "%s/%s", f->dir, PIPE_NAME);
	close(unix_bound(path, false)); /* the file stays */
	assert_int_equal(fchmodat(AT_FDCWD, path, 0600, 0), 0);
	expect_socket_file(path, 0600);
	assert_int_equal(unix_connect(path, 0), -ECONNREFUSED);
	l = listener_new(WS_NAMEDPIPE_CHANNEL_BINDING);
	open_ok(l, "net.pipe://localhost/" PIPE_NAME);
	expect_socket_file(path, 0666); /* a new file, made by the open */
	accept_round_trip(l, connect_to(l));
	listener_finish(l);
	expect_no_file(path);
	expect_empty_dir(f->dir);
}

/*
 * 7c. A socket file another process listens on is left alone: the open
 * fails with WS_E_ADDRESS_IN_USE (errno EADDRINUSE), the listener stays
 * CREATED, and the other socket still answers.
 */
static void
pipe_live_socket_is_in_use(void **state)
{
	struct pipe_fixture *f = *state;
	char path[128];
	WS_STRING url = url_of("net.pipe://localhost/" PIPE_NAME);
	struct stat before, after;
	WS_LISTENER *l;
	WS_ERROR *err;
	ULONG code = 0;
	int other, c, a, n = 0;

	snprintf(path, sizeof(path), "%s/%s", f->dir, PIPE_NAME);
	other = unix_bound(path, true);
	assert_int_equal(lstat(path, &before), 0);
	l = listener_new(WS_NAMEDPIPE_CHANNEL_BINDING);
	assert_int_equal(WsCreateError(NULL, 0, &err), S_OK);
	assert_int_equal(WsOpenListener(l, &url, NULL, err),
	    WS_E_ADDRESS_IN_USE);
	assert_int_equal(WsGetErrorProperty(err,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &code, sizeof(code)), S_OK);
	assert_int_equal(code, EADDRINUSE);
	WsFreeError(err);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	assert_int_equal(info_of(l).lastError, WS_E_ADDRESS_IN_USE);
	assert_string_equal(info_of(l).path, "");

	/* Still the other socket's file, and it still answers. */
	assert_int_equal(lstat(path, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_dev, before.st_dev);
	assert_true((c = unix_connect(path, 0)) >= 0);
	assert_int_equal(fcntl(other, F_SETFL, O_NONBLOCK), 0);
	while ((a = accept4(other, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		close(a);
		n++;
	}
	assert_int_equal(errno, EAGAIN);
	assert_true(n >= 1); /* this client (and any probe of the open) */
	close(c);
	assert_int_equal(WsFreeListener(l), S_OK);
	close(other);
	assert_int_equal(unlink(path), 0);
	expect_empty_dir(f->dir);
}

/* Wait for the count-th completion, at most ms; false if it did not come. */
static bool
done_wait_for(struct done *d, int count, int ms)
{
	struct timespec ts;
	bool ok;
	int r = 0;

	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&d->mu);
	while (d->count < count && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&d->cv, &d->mu, &ts);
	ok = d->count >= count;
	pthread_mutex_unlock(&d->mu);
	return (ok);
}

/*
 * 7d. A socket file whose listener has a full backlog is in use as well,
 * and finding that out must not block the listener's loop: the open
 * completes with WS_E_ADDRESS_IN_USE without waiting for the other
 * process to accept.
 */
static void
pipe_busy_socket_does_not_block_the_open(void **state)
{
	struct pipe_fixture *f = *state;
	char path[128];
	WS_STRING url = url_of("net.pipe://localhost/" PIPE_NAME);
	WS_ASYNC_CONTEXT ctx;
	WS_LISTENER *l;
	struct done d;
	int other, queued[8], nq = 0, i, c, a;
	bool in_time;

	snprintf(path, sizeof(path), "%s/%s", f->dir, PIPE_NAME);
	other = unix_bound(path, false);
	assert_int_equal(listen(other, 0), 0);
	/* Fill its backlog: a further connect would have to wait. */
	while ((c = unix_connect(path, SOCK_NONBLOCK)) >= 0) {
		assert_true(nq < 8);
		queued[nq++] = c;
	}
	assert_int_equal(c, -EAGAIN);
	assert_true(nq >= 1);

	l = listener_new(WS_NAMEDPIPE_CHANNEL_BINDING);
	done_init(&d, l);
	ctx = done_ctx(&d);
	assert_int_equal(WsOpenListener(l, &url, &ctx, NULL), WS_S_ASYNC);
	in_time = done_wait_for(&d, 1, WAIT_MS);
	/* Accept them all, so that a loop stuck in connect() goes on. */
	assert_int_equal(fcntl(other, F_SETFL, O_NONBLOCK), 0);
	while ((a = accept4(other, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		close(a);
	assert_int_equal(done_wait(&d, 1), WS_E_ADDRESS_IN_USE);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	assert_int_equal(WsFreeListener(l), S_OK);
	done_destroy(&d);
	for (i = 0; i < nq; i++)
		close(queued[i]);
	close(other);
	assert_int_equal(unlink(path), 0);
	expect_empty_dir(f->dir);
	assert_true(in_time); /* WAIT_MS passed: the loop was blocked */
}

/* 7e. A regular file at the path: WS_E_ADDRESS_IN_USE, file untouched. */
static void
pipe_regular_file_is_in_use(void **state)
{
	struct pipe_fixture *f = *state;
	char path[128];
	struct stat st;
	WS_LISTENER *l;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir, PIPE_NAME);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep", 4), 4);
	close(fd);
	l = listener_new(WS_NAMEDPIPE_CHANNEL_BINDING);
	open_fails(l, "net.pipe://localhost/" PIPE_NAME, WS_E_ADDRESS_IN_USE);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 4);
	assert_int_equal(WsFreeListener(l), S_OK);
	assert_int_equal(unlink(path), 0);
	expect_empty_dir(f->dir);
}

/* 7f. A pipe directory that does not exist: WS_E_ADDRESS_NOT_AVAILABLE. */
static void
pipe_missing_directory_is_not_available(void **state)
{
	struct pipe_fixture *f = *state;
	char missing[64];
	WS_LISTENER *l;

	snprintf(missing, sizeof(missing), "%s/missing", f->dir);
	set_pipe_dir(missing);
	l = listener_new(WS_NAMEDPIPE_CHANNEL_BINDING);
	open_fails(l, "net.pipe://localhost/" PIPE_NAME,
	    WS_E_ADDRESS_NOT_AVAILABLE);
	expect_no_file(missing);
	assert_int_equal(WsFreeListener(l), S_OK);
	expect_empty_dir(f->dir);
}

/*
 * 7g. dir/NAME must fit sun_path with its NUL: 107 bytes open, 108 bytes
 * are WS_E_INVALID_ENDPOINT_URL (errno ENAMETOOLONG), in a directory that
 * exists.
 */
static void
pipe_path_longer_than_sun_path_is_invalid(void **state)
{
	struct pipe_fixture *f = *state;
	char longdir[108], name[32], url[64], path[160];
	struct sockaddr_un sun;
	WS_STRING u;
	WS_LISTENER *l;
	WS_ERROR *err;
	ULONG code = 0;
	size_t n;

	/* A 90-byte directory. */
	n = strlen(f->dir);
	memcpy(longdir, f->dir, n);
	longdir[n] = '/';
	memset(longdir + n + 1, 'd', 90 - n - 1);
	longdir[90] = '\0';
	assert_int_equal(mkdir(longdir, 0700), 0);
	set_pipe_dir(longdir);

	/* 90 + 1 + 16 = 107 bytes: the longest path that fits. */
	memset(name, 'n', 16);
	name[16] = '\0';
	snprintf(url, sizeof(url), "net.pipe://localhost/%s", name);
	snprintf(path, sizeof(path), "%s/%s", longdir, name);
	assert_int_equal(strlen(path), sizeof(sun.sun_path) - 1);
	l = listener_new(WS_NAMEDPIPE_CHANNEL_BINDING);
	open_ok(l, url);
	expect_socket_file(path, 0666);
	assert_string_equal(info_of(l).path, path);
	accept_round_trip(l, connect_to(l));
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	expect_no_file(path);
	assert_int_equal(WsResetListener(l, NULL), S_OK);

	/* One byte more. */
	memset(name, 'n', 17);
	name[17] = '\0';
	snprintf(url, sizeof(url), "net.pipe://localhost/%s", name);
	snprintf(path, sizeof(path), "%s/%s", longdir, name);
	assert_int_equal(strlen(path), sizeof(sun.sun_path));
	u = url_of(url);
	assert_int_equal(WsCreateError(NULL, 0, &err), S_OK);
	assert_int_equal(WsOpenListener(l, &u, NULL, err),
	    WS_E_INVALID_ENDPOINT_URL);
	assert_int_equal(WsGetErrorProperty(err,
	    WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE, &code, sizeof(code)), S_OK);
	assert_int_equal(code, ENAMETOOLONG);
	WsFreeError(err);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	assert_int_equal(info_of(l).lastError, WS_E_INVALID_ENDPOINT_URL);
	assert_int_equal(WsFreeListener(l), S_OK);
	assert_int_equal(rmdir(longdir), 0); /* nothing was made in it */
	expect_empty_dir(f->dir);
}

/*
 * 8. A URL whose scheme is another binding's is WS_E_INVALID_ENDPOINT_URL,
 * a malformed one WS_E_INVALID_FORMAT; either way the listener stays
 * CREATED and opens afterwards with a good URL.
 */
static void
url_of_another_binding_or_malformed_fails(void **state)
{
	static const char *const other[] = { "http://127.0.0.1:0/",
		"soap.udp://127.0.0.1:0/", "net.pipe://localhost/x.sock" };
	static const char *const malformed[] = { "net.tcp:/127.0.0.1:0/",
		"net.tcp://127.0.0.1:port/", "net.tcp://127.0.0.1:0/?q=1",
		"net.tcp://127.0.0.1:70000/", "net.tcp://[::1/",
		"net.tcp:///" };
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING), *u;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		open_fails(l, other[i], WS_E_INVALID_ENDPOINT_URL);
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++)
		open_fails(l, malformed[i], WS_E_INVALID_FORMAT);
	open_ok(l, "net.tcp://127.0.0.1:0/");
	listener_finish(l);

	u = listener_new(WS_UDP_CHANNEL_BINDING);
	open_fails(u, "net.tcp://127.0.0.1:0/", WS_E_INVALID_ENDPOINT_URL);
	open_fails(u, "http://127.0.0.1:0/", WS_E_INVALID_ENDPOINT_URL);
	open_ok(u, "soap.udp://127.0.0.1:0/");
	listener_finish(u);
}

/*
 * 9a. After close and reset the listener binds its old port again, even
 * with the server's side of an earlier connection in TIME_WAIT on it
 * (SO_REUSEADDR).
 */
static void
tcp_reopen_binds_the_same_port(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	char url[64];
	int port;

	(void)state;
	open_ok(l, "net.tcp://127.0.0.1:0/");
	port = port_of(l);
	assert_true(port > 0);
	/* The server closes first: its end waits in TIME_WAIT. */
	accept_round_trip(l, connect_to(l));

	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	assert_int_equal(WsResetListener(l, NULL), S_OK);
	snprintf(url, sizeof(url), "net.tcp://127.0.0.1:%d/", port);
	open_ok(l, url);
	assert_int_equal(port_of(l), port);
	accept_round_trip(l, connect_ip(AF_INET, "127.0.0.1", port));
	listener_finish(l);
}

/* 9b. A port another listener holds: WS_E_ADDRESS_IN_USE (TCP and UDP). */
static void
second_listener_on_a_port_in_use_fails(void **state)
{
	static const struct {
		WS_CHANNEL_BINDING binding;
		const char *scheme;
	} cases[] = {
		{ WS_TCP_CHANNEL_BINDING, "net.tcp" },
		{ WS_UDP_CHANNEL_BINDING, "soap.udp" },
	};
	WS_LISTENER *first, *second;
	char url[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		first = listener_new(cases[i].binding);
		snprintf(url, sizeof(url), "%s://127.0.0.1:0/",
		    cases[i].scheme);
		open_ok(first, url);
		snprintf(url, sizeof(url), "%s://127.0.0.1:%d/",
		    cases[i].scheme, port_of(first));
		second = listener_new(cases[i].binding);
		open_fails(second, url, WS_E_ADDRESS_IN_USE);
		assert_int_equal(WsFreeListener(second), S_OK);
		assert_int_equal(state_of(first), WS_LISTENER_STATE_OPEN);
		if (cases[i].binding == WS_TCP_CHANNEL_BINDING) {
			/* The first one is unharmed. */
			accept_round_trip(first, connect_to(first));
		}
		listener_finish(first);
	}
}

/*
 * 10. Sixteen pending accepts, sixteen clients: sixteen distinct OPEN
 * channels, each completed exactly once on the loop, each connected to
 * exactly one of the clients.
 */
static void
many_accepts_give_distinct_channels(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WS_CHANNEL *ch[NCHANNELS];
	struct done d[NCHANNELS];
	struct sockaddr_storage peer, mine;
	socklen_t plen, mlen;
	WSL_LISTENER_INFO info;
	bool used[NCHANNELS] = { false };
	int c[NCHANNELS], fd[NCHANNELS], i, j, match;
	char b;

	(void)state;
	open_ok(l, "net.tcp://127.0.0.1:0/");
	for (i = 0; i < NCHANNELS; i++)
		ch[i] = start_accept(l, &d[i]);
	assert_int_equal(info_of(l).pendingAccepts, NCHANNELS);
	for (i = 0; i < NCHANNELS; i++)
		assert_true((c[i] = connect_to(l)) >= 0);
	for (i = 0; i < NCHANNELS; i++)
		fd[i] = expect_accepted(ch[i], &d[i], 1);
	loop_sync(l);
	for (i = 0; i < NCHANNELS; i++) {
		assert_int_equal(d[i].count, 1);
		for (j = 0; j < i; j++) {
			assert_true(ch[i] != ch[j]);
			assert_true(fd[i] != fd[j]);
		}
	}
	/* Each channel's peer is one client, and no client is shared. */
	for (i = 0; i < NCHANNELS; i++) {
		assert_int_equal(WslGetChannelPeer(ch[i], &peer, &plen), S_OK);
		match = -1;
		for (j = 0; j < NCHANNELS; j++) {
			mlen = sizeof(mine);
			assert_int_equal(getsockname(c[j],
			    (struct sockaddr *)&mine, &mlen), 0);
			if (((struct sockaddr_in *)&peer)->sin_port ==
			    ((struct sockaddr_in *)&mine)->sin_port) {
				assert_int_equal(match, -1);
				match = j;
			}
		}
		assert_true(match >= 0);
		assert_false(used[match]);
		used[match] = true;
		b = (char)('A' + match);
		assert_int_equal(send(c[match], &b, 1, MSG_NOSIGNAL), 1);
		read_exact(fd[i], &b, 1);
		assert_int_equal(b, 'A' + match);
	}
	info = info_of(l);
	assert_int_equal(info.pendingAccepts, 0);
	assert_int_equal(info.counters.accepted, NCHANNELS);
	assert_int_equal(info.counters.completed, NCHANNELS);
	for (i = 0; i < NCHANNELS; i++) {
		close_and_free_channel(ch[i], &d[i]);
		close(c[i]);
	}
	listener_finish(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tcp_ipv4_round_trip_peer_detach_and_close),
		cmocka_unit_test(tcp_ipv6_loopback_round_trip),
		cmocka_unit_test(tcp_wildcard_auto_is_dual_stack),
		cmocka_unit_test(tcp_ip_version_4_binds_ipv4_only),
		cmocka_unit_test(tcp_ip_version_6_binds_ipv6_only),
		cmocka_unit_test(http_listener_is_reply_and_accepts),
		cmocka_unit_test(udp_channel_relays_datagrams_per_peer),
		cmocka_unit_test(udp_abort_ends_channels),
		cmocka_unit_test(udp_empty_packet_is_an_empty_datagram),
		PIPE_TEST(pipe_socket_file_round_trip_and_removal),
		PIPE_TEST(pipe_stale_socket_is_replaced),
		PIPE_TEST(pipe_live_socket_is_in_use),
		PIPE_TEST(pipe_busy_socket_does_not_block_the_open),
		PIPE_TEST(pipe_regular_file_is_in_use),
		PIPE_TEST(pipe_missing_directory_is_not_available),
		PIPE_TEST(pipe_path_longer_than_sun_path_is_invalid),
		cmocka_unit_test(url_of_another_binding_or_malformed_fails),
		cmocka_unit_test(tcp_reopen_binds_the_same_port),
		cmocka_unit_test(second_listener_on_a_port_in_use_fails),
		cmocka_unit_test(many_accepts_give_distinct_channels),
	};

	WslInitialize();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
