/* SPDX-License-Identifier: ISC */
/*
 * The metrics handler: serves the OpenMetrics text (metrics.c) over
 * HTTP/1.1 as GET /metrics, one request per connection, so that
 * Prometheus can scrape wsld through a listener wsld owns and can abort.
 * It accepts with the shared accept loop (handler-loop.c) on any stream
 * listener (TCP, HTTP, Unix).
 *
 * The request head must arrive whole, and the text be ready, within
 * "request-timeout-ms" (10 s) of the connection; the head may hold at
 * most METRICS_HEAD_MAX bytes; it is read line by line (CRLF,
 * or a bare LF) and checked: a malformed request line or header, or an
 * HTTP/1.1 request without one Host, gets 400; a request line longer
 * than the limit 414, a head longer than it 431; HTTP/2 and up 505; a
 * path other than /metrics (a query is ignored) 404; a method other than
 * GET or HEAD 405 with Allow; too slow a head 408, a text not ready in
 * time 503.  GET /metrics gets 200 with the text, Content-Length and
 * Connection: close.  Every answer closes the connection: a send that
 * makes no progress for METRICS_SEND_MS ends it; once sent, the handler
 * shuts its side down and reads (and ignores) what the client still sends
 * until it closes too, for at most METRICS_LINGER_MS, so that unread bytes
 * never turn the close into a reset that could destroy the answer in
 * flight.
 *
 * Where the text comes from.  The listener table belongs to the control
 * thread (listener.h, lifecycle.c), and this handler runs on the
 * listener's loop thread, which must not walk it.  So a request that
 * needs the text is queued on the handler's state (under its mutex) and
 * an event on the control loop is made active; its callback, on the
 * control thread, takes every request queued, renders the text once for
 * all of them (metrics_render), and hands each its reference back to its
 * loop with a task (WslPostLaneTask), which sends it.  A snapshot kept
 * fresh by the control thread was the other choice: it would cost a
 * rendering every period whether anyone scrapes or not (at 10,000
 * listeners, 26 MB of text and tens of milliseconds each time) and would
 * serve figures up to a period old; asking costs one rendering per
 * scrape, or fewer when scrapes come together, and the figures are those
 * of the moment of the scrape.  The price is that a scrape waits for the
 * control thread, as a `wslctl metrics` does.
 *
 * A connection whose request is with the control thread cannot be freed
 * when it ends (its client gone, its time up, the listener closed or
 * freed): its socket and events go at once, its struct stays until its
 * task comes back to the loop, which frees it.  The task always comes
 * back: tasks queued when a listener is freed run before it goes, and the
 * control thread cannot run between a listener's release and its free.
 * What is still queued when the state is destroyed (the loop gone) is
 * freed there.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "control.h"
#include "handler-loop.h"
#include "handler.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"

#define METRICS_HEAD_MAX 8192          /* bytes of request head */
#define METRICS_TIMEOUT_MS 10000       /* "request-timeout-ms" unless given */
#define METRICS_SEND_MS 10000          /* sending may stall so long */
#define METRICS_LINGER_MS 2000         /* after the answer, at most */
#define METRICS_MAX_CHANNELS 16

enum phase {
	READING,                 /* the request head */
	WAITING,                 /* for the text, from the control thread */
	SENDING,                 /* the answer */
	LINGERING,               /* sent and shut down: reading to the end */
};

struct mconn {
	struct metrics *m;
	struct bufferevent *bev;       /* NULL once ended */
	struct event *timer;           /* the head's deadline, the linger */
	enum phase phase;
	size_t head_bytes;             /* of the head, read so far */
	bool request_line;             /* has been read */
	bool http11;                   /* HTTP/1.1: Host is required */
	bool head;                     /* HEAD: no body */
	unsigned hosts;                /* Host fields */
	int status;                    /* the answer decided, or 0 */
	bool queued;                   /* with the control thread */
	struct metrics_text *text;     /* what the control thread gave */
	WSL_TASK task;                 /* ... brought back to the loop */
	STAILQ_ENTRY(mconn) pending;   /* in m->pending, under m->mu */
	LIST_ENTRY(mconn) entry;       /* in m->conns, while not ended */
};

