/* SPDX-License-Identifier: ISC */
/*
 * The echo handler: accepts in a loop on the listener's own event loop and
 * sends every byte (or datagram) back.  It is the API's model application:
 * it keeps one accept pending, and stops when WsAcceptChannel says the
 * listener is faulted (WS_E_OBJECT_FAULTED) or no longer open.  Channels
 * already accepted carry on after an abort; they are independent.  A slow
 * reader never makes it buffer more than ECHO_HIGH_WATER bytes.
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

#include "handler.h"
#include "log.h"
#include "registry.h"

#define ECHO_HIGH_WATER (64 * 1024)
#define DATAGRAM_MAX 65536

struct echo_conn {
	struct echo *echo;
	struct bufferevent *bev;      /* stream channels */
	struct event *ev;             /* datagram (UDP relay) channels */
	int fd;
	bool draining;                /* the peer finished; flush, then close */
	LIST_ENTRY(echo_conn) entry;
};

/* Per listener; every field but the tasks belongs to the loop thread. */
struct echo {
	struct wsld_listener *l;
	WS_LISTENER *ws;
	WS_CHANNEL *ch;               /* the pending accept's channel */
	bool running;
	bool datagrams;
	WSL_TASK start_task, release_task;
	unsigned char *packet;        /* DATAGRAM_MAX, datagram channels */
	LIST_HEAD(, echo_conn) conns;
};

static void accept_next(struct echo *);

static int
echo_configure(const json_t *conf, void **state, struct wsl_err *err,
    char *where, size_t wherelen)
{
	const char *key;
	json_t *v;
	struct echo *e;

	json_object_foreach((json_t *)conf, key, v) {
		if (strcmp(key, "type") != 0) {
			snprintf(where, wherelen, "/%s", key);
			wsl_err_set(err, WSL_HR_E_INVALIDARG,
			    "unknown key '%s' for the echo handler", key);
			return (-1);
		}
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (-1);
	}
	LIST_INIT(&e->conns);
	*state = e;
	return (0);
}

static void
conn_free(struct echo_conn *c)
{
	LIST_REMOVE(c, entry);
	if (c->bev != NULL)
		bufferevent_free(c->bev); /* closes the descriptor */
	if (c->ev != NULL) {
		event_free(c->ev);
		close(c->fd);
	}
	free(c);
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
	ssize_t n;

	(void)what;
	n = recv(fd, c->echo->packet, DATAGRAM_MAX, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && wsl_hung_up(fd, true))) {
		conn_free(c);
		return;
	}
	(void)send(fd, c->echo->packet, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void
serve(struct echo *e, int fd)
{
	struct event_base *base = WslGetListenerEventBase(e->ws);
	struct echo_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		atomic_fetch_add(&e->l->failed, 1);
		return;
	}
	c->echo = e;
	c->fd = fd;
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (e->datagrams) {
		c->ev = event_new(base, fd, EV_READ | EV_PERSIST, datagram_read, c);
		if (c->ev == NULL || event_add(c->ev, NULL) < 0)
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
	atomic_fetch_add(&e->l->delivered, 1);
	return;
fail:
	if (c->ev != NULL)
		event_free(c->ev);
	close(fd);
	free(c);
	atomic_fetch_add(&e->l->failed, 1);
}

/* Completion of our pending accept, on the listener's loop. */
static void
accepted(HRESULT hr, WS_CALLBACK_MODEL model, void *arg)
{
	struct echo *e = arg;
	int fd;

	(void)model;
	if (SUCCEEDED(hr) && (fd = WslDetachChannelFd(e->ch)) >= 0)
		serve(e, fd);
	(void)WsResetChannel(e->ch, NULL);
	accept_next(e);
}

/* Keep one accept pending until the listener faults or stops being open. */
static void
accept_next(struct echo *e)
{
	WS_ASYNC_CONTEXT ctx = { accepted, e };
	HRESULT hr;

	hr = WsAcceptChannel(e->ws, e->ch, &ctx, NULL);
	if (hr == WS_S_ASYNC)
		return;
	e->running = false;
	if (hr == WS_E_OBJECT_FAULTED)
		log_listener(LOG_INFO, e->l->name,
		    "echo: the listener is faulted, stopped accepting");
}

static void
start_on_loop(void *arg)
{
	struct echo *e = arg;

	if (e->running)
		return;
	if (e->ch == NULL &&
	    WsCreateChannelForListener(e->ws, NULL, 0, &e->ch, NULL) != S_OK)
		return;
	if (e->datagrams && e->packet == NULL &&
	    (e->packet = malloc(DATAGRAM_MAX)) == NULL)
		return;
	e->running = true;
	accept_next(e);
}

static void
release_on_loop(void *arg)
{
	struct echo *e = arg;

	while (!LIST_EMPTY(&e->conns))
		conn_free(LIST_FIRST(&e->conns));
	if (e->ch != NULL && WsFreeChannel(e->ch) == S_OK)
		e->ch = NULL;
	free(e->packet);
	e->packet = NULL;
	e->running = false;
}

static void
echo_start(struct wsld_listener *l)
{
	struct echo *e = l->handler_state;
	WS_CHANNEL_BINDING b = WS_TCP_CHANNEL_BINDING;

	if (e->l == NULL) {
		/* First start: the loop has never seen this state yet. */
		(void)WsGetListenerProperty(l->ws,
		    WS_LISTENER_PROPERTY_CHANNEL_BINDING, &b, sizeof(b), NULL);
		e->l = l;
		e->ws = l->ws;
		e->datagrams = b == WS_UDP_CHANNEL_BINDING;
		e->start_task.run = start_on_loop;
		e->start_task.arg = e;
		e->release_task.run = release_on_loop;
		e->release_task.arg = e;
	}
	(void)WslPostTask(l->ws, &e->start_task);
}

static void
echo_release(struct wsld_listener *l)
{
	struct echo *e = l->handler_state;

	if (e->l != NULL) /* it never ran otherwise: nothing on the loop */
		(void)WslPostTask(l->ws, &e->release_task);
}

static void
echo_destroy(void *state)
{
	free(state);
}

const struct handler_type handler_echo = {
	.name = "echo",
	.serves_accept_requests = false,
	.configure = echo_configure,
	.start = echo_start,
	.release = echo_release,
	.destroy = echo_destroy,
};
