/* SPDX-License-Identifier: ISC */
/*
 * wsl-load: the load generator of the benchmark suite, light enough not to
 * measure itself: one thread, epoll, non-blocking sockets, a pattern
 * checked with memcmp a block at a time.
 *
 *   wsl-load conn   [-c CONC] [-n CONNS] [-s BYTES] [-1] [-a ADDR] [-T SECS] PORT
 *   wsl-load bulk   [-c CONC] [-n CONNS] [-b BYTES] [-a ADDR] [-T SECS] PORT
 *   wsl-load ping   [-n ROUNDS] [-s BYTES] [-a ADDR] [-T SECS] PORT
 *   wsl-load accept -S SOCKET -L NAME [-k CTLCONNS] [-w WINDOW]
 *                   [-c CONC] [-n CONNS] [-1] [-a ADDR] [-T SECS] PORT
 *
 * conn    short connections, CONC at a time until CONNS have been made:
 *         connect, send BYTES (64), read their echo, close.  With -s 0 it
 *         sends nothing and waits for the server to close (the peer of a
 *         bare accept loop or of a hand-off).
 * bulk    the same with BYTES each way (1 MiB), written and read at once,
 *         each connection ending when all of its echo is back.
 * ping    one kept connection (TCP_NODELAY): ROUNDS times, send BYTES and
 *         wait for their echo; the latency of each round trip, after 100
 *         rounds not counted.
 * accept  CONNS short connections (as with conn -s 0) to a listener of
 *         wsld with the accept handler, and CONNS accept requests on
 *         CTLCONNS control connections to wsld's SOCKET, WINDOW of them in
 *         flight on each (sent before their replies: pipelined); every
 *         channel received is closed at once, so its client sees the end
 *         of file.  Replies are matched by counting lines, so this works
 *         whether the daemon answers a connection's requests one at a time
 *         or as they complete.
 *
 * The client binds each connection to a random 127.x.y.z source address
 * (IP_BIND_ADDRESS_NO_PORT), so that its closed connections in TIME_WAIT
 * never run it out of ports; -1 uses 127.0.0.1 instead.  Every byte read
 * is compared with the pattern that was sent, one memcmp per read.
 *
 * Prints one line of KEY=VALUE pairs: what was done, the wall time, the
 * rate (connections/s, MB/s each way, or latency percentiles) and the
 * CPU the client itself used (client_cpu, seconds; client_cores, over the
 * wall time), so that a client near one core is seen; accept adds how
 * many channels and descriptors came, and the mean size of a reply.  Exits 1 if any
 * connection failed or the deadline (-T, 120 s) passed.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define CHUNK	(256 * 1024)	/* most bytes per read or write */
#define PERIOD	65521		/* the pattern's period: a prime */

enum kind { FREE, CLIENT, CONTROL };

struct slot {
	enum kind	 kind;
	size_t		 sent, got;	/* CLIENT: bytes each way so far */
	unsigned	 events;	/* what epoll watches */
	char		*line;		/* CONTROL: a partial reply line */
	size_t		 have;
	int		 inflight;	/* CONTROL: requests not answered */
};

static struct slot *slots;
static size_t nslots;
static int ep;
static unsigned char *pat;	/* PERIOD + CHUNK bytes */
static unsigned char *rbuf;

/* Options. */
static const char *addr = "127.0.0.1";
static int port, conc = -1, total = -1, fixed_source;
static size_t bytes = (size_t)-1;
static double deadline = 120;
static const char *ctl_path, *ctl_name;
static int ctl_conns = 1, window = 1;

/* Tallies. */
static int started, active, ok, failed, mismatched;
static int requested, answered, accepted, reply_errors, fds_received;
static size_t reply_bytes;
static int first_error = 1;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
}

static void
note(const char *what, int err)
{
	if (!first_error)
		return;
	first_error = 0;
	fprintf(stderr, "wsl-load: %s%s%s\n", what, err ? ": " : "",
	    err ? strerror(err) : "");
}

static int
watch(int fd, int op, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	slots[fd].events = events;
	return (epoll_ctl(ep, op, fd, &ev));
}

static void start_client(void);

