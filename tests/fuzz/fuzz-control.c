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
 * pile up.
 *
 * No name service: a fuzzer must not wait on DNS, so host names other than
 * localhost fail as numeric-only lookups (getaddrinfo below).
 */
#define _GNU_SOURCE 1
#include <sys/socket.h>
#include <sys/un.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cmd.h"
#include "control.h"
#include "inject.h"
#include "json-memory.h"
#include "lifecycle.h"
#include "listener.h"
#include "log.h"

#define CLIENTS 4
#define MAX_STEPS 100000
#define SWITCH_FIRST 0x01   /* 0x01..0x04: the client that sends next */
#define HALF_CLOSE 0x05
#define GONE 0x06
#define TURN 0x07

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	static int (*real)(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);
	struct addrinfo h;

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	memset(&h, 0, sizeof(h));
	if (hints != NULL)
		h = *hints;
	if (node == NULL || strcmp(node, "localhost") != 0)
		h.ai_flags |= AI_NUMERICHOST;
	return (real(node, service, &h, res));
}

static char sock_path[2][sizeof(((struct sockaddr_un *)0)->sun_path)];
static int clients[CLIENTS] = { -1, -1, -1, -1 };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char dir[] = "/tmp/wsl-fuzz.XXXXXX";

	(void)argc;
	(void)argv;
	/* Quiet (syslog, nowhere here) unless WSL_FUZZ_LOG is set. */
	log_init(getenv("WSL_FUZZ_LOG") != NULL, 1);
	if (mkdtemp(dir) == NULL)
		abort();
	listener_set_pipe_dir(dir);
	WslInitialize();
	if ((control_base = event_base_new()) == NULL)
		abort();
	if (lifecycle_init(control_base) < 0)
		abort();
	inject_enable(false);
	json_memory_init();
	snprintf(sock_path[0], sizeof(sock_path[0]), "%s/control.sock", dir);
	snprintf(sock_path[1], sizeof(sock_path[1]), "%s/ro.sock", dir);
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

/* Wait for events until cond() holds; it must, soon (a wait that never
 * ends is a hang for libFuzzer to report). */
static void
turn_until(bool (*cond)(void))
{
	size_t step;

	for (step = 0; !cond(); step++) {
		if (step == MAX_STEPS)
			abort(); /* something never finishes: a real bug */
		(void)event_base_loop(control_base, EVLOOP_ONCE);
	}
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
all_accepted(void)
{
	return (control_connections() == CLIENTS);
}

static bool
none_left(void)
{
	drain();
	return (control_connections() == 0);
}

/* Close it (abort it first if opening), or free it once it can be. */
static void
finish_one(struct wsld_listener *l, void *arg)
{
	WSL_ABORT_RESULT r;
	WS_LISTENER_STATE s = listener_state(l);
	bool *busy = arg;

	*busy = true;
	if (s == WS_LISTENER_STATE_OPENING)
		(void)listener_abort(l, &r, actor_peer(0, 1));
	else if (s == WS_LISTENER_STATE_OPEN || s == WS_LISTENER_STATE_FAULTED)
		listener_close(l, NULL, NULL, actor_peer(0, 1));
	else if (lifecycle_freeable(l))
		lifecycle_free_later(l, actor_peer(0, 1));
}

/* Close and free every listener, waiting for what is in progress. */
static void
clean_up(void)
{
	size_t step;
	bool busy;

	for (step = 0;; step++) {
		if (step == MAX_STEPS)
			abort(); /* something never finishes: a real bug */
		busy = false;
		lifecycle_foreach(finish_one, &busy);
		if (!busy)
			break;
		(void)event_base_loop(control_base, EVLOOP_ONCE);
	}
	(void)event_base_loop(control_base, EVLOOP_NONBLOCK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i, start;
	int cur = 0, c;

	for (c = 0; c < CLIENTS; c++)
		client_connect(c);
	turn_until(all_accepted);
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
	clean_up();
	turn_until(none_left);
	return (0);
}
