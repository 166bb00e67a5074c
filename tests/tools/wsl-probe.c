/* SPDX-License-Identifier: ISC */
/*
 * wsl-probe: a raw client for the integration tests, so they can check
 * what a real peer sees, byte for byte.
 *
 *   wsl-probe [-t ms] [-6] [-w FILE] tcp PORT [MESSAGE]  127.0.0.1/[::1]
 *   wsl-probe [-t ms] [-w FILE] [-b PATH] unix PATH [MESSAGE]
 *   wsl-probe [-t ms] [-6] udp PORT MESSAGE      one datagram, one reply
 *   wsl-probe [-t ms] [-c chunk] [-k] [-r ms|-S] [-w FILE] ctl SOCKET
 *                                                requests: stdin
 *   wsl-probe [-t ms] -n BYTES tcp|unix TARGET    send BYTES, check the echo
 *   wsl-probe [-t ms] [-j workers] load PORT COUNT [MESSAGE]
 *   wsl-probe rst PORT COUNT     connect, then reset at once (SO_LINGER 0)
 *
 * Stream modes print "connected" as soon as the connection is up (tests
 * wait for it), wait until FILE exists when -w is given (so a test can act
 * in between), send MESSAGE and half-close, then print how it ended:
 * "eof DATA", "reset DATA", "timeout DATA" (DATA: what was read, with
 * newlines as \n), or just "refused" when the connection was refused.
 * With -n, stream modes send BYTES of a pattern while reading, half-close,
 * and print "sent N received M match|mismatch|timeout|reset".
 * load makes COUNT connections to 127.0.0.1:PORT from -j workers (each
 * sends MESSAGE, or "x", half-closes and reads to the end) and prints the
 * tally: "ok=N refused=N reset=N empty=N timeout=N other=N", where ok
 * means the bytes came back, empty an orderly end with nothing.
 * With -b, unix mode binds its socket at PATH first (@NAME: the abstract
 * NAME), so that the peer sees that address.
 * With -e, -n and load do not half-close: they read until the whole echo
 * is back, then close (for peers that end a connection on a half-close).
 * rst makes COUNT connections that each end with a reset as soon as they
 * are up, and prints "connected=N refused=N".
 * ctl mode sends stdin to the control socket in writes of at most -c bytes
 * (1 byte at a time with -c 1), half-closes unless -k, and prints every
 * reply line prefixed with the number of descriptors that came with it:
 * "fds=1 {...}".  Received descriptors are closed.  With -r, it reads
 * slowly: at most 64 KiB per read, -r ms apart.  With -S it never reads,
 * and prints "dropped" once the daemon closes the connection (or
 * "timeout").  With -w it reads nothing until FILE exists.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wsl-proto.h"

static int timeout_ms = 10000;
static int ipv6;
static long long nbytes = -1;
static bool no_half_close;   /* -e: read the whole echo, then close */
static const char *go_file;
static const char *until_file;   /* load: stop once it exists */
static int read_pause_ms;        /* ctl -r: a slow reader */
static bool stall;               /* ctl -S: a client that never reads */
static const char *bind_path;    /* unix -b: the address it connects from */

/* Until the test says go (the file exists), or the timeout. */
static void
wait_for_go(void)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; go_file != NULL && access(go_file, F_OK) < 0 &&
	    i < timeout_ms / 10; i++)
		nanosleep(&ts, NULL);
}

static void
usage(void)
{
	fprintf(stderr, "usage: wsl-probe [-t ms] [-6] [-w file] tcp|udp PORT "
	    "[MESSAGE]\n"
	    "       wsl-probe [-t ms] [-w file] [-b path] unix PATH "
	    "[MESSAGE]\n"
	    "       wsl-probe [-t ms] [-c chunk] [-k] [-r ms|-S] ctl SOCKET\n"
	    "       wsl-probe [-e] [-j workers] [-u until-file] load PORT COUNT "
	    "[MESSAGE]\n"
	    "       wsl-probe [-6] rst PORT COUNT\n"
	    "       wsl-probe [-t ms] [-w go-file] idle SOCKET N EXPECT-HELD\n"
	    "       wsl-probe port (a free TCP port on 127.0.0.1)\n");
	exit(2);
}