/* Per lane; the connections belong to the loop, pending and wake to the
 * mutex and the control thread. */
struct metrics {
	struct accept_loop loop;
	struct timeval timeout;
	LIST_HEAD(, mconn) conns;
	pthread_mutex_t mu;
	STAILQ_HEAD(, mconn) pending;
	struct event *wake;            /* on the control loop */
};

static void conn_answer(struct mconn *, int status);

static void
conn_free(struct mconn *c)
{
	metrics_text_unref(c->text);
	free(c);
}

/* The connection is over: its socket and events go now; the struct too
 * unless the control thread still has it (then its task frees it). */
static void
conn_end(struct mconn *c)
{
	struct accept_loop *a = &c->m->loop;

	if (c->bev == NULL)
		return;
	bufferevent_free(c->bev); /* closes the descriptor */
	c->bev = NULL;
	event_free(c->timer);
	c->timer = NULL;
	LIST_REMOVE(c, entry);
	if (!c->queued)
		conn_free(c);
	accept_loop_ended(a);
}

static void
timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct mconn *c = arg;

	(void)fd;
	(void)what;
	if (c->phase == READING)
		conn_answer(c, 408); /* the head came too late */
	else if (c->phase == WAITING)
		conn_answer(c, 503); /* the text did */
	else
		conn_end(c);     /* lingering: enough */
}

/* The text has come back from the control thread (loop thread). */
static void
text_ready(void *arg)
{
	struct mconn *c = arg;

	c->queued = false;
	if (c->bev == NULL) {
		conn_free(c);
		return;
	}
	if (c->phase != WAITING)
		return; /* answered meanwhile (its time was up) */
	conn_answer(c, c->text != NULL ? 200 : 503);
}

/* On the control thread: every request queued gets the text. */
static void
wake(evutil_socket_t fd, short what, void *arg)
{
	struct metrics *m = arg;
	STAILQ_HEAD(, mconn) todo = STAILQ_HEAD_INITIALIZER(todo);
	struct metrics_text *t;
	struct mconn *c;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&m->mu);
	STAILQ_CONCAT(&todo, &m->pending);
	pthread_mutex_unlock(&m->mu);
	if (STAILQ_EMPTY(&todo))
		return;
	t = metrics_render(); /* NULL: no memory, each gets 503 */
	while ((c = STAILQ_FIRST(&todo)) != NULL) {
		STAILQ_REMOVE_HEAD(&todo, pending);
		if (t != NULL)
			metrics_text_ref(t);
		c->text = t;
		c->task.run = text_ready;
		c->task.arg = c;
		if (WslPostLaneTask(m->loop.ws, m->loop.lane, &c->task) != S_OK) {
			/* Its loop takes no more work: destroy frees it. */
			pthread_mutex_lock(&m->mu);
			STAILQ_INSERT_TAIL(&m->pending, c, pending);
			pthread_mutex_unlock(&m->mu);
		}
	}
	metrics_text_unref(t);
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return ("OK");
	case 400: return ("Bad Request");
	case 404: return ("Not Found");
	case 405: return ("Method Not Allowed");
	case 408: return ("Request Timeout");
	case 414: return ("URI Too Long");
	case 431: return ("Request Header Fields Too Large");
	case 503: return ("Service Unavailable");
	case 505: return ("HTTP Version Not Supported");
	}
	return ("Error");
}

static void
sent(struct bufferevent *bev, void *arg)
{
	struct mconn *c = arg;
	struct timeval tv = wsl_ms_to_tv(METRICS_LINGER_MS);

	if (c->phase != SENDING)
		return;
	/* All of it is with the kernel: say so, then read to the end. */
	c->phase = LINGERING;
	(void)shutdown(bufferevent_getfd(bev), SHUT_WR);
	evtimer_add(c->timer, &tv);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	bufferevent_enable(bev, EV_READ);
}

