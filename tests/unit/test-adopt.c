/* SPDX-License-Identifier: ISC */
/*
 * Sockets that outlive a process (ws-adopt.c): a listener adopts a socket
 * it is given instead of binding, only if the socket is what its URL
 * names; the state machine works on it as on any socket (an abort refuses
 * connections, a close shuts the shared socket down, and it listens again
 * at the next open); a hand-over close leaves the queued connections to
 * whoever holds the socket next; a saved state can be restored.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* A TCP socket on 127.0.0.1 bound to an explicit port (as systemd binds
 * them: the port survives a shutdown), listening unless told not to. */
static int
tcp_socket(int *port, bool listening)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, probe, on = 1;

	/* An ephemeral port, then bound by number. */
	probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(probe, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(probe, (struct sockaddr *)&sin, &len), 0);
	close(probe);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	if (listening)
		assert_int_equal(listen(fd, 16), 0);
	*port = ntohs(sin.sin_port);
	return (fd);
}

static int
copy(int fd)
{
	int c = fcntl(fd, F_DUPFD_CLOEXEC, 3);

	assert_true(c >= 0);
	return (c);
}

/* A client connected to 127.0.0.1:port, or -errno. */
static int
client(int port)
{
	struct sockaddr_in sin;
	int fd, e;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		e = errno;
		close(fd);
		return (-e);
	}
	return (fd);
}

static HRESULT
open_at(WS_LISTENER *l, const char *url)
{
	WS_STRING u = url_of(url);

	return (WsOpenListener(l, &u, NULL, NULL));
}

static void
open_tcp(WS_LISTENER *l, int port)
{
	char url[64];

	snprintf(url, sizeof(url), "net.tcp://127.0.0.1:%d/", port);
	assert_int_equal(open_at(l, url), S_OK);
}

/* One connection through the listener: accept it, and data goes both
 * ways.  Before the client sends, the channel has nothing to read (and no
 * end of file: a listener shut down twice passes that on). */