static void
print_escaped(const char *label, const char *buf, size_t n)
{
	size_t i;

	printf("%s%s", label, n > 0 ? " " : "");
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n')
			fputs("\\n", stdout);
		else if (buf[i] == '\\')
			fputs("\\\\", stdout);
		else if ((unsigned char)buf[i] < 0x20)
			printf("\\x%02x", (unsigned char)buf[i]);
		else
			putchar(buf[i]);
	}
	putchar('\n');
}

static socklen_t
inet_target(const char *port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ipv6) {
		struct sockaddr_in6 *sin6 = (void *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)atoi(port));
		inet_pton(AF_INET6, "::1", &sin6->sin6_addr);
		return (sizeof(*sin6));
	}
	struct sockaddr_in *sin = (void *)ss;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(port));
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return (sizeof(*sin));
}

static int bulk(int);

/* Bind fd at bind_path ("@NAME": abstract), or exit. */
static void
bind_from(int fd)
{
	struct sockaddr_un sun;
	socklen_t len;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(bind_path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "wsl-probe: -b: too long\n");
		exit(2);
	}
	memcpy(sun.sun_path, bind_path, strlen(bind_path));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(bind_path));
	if (bind_path[0] == '@')
		sun.sun_path[0] = '\0';
	else
		(void)unlink(bind_path);
	if (bind(fd, (struct sockaddr *)&sun, len) < 0) {
		fprintf(stderr, "wsl-probe: bind: %s\n", strerror(errno));
		exit(2);
	}
}

static int
stream(const char *mode, const char *target, const char *message)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[65536];
	size_t have = 0;
	long long deadline;
	struct pollfd p;
	ssize_t n;
	int fd;

	if (strcmp(mode, "unix") == 0) {
		struct sockaddr_un *sun = (void *)&ss;
		memset(&ss, 0, sizeof(ss));
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", target);
		len = sizeof(*sun);
	} else
		len = inet_target(target, &ss);
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (bind_path != NULL && ss.ss_family == AF_UNIX)
		bind_from(fd);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		printf("%s\n", errno == ECONNREFUSED || errno == ENOENT ?
		    "refused" : strerror(errno));
		return (0);
	}
	printf("connected\n");
	fflush(stdout);
	wait_for_go();
	if (nbytes >= 0)
		return (bulk(fd));
	if (message != NULL) {
		if (send(fd, message, strlen(message), MSG_NOSIGNAL) < 0) {
			print_escaped(errno == ECONNRESET || errno == EPIPE ?
			    "reset" : "error", "", 0);
			return (0);
		}
		shutdown(fd, SHUT_WR);
	}
	deadline = wsl_now_ms() + timeout_ms;
	for (;;) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, (int)(deadline - wsl_now_ms() > 0 ?
		    deadline - wsl_now_ms() : 0)) == 0) {
			print_escaped("timeout", buf, have);
			return (0);
		}
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0) {
			print_escaped(errno == ECONNRESET ? "reset" : "error",
			    buf, have);
			return (0);
		}
		if (n == 0 || have + (size_t)n == sizeof(buf)) {
			have += (size_t)n;
			print_escaped("eof", buf, have);
			return (0);
		}
		have += (size_t)n;
	}
}

/* Byte i of the pattern: every offset is checked, not just the length. */
static char
pattern(long long i)
{
	return ((char)('a' + (i * 7 + i / 253) % 26));
}