static void
client_done(int fd, int success)
{
	close(fd);
	slots[fd].kind = FREE;
	active--;
	if (success)
		ok++;
	else
		failed++;
	while (active < conc && started < total)
		start_client();
}

/* Sends what is left; returns -1 on error, 1 if the socket is full. */
static int
client_send(int fd)
{
	struct slot *s = &slots[fd];
	size_t len;
	ssize_t n;

	while (s->sent < bytes) {
		len = bytes - s->sent < CHUNK ? bytes - s->sent : CHUNK;
		n = send(fd, pat + s->sent % PERIOD, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOTCONN)
				return (1);
			note("send", errno);
			return (-1);
		}
		s->sent += (size_t)n;
	}
	return (0);
}

/* Reads and checks what came back; 1 when done, -1 on error, 0 if not. */
static int
client_recv(int fd)
{
	struct slot *s = &slots[fd];
	ssize_t n;

	for (;;) {
		n = recv(fd, rbuf, CHUNK, 0);
		if (n == 0) {
			if (s->got == bytes)
				return (1);
			note("the server closed before the whole echo", 0);
			return (-1);
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return (0);
			note("recv", errno);
			return (-1);
		}
		if (s->got + (size_t)n > bytes) {
			note("more bytes came back than were sent", 0);
			mismatched++;
			return (-1);
		}
		if (memcmp(rbuf, pat + s->got % PERIOD, (size_t)n) != 0) {
			note("the echo differs from what was sent", 0);
			mismatched++;
			return (-1);
		}
		s->got += (size_t)n;
		/* Done: the echo is complete (with -s 0, wait for the end). */
		if (bytes > 0 && s->got == bytes)
			return (1);
		if ((size_t)n < CHUNK)
			return (0);
	}
}

static void
start_client(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr_in src = { .sin_family = AF_INET };
	uint64_t r;
	int fd, one = 1, full;

	started++;
	active++;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || (size_t)fd >= nslots) {
		note("socket", fd < 0 ? errno : EMFILE);
		if (fd >= 0)
			close(fd);
		active--;
		failed++;
		return;
	}
	slots[fd] = (struct slot){ .kind = CLIENT };
	if (!fixed_source) {
		r = next_random();
		src.sin_addr.s_addr = htonl(0x7f000000U |
		    (uint32_t)(r & 0xffff00) | (uint32_t)(1 + (r >> 32) % 254));
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			note("bind", errno);
			client_done(fd, 0);
			return;
		}
	}
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
	    errno != EINPROGRESS) {
		note("connect", errno);
		client_done(fd, 0);
		return;
	}
	/* On loopback the connection is usually up already: send at once. */
	if ((full = client_send(fd)) < 0) {
		client_done(fd, 0);
		return;
	}
	if (watch(fd, EPOLL_CTL_ADD, EPOLLIN | (full ? EPOLLOUT : 0)) < 0) {
		note("epoll_ctl", errno);
		client_done(fd, 0);
	}
}

static void
client_event(int fd, unsigned events)
{
	int r;

	if (events & EPOLLOUT) {
		if ((r = client_send(fd)) < 0) {
			client_done(fd, 0);
			return;
		}
		if (r == 0 && watch(fd, EPOLL_CTL_MOD, EPOLLIN) < 0) {
			client_done(fd, 0);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if ((r = client_recv(fd)) != 0)
			client_done(fd, r > 0);
	}
}

static int
send_request(int fd)
{
	char req[512];
	int len;

	len = snprintf(req, sizeof(req), "{\"id\":%d,\"command\":\"accept\","
	    "\"arguments\":{\"name\":\"%s\"}}\n", requested + 1, ctl_name);
	/* Small, and the daemon reads them: a full socket is a failure. */
	if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
		note("sending an accept request", errno);
		return (-1);
	}
	requested++;
	slots[fd].inflight++;
	return (0);
}

