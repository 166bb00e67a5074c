/* SPDX-License-Identifier: ISC */
/*
 * The forward handler: every channel is proxied to an upstream, on the
 * listener's own loop.
 *
 *   {"type": "forward", "upstream": "tcp://127.0.0.1:9000"}
 *   (or tcp://[::1]:9000, unix:///run/app.sock; udp://HOST:PORT for a
 *   soap.udp listener), with "connect-timeout-ms" (default: the
 *   listener's connect-timeout property), "max-channels" (default 1024)
 *   and, for UDP, "idle-timeout-ms" (default 60000).
 *
 * Streams: the upstream is connected without blocking; then bytes flow
 * both ways through relay.c, in large blocks written on at once, a side
 * being read no more while one block from it waits for the other (so a
 * slow peer never makes wsld buffer more); an end of input is passed on
 * as a half-close (shutdown SHUT_WR) once everything before it is
 * written.  A channel counts as served when the
 * upstream connection is up; an upstream that refuses, fails or does not
 * answer in time is counted by reason, and the client gets an orderly
 * end (what it sent meanwhile is read and dropped, so no reset).
 * Datagrams: each UDP channel gets its own socket connected to the
 * upstream; packets go one way, replies the other, until the channel has
 * been idle for idle-timeout-ms.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "handler-loop.h"
#include "handler.h"
#include "log.h"
#include "listener.h"
#include "relay.h"

#define FORWARD_MAX_CHANNELS 1024

struct fwd_conn {
	struct forward *f;
	int fd, up;                   /* the client's, the upstream's; -1 once
	                               * the relay has them */
	struct relay relay;           /* streams, once connected */
	bool relaying;
	bool connected;               /* served (delivered): datagrams too */
	bool discarding;              /* upstream failed: let the client go */
	struct event *wait;           /* streams: the connect, then the
	                               * client's end while letting it go */
	struct event *ev[2];          /* UDP: both sockets */
	struct event *idle;           /* UDP: idleness; TCP: letting go */
	LIST_ENTRY(fwd_conn) entry;
};

struct forward {
	struct accept_loop loop;
	char upstream[300];           /* as configured, for messages */
	char host[256], port[8];      /* tcp:// and udp:// */
	char path[108];               /* unix:// */
	int socktype;
	long long connect_timeout_ms; /* -1: the listener's property */
	struct sockaddr_storage addr; /* resolved when the listener opens */
	socklen_t addrlen;
	struct timeval connect_tv;
	LIST_HEAD(, fwd_conn) conns;
};

/* The channel is over: it ended if it was served, was counted already if
 * discarding, and failed for the reason given if neither (still waiting
 * for its upstream, or never set up). */
static void
conn_free(struct fwd_conn *c, WSL_FAILURE unserved)
{
	struct accept_loop *a = &c->f->loop;
	int i;

	LIST_REMOVE(c, entry);
	if (c->relaying)
		relay_free(&c->relay); /* closes both */
	for (i = 0; i < 2; i++)
		if (c->ev[i] != NULL)
			event_free(c->ev[i]);
	if (c->wait != NULL)
		event_free(c->wait);
	if (c->idle != NULL)
		event_free(c->idle);
	if (c->fd >= 0)
		close(c->fd);
	if (c->up >= 0)
		close(c->up);
	if (c->connected)
		accept_loop_ended(a);
	else if (c->discarding)
		accept_loop_gone(a);
	else
		accept_loop_failed(a, unserved);
	free(c);
}

/* Both ends passed on and everything written: the channel is done. */
static void
relay_done(struct relay *r, void *arg)
{
	(void)r;
	conn_free(arg, WSL_FAIL_UPSTREAM_ERROR); /* served: ended */
}

static void
let_go(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_free(arg, WSL_FAIL_UPSTREAM_ERROR); /* counted already */
}

/* Letting the client go: drop what it sends until its end. */
static void
discard(evutil_socket_t fd, short what, void *arg)
{
	char buf[4096];
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		conn_free(arg, WSL_FAIL_UPSTREAM_ERROR); /* counted already */
}

/*
 * The upstream failed before the channel was served: end the client
 * cleanly.  Send it our end now and drop what it sends until it closes,
 * for one more connect timeout at most, however it trickles.  Until then
 * the client keeps its place among max-channels: its descriptor is ours.
 */