/* Send nbytes while reading the echo back; compare. */
static int
bulk(int fd)
{
	char buf[65536];
	long long sent = 0, got = 0, deadline = wsl_now_ms() + timeout_ms, i;
	bool match = true, shut = false;
	struct pollfd p;
	ssize_t n;
	size_t k;

	for (;;) {
		p.fd = fd;
		p.events = POLLIN | (sent < nbytes ? POLLOUT : 0);
		if (sent == nbytes && !shut) {
			if (!no_half_close)
				shutdown(fd, SHUT_WR);
			shut = true;
		}
		if (no_half_close && got == nbytes)
			break;
		if (poll(&p, 1, (int)(deadline - wsl_now_ms() > 0 ?
		    deadline - wsl_now_ms() : 0)) == 0) {
			printf("sent %lld received %lld timeout\n", sent, got);
			return (0);
		}
		if (p.revents & POLLOUT) {
			k = nbytes - sent < (long long)sizeof(buf) ?
			    (size_t)(nbytes - sent) : sizeof(buf);
			for (i = 0; i < (long long)k; i++)
				buf[i] = pattern(sent + i);
			if ((n = send(fd, buf, k, MSG_NOSIGNAL)) < 0) {
				printf("sent %lld received %lld reset\n", sent,
				    got);
				return (0);
			}
			sent += n;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = read(fd, buf, sizeof(buf))) < 0) {
				printf("sent %lld received %lld reset\n", sent,
				    got);
				return (0);
			}
			if (n == 0)
				break;
			for (i = 0; i < n; i++)
				if (buf[i] != pattern(got + i))
					match = false;
			got += n;
		}
	}
	printf("sent %lld received %lld %s\n", sent, got,
	    match && got == sent ? "match" : "mismatch");
	return (0);
}

static int
datagram(const char *port, const char *message)
{
	struct sockaddr_storage ss;
	socklen_t len = inet_target(port, &ss);
	struct pollfd p;
	char buf[65536];
	ssize_t n;
	int fd;

	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 ||
	    send(fd, message, strlen(message), 0) < 0) {
		printf("%s\n", strerror(errno));
		return (0);
	}
	p.fd = fd;
	p.events = POLLIN;
	if (poll(&p, 1, timeout_ms) == 0) {
		printf("timeout\n");
		return (0);
	}
	if ((n = recv(fd, buf, sizeof(buf), 0)) < 0) {
		printf("%s\n", errno == ECONNREFUSED ? "refused" :
		    strerror(errno));
		return (0);
	}
	print_escaped("reply", buf, (size_t)n);
	return (0);
}

struct tally {
	pthread_mutex_t mu;
	int next, count;
	int ok, refused, reset, empty, timeout, other;
	const char *port, *message;
};

/* One worker of load: connect, send, half-close, read to the end. */
static void *
load_worker(void *arg)
{
	struct tally *t = arg;
	struct sockaddr_storage ss;
	socklen_t len = inet_target(t->port, &ss);
	char buf[65536 + 1]; /* a message as large as an argument, and one
	                      * byte more to see an echo too long */
	size_t have;
	ssize_t n;
	int fd, *slot;
	struct pollfd p;

	for (;;) {
		pthread_mutex_lock(&t->mu);
		if (t->next == t->count || (until_file != NULL &&
		    access(until_file, F_OK) == 0)) {
			pthread_mutex_unlock(&t->mu);
			return (NULL);
		}
		t->next++;
		pthread_mutex_unlock(&t->mu);
		slot = &t->other;
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
			slot = errno == ECONNREFUSED ? &t->refused :
			    errno == ECONNRESET ? &t->reset : &t->other;
			goto done;
		}
		if (send(fd, t->message, strlen(t->message), MSG_NOSIGNAL) < 0) {
			slot = errno == ECONNRESET || errno == EPIPE ?
			    &t->reset : &t->other;
			goto done;
		}
		if (!no_half_close)
			shutdown(fd, SHUT_WR);
		for (have = 0;;) {
			if (no_half_close && have == strlen(t->message)) {
				slot = memcmp(buf, t->message, have) == 0 ?
				    &t->ok : &t->other;
				break;
			}
			p.fd = fd;
			p.events = POLLIN;
			if (poll(&p, 1, timeout_ms) == 0) {
				slot = &t->timeout;
				break;
			}
			if ((n = read(fd, buf + have, sizeof(buf) - have)) < 0) {
				slot = errno == ECONNRESET ? &t->reset :
				    &t->other;
				break;
			}
			if (n == 0) {
				slot = have == 0 ? &t->empty :
				    have == strlen(t->message) &&
				    memcmp(buf, t->message, have) == 0 ?
				    &t->ok : &t->other;
				break;
			}
			have += (size_t)n;
			if (have == sizeof(buf))
				break;
		}
done:
		close(fd);
		pthread_mutex_lock(&t->mu);
		(*slot)++;
		pthread_mutex_unlock(&t->mu);
	}
}