static int
control_event(int fd)
{
	struct slot *s = &slots[fd];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int) * 8)];
	} cm;
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *c;
	char *nl, *line;
	ssize_t n;
	size_t k;
	int *fds;

	for (;;) {
		if (s->have == 65536) {
			note("a reply longer than 64 KiB", 0);
			return (-1);
		}
		iov.iov_base = s->line + s->have;
		iov.iov_len = 65536 - s->have;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return (0);
			note("recvmsg on the control socket", errno);
			return (-1);
		}
		if (n == 0) {
			note("wsld closed a control connection", 0);
			return (-1);
		}
		for (c = CMSG_FIRSTHDR(&msg); c != NULL;
		    c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			fds = (int *)CMSG_DATA(c);
			for (k = 0; k < (c->cmsg_len - CMSG_LEN(0)) /
			    sizeof(int); k++) {
				close(fds[k]);	/* the client sees its end */
				fds_received++;
			}
		}
		s->have += (size_t)n;
		reply_bytes += (size_t)n;
		line = s->line;
		while ((nl = memchr(line, '\n', s->have - (size_t)(line -
		    s->line))) != NULL) {
			*nl = '\0';
			answered++;
			s->inflight--;
			if (strstr(line, "\"result\":0,") != NULL)
				accepted++;
			else {
				reply_errors++;
				note(line, 0);
			}
			line = nl + 1;
			if (requested < total && send_request(fd) < 0)
				return (-1);
		}
		s->have -= (size_t)(line - s->line);
		memmove(s->line, line, s->have);
	}
}

static int
control_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || (size_t)fd >= nslots ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror(ctl_path);
		exit(1);
	}
	slots[fd] = (struct slot){ .kind = CONTROL };
	if ((slots[fd].line = malloc(65536)) == NULL ||
	    watch(fd, EPOLL_CTL_ADD, EPOLLIN) < 0) {
		perror("wsl-load");
		exit(1);
	}
	return (fd);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static int
