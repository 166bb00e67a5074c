/* SPDX-License-Identifier: ISC */
/*
 * The echo handler: sends every byte (or datagram) back.  It accepts with
 * the shared accept loop (handler-loop.c), so it stops when the listener
 * is aborted, while the channels it already serves carry on.  A slow
 * reader never makes it buffer more than ECHO_HIGH_WATER bytes.  A UDP
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

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "handler-loop.h"
#include "handler.h"
#include "listener.h"

#define ECHO_HIGH_WATER (64 * 1024)
#define ECHO_MAX_CHANNELS 1024

struct echo_conn {
	struct echo *echo;
	struct bufferevent *bev;      /* stream channels */
	struct event *ev;             /* datagram (UDP relay) channels */
	struct event *idle;           /* ... and their idle timer */
	int fd;
	bool draining;                /* the peer finished; flush, then close */
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
	if (c->bev != NULL)
		bufferevent_free(c->bev); /* closes the descriptor */
	if (c->ev != NULL) {
		event_free(c->ev);
		close(c->fd);
	}
	if (c->idle != NULL)
		event_free(c->idle);
	free(c);
	accept_loop_ended(a);
}

static void
stream_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	evbuffer_add_buffer(bufferevent_get_output(bev),
	    bufferevent_get_input(bev));
	/* Back-pressure: stop reading while the peer is not reading. */
	if (evbuffer_get_length(bufferevent_get_output(bev)) >= ECHO_HIGH_WATER)
		bufferevent_disable(bev, EV_READ);
}

static void
stream_write(struct bufferevent *bev, void *arg)
{
	struct echo_conn *c = arg;

	/* The output buffer drained below the low-water mark (0). */
	if (bufferevent_get_enabled(bev) & EV_READ)
		return;
	if (c->draining) {
		conn_free(c);
		return;
	}
	bufferevent_enable(bev, EV_READ);
}

static void
stream_event(struct bufferevent *bev, short what, void *arg)
{
	struct echo_conn *c = arg;

	if ((what & BEV_EVENT_EOF) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		/* Finish sending what was echoed, then close. */
		bufferevent_disable(bev, EV_READ);
		c->draining = true;
		return;
	}
	conn_free(c);
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
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (a->datagrams) {
		c->ev = event_new(base, fd, EV_READ | EV_PERSIST, datagram_read, c);
		c->idle = evtimer_new(base, datagram_idle, c);
		if (c->ev == NULL || c->idle == NULL ||
		    event_add(c->ev, NULL) < 0 ||
		    evtimer_add(c->idle, &a->idle) < 0)
			goto fail;
	} else {
		c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev == NULL)
			goto fail;
		bufferevent_setcb(c->bev, stream_read, stream_write,
		    stream_event, c);
		bufferevent_enable(c->bev, EV_READ);
	}
	LIST_INSERT_HEAD(&e->conns, c, entry);
	accept_loop_served(a);
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