static int
load(const char *port, int count, int workers, const char *message)
{
	struct tally t;
	pthread_t th[64];
	int i;

	memset(&t, 0, sizeof(t));
	pthread_mutex_init(&t.mu, NULL);
	t.count = count;
	t.port = port;
	t.message = message;
	if (workers > 64)
		workers = 64;
	for (i = 0; i < workers; i++)
		pthread_create(&th[i], NULL, load_worker, &t);
	for (i = 0; i < workers; i++)
		pthread_join(th[i], NULL);
	printf("ok=%d refused=%d reset=%d empty=%d timeout=%d other=%d\n",
	    t.ok, t.refused, t.reset, t.empty, t.timeout, t.other);
	return (0);
}

/*
 * Hold n idle connections to a Unix socket, as an attacker would.  A
 * daemon that turns some away answers them with a line and closes; once
 * n - expect_held have been turned away (or the timeout), print how many
 * are held and how many were turned away (and why), then hold on until
 * the go file exists and print how many of the held ones were closed
 * meanwhile (there should be none).
 */
static int
idle(const char *path, int n, int expect_held)
{
	struct sockaddr_un sun;
	struct pollfd *p;
	char buf[512], why[512] = "";
	int i, turned = 0, closed = 0, r;
	long long end;
	ssize_t got;

	if ((p = calloc((size_t)n, sizeof(*p))) == NULL)
		return (1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (i = 0; i < n; i++) {
		p[i].fd = socket(AF_UNIX, SOCK_STREAM, 0);
		p[i].events = POLLIN;
		if (p[i].fd < 0 || connect(p[i].fd, (struct sockaddr *)&sun,
		    sizeof(sun)) < 0) {
			printf("connect %d: %s\n", i, strerror(errno));
			return (1);
		}
	}
	end = wsl_now_ms() + timeout_ms;
	while (turned < n - expect_held && wsl_now_ms() < end) {
		if ((r = poll(p, (nfds_t)n, 100)) <= 0)
			continue;
		for (i = 0; i < n; i++)
			if (p[i].fd >= 0 && p[i].revents != 0) {
				got = recv(p[i].fd, buf, sizeof(buf) - 1, 0);
				if (got > 0 && why[0] == '\0') {
					buf[got] = '\0';
					snprintf(why, sizeof(why), "%s", buf);
				}
				close(p[i].fd);
				p[i].fd = -1;
				turned++;
			}
	}
	printf("held=%d turned-away=%d\n%s", n - turned, turned, why);
	fflush(stdout);
	wait_for_go();
	for (i = 0; i < n; i++) {
		if (p[i].fd < 0)
			continue;
		p[i].revents = 0;
		if (poll(&p[i], 1, 0) == 1)
			closed++;
		close(p[i].fd);
	}
	printf("closed-while-held=%d\n", closed);
	free(p);
	return (0);
}

/* Clients that give up at once: the listener sees only resets. */
static int
resets(const char *port, int count)
{
	struct linger lg = { 1, 0 };
	struct sockaddr_storage ss;
	socklen_t len = inet_target(port, &ss);
	int i, fd, connected = 0, refused = 0;

	for (i = 0; i < count; i++) {
		if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) < 0) {
			perror("wsl-probe: socket");
			return (1);
		}
		if (connect(fd, (struct sockaddr *)&ss, len) == 0) {
			connected++;
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		} else
			refused++;
		close(fd);
	}
	printf("connected=%d refused=%d\n", connected, refused);
	return (0);
}