static void
give_up(struct fwd_conn *c, WSL_FAILURE why, int e)
{
	struct accept_loop *a = &c->f->loop;
	struct event_base *base = accept_loop_base(a);

	log_listener(LOG_DEBUG, a->l->name, "forward to %s failed: %s",
	    c->f->upstream, why == WSL_FAIL_UPSTREAM_REFUSED ? "refused" :
	    why == WSL_FAIL_UPSTREAM_TIMEOUT ? "timed out" : strerror(e));
	if (c->wait != NULL) {
		event_free(c->wait);
		c->wait = NULL;
	}
	if (c->up >= 0) {
		close(c->up);
		c->up = -1;
	}
	accept_loop_count_failure(a, why);
	c->discarding = true;
	if ((c->idle = evtimer_new(base, let_go, c)) == NULL ||
	    evtimer_add(c->idle, &c->f->connect_tv) < 0 ||
	    (c->wait = event_new(base, c->fd, EV_READ | EV_PERSIST, discard,
		c)) == NULL || event_add(c->wait, NULL) < 0) {
		conn_free(c, WSL_FAIL_UPSTREAM_ERROR); /* now, then */
		return;
	}
	(void)shutdown(c->fd, SHUT_WR);
}

static WSL_FAILURE
connect_failure(int e)
{
	return (e == ECONNREFUSED || e == ENOENT ? WSL_FAIL_UPSTREAM_REFUSED :
	    e == EMFILE || e == ENFILE || e == ENOBUFS ? WSL_FAIL_RESOURCES :
	    WSL_FAIL_UPSTREAM_ERROR);
}

/* The upstream is there: served; the bytes flow from now on. */
static void
connected(struct fwd_conn *c)
{
	struct accept_loop *a = &c->f->loop;

	if (c->wait != NULL) {
		event_free(c->wait);
		c->wait = NULL;
	}
	c->connected = true;
	accept_loop_served(a);
	if (relay_start(&c->relay, accept_loop_base(a), c->fd, c->up,
	    relay_done, c) < 0) {
		conn_free(c, WSL_FAIL_RESOURCES); /* served: ended */
		return;
	}
	c->relaying = true;
	c->fd = c->up = -1; /* the relay's now */
	relay_go(&c->relay, 0); /* the client has likely sent; may end c */
}

