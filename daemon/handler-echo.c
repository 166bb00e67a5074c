/* SPDX-License-Identifier: ISC */
/*
 * The echo handler: sends every byte (or datagram) back.  It accepts with
 * the shared accept loop (handler-loop.c), so it stops when the listener
 * is aborted, while the channels it already serves carry on.  Streams go
 * through relay.c, so a slow reader never makes it buffer more than one
 * block (RELAY_BLOCK); once the peer has finished, what is left is sent
 * and the connection closed.  A UDP
 * channel (one peer) ends after "idle-timeout-ms" without a datagram
 * (default 60000), so that a new peer can take its place.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "handler-loop.h"
#include "handler.h"
#include "listener.h"
#include "relay.h"

#define ECHO_MAX_CHANNELS 1024

struct echo_conn {
	struct echo *echo;
	struct relay relay;           /* stream channels */
	bool relaying;
	struct event *ev;             /* datagram (UDP relay) channels */
	struct event *idle;           /* ... and their idle timer */
	int fd;
	LIST_ENTRY(echo_conn) entry;
};

/* Per listener; every field but the loop's tasks belongs to the loop. */
struct echo {
	struct accept_loop loop;
	LIST_HEAD(, echo_conn) conns;
};

static void
conn_free(struct echo_conn *c)
{
	struct accept_loop *a = &c->echo->loop;

	LIST_REMOVE(c, entry);
	if (c->relaying)
		relay_free(&c->relay); /* closes the descriptor */
	if (c->ev != NULL) {
		event_free(c->ev);
		close(c->fd);
	}
	if (c->idle != NULL)
		event_free(c->idle);
	free(c);
	accept_loop_ended(a);
}

/* The peer has finished and everything was sent back. */
static void
stream_done(struct relay *r, void *arg)
{
	(void)r;
	conn_free(arg);
}

static void
datagram_read(evutil_socket_t fd, short what, void *arg)
{
	struct echo_conn *c = arg;
	struct accept_loop *a = &c->echo->loop;
	ssize_t n;

	(void)what;
	n = recv(fd, a->packet, ACCEPT_LOOP_DATAGRAM_MAX, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && wsl_hung_up(fd, true))) {
		conn_free(c);
		return;
	}
	(void)send(fd, a->packet, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	evtimer_add(c->idle, &a->idle);
}

static void
datagram_idle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_free(arg);
}

static void
serve(struct accept_loop *a, int fd, const struct sockaddr_storage *peer,
    socklen_t len)
{
	struct echo *e = a->owner;
	struct event_base *base = accept_loop_base(a);
	struct echo_conn *c;

	(void)peer;
	(void)len;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->echo = e;
	c->fd = fd;
	if (a->datagrams) {
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		c->ev = event_new(base, fd, EV_READ | EV_PERSIST, datagram_read, c);
		c->idle = evtimer_new(base, datagram_idle, c);
		if (c->ev == NULL || c->idle == NULL ||
		    event_add(c->ev, NULL) < 0 ||
		    evtimer_add(c->idle, &a->idle) < 0)
			goto fail;
	} else {
		/* Accepted non-blocking (SOCK_NONBLOCK): nothing to set. */
		if (relay_start(&c->relay, base, fd, -1, stream_done, c) < 0)
			goto fail;
		c->relaying = true;
	}
	LIST_INSERT_HEAD(&e->conns, c, entry);
	accept_loop_served(a);
	if (c->relaying)
		relay_go(&c->relay, 0); /* may end c */
	return;
fail:
	if (c != NULL && c->ev != NULL)
		event_free(c->ev);
	if (c != NULL && c->idle != NULL)
		event_free(c->idle);
	free(c);
	close(fd);
	accept_loop_failed(a, WSL_FAIL_RESOURCES);
}

static void
release_all(struct accept_loop *a)
{
	struct echo *e = a->owner;

	while (!LIST_EMPTY(&e->conns))
		conn_free(LIST_FIRST(&e->conns));
}

static const struct accept_loop_ops echo_ops = {
	.serve = serve, .release_all = release_all,
	.fds_per_channel = 1, /* the connection */
};

static int
echo_configure(const json_t *conf, WS_CHANNEL_BINDING binding, void **state,
    struct wsl_err *err, char *where, size_t wherelen)
{
	struct echo *e;
	unsigned max;
	long long idle = ACCEPT_LOOP_IDLE_MS;

	(void)binding;
	if (handler_check_keys(conf, &handler_echo, err, where, wherelen) < 0 ||
	    handler_max_channels(conf, ECHO_MAX_CHANNELS, &max, err, where,
		wherelen) < 0 ||
	    handler_ms_option(conf, "idle-timeout-ms", &idle, err, where,
		wherelen) < 0)
		return (-1);
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (-1);
	}
	accept_loop_init(&e->loop, &echo_ops, e, max, idle);
	LIST_INIT(&e->conns);
	*state = e;
	return (0);
}



static const struct handler_key echo_keys[] = {
	{ "max-channels", HANDLER_MAX_CHANNELS_PHRASE },
	{ "idle-timeout-ms", HANDLER_MS_PHRASE },
	{ NULL, NULL },
};

const struct handler_type handler_echo = {
	.name = "echo",
	.keys = echo_keys,
	.serves_accept_requests = false,
	.configure = echo_configure,
	.start = handler_loop_start,
	.drain = handler_loop_drain,
	.hurry = handler_loop_hurry,
	.release = handler_loop_release,
	.destroy = handler_loop_destroy,
};