static void
accept_one(WS_LISTENER *l, int port)
{
	struct pollfd p;
	WS_CHANNEL *ch = NULL;
	int c = client(port);
	char b = 'x';

	assert_true(c >= 0);
	assert_int_equal(WsCreateChannelForListener(l, NULL, 0, &ch, NULL),
	    S_OK);
	assert_int_equal(WsAcceptChannel(l, ch, NULL, NULL), S_OK);
	assert_int_equal(recv(WslGetChannelFd(ch), &b, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(send(c, &b, 1, MSG_NOSIGNAL), 1);
	p.fd = WslGetChannelFd(ch);
	p.events = POLLIN;
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(recv(WslGetChannelFd(ch), &b, 1, 0), 1);
	assert_int_equal(send(WslGetChannelFd(ch), &b, 1, MSG_NOSIGNAL), 1);
	assert_int_equal(recv(c, &b, 1, 0), 1);
	close(c);
	(void)WsCloseChannel(ch, NULL, NULL);
	WsFreeChannel(ch);
}

static void
adopted_tcp_socket_is_used_instead_of_binding(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	int port, fd = tcp_socket(&port, false);

	(void)state;
	assert_int_equal(WslAdoptListenerSocket(l, fd, NULL), S_OK);
	/* Port 0 in the URL: any port; the socket's is reported. */
	assert_int_equal(open_at(l, "net.tcp://127.0.0.1:0/"), S_OK);
	assert_int_equal(port_of(l), port);
	accept_one(l, port);
	listener_finish(l);
}

static void
adopted_socket_must_be_what_the_url_names(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WSL_LISTENER_INFO info;
	char url[64];
	int port, fd = tcp_socket(&port, true), udp;

	(void)state;
	/* Another port. */
	assert_int_equal(WslAdoptListenerSocket(l, copy(fd), NULL), S_OK);
	snprintf(url, sizeof(url), "net.tcp://127.0.0.1:%d/", port == 65535 ?
	    1 : port + 1);
	assert_int_equal(open_at(l, url), E_INVALIDARG);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_CREATED);
	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	assert_non_null(strstr(info.lastErrorText, "port"));
	/* Another address. */
	assert_int_equal(WslAdoptListenerSocket(l, copy(fd), NULL), S_OK);
	snprintf(url, sizeof(url), "net.tcp://127.0.0.2:%d/", port);
	assert_int_equal(open_at(l, url), E_INVALIDARG);
	/* A datagram socket for a stream URL. */
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(WslAdoptListenerSocket(l, udp, NULL), S_OK);
	assert_int_equal(open_at(l, "net.tcp://127.0.0.1:0/"), E_INVALIDARG);
	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	assert_non_null(strstr(info.lastErrorText, "datagram"));
	/* The wildcard host takes any address of the port. */
	assert_int_equal(WslAdoptListenerSocket(l, copy(fd), NULL), S_OK);
	snprintf(url, sizeof(url), "net.tcp://+:%d/", port);
	assert_int_equal(open_at(l, url), S_OK);
	accept_one(l, port);
	listener_finish(l);
	close(fd);
}

static void
adoption_only_before_an_open(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	int port, fd = tcp_socket(&port, true);

	(void)state;
	assert_int_equal(WslAdoptListenerSocket(NULL, copy(fd), NULL),
	    E_INVALIDARG);
	assert_int_equal(WslAdoptListenerSocket(l, -1, NULL), E_INVALIDARG);
	assert_int_equal(open_at(l, "net.tcp://127.0.0.1:0/"), S_OK);
	assert_int_equal(WslAdoptListenerSocket(l, fd, NULL),
	    WS_E_INVALID_OPERATION);
	close(fd); /* refused: still ours */
	listener_finish(l);
}

/*
 * The test keeps its own copy, as systemd does: abort must still refuse
 * connections, close must stop the socket listening, and the next open
 * must listen on it again.
 */
static void
shared_socket_follows_the_state_machine(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	int port, fd = tcp_socket(&port, true), c;

	(void)state;
	assert_int_equal(WslAdoptListenerSocket(l, copy(fd), NULL), S_OK);
	open_tcp(l, port);
	accept_one(l, port);
	assert_int_equal(WsAbortListener(l, NULL), S_OK);
	assert_int_equal(client(port), -ECONNREFUSED);
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	assert_int_equal(WsResetListener(l, NULL), S_OK);
	assert_int_equal(WslAdoptListenerSocket(l, copy(fd), NULL), S_OK);
	open_tcp(l, port);
	accept_one(l, port);
	/* A queued connection is closed by the close, then refusal. */
	c = client(port);
	assert_true(c >= 0);
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	assert_int_equal(client(port), -ECONNREFUSED);
	close(c);
	listener_finish(l);
	close(fd);
}

static void
hand_over_leaves_the_queue_to_the_next_holder(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	int port, fd = tcp_socket(&port, true), c, s, c2;
	char b = 'y';

	(void)state;
	assert_int_equal(WslAdoptListenerSocket(l, copy(fd), NULL), S_OK);
	open_tcp(l, port);
	c = client(port); /* queued: nobody accepts */
	assert_true(c >= 0);
	assert_int_equal(WslHandOverListener(l), S_OK);
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	/* Still listening, and the queued connection is intact. */
	c2 = client(port);
	assert_true(c2 >= 0);
	s = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(s >= 0);
	assert_int_equal(send(s, &b, 1, MSG_NOSIGNAL), 1);
	assert_int_equal(recv(c, &b, 1, 0), 1);
	close(s);
	close(c);
	close(c2);
	listener_finish(l);
	close(fd);
}

static void
shut_down_unix_socket_is_replaced_by_a_fresh_one(void **state)
{
	char dir[] = "/tmp/wsl-adopt.XXXXXX", path[64];
	struct sockaddr_un sun;
	WSL_LISTENER_INFO info;
	WS_LISTENER *l;
	int fd, c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	set_pipe_dir(dir);
	l = listener_new(WS_NAMEDPIPE_CHANNEL_BINDING);
	snprintf(path, sizeof(path), "%s/old.sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	/* Another path than the URL's. */
	assert_int_equal(WslAdoptListenerSocket(l, copy(fd), NULL), S_OK);
	assert_int_equal(open_at(l, "net.pipe://localhost/new.sock"),
	    E_INVALIDARG);
	/* The URL's path, but dead (an abort shut it down). */
	assert_int_equal(shutdown(fd, SHUT_RD), 0);
	assert_int_equal(WslAdoptListenerSocket(l, copy(fd), NULL), S_OK);
	assert_int_equal(open_at(l, "net.pipe://localhost/old.sock"), S_OK);
	c = connect_to(l);
	assert_true(c >= 0);
	close(c);
	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	assert_string_equal(info.path, path);
	listener_finish(l);
	close(fd);
	(void)unlink(path);
	assert_int_equal(rmdir(dir), 0);
	set_pipe_dir("/tmp");
}

static void
restored_faulted_listener_behaves_as_faulted(void **state)
{
	WS_LISTENER *l = listener_new(WS_TCP_CHANNEL_BINDING);
	WSL_LISTENER_COUNTERS saved;
	WSL_LISTENER_INFO info;
	WS_CHANNEL *ch = NULL;

	(void)state;
	memset(&saved, 0, sizeof(saved));
	saved.accepted = saved.completed = saved.delivered = 7;
	saved.active = 3;
	assert_int_equal(WslRestoreListener(l, WS_LISTENER_STATE_OPEN, NULL,
	    NULL), E_INVALIDARG);
	assert_int_equal(WslRestoreListener(l, WS_LISTENER_STATE_FAULTED,
	    &saved, NULL), S_OK);
	assert_int_equal(state_of(l), WS_LISTENER_STATE_FAULTED);
	assert_int_equal(WsCreateChannelForListener(l, NULL, 0, &ch, NULL),
	    S_OK);
	assert_int_equal(WsAcceptChannel(l, ch, NULL, NULL),
	    WS_E_OBJECT_FAULTED);
	WsFreeChannel(ch);
	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	assert_int_equal(info.counters.accepted, 7);
	assert_int_equal(info.counters.active, 0);
	assert_int_equal(WslInFlight(&info.counters), 0);
	/* Only into a new listener. */
	assert_int_equal(WslRestoreListener(l, WS_LISTENER_STATE_CLOSED, NULL,
	    NULL), WS_E_INVALID_OPERATION);
	/* The way out of FAULTED, as always. */
	assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	assert_int_equal(WsResetListener(l, NULL), S_OK);
	assert_int_equal(open_at(l, "net.tcp://127.0.0.1:0/"), S_OK);
	listener_finish(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adopted_tcp_socket_is_used_instead_of_binding),
		cmocka_unit_test(adopted_socket_must_be_what_the_url_names),
		cmocka_unit_test(adoption_only_before_an_open),
		cmocka_unit_test(shared_socket_follows_the_state_machine),
		cmocka_unit_test(hand_over_leaves_the_queue_to_the_next_holder),
		cmocka_unit_test(shut_down_unix_socket_is_replaced_by_a_fresh_one),
		cmocka_unit_test(restored_faulted_listener_behaves_as_faulted),
	};

	return (cmocka_run_group_tests_name("sockets that outlive a process",
	    tests, NULL, NULL));
}