static void
text_sent(const void *data, size_t len, void *text)
{
	(void)data;
	(void)len;
	metrics_text_unref(text);
}

/* Answer with status (200: the text) and close once it is sent. */
static void
conn_answer(struct mconn *c, int status)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct timeval tv;
	char body[160];
	bool ok;
	int n;

	c->phase = SENDING;
	evtimer_del(c->timer);
	bufferevent_disable(c->bev, EV_READ);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (status == 200) {
		ok = evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: " METRICS_CONTENT_TYPE "\r\n"
		    "Content-Length: %zu\r\n"
		    "Cache-Control: no-store\r\n"
		    "Connection: close\r\n\r\n", c->text->len) > 0;
		/* The bytes are sent from the shared text, which stays until
		 * they are: the reference goes with them. */
		if (ok && !c->head) {
			if (evbuffer_add_reference(out, c->text->data,
			    c->text->len, text_sent, c->text) == 0)
				c->text = NULL;
			else
				ok = false;
		}
	} else {
		n = snprintf(body, sizeof(body), "%d %s: wsld serves only "
		    "GET /metrics here\n", status, reason(status));
		ok = evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\n"
		    "Content-Length: %d\r\n"
		    "%s"
		    "Connection: close\r\n\r\n", status, reason(status), n,
		    status == 405 ? "Allow: GET, HEAD\r\n" : "") > 0 &&
		    (c->head || evbuffer_add(out, body, (size_t)n) == 0);
	}
	if (!ok) {
		conn_end(c); /* no memory to say it whole */
		return;
	}
	/* A client that stops reading gets METRICS_SEND_MS, no more. */
	tv = wsl_ms_to_tv(METRICS_SEND_MS);
	bufferevent_set_timeouts(c->bev, NULL, &tv);
	bufferevent_enable(c->bev, EV_WRITE);
	if (evbuffer_get_length(out) == 0)
		sent(c->bev, c);
}

/* The request is good: the text is the control thread's to make. */
static void
ask_for_text(struct mconn *c)
{
	struct metrics *m = c->m;

	c->phase = WAITING;
	bufferevent_disable(c->bev, EV_READ);
	c->queued = true;
	pthread_mutex_lock(&m->mu);
	STAILQ_INSERT_TAIL(&m->pending, c, pending);
	pthread_mutex_unlock(&m->mu);
	event_active(m->wake, EV_READ, 0);
}

/* RFC 9110's token characters. */
static bool
is_token(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return (false);
	for (i = 0; i < n; i++)
		if (strchr("!#$%&'*+-.^_`|~", s[i]) == NULL &&
		    !(s[i] >= '0' && s[i] <= '9') &&
		    !(s[i] >= 'a' && s[i] <= 'z') &&
		    !(s[i] >= 'A' && s[i] <= 'Z'))
			return (false);
	return (true);
}

