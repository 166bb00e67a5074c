/* SPDX-License-Identifier: ISC */
/*
 * Test helpers for the listener core (see harness.h).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <sched.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static char pipe_dir[108] = "/tmp";

void
done_init(struct done *d, WS_LISTENER *l)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->l = l;
}

void
done_destroy(struct done *d)
{
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
}

void
done_cb(HRESULT hr, WS_CALLBACK_MODEL model, void *arg)
{
	struct done *d = arg;
	bool on_loop = d->l != NULL && WslIsListenerThread(d->l);

	(void)model;
	pthread_mutex_lock(&d->mu);
	d->hr = hr;
	d->on_loop = on_loop;
	d->count++;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

WS_ASYNC_CONTEXT
done_ctx(struct done *d)
{
	WS_ASYNC_CONTEXT ctx = { done_cb, d };

	return (ctx);
}

/*
 * Wait on cv (mu held) until ready(arg), but never longer than the
 * deadline: a lost completion ends the test with what it waited for,
 * instead of hanging `make check`.  The test cannot go on (a loop thread
 * may still hold its objects), so it stops here.
 */
static void
wait_bounded(pthread_cond_t *cv, pthread_mutex_t *mu,
    bool (*ready)(const void *), const void *arg, const char *what)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HARNESS_DEADLINE_S;
	while (!ready(arg))
		if (pthread_cond_timedwait(cv, mu, &until) == ETIMEDOUT &&
		    !ready(arg)) {
			printf("Bail out! waited %d s for %s\n",
			    HARNESS_DEADLINE_S, what);
			fflush(stdout);
			abort();
		}
}

void
poll_bounded(bool (*ready)(void *), void *arg, const char *what)
{
	long long until = wsl_now_ms() + HARNESS_DEADLINE_S * 1000LL;

	while (!ready(arg)) {
		if (wsl_now_ms() > until) {
			printf("Bail out! waited %d s for %s\n",
			    HARNESS_DEADLINE_S, what);
			fflush(stdout);
			abort();
		}
		sched_yield();
	}
}

static bool
flag_set(const void *flag)
{
	return (*(const bool *)flag);
}

struct count_reached {
	const struct done *d;
	int count;
};

static bool
count_reached(const void *arg)
{
	const struct count_reached *c = arg;

	return (c->d->count >= c->count);
}

HRESULT
done_wait(struct done *d, int count)
{
	struct count_reached c = { d, count };
	char what[80];
	HRESULT hr;

	snprintf(what, sizeof(what), "completion number %d of an asynchronous "
	    "call", count);
	pthread_mutex_lock(&d->mu);
	wait_bounded(&d->cv, &d->mu, count_reached, &c, what);
	hr = d->hr;
	pthread_mutex_unlock(&d->mu);
	return (hr);
}

static void
gate_run(void *arg)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->mu);
	g->entered = true;
	pthread_cond_broadcast(&g->cv);
	while (!g->released)
		pthread_cond_wait(&g->cv, &g->mu);
	g->finished = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

void
gate_close(struct gate *g, WS_LISTENER *l)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	g->task.run = gate_run;
	g->task.arg = g;
	assert_int_equal(WslPostTask(l, &g->task), S_OK);
	pthread_mutex_lock(&g->mu);
	wait_bounded(&g->cv, &g->mu, flag_set, &g->entered,
	    "the listener's loop to run a task (is it stuck?)");
	pthread_mutex_unlock(&g->mu);
}

void
gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->released = true;
	pthread_cond_broadcast(&g->cv);
	wait_bounded(&g->cv, &g->mu, flag_set, &g->finished,
	    "the listener's loop to leave a task");
	pthread_mutex_unlock(&g->mu);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
}

void
loop_sync(WS_LISTENER *l)
{
	struct gate g;

	gate_close(&g, l);
	gate_open(&g);
}

void
set_pipe_dir(const char *dir)
{
	snprintf(pipe_dir, sizeof(pipe_dir), "%s", dir);
}