static void
connect_done(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_conn *c = arg;
	socklen_t len = sizeof(int);
	int e = 0;

	if (what & EV_TIMEOUT) {
		give_up(c, WSL_FAIL_UPSTREAM_TIMEOUT, ETIMEDOUT);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		e = errno;
	if (e != 0)
		give_up(c, connect_failure(e), e);
	else
		connected(c);
}

/* Nothing is read from the client until the upstream is there. */
static void
serve_stream(struct forward *f, struct fwd_conn *c, int fd)
{
	struct event_base *base = accept_loop_base(&f->loop);
	int e;

	c->fd = fd; /* accepted non-blocking (SOCK_NONBLOCK) */
	if ((c->up = socket(f->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		e = errno;
		give_up(c, connect_failure(e), e);
		return;
	}
	if (connect(c->up, (struct sockaddr *)&f->addr, f->addrlen) == 0) {
		connected(c);
		return;
	}
	if (errno != EINPROGRESS) {
		e = errno;
		give_up(c, connect_failure(e), e);
		return;
	}
	if ((c->wait = event_new(base, c->up, EV_WRITE, connect_done,
	    c)) == NULL || event_add(c->wait, &f->connect_tv) < 0)
		conn_free(c, WSL_FAIL_RESOURCES);
}

static void
dgram_idle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_free(arg, WSL_FAIL_RESOURCES); /* served: ended */
}

/* A packet from side i (the channel or the upstream) to the other. */
static void
dgram_read(evutil_socket_t fd, short what, void *arg)
{
	struct fwd_conn *c = arg;
	struct forward *f = c->f;
	ssize_t n;
	int to = fd == c->fd ? c->up : c->fd;

	(void)what;
	n = recv(fd, f->loop.packet, ACCEPT_LOOP_DATAGRAM_MAX, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR ||
	    errno == ECONNREFUSED))
		return; /* ECONNREFUSED: an ICMP error from the upstream */
	if (fd == c->fd && (n < 0 || (n == 0 && wsl_hung_up(fd, true)))) {
		conn_free(c, WSL_FAIL_RESOURCES); /* served: ended */
		return;
	}
	if (n >= 0)
		(void)send(to, f->loop.packet, (size_t)n, MSG_DONTWAIT |
		    MSG_NOSIGNAL);
	evtimer_add(c->idle, &f->loop.idle);
}

static void
serve_datagrams(struct forward *f, struct fwd_conn *c, int fd)
{
	struct event_base *base = accept_loop_base(&f->loop);

	c->fd = fd;
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->up = socket(f->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->up < 0 || connect(c->up, (struct sockaddr *)&f->addr,
	    f->addrlen) < 0 ||
	    (c->ev[0] = event_new(base, c->fd, EV_READ | EV_PERSIST,
		dgram_read, c)) == NULL ||
	    (c->ev[1] = event_new(base, c->up, EV_READ | EV_PERSIST,
		dgram_read, c)) == NULL ||
	    (c->idle = evtimer_new(base, dgram_idle, c)) == NULL ||
	    event_add(c->ev[0], NULL) < 0 || event_add(c->ev[1], NULL) < 0 ||
	    evtimer_add(c->idle, &f->loop.idle) < 0) {
		conn_free(c, WSL_FAIL_RESOURCES);
		return;
	}
	c->connected = true;
	accept_loop_served(&f->loop);
}

static void
serve(struct accept_loop *a, int fd, const struct sockaddr_storage *peer,
    socklen_t len)
{
	struct forward *f = a->owner;
	struct fwd_conn *c;

	(void)peer;
	(void)len;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		accept_loop_failed(a, WSL_FAIL_RESOURCES);
		return;
	}
	c->f = f;
	c->fd = c->up = -1;
	LIST_INSERT_HEAD(&f->conns, c, entry);
	if (a->datagrams)
		serve_datagrams(f, c, fd);
	else
		serve_stream(f, c, fd);
}

/* When the listener opens: resolve the upstream (names too, once). */
static bool
prepare(struct accept_loop *a)
{
	struct forward *f = a->owner;
	struct addrinfo hints, *res;
	ULONG timeout = 15000;
	int r;

	if (f->connect_timeout_ms < 0) {
		(void)WsGetListenerProperty(a->ws,
		    WS_LISTENER_PROPERTY_CONNECT_TIMEOUT, &timeout,
		    sizeof(timeout), NULL);
		f->connect_tv = wsl_ms_to_tv(timeout == INFINITE ?
		    86400000LL * 365 : timeout);
	} else
		f->connect_tv = wsl_ms_to_tv(f->connect_timeout_ms);
	if (f->path[0] != '\0') {
		struct sockaddr_un *sun = (void *)&f->addr;
		memset(&f->addr, 0, sizeof(f->addr));
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", f->path);
		f->addrlen = sizeof(*sun);
		return (true);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = f->socktype;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(f->host, f->port, &hints, &res)) != 0) {
		log_listener(LOG_ERR, a->l->name, "forward: cannot resolve "
		    "upstream %s: %s; not accepting", f->upstream,
		    gai_strerror(r));
		return (false);
	}
	memcpy(&f->addr, res->ai_addr, res->ai_addrlen);
	f->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	return (true);
}

static void
release_all(struct accept_loop *a)
{
	struct forward *f = a->owner;
	struct fwd_conn *c;

	/* One still waiting for its upstream was never delivered: its
	 * upstream did not connect within the time the close left it. */
	while ((c = LIST_FIRST(&f->conns)) != NULL)
		conn_free(c, WSL_FAIL_UPSTREAM_TIMEOUT);
}

static const struct accept_loop_ops forward_ops = {
	.prepare = prepare, .serve = serve, .release_all = release_all,
	.fds_per_channel = 2, /* the client's and the upstream's */
};

/* "tcp://HOST:PORT", "tcp://[V6]:PORT", "udp://...", "unix:///PATH". */
static int
parse_upstream(struct forward *f, const char *s, WS_CHANNEL_BINDING b,
    struct wsl_err *err)
{
	const char *host, *colon, *end;
	bool udp = b == WS_UDP_CHANNEL_BINDING;
	long port;