/* METHOD SP TARGET SP HTTP/D.D: the status it decides, or 0 (go on). */
static int
request_line(struct mconn *c, char *line)
{
	char *sp1, *sp2, *target, *path_end, *p;
	size_t plen;

	if ((sp1 = strchr(line, ' ')) == NULL ||
	    (sp2 = strchr(sp1 + 1, ' ')) == NULL || strchr(sp2 + 1, ' ') != NULL ||
	    !is_token(line, (size_t)(sp1 - line)) || sp2 == sp1 + 1)
		return (400);
	*sp1 = *sp2 = '\0';
	target = sp1 + 1;
	for (p = target; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return (400);
	p = sp2 + 1;
	if (strncmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' ||
	    p[6] != '.' || p[7] < '0' || p[7] > '9' || p[8] != '\0')
		return (400);
	if (p[5] != '1')
		return (p[5] == '0' ? 400 : 505);
	c->http11 = p[7] != '0';
	/* origin-form, or absolute-form (its path; no path is "/"). */
	if (strncasecmp(target, "http://", 7) == 0 ||
	    strncasecmp(target, "https://", 8) == 0) {
		target = strchr(target, ':') + 3;
		target += strcspn(target, "/?#");
		if (*target != '/')
			target = (char *)"/";
	} else if (target[0] != '/')
		return (strcmp(line, "OPTIONS") == 0 && strcmp(target, "*") == 0 ?
		    405 : 400);
	path_end = target + strcspn(target, "?#");
	plen = (size_t)(path_end - target);
	c->head = strcmp(line, "HEAD") == 0;
	if (plen != strlen("/metrics") || strncmp(target, "/metrics", plen) != 0)
		c->status = 404;
	else if (strcmp(line, "GET") != 0 && !c->head)
		c->status = 405;
	else
		c->status = 200;
	return (0);
}

/* NAME ":" VALUE; the status it decides, or 0. */
static int
header_line(struct mconn *c, const char *line)
{
	const char *colon = strchr(line, ':');
	const char *p;

	if (line[0] == ' ' || line[0] == '\t')
		return (400); /* obsolete line folding */
	if (colon == NULL || !is_token(line, (size_t)(colon - line)))
		return (400);
	for (p = colon + 1; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
			return (400);
	if ((size_t)(colon - line) == 4 && strncasecmp(line, "Host", 4) == 0)
		c->hosts++;
	return (0);
}

static void
readable(struct bufferevent *bev, void *arg)
{
	struct mconn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	char line[METRICS_HEAD_MAX + 1];
	size_t eol_len, len;
	int status;

	if (c->phase == LINGERING) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (c->phase != READING)
		return;
	for (;;) {
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
		if (eol.pos < 0) {
			if (c->head_bytes + evbuffer_get_length(in) >
			    METRICS_HEAD_MAX)
				conn_answer(c, c->request_line ? 431 : 414);
			return;
		}
		len = (size_t)eol.pos;
		if (c->head_bytes + len + eol_len > METRICS_HEAD_MAX) {
			conn_answer(c, c->request_line ? 431 : 414);
			return;
		}
		(void)evbuffer_remove(in, line, len);
		evbuffer_drain(in, eol_len);
		line[len] = '\0';
		c->head_bytes += len + eol_len;
		if (memchr(line, '\0', len) != NULL) {
			conn_answer(c, 400);
			return;
		}
		if (!c->request_line) {
			if (len == 0)
				continue; /* RFC 9112 2.2: an empty line first */
			c->request_line = true;
			if ((status = request_line(c, line)) != 0) {
				conn_answer(c, status);
				return;
			}
			continue;
		}
		if (len > 0) {
			if ((status = header_line(c, line)) != 0) {
				conn_answer(c, status);
				return;
			}
			continue;
		}
		/* The end of the head. */
		if (c->http11 && c->hosts != 1)
			conn_answer(c, 400);
		else if (c->status != 200)
			conn_answer(c, c->status);
		else
			ask_for_text(c);
		return;
	}
}

static void
event(struct bufferevent *bev, short what, void *arg)
{
	struct mconn *c = arg;

	/* A head cut short by the client's half-close is a bad request (it
	 * may still read the answer); any other end, an error or a stalled
	 * write, ends the connection. */
	if (c->phase == READING && (what & BEV_EVENT_EOF) &&
	    (what & BEV_EVENT_ERROR) == 0 && (c->head_bytes > 0 ||
	    evbuffer_get_length(bufferevent_get_input(bev)) > 0)) {
		conn_answer(c, 400);
		return;
	}
	conn_end(c);
}

static void
serve(struct accept_loop *a, int fd, const struct sockaddr_storage *peer,
    socklen_t len)
{
	struct metrics *m = a->owner;
	struct event_base *base = accept_loop_base(a);
	struct mconn *c;

	(void)peer;
	(void)len;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->m = m;
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if ((c->timer = evtimer_new(base, timer_fired, c)) == NULL ||
	    (c->bev = bufferevent_socket_new(base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		goto fail;
	bufferevent_setcb(c->bev, readable, sent, event, c);
	/* Never more than the head's limit (and one byte) in hand. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, METRICS_HEAD_MAX + 1);
	evtimer_add(c->timer, &m->timeout);
	bufferevent_enable(c->bev, EV_READ);
	LIST_INSERT_HEAD(&m->conns, c, entry);
	accept_loop_served(a);
	return;
fail:
	if (c != NULL && c->timer != NULL)
		event_free(c->timer);
	free(c);
	close(fd);
	accept_loop_failed(a, WSL_FAIL_RESOURCES);
}

/* On the loop, at every open: the control loop's event, made once. */
static bool
prepare(struct accept_loop *a)
{
	struct metrics *m = a->owner;

	if (m->wake == NULL && control_base != NULL)
		m->wake = event_new(control_base, -1, 0, wake, m);
	if (m->wake == NULL)
		log_listener(LOG_ERR, a->l->name, "metrics: out of memory, not "
		    "serving");
	return (m->wake != NULL);
}

static void
release_all(struct accept_loop *a)
{
	struct metrics *m = a->owner;

	while (!LIST_EMPTY(&m->conns))
		conn_end(LIST_FIRST(&m->conns));
}

static const struct accept_loop_ops metrics_ops = {
	.prepare = prepare, .serve = serve, .release_all = release_all,
	.fds_per_channel = 1, /* the connection */
};

static int
metrics_configure(const json_t *conf, WS_CHANNEL_BINDING binding,
    void **state, struct wsl_err *err, char *where, size_t wherelen)
{
	struct metrics *m;
	unsigned max;
	long long timeout = METRICS_TIMEOUT_MS;

	if (binding == WS_UDP_CHANNEL_BINDING) {
		where[0] = '\0';
		wsl_err_set(err, WSL_HR_E_INVALIDARG, "the metrics handler "
		    "serves HTTP: it needs a stream listener (net.tcp, http, "
		    "net.pipe), not soap.udp");
		return (-1);
	}
	if (handler_check_keys(conf, &handler_metrics, err, where,
	    wherelen) < 0 ||
	    handler_max_channels(conf, METRICS_MAX_CHANNELS, &max, err, where,
		wherelen) < 0 ||
	    handler_ms_option(conf, "request-timeout-ms", &timeout, err, where,
		wherelen) < 0)
		return (-1);
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (-1);
	}
	accept_loop_init(&m->loop, &metrics_ops, m, max, ACCEPT_LOOP_IDLE_MS);
	m->timeout = wsl_ms_to_tv(timeout);
	LIST_INIT(&m->conns);
	STAILQ_INIT(&m->pending);
	pthread_mutex_init(&m->mu, NULL);
	*state = m;
	return (0);
}

/* The loop is gone (control thread): what the control thread still has,
 * or could not hand back, is freed here; every connection has ended. */
static void
metrics_destroy(void *state)
{
	struct metrics *m = state;
	struct mconn *c;

	if (m == NULL)
		return;
	accept_loop_destroy_lanes(&m->loop);
	if (m->wake != NULL)
		event_free(m->wake);
	while ((c = STAILQ_FIRST(&m->pending)) != NULL) {
		STAILQ_REMOVE_HEAD(&m->pending, pending);
		conn_free(c);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static const struct handler_key metrics_keys[] = {
	{ "max-channels", HANDLER_MAX_CHANNELS_PHRASE },
	{ "request-timeout-ms", HANDLER_MS_PHRASE },
	{ NULL, NULL },
};

const struct handler_type handler_metrics = {
	.name = "metrics",
	.keys = metrics_keys,
	.serves_accept_requests = false,
	.configure = metrics_configure,
	.start = handler_loop_start,
	.drain = handler_loop_drain,
	.hurry = handler_loop_hurry,
	.release = handler_loop_release,
	.destroy = metrics_destroy,
};