WS_CHANNEL_TYPE
channel_type_for(WS_CHANNEL_BINDING b)
{
	return (b == WS_HTTP_CHANNEL_BINDING ? WS_CHANNEL_TYPE_REPLY :
	    b == WS_UDP_CHANNEL_BINDING ? WS_CHANNEL_TYPE_DUPLEX :
	    WS_CHANNEL_TYPE_DUPLEX_SESSION);
}

WS_LISTENER *
listener_new(WS_CHANNEL_BINDING b)
{
	WS_CHANNEL_TYPE type = channel_type_for(b);
	WS_LISTENER_PROPERTY p = { WSL_LISTENER_PROPERTY_PIPE_DIRECTORY,
		pipe_dir, (ULONG)strlen(pipe_dir) + 1 };
	WS_LISTENER *l = NULL;

	assert_int_equal(WsCreateListener(type, b, &p, 1, NULL, &l, NULL), S_OK);
	assert_non_null(l);
	return (l);
}

/* Close (if open or faulted) and free, checking each step succeeds. */
void
listener_finish(WS_LISTENER *l)
{
	WS_LISTENER_STATE s = state_of(l);

	if (s == WS_LISTENER_STATE_OPEN || s == WS_LISTENER_STATE_FAULTED)
		assert_int_equal(WsCloseListener(l, NULL, NULL), S_OK);
	s = state_of(l);
	assert_true(s == WS_LISTENER_STATE_CREATED ||
	    s == WS_LISTENER_STATE_CLOSED);
	assert_int_equal(WsFreeListener(l), S_OK);
}

WS_STRING
url_of(const char *s)
{
	WS_STRING w = { (ULONG)strlen(s), (char *)(uintptr_t)s };

	return (w);
}

const char *
url_for(WS_CHANNEL_BINDING b)
{
	switch (b) {
	case WS_HTTP_CHANNEL_BINDING:
		return ("http://127.0.0.1:0/");
	case WS_UDP_CHANNEL_BINDING:
		return ("soap.udp://127.0.0.1:0/");
	case WS_NAMEDPIPE_CHANNEL_BINDING:
		return ("net.pipe://localhost/wsl-unit-test.sock");
	default:
		return ("net.tcp://127.0.0.1:0/path");
	}
}

WS_LISTENER_STATE
state_of(WS_LISTENER *l)
{
	WS_LISTENER_STATE s = (WS_LISTENER_STATE)-1;

	assert_int_equal(WsGetListenerProperty(l, WS_LISTENER_PROPERTY_STATE,
	    &s, sizeof(s), NULL), S_OK);
	return (s);
}

WS_CHANNEL_STATE
channel_state_of(WS_CHANNEL *ch)
{
	WS_CHANNEL_STATE s = (WS_CHANNEL_STATE)-1;

	assert_int_equal(WsGetChannelProperty(ch, WS_CHANNEL_PROPERTY_STATE,
	    &s, sizeof(s), NULL), S_OK);
	return (s);
}

WSL_LISTENER_INFO
info_of(WS_LISTENER *l)
{
	WSL_LISTENER_INFO info;

	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	return (info);
}

int
port_of(WS_LISTENER *l)
{
	return (info_of(l).port);
}

/* Connect a client to the listener's bound address. */
int
connect_to(WS_LISTENER *l)
{
	WSL_LISTENER_INFO info;
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, e;

	assert_int_equal(WslGetListenerInfo(l, &info), S_OK);
	memset(&ss, 0, sizeof(ss));
	if (info.path[0] != '\0') {
		struct sockaddr_un *sun = (void *)&ss;
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", info.path);
		len = sizeof(*sun);
	} else if (info.family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (void *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)info.port);
		inet_pton(AF_INET6, "::1", &sin6->sin6_addr);
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (void *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)info.port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	}
	fd = socket(ss.ss_family, (info.binding == WS_UDP_CHANNEL_BINDING ?
	    SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (-1);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return (-1);
	}
	return (fd);
}

char *
exact_copy(const char *s, size_t len)
{
	char *p;

	p = malloc(len > 0 ? len : 1);
	assert_non_null(p);
	memcpy(p, s, len);
	return (p);
}
