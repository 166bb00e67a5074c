/* SPDX-License-Identifier: ISC */
/*
 * wsl-flood: many control clients at once against a running wsld, for the
 * tests of fairness and of memory limits.
 *
 *   wsl-flood [-n conns] [-b bytes] [-w ms] [-t ms] newline|blank|bad SOCKET NAME
 *   wsl-flood [-n conns] [-b bytes] [-t ms] [-g go-file] hold SOCKET
 *
 * newline, blank and bad: each of -n connections (8) sends a wait on the
 * listener NAME for a state it does not reach, which wsld answers after -w
 * ms (500); then -b bytes (1 MiB) of empty lines, of lines of blanks, or of
 * small malformed requests, which wsld buffers meanwhile; last a version
 * request with the id "end".  Each reads every reply, and checks that
 * there is one per request.  All the while another client asks for the
 * version on a fresh connection, again and again, and times each round
 * trip (giving up on one after 2 s).  Prints
 *   flood KIND: N x B bytes, answered in T ms (the last end reply, counted
 *   from when the waits ran out)
 *   version: R round trips, median M ms, p99 P ms, max X ms
 * and exits 0, or 1 when a flooding client is not answered whole within
 * -t ms (60000) or gets more or fewer replies than it sent requests.
 *
 * hold: -n connections (200) each send a request of -b bytes (1 MiB)
 * without its newline; once wsld has read all of it (or refused it), it
 * prints "sent" and, with -g, waits until go-file exists (the test acts in
 * between); then each sends the newline, half-closes and reads to the
 * end.  Prints
 *   answered=A refused=R no-memory=M dropped=D
 * (refused: WS_E_QUOTA_EXCEEDED, no-memory: E_OUTOFMEMORY, dropped: closed
 * without a reply), then the first refusal as wsld sent it.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <linux/sockios.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#define MAX_PROBES 100000
#define PROBE_PAUSE_MS 5
#define PROBE_GIVE_UP_MS 2000

struct client {
	int fd;
	char *out;              /* what it sends */
	size_t len, off;
	char in[4096];          /* the reply line being read */
	size_t have;
	unsigned long replies;
	bool ended;             /* its end reply (or EOF) came */
	bool half_close;        /* once all is sent */
	char first[512];        /* hold: its first reply */
};

static struct sockaddr_un sun;
static int nconns = -1, timeout_ms = 60000, wait_ms = 500;
static const char *go_file;
static long long nbytes = -1;
static atomic_bool flood_over;
static double probes[MAX_PROBES];
static size_t nprobes;

static void
usage(void)
{
	fprintf(stderr, "usage: wsl-flood [-n conns] [-b bytes] [-w ms] "
	    "[-t ms] newline|blank|bad SOCKET NAME\n"
	    "       wsl-flood [-n conns] [-b bytes] [-t ms] [-g go-file] "
	    "hold SOCKET\n");
	exit(2);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6);
}

static int
connect_control(bool nonblocking)
{
	int fd;

	/* Connected blocking: a full backlog makes a client wait, not
	 * fail. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    (nonblocking && fcntl(fd, F_SETFL, O_NONBLOCK) < 0)) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* One version round trip on a fresh connection: its time in ms (at least
 * PROBE_GIVE_UP_MS when it took longer), or -1. */
static double
version_round_trip(void)
{
	static const char req[] = "{\"command\":\"version\"}\n";
	struct timeval tv = { PROBE_GIVE_UP_MS / 1000, 0 };
	char buf[4096];
	double t0 = now();
	size_t have = 0;
	ssize_t n;
	int fd;

	if ((fd = connect_control(false)) < 0)
		return (-1);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) < 0) {
		close(fd);
		return (-1);
	}
	while (have < sizeof(buf) && memchr(buf, '\n', have) == NULL) {
		if ((n = read(fd, buf + have, sizeof(buf) - have)) <= 0) {
			if (n < 0 && errno == EAGAIN) {
				close(fd);
				return (now() - t0);
			}
			break;
		}
		have += (size_t)n;
	}
	close(fd);
	if (memchr(buf, '\n', have) == NULL || strstr(buf, "\"result\":0") ==
	    NULL)
		return (-1);
	return (now() - t0);
}

/* Connect the nconns clients, each to send len bytes of text. */
static int
connect_clients(struct client *cl, char *text, size_t len)
{
	int i;

	for (i = 0; i < nconns; i++) {
		if ((cl[i].fd = connect_control(true)) < 0) {
			fprintf(stderr, "wsl-flood: connect: %s\n",
			    strerror(errno));
			return (-1);
		}
		cl[i].out = text;
		cl[i].len = len;
	}
	return (0);
}

