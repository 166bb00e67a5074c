/* SPDX-License-Identifier: ISC */
/*
 * wsl-bench: measures wsld against a bare baseline in the same run, so
 * that only ratios matter on a noisy machine.
 *
 *   wsl-bench SOCKET [ROUNDS]
 *
 * 1. Control round trip: ROUNDS `status` requests, one at a time on one
 *    connection, to wsld; then the same client against a bare baseline
 *    server thread in this process that reads a line, parses it with
 *    jansson, and answers a reply of the same size (the floor for JSON
 *    over AF_UNIX).  Interleaved in blocks, reported as p50/p99 and the
 *    ratio of medians.
 * 2. Abort: on a fresh open listener, the time from sending `abort` to its
 *    reply, and to the first refused connect; p50/p99 over ROUNDS/100.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e6 + ts.tv_nsec / 1e3);
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static double
pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp);
	return (v[(size_t)(p * (double)(n - 1))]);
}

static int
unix_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		perror(path);
		exit(1);
	}
	return (fd);
}

/* One request, one reply line (into buf); returns the reply's length. */
static size_t
roundtrip(int fd, const char *req, char *buf, size_t size)
{
	size_t have = 0;
	ssize_t n;

	if (write(fd, req, strlen(req)) < 0)
		exit(1);
	for (;;) {
		if ((n = read(fd, buf + have, size - have - 1)) <= 0) {
			fprintf(stderr, "connection lost\n");
			exit(1);
		}
		have += (size_t)n;
		if (buf[have - 1] == '\n')
			return (have);
	}
}

static char baseline_path[108];
static size_t reply_size = 400;

/* The baseline: parse the line, answer a JSON reply of wsld's size. */
static void *
baseline_server(void *arg)
{
	char buf[65536], *pad;
	json_t *req, *rep;
	size_t have = 0, len;
	char *s, *nl;
	ssize_t n;
	int l = *(int *)arg, c;

	c = accept(l, NULL, NULL);
	pad = malloc(reply_size);
	memset(pad, 'x', reply_size);
	pad[reply_size - 1] = '\0';
	while ((n = read(c, buf + have, sizeof(buf) - have)) > 0) {
		have += (size_t)n;
		while ((nl = memchr(buf, '\n', have)) != NULL) {
			req = json_loadb(buf, (size_t)(nl - buf), 0, NULL);
			rep = json_pack("{s:O,s:i,s:s,s:s}", "id",
			    json_object_get(req, "id"), "result", 0, "hresult",
			    "0x00000000", "text", pad);
			s = json_dumps(rep, JSON_COMPACT);
			len = strlen(s);
			s[len] = '\n'; /* overwrite the NUL: one write */
			if (write(c, s, len + 1) < 0)
				break;
			free(s);
			json_decref(req);
			json_decref(rep);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
		}
	}
	free(pad);
	close(c);
	return (NULL);
}

static void
control_rtt(const char *sock, int rounds)
{
	const char *req = "{\"id\":1,\"command\":\"status\",\"arguments\":"
	    "{\"name\":\"bench\"}}\n";
	double *w = calloc((size_t)rounds, sizeof(double));
	double *b = calloc((size_t)rounds, sizeof(double));
	char buf[65536];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	pthread_t t;
	int wfd, bfd, l, i, k, block = 500;
	double t0;

	wfd = unix_connect(sock);
	reply_size = roundtrip(wfd, req, buf, sizeof(buf)) - 60;
	snprintf(baseline_path, sizeof(baseline_path), "/tmp/wsl-bench.%d",
	    (int)getpid());
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", baseline_path);
	unlink(baseline_path);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(l, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(l, 1) < 0) {
		perror("baseline");
		exit(1);
	}
	pthread_create(&t, NULL, baseline_server, &l);
	bfd = unix_connect(baseline_path);
	/* Interleave blocks so both see the same machine noise. */
	for (i = 0; i < rounds; i += block)
		for (k = i; k < i + block && k < rounds; k++) {
			t0 = now_us();
			roundtrip(wfd, req, buf, sizeof(buf));
			w[k] = now_us() - t0;
			t0 = now_us();
			roundtrip(bfd, req, buf, sizeof(buf));
			b[k] = now_us() - t0;
		}
	close(bfd);
	pthread_join(t, NULL);
	close(l);
	unlink(baseline_path);
	close(wfd);
	printf("control round trip (status, %d rounds, %zu-byte replies):\n",
	    rounds, reply_size + 60);
	printf("  wsld      p50 %7.1f us  p99 %7.1f us\n", pct(w, (size_t)rounds,
	    0.5), pct(w, (size_t)rounds, 0.99));
	printf("  baseline  p50 %7.1f us  p99 %7.1f us\n", pct(b, (size_t)rounds,
	    0.5), pct(b, (size_t)rounds, 0.99));
	printf("  ratio of medians wsld/baseline: %.2f\n",
	    pct(w, (size_t)rounds, 0.5) / pct(b, (size_t)rounds, 0.5));
	free(w);
	free(b);
}

