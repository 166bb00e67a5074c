/* SPDX-License-Identifier: ISC */
/*
 * bare-echo: the floor the benchmark compares wsld with.  A bare,
 * single-threaded epoll server on one TCP port, written the way a careful
 * hand-written server would be, with nothing else in it:
 *
 *   bare-echo [-x] [-a ADDRESS] [-p PORT] [-b BUFFER] [-d SECONDS]
 *
 * It accepts with accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) until EAGAIN and
 * echoes every byte back: one read of up to BUFFER bytes (256 KiB), written
 * back at once; only what the peer cannot take yet is kept, and only then
 * is writability watched (reading stops meanwhile).  EPOLLRDHUP tells it
 * when the peer's end of file came with its data, so a short connection
 * costs accept4, epoll_ctl, read, write, read (0) and close.  At the end
 * of the peer's input it sends what is left and closes.
 *
 * With -x it is a bare accept loop instead: every connection is accepted
 * and closed at once (the floor for a hand-off, whose client gets an end
 * of file when the receiver closes the channel).
 *
 * It prints the port it listens on (PORT 0, the default, lets the kernel
 * choose) on a line of its own, then serves until SIGTERM or SIGINT, or
 * for SECONDS at most with -d.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct conn {
	char	*pending;	/* what the peer could not take yet */
	size_t	 off, len;
};

static struct conn *conns;	/* indexed by descriptor */
static size_t nconns;
static char *buf;
static size_t bufsize = 256 * 1024;
static int ep;
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
drop(int fd)
{
	free(conns[fd].pending);
	conns[fd].pending = NULL;
	close(fd);	/* also leaves the epoll set */
}

static int
watch(int fd, int op, unsigned events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return (epoll_ctl(ep, op, fd, &ev));
}

/*
 * Writes what the connection has pending; returns 0 once it is all
 * written, 1 if some is left (writability is then watched), -1 on error.
 */
static int
flush(int fd)
{
	struct conn *c = &conns[fd];
	ssize_t n;

	while (c->off < c->len) {
		n = write(fd, c->pending + c->off, c->len - c->off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return (1);
			return (-1);
		}
		c->off += (size_t)n;
	}
	free(c->pending);
	c->pending = NULL;
	return (0);
}

/* Echoes what the peer sent; returns -1 when the connection is done. */
static int
echo(int fd, int rdhup)
{
	struct conn *c = &conns[fd];
	ssize_t n, w;
	int reads;

	for (reads = 0; reads < 16; reads++) {
		n = read(fd, buf, bufsize);
		if (n == 0)
			return (-1);
		if (n < 0)
			return (errno == EAGAIN || errno == EINTR ? 0 : -1);
		w = write(fd, buf, (size_t)n);
		if (w < 0) {
			if (errno != EAGAIN)
				return (-1);
			w = 0;
		}
		if (w < n) {
			/* The peer is slow: keep the rest, stop reading. */
			c->len = (size_t)(n - w);
			c->off = 0;
			if ((c->pending = malloc(c->len)) == NULL)
				return (-1);
			memcpy(c->pending, buf + w, c->len);
			return (watch(fd, EPOLL_CTL_MOD, EPOLLOUT));
		}
		/*
		 * A short read has drained the socket, unless the peer's end
		 * came with the data: then the next read says so at once.
		 */
		if ((size_t)n < bufsize && !rdhup)
			return (0);
	}
	return (0);
}

static void
accept_all(int l, int close_mode)
{
	int fd;

	for (;;) {
		fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				perror("bare-echo: accept4");
			return;
		}
		if (close_mode || (size_t)fd >= nconns ||
		    watch(fd, EPOLL_CTL_ADD, EPOLLIN | EPOLLRDHUP) < 0)
			close(fd);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct epoll_event evs[256];
	struct sigaction sa = { .sa_handler = on_signal };
	struct rlimit rl;
	struct timespec t0, t;
	const char *addr = "127.0.0.1";
	socklen_t len = sizeof(sin);
	double deadline = 0;
	int ch, l, n, i, fd, close_mode = 0, port = 0, one = 1, timeout;

	while ((ch = getopt(argc, argv, "a:b:d:p:x")) != -1)
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'b':
			bufsize = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			deadline = atof(optarg);
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'x':
			close_mode = 1;
			break;
		default:
			fprintf(stderr, "usage: bare-echo [-x] [-a ADDRESS] "
			    "[-p PORT] [-b BUFFER] [-d SECONDS]\n");
			return (2);
		}
	if (bufsize == 0 || (buf = malloc(bufsize)) == NULL) {
		fprintf(stderr, "bare-echo: bad buffer size\n");
		return (2);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	nconns = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1 << 20) ?
	    (1 << 20) : (size_t)rl.rlim_cur;
	if ((conns = calloc(nconns, sizeof(*conns))) == NULL) {
		perror("bare-echo");
		return (1);
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "bare-echo: bad address %s\n", addr);
		return (2);
	}
	l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(l, 4096) < 0 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) < 0) {
		perror("bare-echo: listen");
		return (1);
	}
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    watch(l, EPOLL_CTL_ADD, EPOLLIN) < 0) {
		perror("bare-echo: epoll");
		return (1);
	}
	printf("%d\n", ntohs(sin.sin_port));
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		timeout = -1;
		if (deadline > 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			double left = deadline - (double)(t.tv_sec - t0.tv_sec) -
			    (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
			if (left <= 0)
				break;
			timeout = (int)(left * 1000) + 1;
		}
		n = epoll_wait(ep, evs, 256, timeout);
		if (n < 0 && errno != EINTR) {
			perror("bare-echo: epoll_wait");
			return (1);
		}
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == l) {
				accept_all(l, close_mode);
				continue;
			}
			if (conns[fd].pending != NULL) {
				switch (flush(fd)) {
				case -1:
					drop(fd);
					continue;
				case 1:
					continue;
				}
				/* All written: read again. */
				if (watch(fd, EPOLL_CTL_MOD,
				    EPOLLIN | EPOLLRDHUP) < 0) {
					drop(fd);
					continue;
				}
			}
			if (evs[i].events & EPOLLERR ||
			    echo(fd, evs[i].events & (EPOLLRDHUP | EPOLLHUP)) < 0)
				drop(fd);
		}
	}
	return (0);
}