ping(double *wall)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = (time_t)deadline };
	size_t got, warm = 100, i;
	double *rtt, t0, start;
	ssize_t n;
	int fd, one = 1;

	if ((rtt = calloc((size_t)total, sizeof(*rtt))) == NULL)
		return (-1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	sin.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		note("connect", errno);
		return (-1);
	}
	start = now();
	for (i = 0; i < warm + (size_t)total; i++) {
		if (now() - start > deadline) {
			note("deadline passed", 0);
			return (-1);
		}
		t0 = now();
		if (send(fd, pat + i % PERIOD, bytes, MSG_NOSIGNAL) !=
		    (ssize_t)bytes) {
			note("send", errno);
			return (-1);
		}
		for (got = 0; got < bytes; got += (size_t)n) {
			n = recv(fd, rbuf + got, bytes - got, 0);
			if (n <= 0) {
				note(n == 0 ? "the server closed" : "recv",
				    n == 0 ? 0 : errno);
				return (-1);
			}
		}
		if (memcmp(rbuf, pat + i % PERIOD, bytes) != 0) {
			note("the echo differs from what was sent", 0);
			mismatched++;
			return (-1);
		}
		if (i >= warm)
			rtt[i - warm] = (now() - t0) * 1e6;
	}
	*wall = now() - start;
	close(fd);
	qsort(rtt, (size_t)total, sizeof(*rtt), cmp_double);
	{
		double sum = 0;

		for (i = 0; i < (size_t)total; i++)
			sum += rtt[i];
		printf("p50_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f ",
		    rtt[(size_t)((total - 1) * 0.50)],
		    rtt[(size_t)((total - 1) * 0.99)], rtt[total - 1],
		    sum / total);
	}
	ok = total;
	free(rtt);
	return (0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: wsl-load conn|bulk|ping|accept [-1] [-a ADDR] "
	    "[-b BYTES] [-c CONC] [-k CTLCONNS] [-L NAME] [-n COUNT] "
	    "[-S SOCKET] [-s BYTES] [-T SECONDS] [-w WINDOW] PORT\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct epoll_event evs[256];
	struct rlimit rl;
	const char *mode;
	double t0, wall = 0, cpu0, left;
	int ch, n, i, fd, k, is_bulk, is_ping, is_accept, timed_out = 0;
	size_t p;

	if (argc < 2)
		usage();
	mode = argv[1];
	is_bulk = strcmp(mode, "bulk") == 0;
	is_ping = strcmp(mode, "ping") == 0;
	is_accept = strcmp(mode, "accept") == 0;
	if (!is_bulk && !is_ping && !is_accept && strcmp(mode, "conn") != 0)
		usage();
	optind = 2;
	while ((ch = getopt(argc, argv, "1a:b:c:k:L:n:S:s:T:w:")) != -1)
		switch (ch) {
		case '1':
			fixed_source = 1;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'b':
		case 's':
			bytes = strtoul(optarg, NULL, 0);
			break;
		case 'c':
			conc = atoi(optarg);
			break;
		case 'k':
			ctl_conns = atoi(optarg);
			break;
		case 'L':
			ctl_name = optarg;
			break;
		case 'n':
			total = atoi(optarg);
			break;
		case 'S':
			ctl_path = optarg;
			break;
		case 'T':
			deadline = atof(optarg);
			break;
		case 'w':
			window = atoi(optarg);
			break;
		default:
			usage();
		}
	if (optind != argc - 1)
		usage();
	port = atoi(argv[optind]);
	if (total < 0)
		total = is_bulk ? 1 : 10000;
	if (conc < 0)
		conc = is_bulk ? 1 : 64;
	if (bytes == (size_t)-1)
		bytes = is_accept ? 0 : is_bulk ? 1024 * 1024 : 64;
	if (is_accept) {
		bytes = 0;
		if (ctl_path == NULL || ctl_name == NULL)
			usage();
	}
	if (conc < 1 || total < 1 || ctl_conns < 1 || window < 1 ||
	    (is_ping && (bytes == 0 || bytes > CHUNK)))
		usage();
	signal(SIGPIPE, SIG_IGN);

	pat = malloc(PERIOD + CHUNK);
	rbuf = malloc(CHUNK);
	if (pat == NULL || rbuf == NULL) {
		perror("wsl-load");
		return (1);
	}
	for (p = 0; p < PERIOD; p++)
		pat[p] = (unsigned char)(next_random() >> 24);
	for (p = PERIOD; p < PERIOD + CHUNK; p++)
		pat[p] = pat[p - PERIOD];

	cpu0 = cpu_seconds();
	printf("mode=%s ", mode);
	if (is_ping) {
		if (ping(&wall) < 0)
			failed = 1;
		goto report;
	}

	getrlimit(RLIMIT_NOFILE, &rl);
	nslots = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 20) ?
	    (1 << 20) : (size_t)rl.rlim_cur;
	if ((slots = calloc(nslots, sizeof(*slots))) == NULL ||
	    (ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		perror("wsl-load");
		return (1);
	}
	t0 = now();
	if (is_accept)
		for (k = 0; k < ctl_conns; k++) {
			fd = control_connect();
			for (i = 0; i < window && requested < total; i++)
				if (send_request(fd) < 0)
					return (1);
		}
	while (active < conc && started < total)
		start_client();
	while (ok + failed < total) {
		left = deadline - (now() - t0);
		if (left <= 0) {
			note("deadline passed", 0);
			timed_out = 1;
			break;
		}
		n = epoll_wait(ep, evs, 256, (int)(left * 1000) + 1);
		if (n < 0 && errno != EINTR) {
			perror("wsl-load: epoll_wait");
			return (1);
		}
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (slots[fd].kind == CLIENT)
				client_event(fd, evs[i].events);
			else if (slots[fd].kind == CONTROL &&
			    control_event(fd) < 0)
				return (1);
		}
	}
	wall = now() - t0;
	printf("conns=%d conc=%d bytes=%zu ", total, conc, bytes);
	if (is_accept)
		printf("ctl_conns=%d window=%d accepted=%d fds=%d "
		    "reply_errors=%d reply_size=%zu ", ctl_conns, window,
		    accepted, fds_received, reply_errors,
		    answered > 0 ? reply_bytes / (size_t)answered : 0);
	printf("rate=%.1f ", ok / wall);
	if (bytes > 0)
		printf("mbps=%.1f ", (double)ok * (double)bytes / wall / 1e6);

report:
	{
		double cpu = cpu_seconds() - cpu0;

		printf("ok=%d failed=%d mismatched=%d%s wall=%.4f "
		    "client_cpu=%.3f client_cores=%.2f\n", ok, failed,
		    mismatched, timed_out ? " timed_out=1" : "", wall, cpu,
		    wall > 0 ? cpu / wall : 0);
	}
	return (failed || timed_out || ok < total ? 1 : 0);
}