static int
port_of(const char *reply)
{
	const char *p = strstr(reply, "\"port\":");

	return (p != NULL ? atoi(p + 7) : -1);
}

static void
abort_latency(const char *sock, int rounds)
{
	double *r = calloc((size_t)rounds, sizeof(double));
	double *f = calloc((size_t)rounds, sizeof(double));
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char buf[65536];
	int fd, c, i, port;
	double t0;

	fd = unix_connect(sock);
	for (i = 0; i < rounds; i++) {
		roundtrip(fd, "{\"command\":\"create\",\"arguments\":{\"name\":"
		    "\"ab\",\"url\":\"net.tcp://127.0.0.1:0/\",\"open\":true}}\n",
		    buf, sizeof(buf));
		buf[sizeof(buf) - 1] = '\0';
		port = port_of(buf);
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		t0 = now_us();
		roundtrip(fd, "{\"command\":\"abort\",\"arguments\":{\"name\":"
		    "\"ab\"}}\n", buf, sizeof(buf));
		r[i] = now_us() - t0;
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
		    errno != ECONNREFUSED) {
			fprintf(stderr, "abort: a connect was not refused\n");
			exit(1);
		}
		f[i] = now_us() - t0;
		close(c);
		roundtrip(fd, "{\"command\":\"close\",\"arguments\":{\"name\":"
		    "\"ab\"}}\n", buf, sizeof(buf));
		roundtrip(fd, "{\"command\":\"free\",\"arguments\":{\"name\":"
		    "\"ab\"}}\n", buf, sizeof(buf));
	}
	close(fd);
	printf("abort (%d rounds): reply p50 %.1f us p99 %.1f us; first refused "
	    "connect p50 %.1f us p99 %.1f us after sending it\n", rounds,
	    pct(r, (size_t)rounds, 0.5), pct(r, (size_t)rounds, 0.99),
	    pct(f, (size_t)rounds, 0.5), pct(f, (size_t)rounds, 0.99));
	free(r);
	free(f);
}

int
main(int argc, char **argv)
{
	char buf[65536];
	int rounds, fd;

	if (argc < 2) {
		fprintf(stderr, "usage: wsl-bench SOCKET [ROUNDS]\n");
		return (2);
	}
	rounds = argc > 2 ? atoi(argv[2]) : 20000;
	fd = unix_connect(argv[1]);
	roundtrip(fd, "{\"command\":\"create\",\"arguments\":{\"name\":"
	    "\"bench\",\"url\":\"net.tcp://127.0.0.1:0/\",\"open\":true}}\n",
	    buf, sizeof(buf));
	control_rtt(argv[1], rounds);
	abort_latency(argv[1], rounds / 100 > 10 ? rounds / 100 : 10);
	roundtrip(fd, "{\"command\":\"close\",\"arguments\":{\"name\":"
	    "\"bench\"}}\n", buf, sizeof(buf));
	roundtrip(fd, "{\"command\":\"free\",\"arguments\":{\"name\":"
	    "\"bench\"}}\n", buf, sizeof(buf));
	close(fd);
	return (0);
}
