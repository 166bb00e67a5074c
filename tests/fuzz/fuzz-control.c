/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer harness for the control socket: each input is what several
 * clients send, interleaved, to a real control socket of the daemon (the
 * connection code, its framing and turns, the real command handlers,
 * registry and listener core, on a real control loop).  Bytes 0x01 to
 * 0x04 switch to client 1 to 4 (clients 1 to 3 on the control socket,
 * client 4 on the read-only one); 0x05 half-closes the current client,
 * 0x06 closes it (a client gone, with its request pending) and connects
 * it again; 0x07 lets the loop turn.  Every other byte is sent by the
 * current client, which starts as client 1: a request may be split
 * between clients' turns, and an input without these bytes is a session
 * of one client.  The replies are read and dropped, descriptors closed.
 * At the end every client goes, every listener the input made is closed
 * and freed, and every connection must be gone, so that inputs do not
 * pile up.  fuzz-daemon.c sets the daemon up, without a name service.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd.h"
#include "control.h"
#include "fuzz-daemon.h"
#include "inject.h"
#include "json-memory.h"

#define CLIENTS 4
#define SWITCH_FIRST 0x01   /* 0x01..0x04: the client that sends next */
#define HALF_CLOSE 0x05
#define GONE 0x06
#define TURN 0x07

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char sock_path[2][sizeof(((struct sockaddr_un *)0)->sun_path)];
static int clients[CLIENTS] = { -1, -1, -1, -1 };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_daemon_init();
	inject_enable(false);
	json_memory_init();
	snprintf(sock_path[0], sizeof(sock_path[0]), "%s/control.sock",
	    fuzz_daemon_dir());
	snprintf(sock_path[1], sizeof(sock_path[1]), "%s/ro.sock",
	    fuzz_daemon_dir());
	if (control_listen(control_base, sock_path[0], NULL, false) < 0 ||
	    control_listen(control_base, sock_path[1], NULL, true) < 0)
		abort();
	return (0);
}

static void
turn(void)
{
	(void)event_base_loop(control_base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* Connect client i (accepted at the next turns of the loop). */
static void
client_connect(int i)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock_path[i == CLIENTS - 1],
	    sizeof(sun.sun_path));
	if ((clients[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) <
	    0 || connect(clients[i], (struct sockaddr *)&sun,
	    sizeof(sun)) < 0 || fcntl(clients[i], F_SETFL, O_NONBLOCK) < 0)
		abort();
}

/* Take what the daemon sent, and drop it (descriptors closed). */
static void
drain(void)
{
	int fds[WSL_RECV_FDS_MAX];
	char buf[65536];
	size_t n, k;
	int i;

	for (i = 0; i < CLIENTS; i++)
		while (clients[i] >= 0 && wsl_recv_fds(clients[i], buf,
		    sizeof(buf), fds, WSL_RECV_FDS_MAX, &n) > 0)
			for (k = 0; k < n; k++)
				close(fds[k]);
}

/* A client sends its bytes; the loop turns, so that the daemon reads
 * them before the next client's. */
static void
client_send(int i, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(clients[i], p, len, MSG_NOSIGNAL)) < 0) {
			if (errno != EAGAIN)
				break; /* the daemon closed it */
			turn();
			drain();
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	turn();
	drain();
}

static bool
all_accepted(void *arg)
{
	(void)arg;
	return (control_connections() == CLIENTS);
}

static bool
none_left(void *arg)
{
	(void)arg;
	drain();
	return (control_connections() == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i, start;
	int cur = 0, c;

	for (c = 0; c < CLIENTS; c++)
		client_connect(c);
	fuzz_daemon_run_until(all_accepted, NULL);
	for (i = start = 0; i <= size; i++) {
		if (i < size && (data[i] < SWITCH_FIRST || data[i] > TURN))
			continue;
		if (i > start)
			client_send(cur, data + start, i - start);
		start = i + 1;
		if (i == size)
			break;
		if (data[i] < SWITCH_FIRST + CLIENTS)
			cur = data[i] - SWITCH_FIRST;
		else if (data[i] == HALF_CLOSE)
			shutdown(clients[cur], SHUT_WR);
		else if (data[i] == GONE) {
			close(clients[cur]);
			client_connect(cur);
		}
		turn();
		drain();
	}
	/* Every client goes: what they wait for is cancelled. */
	for (c = 0; c < CLIENTS; c++) {
		close(clients[c]);
		clients[c] = -1;
	}
	fuzz_daemon_clean_up();
	fuzz_daemon_run_until(none_left, NULL);
	return (0);
}