static void *
prober(void *arg)
{
	struct timespec pause = { 0, PROBE_PAUSE_MS * 1000000L };
	double ms;

	(void)arg;
	while (!atomic_load(&flood_over) && nprobes < MAX_PROBES) {
		if ((ms = version_round_trip()) < 0) {
			fprintf(stderr, "wsl-flood: a version round trip "
			    "failed\n");
			exit(1);
		}
		probes[nprobes++] = ms;
		nanosleep(&pause, NULL);
	}
	return (NULL);
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

/* What one flooding client sends: the wait, the flood, the end. */
static char *
flood_text(const char *kind, const char *name, size_t *len)
{
	static const char end[] = "{\"id\":\"end\",\"command\":\"version\"}\n";
	const char *unit = strcmp(kind, "newline") == 0 ? "\n" :
	    strcmp(kind, "blank") == 0 ? " \t \r\n" : "x\n";
	size_t ulen = strlen(unit), head, i;
	char *buf;

	if ((buf = malloc(256 + (size_t)nbytes + sizeof(end))) == NULL)
		return (NULL);
	head = (size_t)snprintf(buf, 256, "{\"command\":\"wait\",\"arguments\":"
	    "{\"name\":\"%s\",\"state\":\"FAULTED\",\"timeout-ms\":%d}}\n",
	    name, wait_ms);
	for (i = 0; i + ulen <= (size_t)nbytes; i += ulen)
		memcpy(buf + head + i, unit, ulen);
	memcpy(buf + head + i, end, sizeof(end) - 1);
	*len = head + i + sizeof(end) - 1;
	return (buf);
}

/*
 * Send what is left and take the reply lines that came.  A line is
 * handed to on_line; false when the connection is over (EOF or error).
 */
static bool
pump(struct client *c, short revents, void (*on_line)(struct client *,
    const char *))
{
	ssize_t n;
	char *nl;

	if ((revents & POLLOUT) && c->off < c->len) {
		n = send(c->fd, c->out + c->off, c->len - c->off,
		    MSG_NOSIGNAL);
		if (n > 0)
			c->off += (size_t)n;
		else if (errno != EAGAIN && errno != EINTR)
			c->off = c->len; /* wsld closed: read what it said */
		if (c->off == c->len && c->half_close) {
			shutdown(c->fd, SHUT_WR);
			c->half_close = false;
		}
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return (true);
	n = read(c->fd, c->in + c->have, sizeof(c->in) - 1 - c->have);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return (false);
	if (n < 0)
		return (true);
	c->have += (size_t)n;
	while ((nl = memchr(c->in, '\n', c->have)) != NULL) {
		*nl = '\0';
		c->replies++;
		on_line(c, c->in);
		c->have -= (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->have);
	}
	/* A reply longer than the buffer: what matters is at its start. */
	if (c->have == sizeof(c->in) - 1) {
		c->in[c->have] = '\0';
		on_line(c, c->in);
		c->have = 0;
	}
	return (true);
}

static double last_end_reply;

static void
flood_line(struct client *c, const char *line)
{
	if (strstr(line, "\"id\":\"end\"") != NULL) {
		c->ended = true;
		last_end_reply = now();
	}
}

static int
flood(const char *kind, const char *name)
{
	struct client *cl;
	struct pollfd *p;
	pthread_t probe;
	double start, deadline, median, p99, max;
	unsigned long expected;
	size_t len;
	char *text;
	int i, left;

	if (nconns < 0)
		nconns = 8;
	if (nbytes < 0)
		nbytes = 1024 * 1024;
	if ((text = flood_text(kind, name, &len)) == NULL ||
	    (cl = calloc((size_t)nconns, sizeof(*cl))) == NULL ||
	    (p = calloc((size_t)nconns, sizeof(*p))) == NULL)
		return (1);
	if (connect_clients(cl, text, len) < 0)
		return (1);
	if (pthread_create(&probe, NULL, prober, NULL) != 0)
		return (1);
	start = now();
	deadline = start + timeout_ms;
	for (left = nconns; left > 0 && now() < deadline;) {
		for (i = 0; i < nconns; i++) {
			p[i].fd = cl[i].ended ? -1 : cl[i].fd;
			p[i].events = POLLIN | (cl[i].off < cl[i].len ?
			    POLLOUT : 0);
		}
		if (poll(p, (nfds_t)nconns, 100) <= 0)
			continue;
		for (i = 0; i < nconns; i++) {
			if (cl[i].ended || p[i].revents == 0)
				continue;
			if (!pump(&cl[i], p[i].revents, flood_line) ||
			    cl[i].ended) {
				cl[i].ended = true;
				left--;
			}
		}
	}
	atomic_store(&flood_over, true);
	pthread_join(probe, NULL);
	qsort(probes, nprobes, sizeof(probes[0]), by_value);
	median = nprobes > 0 ? probes[nprobes / 2] : -1;
	max = nprobes > 0 ? probes[nprobes - 1] : -1;
	p99 = nprobes > 0 ? probes[nprobes * 99 / 100] : -1;
	if (left > 0)
		printf("timeout: %d of %d flooding clients not answered whole "
		    "within %d ms\n", left, nconns, timeout_ms);
	else
		printf("flood %s: %d x %lld bytes, answered in %.0f ms\n",
		    kind, nconns, nbytes, last_end_reply - start - wait_ms);
	printf("version: %zu round trips, median %.1f ms, p99 %.1f ms, max "
	    "%.1f ms\n", nprobes, median, p99, max);
	if (left > 0)
		return (1);
	/* The wait, each malformed request, and the end. */
	expected = 2 + (strcmp(kind, "bad") == 0 ? (unsigned long)nbytes / 2 :
	    0);
	for (i = 0; i < nconns; i++)
		if (cl[i].replies != expected) {
			printf("client %d: %lu replies, not %lu\n", i,
			    cl[i].replies, expected);
			return (1);
		}
	for (i = 0; i < nconns; i++)
		close(cl[i].fd);
	free(cl);
	free(p);
	free(text);
	return (0);
}

static void
hold_line(struct client *c, const char *line)
{
	if (c->first[0] == '\0')
		snprintf(c->first, sizeof(c->first), "%s", line);
}

/* Run the clients until each has sent all it has (or is closed), and
 * wsld has read it. */
static void
run(struct client *cl, struct pollfd *p, bool to_the_end, double deadline)
{
	struct timespec pause = { 0, 10 * 1000000L };
	int i, busy, unread;

	do {
		busy = 0;
		for (i = 0; i < nconns; i++) {
			p[i].fd = cl[i].ended ? -1 : cl[i].fd;
			p[i].events = POLLIN | (cl[i].off < cl[i].len ?
			    POLLOUT : 0);
			if (!cl[i].ended && (to_the_end ||
			    cl[i].off < cl[i].len))
				busy++;
		}
		if (busy == 0 || poll(p, (nfds_t)nconns, 100) <= 0)
			continue;
		for (i = 0; i < nconns; i++)
			if (!cl[i].ended && p[i].revents != 0 &&
			    !pump(&cl[i], p[i].revents, hold_line))
				cl[i].ended = true;
	} while (busy > 0 && now() < deadline);
	do {
		for (unread = 0, i = 0; i < nconns; i++)
			if (!cl[i].ended && (ioctl(cl[i].fd, SIOCOUTQ,
			    &busy) < 0 || busy > 0))
				unread++;
	} while (unread > 0 && now() < deadline &&
	    nanosleep(&pause, NULL) == 0);
}

static int
hold(void)
{
	static const char head[] = "{\"command\":\"version\",\"arguments\":"
	    "{\"pad\":\"";
	struct timespec pause = { 0, 10 * 1000000L };
	struct client *cl;
	struct pollfd *p;
	int i, answered = 0, refused = 0, no_memory = 0, dropped = 0;
	const char *why = NULL;
	double deadline;
	char *text;

	if (nconns < 0)
		nconns = 200;
	if (nbytes < 0)
		nbytes = 1024 * 1024 - 1;
	if (nbytes < (long long)sizeof(head) + 3 ||
	    (text = malloc((size_t)nbytes + 1)) == NULL ||
	    (cl = calloc((size_t)nconns, sizeof(*cl))) == NULL ||
	    (p = calloc((size_t)nconns, sizeof(*p))) == NULL)
		return (1);
	memset(text, 'x', (size_t)nbytes);
	memcpy(text, head, sizeof(head) - 1);
	memcpy(text + nbytes - 3, "\"}}", 3);
	text[nbytes] = '\n';
	/* All but the newline, which comes later. */
	if (connect_clients(cl, text, (size_t)nbytes) < 0)
		return (1);
	deadline = now() + timeout_ms;
	run(cl, p, false, deadline);
	printf("sent\n");
	fflush(stdout);
	while (go_file != NULL && access(go_file, F_OK) < 0 && now() < deadline)
		nanosleep(&pause, NULL);
	for (i = 0; i < nconns; i++) {
		cl[i].len++;
		cl[i].half_close = true;
	}
	run(cl, p, true, deadline);
	for (i = 0; i < nconns; i++) {
		if (!cl[i].ended)
			dropped++; /* never ended: counted as lost */
		else if (cl[i].first[0] == '\0')
			dropped++;
		else if (strstr(cl[i].first, "WS_E_QUOTA_EXCEEDED") != NULL) {
			refused++;
			if (why == NULL)
				why = cl[i].first;
		} else if (strstr(cl[i].first, "E_OUTOFMEMORY") != NULL)
			no_memory++;
		else
			answered++;
	}
	printf("answered=%d refused=%d no-memory=%d dropped=%d\n", answered,
	    refused, no_memory, dropped);
	if (why != NULL)
		printf("%s\n", why);
	for (i = 0; i < nconns; i++)
		close(cl[i].fd);
	free(cl);
	free(p);
	free(text);
	return (0);
}

int
main(int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "b:g:n:t:w:")) != -1) {
		switch (ch) {
		case 'g':
			go_file = optarg;
			break;
		case 'b':
			nbytes = atoll(optarg);
			break;
		case 'n':
			nconns = atoi(optarg);
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		case 'w':
			wait_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || nconns == 0 || nbytes == 0)
		usage();
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
	if (strcmp(argv[0], "hold") == 0 && argc == 2)
		return (hold());
	if ((strcmp(argv[0], "newline") == 0 || strcmp(argv[0], "blank") ==
	    0 || strcmp(argv[0], "bad") == 0) && argc == 3)
		return (flood(argv[0], argv[2]));
	usage();
}