/* Read replies, counting the descriptors attached to each line. */
static int
control(const char *path, size_t chunk, int keep_open)
{
	struct sockaddr_un sun;
	static char in[8 * 1024 * 1024], out[4 * 1024 * 1024];
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int) * 8)];
	} cm;
	struct msghdr msg;
	struct cmsghdr *c;
	struct iovec iov;
	size_t inlen = 0, off, have = 0, k;
	int fd, fds = 0, got, r;
	ssize_t n;
	char *nl;

	while ((n = read(0, in + inlen, sizeof(in) - inlen)) > 0)
		inlen += (size_t)n;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		printf("refused\n");
		return (0);
	}
	for (off = 0; off < inlen; off += (size_t)n) {
		k = inlen - off < chunk ? inlen - off : chunk;
		if ((n = send(fd, in + off, k, MSG_NOSIGNAL)) < 0) {
			/* The daemon may close first (request too large):
			 * what it answered is still there to read. */
			fprintf(stderr, "wsl-probe: send: %s\n", strerror(errno));
			break;
		}
	}
	if (!keep_open)
		shutdown(fd, SHUT_WR);
	wait_for_go();
	if (stall) { /* no POLLIN: only the hang-up (or an error) ends it */
		struct pollfd p = { fd, 0, 0 };

		printf(poll(&p, 1, timeout_ms) == 1 ? "dropped\n" :
		    "timeout\n");
		return (0);
	}
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		struct timespec pause = { read_pause_ms / 1000,
			(read_pause_ms % 1000) * 1000000L };

		if (read_pause_ms > 0)
			nanosleep(&pause, NULL);
		if ((r = poll(&p, 1, timeout_ms)) == 0) {
			printf("timeout\n");
			return (0);
		}
		iov.iov_base = out + have;
		iov.iov_len = sizeof(out) - have - 1;
		if (read_pause_ms > 0 && iov.iov_len > 65536)
			iov.iov_len = 65536;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cm.space;
		msg.msg_controllen = sizeof(cm.space);
		if ((n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC)) <= 0) {
			if (have > 0)
				print_escaped("partial", out, have);
			printf(n == 0 ? "eof\n" : "reset\n");
			return (0);
		}
		for (c = CMSG_FIRSTHDR(&msg); c != NULL;
		    c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_type != SCM_RIGHTS)
				continue;
			for (k = 0; k < (c->cmsg_len - CMSG_LEN(0)) /
			    sizeof(int); k++) {
				memcpy(&got, CMSG_DATA(c) + k * sizeof(int),
				    sizeof(int));
				close(got);
				fds++;
			}
		}
		have += (size_t)n;
		while ((nl = memchr(out, '\n', have)) != NULL) {
			printf("fds=%d %.*s\n", fds, (int)(nl - out), out);
			fflush(stdout);
			fds = 0;
			have -= (size_t)(nl + 1 - out);
			memmove(out, nl + 1, have);
		}
	}
}

/* A port nobody uses now, for tests that need a fixed one (a socket
 * bound to port 0 loses its port when shut down, unlike systemd's). */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		perror("wsl-probe: port");
		return (1);
	}
	printf("%d\n", ntohs(sin.sin_port));
	close(fd);
	return (0);
}

int
main(int argc, char **argv)
{
	size_t chunk = 65536;
	int ch, keep_open = 0, workers = 4;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt(argc, argv, "t:6c:kw:n:j:eu:r:Sb:")) != -1) {
		switch (ch) {
		case 'b':
			bind_path = optarg;
			break;
		case 'u':
			until_file = optarg;
			break;
		case 'e':
			no_half_close = true;
			break;
		case 'n':
			nbytes = atoll(optarg);
			break;
		case 'j':
			workers = atoi(optarg);
			break;
		case 'w':
			go_file = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		case '6':
			ipv6 = 1;
			break;
		case 'c':
			chunk = (size_t)atoi(optarg);
			if (chunk == 0)
				usage();
			break;
		case 'k':
			keep_open = 1;
			break;
		case 'r':
			read_pause_ms = atoi(optarg);
			break;
		case 'S':
			stall = true;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 1 && strcmp(argv[0], "port") == 0)
		return (free_port());
	if (argc < 2)
		usage();
	if (strcmp(argv[0], "tcp") == 0 || strcmp(argv[0], "unix") == 0)
		return (stream(argv[0], argv[1], argc > 2 ? argv[2] : NULL));
	if (strcmp(argv[0], "udp") == 0 && argc == 3)
		return (datagram(argv[1], argv[2]));
	if (strcmp(argv[0], "ctl") == 0)
		return (control(argv[1], chunk, keep_open));
	if (strcmp(argv[0], "rst") == 0 && argc == 3)
		return (resets(argv[1], atoi(argv[2])));
	if (strcmp(argv[0], "idle") == 0 && argc == 4)
		return (idle(argv[1], atoi(argv[2]), atoi(argv[3])));
	if (strcmp(argv[0], "load") == 0 && argc >= 3)
		return (load(argv[1], atoi(argv[2]), workers,
		    argc > 3 ? argv[3] : "x"));
	usage();
	return (2);
}