	snprintf(f->upstream, sizeof(f->upstream), "%s", s);
	if (strncmp(s, "unix://", 7) == 0 && !udp) {
		if (s[7] != '/' || strlen(s + 7) >= sizeof(f->path))
			goto bad;
		snprintf(f->path, sizeof(f->path), "%s", s + 7);
		f->socktype = SOCK_STREAM;
		return (0);
	}
	if (strncmp(s, udp ? "udp://" : "tcp://", 6) != 0)
		goto bad;
	host = s + 6;
	if (*host == '[') {
		if ((end = strchr(host, ']')) == NULL || end[1] != ':')
			goto bad;
		snprintf(f->host, sizeof(f->host), "%.*s",
		    (int)(end - host - 1), host + 1);
		colon = end + 1;
	} else {
		if ((colon = strrchr(host, ':')) == NULL || colon == host)
			goto bad;
		snprintf(f->host, sizeof(f->host), "%.*s", (int)(colon - host),
		    host);
	}
	port = strtol(colon + 1, (char **)&end, 10);
	if (*end != '\0' && strcmp(end, "/") != 0)
		goto bad;
	if (end == colon + 1 || port < 1 || port > 65535)
		goto bad;
	snprintf(f->port, sizeof(f->port), "%ld", port);
	f->socktype = udp ? SOCK_DGRAM : SOCK_STREAM;
	return (0);
bad:
	wsl_err_set(err, WSL_HR_E_INVALIDARG, "bad upstream '%.200s': expected "
	    "%s", s, udp ? "udp://HOST:PORT (this is a soap.udp listener)" :
	    "tcp://HOST:PORT, tcp://[IPV6]:PORT or unix:///PATH");
	return (-1);
}

#define FORWARD_UPSTREAM_PHRASE "a string such as \"tcp://127.0.0.1:9000\""

static int
forward_configure(const json_t *conf, WS_CHANNEL_BINDING binding,
    void **state, struct wsl_err *err, char *where, size_t wherelen)
{
	long long idle = ACCEPT_LOOP_IDLE_MS;
	struct forward *f;
	json_t *up;
	unsigned max;

	if (handler_check_keys(conf, &handler_forward, err, where, wherelen) < 0 ||
	    handler_max_channels(conf, FORWARD_MAX_CHANNELS, &max, err, where,
		wherelen) < 0)
		return (-1);
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (-1);
	}
	f->connect_timeout_ms = -1;
	up = json_object_get(conf, "upstream");
	/* At the value if there is one, else at the handler object. */
	snprintf(where, wherelen, "%s", up != NULL ? "/upstream" : "");
	if (!json_is_string(up)) {
		if (up == NULL)
			wsl_err_set(err, WSL_HR_E_INVALIDARG, "the forward "
			    "handler needs an \"upstream\", "
			    FORWARD_UPSTREAM_PHRASE);
		else
			wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"upstream\" "
			    "must be " FORWARD_UPSTREAM_PHRASE);
		free(f);
		return (-1);
	}
	if (parse_upstream(f, json_string_value(up), binding, err) < 0 ||
	    handler_ms_option(conf, "connect-timeout-ms", &f->connect_timeout_ms,
		err, where, wherelen) < 0 ||
	    handler_ms_option(conf, "idle-timeout-ms", &idle, err, where,
		wherelen) < 0) {
		free(f);
		return (-1);
	}
	where[0] = '\0';
	accept_loop_init(&f->loop, &forward_ops, f, max, idle);
	LIST_INIT(&f->conns);
	*state = f;
	return (0);
}



static const struct handler_key forward_keys[] = {
	{ "upstream", FORWARD_UPSTREAM_PHRASE },
	{ "connect-timeout-ms", HANDLER_MS_PHRASE },
	{ "idle-timeout-ms", HANDLER_MS_PHRASE },
	{ "max-channels", HANDLER_MAX_CHANNELS_PHRASE },
	{ NULL, NULL },
};

const struct handler_type handler_forward = {
	.name = "forward",
	.keys = forward_keys,
	.serves_accept_requests = false,
	.configure = forward_configure,
	.start = handler_loop_start,
	.drain = handler_loop_drain,
	.hurry = handler_loop_hurry,
	.release = handler_loop_release,
	.destroy = handler_loop_destroy,
};
