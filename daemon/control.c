/* SPDX-License-Identifier: ISC */
/*
 * Control connections (see control.h).
 *
 * Framing uses wsl_lines, so requests may arrive in any pieces; a request
 * longer than WSL_PROTO_MAX_REQUEST gets an error reply and the connection
 * is closed once that reply is sent.  EOF from the client ends the last
 * request, whose reply is still sent (half-close), but a client that has
 * gone completely has its pending request cancelled (for instance a
 * waiting accept), and any reply, with its descriptor, is dropped and
 * counted.  A connection stops reading while a request is in progress and
 * its buffered input is large, and stops answering while its unsent output
 * is, so no client can make the daemon buffer without bound; a client that
 * does not read its replies for the request timeout is dropped.  Each
 * connection handles a bounded number of lines per turn of the event loop
 * and then waits for the next turn, so that a client with a flood of lines
 * buffered cannot keep the others waiting.  And all connections together
 * buffer at most INPUT_BUDGET beyond INPUT_ALLOWANCE each: past that, a
 * connection with complete requests buffered is read again once they are
 * handled, and one whose input is a single unfinished request has it
 * refused (WS_E_QUOTA_EXCEEDED) and is closed, rather than wsld running
 * out of memory (which made jansson crash, see json-memory.h).
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "access.h"
#include "cmd.h"
#include "control.h"
#include "inject.h"
#include "json-memory.h"
#include "log.h"
#include "log-limit.h"
#include "lifecycle.h"

#define READ_CHUNK 65536
#define OUTPUT_HIGH_WATER (256 * 1024) /* answer no more until it drains */
#define RESERVE 4                 /* descriptors kept for operators */
#define PAUSE_MS 250              /* accept back-off when none is left */
#define TURN_LINES 1024           /* per connection and turn: lines, */
#define TURN_REQUESTS 16          /* of them requests (not blank), */
#define TURN_BYTES 65536          /* and bytes (a larger line: alone) */
#define INPUT_ALLOWANCE (128 * 1024)      /* any connection may buffer */
#define INPUT_BUDGET (32 * 1024 * 1024)   /* beyond that, all together */
#define SLICE_BYTES 65536         /* of a reply sent as it is made */

struct ctl_out {
	TAILQ_ENTRY(ctl_out) entry;
	char *buf;
	size_t len, off;
	int fd;                        /* sent with the first byte; -1: none */
	struct wsld_listener *l;       /* whose channel fd is (a reference) */
};

struct ctl_socket;
struct ctl_items;

struct ctl_conn {
	int fd;
	struct ctl_socket *sock;       /* where it connected */
	struct event *rev, *wev, *resume;
	struct event *deadline;        /* a partial request takes too long */
	struct event *unread;          /* its replies are not read */
	unsigned long lines, lines_at_deadline;
	struct wsl_lines in;
	size_t in_size, in_excess;     /* as counted in stats and the budget */
	TAILQ_HEAD(ctl_out_list, ctl_out) out;
	struct ctl_out_list later;     /* detached replies that came while
	                                * another was being made in slices */
	size_t out_bytes;
	struct ctl_request *busy;      /* the request being answered */
	TAILQ_HEAD(, ctl_request) detached; /* answered when ready */
	unsigned n_detached;
	struct ctl_items *items;       /* its reply, being made */
	bool eof;                      /* no more requests will come */
	bool gone;                     /* the client closed completely */
	bool last_done;                /* the unterminated tail was handled */
	bool closing;                  /* close once the output is sent */
	bool processing;               /* inside process(): it goes on itself */
	bool held;                     /* requests wait for the output to drain */
	bool sent;                     /* output moved since the last update */
	bool no_room;                  /* over budget: its requests first */
	bool over_budget;              /* its unfinished request is refused */
	struct peer peer;              /* who it is, on which socket */
	TAILQ_ENTRY(ctl_conn) entry;
};

struct event_base *control_base;

static TAILQ_HEAD(, ctl_conn) conns = TAILQ_HEAD_INITIALIZER(conns);
static struct event_base *base;
/* The sockets control clients connect to: the control socket, and the
 * read-only one when configured. */
struct ctl_socket {
	int fd;
	struct event *ev;
	bool read_only;
	size_t clients;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* "": not
	                                  * ours to remove (systemd's) */
};
/* What happened to control clients, for `version` (and operators). */
static struct {
	uint64_t clients, turned_away, denied, timed_out, no_memory;
	uint64_t hand_offs_failed, over_budget;
	size_t queued, queued_peak;    /* reply bytes not yet sent */
	size_t buffered, buffered_peak; /* input buffers' sizes */
} stats;
static size_t input_excess;         /* their sizes beyond the allowance */

json_t *
control_stats(void)
{
	return (json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "request-bytes-buffered", (json_int_t)stats.buffered,
	    "request-bytes-buffered-peak", (json_int_t)stats.buffered_peak,
	    "refused-over-budget", (json_int_t)stats.over_budget,
	    "reply-bytes-queued", (json_int_t)stats.queued,
	    "reply-bytes-queued-peak", (json_int_t)stats.queued_peak,
	    "clients", (json_int_t)stats.clients,
	    "turned-away", (json_int_t)stats.turned_away,
	    "denied", (json_int_t)stats.denied,
	    "timed-out", (json_int_t)stats.timed_out,
	    "closed-for-lack-of-memory", (json_int_t)stats.no_memory,
	    "hand-offs-failed", (json_int_t)stats.hand_offs_failed));
}

size_t
control_connections(void)
{
	struct ctl_conn *c;
	size_t n = 0;

	TAILQ_FOREACH(c, &conns, entry)
		n++;
	return (n);
}

static struct ctl_socket socks[2];
static size_t nsocks;
static size_t max_clients = CONTROL_MAX_CLIENTS;
static struct timeval request_timeout = { CONTROL_REQUEST_TIMEOUT_MS / 1000,
	(CONTROL_REQUEST_TIMEOUT_MS % 1000) * 1000 };
static bool stopping;               /* the daemon is going down */
/*
 * When listeners have used every descriptor (EMFILE), an operator must
 * still get in: the control socket holds a few spare descriptors and gives
 * one up to accept a connection, taking it back when a connection closes.
 * With none left it pauses accepting instead of spinning.
 */
static int reserve[RESERVE] = { -1, -1, -1, -1 };
static struct event *pause_ev;

static void conn_update(struct ctl_conn *);
static void resume_later(struct ctl_conn *);
static void refill_reserve(void);
static void resume_accepting(void);
static bool release_reserve(void);
static void pause_accepting(void);

/* A channel's descriptor that will never reach its client. */
static void
handoff_failed(int fd, struct wsld_listener *l)
{
	if (fd < 0)
		return;
	close(fd);
	listener_count(l, WSL_CHANNEL_FAILED, WSL_FAIL_HANDOFF);
}

static void
out_free(struct ctl_out *o)
{
	handoff_failed(o->fd, o->l);
	if (o->l != NULL)
		listener_unref(o->l);
	free(o->buf);
	free(o);
}

static void
free_event(struct event *ev)
{
	if (ev != NULL)
		event_free(ev);
}

/* Replies that will not be sent (their descriptors count as failed). */
static void
drop_output(struct ctl_conn *c)
{
	struct ctl_out *o;

	TAILQ_CONCAT(&c->out, &c->later, entry);
	while ((o = TAILQ_FIRST(&c->out)) != NULL) {
		TAILQ_REMOVE(&c->out, o, entry);
		out_free(o);
	}
	stats.queued -= c->out_bytes;
	c->out_bytes = 0;
}

/* Count what the connection's input buffer holds now. */
static void
account(struct ctl_conn *c)
{
	size_t size = wsl_lines_size(&c->in);
	size_t excess = size > INPUT_ALLOWANCE ? size - INPUT_ALLOWANCE : 0;

	stats.buffered = stats.buffered - c->in_size + size;
	input_excess = input_excess - c->in_excess + excess;
	c->in_size = size;
	c->in_excess = excess;
	if (stats.buffered > stats.buffered_peak)
		stats.buffered_peak = stats.buffered;
}

/* Would growing the input buffer by growth bytes go over the budget? */
static bool
beyond_budget(const struct ctl_conn *c, size_t growth)
{
	size_t size = wsl_lines_size(&c->in) + growth;
	size_t excess = size > INPUT_ALLOWANCE ? size - INPUT_ALLOWANCE : 0;

	return (input_excess - c->in_excess + excess > INPUT_BUDGET);
}

static void
conn_free(struct ctl_conn *c)
{
	TAILQ_REMOVE(&conns, c, entry);
	drop_output(c);
	free_event(c->rev);
	free_event(c->wev);
	free_event(c->resume);
	free_event(c->deadline);
	free_event(c->unread);
	wsl_lines_free(&c->in);
	account(c);
	access_peer_free(&c->peer);
	close(c->fd);
	if (c->sock != NULL)
		c->sock->clients--;
	free(c);
	refill_reserve();
}

/* Its detached requests will never be read: each is cancelled, and
 * answered (into nothing) when its cancel completes. */
static void
cancel_detached(struct ctl_conn *c)
{
	struct ctl_request *req, *next;

	for (req = TAILQ_FIRST(&c->detached); req != NULL; req = next) {
		next = TAILQ_NEXT(req, detached_entry);
		if (req->cancel != NULL)
			req->cancel(req);
	}
}

/* The client is gone: cancel what it waits for, drop what it was sent.
 * Never frees the connection (see conn_update). */
static void
conn_gone(struct ctl_conn *c)
{
	if (c->gone)
		return;
	c->gone = true;
	drop_output(c);
	if (c->busy != NULL && c->busy->cancel != NULL)
		c->busy->cancel(c->busy);
	cancel_detached(c);
	/* The caller's event callback ends with conn_update(), which frees
	 * the connection once nothing refers to it any more. */
}

/* Queue a reply's bytes; into later while another reply is being made
 * in slices (its bytes must stay one line), but for that reply's own. */
static void
queue_into(struct ctl_conn *c, bool later, char *buf, size_t len, int fd,
    struct wsld_listener *l)
{
	struct ctl_out *o;

	if ((o = inject_calloc(1, sizeof(*o))) == NULL) {
		stats.no_memory++;
		free(buf);
		handoff_failed(fd, l);
		conn_gone(c);
		return;
	}
	o->buf = buf;
	o->len = len;
	o->fd = fd;
	o->l = l;
	if (l != NULL)
		listener_ref(l);
	TAILQ_INSERT_TAIL(later ? &c->later : &c->out, o, entry);
	c->out_bytes += len;
	stats.queued += len;
	if (stats.queued > stats.queued_peak)
		stats.queued_peak = stats.queued;
}

static void
queue(struct ctl_conn *c, char *buf, size_t len, int fd,
    struct wsld_listener *l)
{
	queue_into(c, false, buf, len, fd, l);
}

static void
send_reply(struct ctl_conn *c, json_t *reply, int fd, struct wsld_listener *l)
{
	size_t len;
	char *buf;

	if (reply == NULL || (buf = json_encode_whole(reply, &len)) == NULL) {
		stats.no_memory++;
		json_decref(reply);
		handoff_failed(fd, l);
		conn_gone(c); /* cannot answer: do not leave it waiting */
		return;
	}
	json_decref(reply);
	queue_into(c, c->items != NULL, buf, len, fd, l);
}

static void
request_free(struct ctl_request *req)
{
	json_decref(req->root);
	free(req);
}

/* Answered: the connection takes its next request. */
static void
request_done(struct ctl_request *req)
{
	struct ctl_conn *c = req->conn;

	if (c != NULL && c->busy == req) {
		c->busy = NULL;
		/* A later answer goes on from a fresh stack, not from inside
		 * the completion; an immediate one lets process() go on. */
		if (!c->processing)
			resume_later(c);
	} else if (c != NULL && req->detached) {
		TAILQ_REMOVE(&c->detached, req, detached_entry);
		c->n_detached--;
		if (!c->processing)
			resume_later(c); /* a gone connection may go now */
	}
	request_free(req);
}

bool
ctl_request_detach(struct ctl_request *req)
{
	struct ctl_conn *c = req->conn;

	if (c == NULL || c->busy != req || c->gone ||
	    c->n_detached >= CONTROL_MAX_DETACHED)
		return (false);
	c->busy = NULL;
	req->detached = true;
	TAILQ_INSERT_TAIL(&c->detached, req, detached_entry);
	c->n_detached++;
	if (!c->processing)
		resume_later(c);
	return (true);
}

void
ctl_reply_fd(struct ctl_request *req, HRESULT hr, const char *text,
    json_t *args, int fd, struct wsld_listener *l)
{
	struct ctl_conn *c = req->conn;
	json_t *reply;

	if (c == NULL || c->gone) {
		json_decref(args);
		handoff_failed(fd, l);
	} else {
		reply = wsl_reply_new(req->id, hr, text, args);
		send_reply(c, reply, fd, l);
	}
	request_done(req);
}

void
ctl_reply_encoded(struct ctl_request *req, char *line, size_t len)
{
	struct ctl_conn *c = req->conn;

	if (c == NULL || c->gone)
		free(line);
	else if (line == NULL) {
		stats.no_memory++;
		conn_gone(c); /* cannot answer: do not leave it waiting */
	} else
		queue_into(c, c->items != NULL, line, len, -1, NULL);
	request_done(req);
}

void
ctl_reply_lost(struct ctl_request *req, int fd, struct wsld_listener *l)
{
	struct ctl_conn *c = req->conn;

	if (c != NULL && !c->gone)
		send_reply(c, NULL, fd, l); /* counted, the client dropped */
	else
		handoff_failed(fd, l);
	ctl_reply_fd(req, WSL_HR_E_OUTOFMEMORY, NULL, NULL, -1, NULL);
}

void
ctl_reply(struct ctl_request *req, HRESULT hr, const char *text, json_t *args)
{
	ctl_reply_fd(req, hr, text, args, -1, NULL);
}

/*
 * A reply sent as it is made (ctl_reply_items): the reply with an empty
 * array cut in two, the head queued at once, then the items a slice at a
 * time from a timer, so that the events ready meanwhile (other clients)
 * run between slices, then the tail.  Made only while the client has less
 * than OUTPUT_HIGH_WATER unread: a client that does not read holds that
 * much and a place in the list, not the whole reply (and is dropped at
 * the timeout as any other).
 */
struct ctl_items {
	struct ctl_request *req;
	struct ctl_conn *conn;
	ctl_item_fn *next;
	void (*finish)(void *);
	void *arg;
	struct event *ev;              /* makes the next slice */
	size_t count;                  /* items made so far */
	bool waiting;                  /* for the client to read */
};

#define ITEMS_TAIL "]}}\n"

struct text {
	char *buf;
	size_t len, size;
};

static int
text_add(const char *p, size_t n, void *arg)
{
	struct text *t = arg;
	size_t size;
	char *buf;

	if (t->size - t->len < n) {
		size = t->size > 0 ? t->size : 16384;
		while (size - t->len < n)
			size *= 2;
		if ((buf = inject_realloc(t->buf, size)) == NULL)
			return (-1);
		t->buf = buf;
		t->size = size;
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
	return (0);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

/* Answered, or the client gone: all of it goes. */
static void
items_end(struct ctl_items *s)
{
	struct ctl_request *req = s->req;

	s->conn->items = NULL;
	TAILQ_CONCAT(&s->conn->out, &s->conn->later, entry);
	event_free(s->ev);
	s->finish(s->arg);
	free(s);
	req->cancel = NULL;
	req->data = NULL;
	request_done(req);
}

static void
items_cancel(struct ctl_request *req)
{
	items_end(req->data);
}

/* At the next turn of the loop, after the events ready now. */
static void
items_later(struct ctl_items *s)
{
	static const struct timeval now = { 0, 0 };

	evtimer_add(s->ev, &now);
}

static void
items_slice(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_items *s = arg;
	struct ctl_conn *c = s->conn;
	unsigned long failures = json_allocation_failures();
	struct text t = { NULL, 0, 0 };
	uint64_t start = now_us();
	bool done = false, failed = false;
	json_t *item = NULL;

	(void)fd;
	(void)what;
	do {
		switch (s->next(s->arg, &item)) {
		case CTL_ITEM:
			failed = (s->count++ > 0 && text_add(",", 1, &t) < 0) ||
			    json_dump_callback(item, text_add, &t,
			    JSON_COMPACT | JSON_ENCODE_ANY) < 0;
			json_decref(item);
			break;
		case CTL_ITEM_NOT_YET:
			break;
		case CTL_ITEMS_END:
			done = true;
			break;
		default:
			failed = true;
			break;
		}
	} while (!failed && !done && t.len < SLICE_BYTES &&
	    now_us() - start < CONTROL_SLICE_US);
	if (!failed && done)
		failed = text_add(ITEMS_TAIL, strlen(ITEMS_TAIL), &t) < 0;
	/* jansson leaves out what it had no memory for: not sent. */
	if (failed || json_allocation_failures() != failures) {
		free(t.buf);
		stats.no_memory++;
		conn_gone(c); /* ends the request (items_cancel) */
		conn_update(c);
		return;
	}
	if (t.len > 0)
		queue(c, t.buf, t.len, -1, NULL);
	else
		free(t.buf);
	if (c->gone) {
		conn_update(c);
		return;
	}
	if (done)
		items_end(s);
	else if (c->out_bytes >= OUTPUT_HIGH_WATER)
		s->waiting = true; /* conn_update goes on once it drains */
	else
		items_later(s);
	conn_update(c);
}

void
ctl_reply_items(struct ctl_request *req, const char *key, ctl_item_fn *next,
    void (*finish)(void *), void *arg)
{
	struct ctl_conn *c = req->conn;
	struct ctl_items *s = NULL;
	json_t *reply;
	char *head = NULL;
	size_t len = 0, tail = strlen(ITEMS_TAIL);

	if (c == NULL || c->gone) {
		finish(arg);
		ctl_reply(req, WSL_HR_S_OK, NULL, NULL);
		return;
	}
	reply = wsl_reply_new(req->id, WSL_HR_S_OK, NULL,
	    json_pack("{s:[]}", key));
	if (reply != NULL)
		head = json_encode_whole(reply, &len);
	json_decref(reply);
	/* The array is last: "...[" and ITEMS_TAIL. */
	if (head == NULL || len < tail + 1 || head[len - tail - 1] != '[' ||
	    memcmp(head + len - tail, ITEMS_TAIL, tail) != 0 ||
	    (s = inject_calloc(1, sizeof(*s))) == NULL ||
	    (s->ev = evtimer_new(base, items_slice, s)) == NULL) {
		free(head);
		free(s);
		finish(arg);
		ctl_reply_lost(req, -1, NULL);
		return;
	}
	s->req = req;
	s->conn = c;
	s->next = next;
	s->finish = finish;
	s->arg = arg;
	c->items = s;
	req->data = s;
	req->cancel = items_cancel;
	queue(c, head, len - tail, -1, NULL);
	if (!c->gone)
		items_later(s);
}

/* Asked at every request, so that a reload of "access" applies at once. */
static bool
allowed(struct ctl_conn *c, struct ctl_request *req)
{
	int level = access_level(&c->peer), need = wsl_cmds[req->cmd].level;
	char text[200], who[ACTOR_TEXT];

	if (level >= need)
		return (true);
	snprintf(text, sizeof(text), "'%s' needs the %s level; uid %u has %s%s",
	    wsl_cmds[req->cmd].name, access_level_name(need),
	    (unsigned int)c->peer.uid, access_level_name(level),
	    c->peer.read_only ? " (on the read-only socket)" : "");
	stats.denied++;
	if (log_limit(LOG_LIMIT_DENIED, c->peer.uid))
		log_warnx("control: denied %s: %s", actor_format(req->actor,
		    who), text);
	ctl_reply(req, WSL_HR_E_ACCESSDENIED, text, NULL);
	return (false);
}

static void
dispatch(struct ctl_conn *c, const char *line, size_t len)
{
	struct ctl_request *req;
	struct wsl_request wr;
	struct wsl_err err;
	char who[ACTOR_TEXT];
	HRESULT hr;

	if ((req = inject_calloc(1, sizeof(*req))) == NULL) {
		stats.no_memory++;
		conn_gone(c);
		return;
	}
	req->conn = c;
	req->actor = actor_peer(c->peer.uid, c->peer.pid);
	c->busy = req;
	if (!json_parse_begin()) {
		/* Not read at all: jansson must not run out mid-parse. */
		memset(&wr, 0, sizeof(wr));
		wr.cmd = -1;
		stats.no_memory++;
		hr = wsl_err_set(&err, WSL_HR_E_OUTOFMEMORY, "out of memory: "
		    "the request was not read");
	} else {
		hr = wsl_request_decode(line, len, &wr, &err);
		if (json_parse_end()) {
			/* Cut short for lack of memory, not malformed. */
			stats.no_memory++;
			hr = wsl_err_set(&err, WSL_HR_E_OUTOFMEMORY, "out of "
			    "memory while reading the request");
		}
	}
	req->root = wr.root; /* owns id and args, even on failure */
	req->id = wr.id;
	req->args = wr.arguments;
	req->cmd = wr.cmd;
	if (FAILED(hr)) {
		if (log_limit(LOG_LIMIT_BAD_REQUEST, c->peer.uid))
			log_debug("control: bad request %s: %s",
			    actor_format(req->actor, who), err.text);
		ctl_reply(req, hr, err.text, NULL);
		return;
	}
	log_debug("control: '%s' %s", wsl_cmds[req->cmd].name,
	    actor_format(req->actor, who));
	if (stopping) {
		ctl_reply(req, WSL_HR_WS_E_ENDPOINT_NOT_AVAILABLE,
		    "wsld is shutting down", NULL);
		return;
	}
	if (!allowed(c, req))
		return;
	cmd_dispatch(req);
}

static bool
blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return (false);
	return (true);
}

static void
too_long(struct ctl_conn *c)
{
	char text[128];

	snprintf(text, sizeof(text), "the request is larger than %d bytes; "
	    "closing the connection", WSL_PROTO_MAX_REQUEST);
	send_reply(c, wsl_reply_new(NULL, WSL_HR_WS_E_INVALID_FORMAT, text,
	    NULL), -1, NULL);
	c->closing = true;
	log_warnx("control: a request from uid %u pid %d exceeded %d bytes",
	    (unsigned int)c->peer.uid, (int)c->peer.pid, WSL_PROTO_MAX_REQUEST);
}

/* Its unfinished request would take wsld over its budget for buffered
 * requests: refused, once the requests before it are answered. */
static void
refuse_over_budget(struct ctl_conn *c)
{
	static time_t last;
	time_t now = time(NULL);
	char text[256];

	snprintf(text, sizeof(text), "wsld holds %zu bytes of unfinished "
	    "control requests and may hold no more (%d beyond %d per "
	    "connection); the request is refused; closing the connection",
	    stats.buffered, INPUT_BUDGET, INPUT_ALLOWANCE);
	stats.over_budget++;
	send_reply(c, wsl_reply_new(NULL, WSL_HR_WS_E_QUOTA_EXCEEDED, text,
	    NULL), -1, NULL);
	c->closing = true;
	/* Logged at most once a second, whatever the flood. */
	if (now != last)
		log_warnx("control: uid %u pid %d: %s",
		    (unsigned int)c->peer.uid, (int)c->peer.pid, text);
	last = now;
}

/* Go on at the next turn of the loop, after the events that are ready
 * now (an event made active at once would run before them). */
static void
resume_later(struct ctl_conn *c)
{
	static const struct timeval now = { 0, 0 };

	evtimer_add(c->resume, &now);
}

/* Take requests out of the input while none is in progress, a turn's
 * worth at most. */
static void
process(struct ctl_conn *c)
{
	int r, lines = 0, requests = 0;
	size_t len, bytes = 0;
	char *line;

	c->processing = true;
	while (c->busy == NULL && !c->gone && !c->closing) {
		if (c->out_bytes >= OUTPUT_HIGH_WATER) {
			c->held = true; /* the client reads its replies first */
			break;
		}
		if (lines == TURN_LINES || requests == TURN_REQUESTS ||
		    bytes >= TURN_BYTES) {
			resume_later(c); /* the others' turn */
			break;
		}
		r = wsl_lines_next(&c->in, &line, &len);
		if (r == WSL_LINES_TOO_LONG) {
			too_long(c);
			break;
		}
		if (r == WSL_LINES_LINE) {
			c->lines++;
			lines++;
			bytes += len + 1;
			if (!blank(line, len)) {
				requests++;
				dispatch(c, line, len);
			}
			wsl_lines_consume(&c->in, len + 1);
			c->no_room = false; /* it may read again and see */
			continue;
		}
		if (c->over_budget) {
			refuse_over_budget(c);
			break;
		}
		if (!c->eof || c->last_done)
			break;
		/* EOF ends the last request too. */
		c->last_done = true;
		r = wsl_lines_take_rest(&c->in, &line, &len);
		if (r == WSL_LINES_TOO_LONG)
			too_long(c);
		else if (r == WSL_LINES_LINE) {
			if (!blank(line, len))
				dispatch(c, line, len);
			wsl_lines_consume(&c->in, len);
		}
	}
	c->processing = false;
	/* What a large request left behind goes back. */
	wsl_lines_trim(&c->in, INPUT_ALLOWANCE);
	account(c);
	conn_update(c);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *c = arg;
	char buf[READ_CHUNK];
	size_t growth;
	ssize_t n;

	(void)what;
	if (c->eof) {
		/* Edge-triggered watch for the client going away. */
		if (wsl_hung_up(fd, false)) {
			conn_gone(c);
			conn_update(c);
		}
		return;
	}
	growth = wsl_lines_growth(&c->in, sizeof(buf));
	if (growth > 0 && beyond_budget(c, growth)) {
		if (wsl_lines_pending(&c->in) > wsl_lines_partial(&c->in))
			c->no_room = true; /* its whole requests make room */
		else {
			c->over_budget = true;
			wsl_lines_drop_partial(&c->in);
			wsl_lines_trim(&c->in, 0);
			account(c);
		}
		process(c);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		conn_gone(c);
		conn_update(c);
		return;
	}
	if (n == 0) {
		c->eof = true;
		if (wsl_hung_up(fd, false)) {
			conn_gone(c);
			conn_update(c);
			return;
		}
		event_del(c->rev);
		event_assign(c->rev, base, c->fd, EV_READ | EV_ET | EV_PERSIST,
		    read_cb, c);
	} else if (wsl_lines_append(&c->in, buf, (size_t)n) < 0) {
		stats.no_memory++;
		conn_gone(c);
		conn_update(c);
		return;
	}
	account(c);
	process(c);
}

/* Send what the output queue holds, as far as the socket takes it. */
static void
flush(struct ctl_conn *c)
{
	struct ctl_out *o;
	ssize_t n;
	int e;

	while ((o = TAILQ_FIRST(&c->out)) != NULL) {
		if (o->off == 0 && o->fd >= 0) {
			if (inject_sendmsg_fault(&e)) {
				n = -1;
				errno = e;
			} else
				n = wsl_send_fd(c->fd, o->buf, o->len, o->fd);
			if (n > 0) {
				close(o->fd); /* the client has its own copy */
				o->fd = -1;
				listener_count(o->l, WSL_CHANNEL_PASSED_ON, 0);
			}
		} else
			n = send(c->fd, o->buf + o->off, o->len - o->off,
			    MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (o->fd >= 0)
				stats.hand_offs_failed++;
			log_warnx("control: uid %u pid %d: %s; the client is "
			    "dropped%s", (unsigned int)c->peer.uid,
			    (int)c->peer.pid, strerror(errno), o->fd >= 0 ?
			    ", and the channel it was to get closed" : "");
			conn_gone(c);
			return;
		}
		o->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		stats.queued -= (size_t)n;
		c->sent = true;
		if (o->off < o->len)
			return;
		TAILQ_REMOVE(&c->out, o, entry);
		out_free(o);
	}
}

static void
write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *c = arg;

	(void)fd;
	(void)what;
	flush(c);
	conn_update(c);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	process(arg);
}

static long long
timeout_ms(void)
{
	return ((long long)request_timeout.tv_sec * 1000 +
	    request_timeout.tv_usec / 1000);
}

/* A request has to arrive whole within the timeout, counted from its first
 * byte: a client that trickles one forever is told so and closed. */
static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *c = arg;
	char text[160];

	(void)fd;
	(void)what;
	if (c->busy != NULL) { /* its answer comes first: wait for it */
		evtimer_add(c->deadline, &request_timeout);
		return;
	}
	snprintf(text, sizeof(text), "the request did not arrive whole within "
	    "%lld ms; closing the connection", timeout_ms());
	stats.timed_out++;
	log_warnx("control: uid %u pid %d: %s", (unsigned int)c->peer.uid,
	    (int)c->peer.pid, text);
	send_reply(c, wsl_reply_new(NULL, WSL_HR_WS_E_OPERATION_TIMED_OUT, text,
	    NULL), -1, NULL);
	c->closing = true;
	conn_update(c);
}

/* A client that takes none of its replies for the timeout holds memory and
 * a place for nothing: it is dropped (it would not read why either). */
static void
unread_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *c = arg;

	(void)fd;
	(void)what;
	stats.timed_out++;
	log_warnx("control: uid %u pid %d read none of its replies for %lld ms; "
	    "the client is dropped", (unsigned int)c->peer.uid,
	    (int)c->peer.pid, timeout_ms());
	conn_gone(c);
	conn_update(c);
}

/* Time while wsld does not read (its replies wait for the client) does
 * not count against the client. */
static void
watch_partial(struct ctl_conn *c, bool reading)
{
	if (!reading || wsl_lines_partial(&c->in) == 0) {
		evtimer_del(c->deadline);
		return;
	}
	/* Armed when a new partial request begins, not at every byte. */
	if (!evtimer_pending(c->deadline, NULL) ||
	    c->lines_at_deadline != c->lines) {
		c->lines_at_deadline = c->lines;
		evtimer_add(c->deadline, &request_timeout);
	}
}

static void
watch_output(struct ctl_conn *c)
{
	if (TAILQ_EMPTY(&c->out)) {
		event_del(c->wev);
		evtimer_del(c->unread);
	} else {
		event_add(c->wev, NULL);
		/* Counted from the last byte the client took. */
		if (c->sent || !evtimer_pending(c->unread, NULL))
			evtimer_add(c->unread, &request_timeout);
	}
	c->sent = false;
}

/* Decide what to watch, and whether the connection is finished. */
static void
conn_update(struct ctl_conn *c)
{
	bool finished, want_read;

	/* Most replies fit the socket's buffer: send now, not a loop
	 * iteration later. */
	if (!c->gone && !TAILQ_EMPTY(&c->out))
		flush(c);
	if (c->gone) {
		if (c->busy == NULL && c->n_detached == 0)
			conn_free(c);
		else {
			event_del(c->rev);
			event_del(c->wev);
			evtimer_del(c->deadline);
			evtimer_del(c->unread);
		}
		return;
	}
	finished = c->busy == NULL && c->n_detached == 0 &&
	    (c->closing || (c->eof && c->last_done));
	if (finished && TAILQ_EMPTY(&c->out)) {
		conn_free(c);
		return;
	}
	watch_output(c);
	if (c->held && c->out_bytes < OUTPUT_HIGH_WATER) {
		c->held = false;
		resume_later(c);
	}
	if (c->items != NULL && c->items->waiting &&
	    c->out_bytes < OUTPUT_HIGH_WATER) {
		c->items->waiting = false;
		items_later(c->items);
	}
	if (c->eof) {
		/* Its last request is whole by now. */
		evtimer_del(c->deadline);
		event_add(c->rev, NULL); /* the edge-triggered hang-up watch */
		return;
	}
	want_read = !c->closing && !c->no_room && !c->over_budget &&
	    wsl_lines_pending(&c->in) < WSL_PROTO_MAX_REQUEST + READ_CHUNK &&
	    c->out_bytes < OUTPUT_HIGH_WATER;
	watch_partial(c, want_read);
	if (want_read)
		event_add(c->rev, NULL);
	else
		event_del(c->rev);
}

/* Over a limit: say so in one line and close, never leave it hanging. */
static void
turn_away(struct ctl_conn *c, const char *why)
{
	json_t *reply;
	size_t len;
	char *line;

	stats.turned_away++;
	reply = wsl_reply_new(NULL, WSL_HR_WS_E_QUOTA_EXCEEDED, why, NULL);
	if (reply != NULL && (line = json_encode_whole(reply, &len)) !=
	    NULL) {
		(void)send(c->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(line);
	}
	json_decref(reply);
	if (log_limit(LOG_LIMIT_TURNED_AWAY, c->peer.uid))
		log_warnx("control: uid %u pid %d turned away: %s",
		    (unsigned int)c->peer.uid, (int)c->peer.pid, why);
	close(c->fd);
	access_peer_free(&c->peer);
	free(c);
	refill_reserve();
}

void
control_set_limits(size_t clients, long long request_timeout_ms)
{
	max_clients = clients;
	request_timeout = wsl_ms_to_tv(request_timeout_ms);
}

static void
accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_socket *cs = arg;
	struct ctl_conn *c;
	bool spare = false;
	char why[100];
	int s;

	(void)what;
	while ((s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0) {
		if ((errno == EMFILE || errno == ENFILE) && release_reserve()) {
			spare = true; /* one spare descriptor given up: again */
			continue;
		}
		if (errno == EMFILE || errno == ENFILE) {
			log_warnx("control: out of descriptors; pausing "
			    "accept for %d ms", PAUSE_MS);
			pause_accepting();
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control: accept");
		return;
	}
	if ((c = inject_calloc(1, sizeof(*c))) == NULL) {
		stats.no_memory++;
		close(s);
		refill_reserve();
		return;
	}
	c->fd = s;
	access_peer(s, cs->read_only, &c->peer);
	/* The spare descriptors are for those who can act on a listener,
	 * not for anyone who can reach the read-only socket. */
	if (spare && access_level(&c->peer) < WSL_LEVEL_OPERATE) {
		turn_away(c, "wsld is out of descriptors; only peers who may "
		    "operate get in");
		return;
	}
	if (cs->clients >= max_clients && !access_operator(&c->peer)) {
		snprintf(why, sizeof(why), "too many control clients (%zu); "
		    "try again later", max_clients);
		turn_away(c, why);
		return;
	}
	c->sock = cs;
	cs->clients++;
	stats.clients++;
	wsl_lines_init(&c->in, WSL_PROTO_MAX_REQUEST);
	TAILQ_INIT(&c->out);
	TAILQ_INIT(&c->later);
	TAILQ_INIT(&c->detached);
	TAILQ_INSERT_TAIL(&conns, c, entry);
	c->rev = event_new(base, s, EV_READ | EV_PERSIST, read_cb, c);
	c->wev = event_new(base, s, EV_WRITE | EV_PERSIST, write_cb, c);
	c->resume = evtimer_new(base, resume_cb, c);
	c->deadline = evtimer_new(base, deadline_cb, c);
	c->unread = evtimer_new(base, unread_cb, c);
	if (c->rev == NULL || c->wev == NULL || c->resume == NULL ||
	    c->deadline == NULL || c->unread == NULL) {
		stats.no_memory++;
		conn_free(c);
		return;
	}
	event_add(c->rev, NULL);
}

static bool
release_reserve(void)
{
	int i;

	for (i = 0; i < RESERVE; i++)
		if (reserve[i] >= 0) {
			close(reserve[i]);
			reserve[i] = -1;
			return (true);
		}
	return (false);
}

static void
refill_reserve(void)
{
	int i;

	for (i = 0; i < RESERVE; i++)
		if (reserve[i] < 0)
			reserve[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* A descriptor is free again: accept now, not after the pause. */
	if (pause_ev != NULL && evtimer_pending(pause_ev, NULL)) {
		evtimer_del(pause_ev);
		resume_accepting();
	}
}

static void
resume_accepting(void)
{
	size_t i;

	for (i = 0; i < nsocks; i++)
		if (socks[i].ev != NULL)
			event_add(socks[i].ev, NULL);
}

static void
pause_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	resume_accepting();
}

static void
pause_accepting(void)
{
	struct timeval tv = { 0, PAUSE_MS * 1000 };
	size_t i;

	for (i = 0; i < nsocks; i++)
		if (socks[i].ev != NULL)
			event_del(socks[i].ev);
	evtimer_add(pause_ev, &tv);
}

/*
 * The socket's directory must be ours (or root's), and not writable by
 * others unless sticky: otherwise another user could have made it first
 * (/tmp/wsld-UID) and swap the socket under us.
 */
static bool
safe_directory(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		log_warn("control: %s", dir);
		return (false);
	}
	if (!S_ISDIR(st.st_mode)) {
		log_warnx("control: %s is not a directory", dir);
		return (false);
	}
	if ((st.st_uid != geteuid() && st.st_uid != 0) ||
	    ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
		log_warnx("control: %s belongs to uid %u or is writable by "
		    "others; refusing to put the control socket there", dir,
		    (unsigned int)st.st_uid);
		return (false);
	}
	return (true);
}

/* Refuse to take over a socket someone answers on; replace a stale one. */
static int
claim(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, r, e;

	if (lstat(sun->sun_path, &st) < 0)
		return (errno == ENOENT ? 0 : -1);
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("control: %s exists and is not a socket",
		    sun->sun_path);
		errno = EEXIST;
		return (-1);
	}
	/* Non-blocking: a live daemon with a full backlog says EAGAIN. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return (-1);
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	e = errno;
	close(fd);
	if (r == 0) {
		log_warnx("control: another wsld answers on %s", sun->sun_path);
		errno = EADDRINUSE;
		return (-1);
	}
	if (e != ECONNREFUSED) {
		errno = e;
		return (-1);
	}
	return (unlink(sun->sun_path));
}

static int
start_accepting(int fd, bool read_only, const char *path)
{
	struct ctl_socket *cs = &socks[nsocks];

	if (nsocks == sizeof(socks) / sizeof(socks[0]) ||
	    (cs->ev = event_new(base, fd, EV_READ | EV_PERSIST, accept_cb,
	    cs)) == NULL || event_add(cs->ev, NULL) < 0 ||
	    (pause_ev == NULL &&
	    (pause_ev = evtimer_new(base, pause_cb, NULL)) == NULL)) {
		if (cs->ev != NULL)
			event_free(cs->ev);
		cs->ev = NULL;
		return (-1);
	}
	cs->fd = fd;
	cs->read_only = read_only;
	snprintf(cs->path, sizeof(cs->path), "%s", path);
	nsocks++;
	refill_reserve();
	return (0);
}

int
control_listen(struct event_base *b, const char *path, const char *group,
    bool read_only)
{
	struct sockaddr_un sun;
	struct group *gr = NULL;
	char dir[PATH_MAX];
	int fd;

	base = b;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control: socket path %s is longer than %zu bytes",
		    path, sizeof(sun.sun_path) - 1);
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (group != NULL && (gr = getgrnam(group)) == NULL) {
		log_warnx("control: no group named '%s'", group);
		return (-1);
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0755) < 0 && errno != EEXIST) {
		log_warn("control: cannot create %s", dir);
		return (-1);
	}
	if (!safe_directory(dir))
		return (-1);
	if (claim(&sun) < 0) {
		log_warn("control: %s", path);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return (-1);
	/* The read-only socket is for every local user: 0666. */
	if (wsl_bind_unix(fd, &sun, read_only ? 0666 : 0660,
	    gr != NULL ? gr->gr_gid : (gid_t)-1) < 0) {
		log_warn("control: bind %s", path);
		close(fd);
		return (-1);
	}
	if (listen(fd, 128) < 0 || start_accepting(fd, read_only, path) < 0) {
		log_warn("control: listen %s", path);
		close(fd);
		unlink(path);
		return (-1);
	}
	return (0);
}

/* A socket systemd made (wsld.socket): it stays systemd's, file and all. */
int
control_adopt(struct event_base *b, int fd)
{
	base = b;
	if (evutil_make_socket_nonblocking(fd) < 0 ||
	    start_accepting(fd, false, "") < 0) {
		log_warn("control: the socket passed by systemd");
		return (-1);
	}
	return (0);
}

/* Stop taking connections and requests: the daemon is going down. */
void
control_shutdown(void)
{
	size_t i;

	stopping = true;
	if (pause_ev != NULL) {
		event_free(pause_ev);
		pause_ev = NULL;
	}
	for (i = 0; i < nsocks; i++) {
		event_free(socks[i].ev);
		close(socks[i].fd);
		if (socks[i].path[0] != '\0')
			unlink(socks[i].path);
	}
	nsocks = 0;
}

/* Drop every connection (at exit: their requests are answered already or
 * cancelled by conn_gone). */
void
control_free(void)
{
	struct ctl_conn *c, *next;
	struct ctl_request *req;
	int i;

	control_shutdown();
	for (c = TAILQ_FIRST(&conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		/* Replies queued by the shutdown itself (aborted accepts,
		 * waits on freed listeners) still go out; the socket is
		 * non-blocking, so a client that does not read loses them. */
		if (!c->gone)
			flush(c);
		if (c->busy != NULL) {
			c->busy->conn = NULL;
			if (c->busy->cancel != NULL)
				c->busy->cancel(c->busy);
		}
		c->busy = NULL;
		while ((req = TAILQ_FIRST(&c->detached)) != NULL) {
			TAILQ_REMOVE(&c->detached, req, detached_entry);
			req->detached = false;
			req->conn = NULL;
			if (req->cancel != NULL)
				req->cancel(req);
		}
		c->n_detached = 0;
		c->gone = true;
		conn_free(c);
	}
	for (i = 0; i < RESERVE; i++)
		if (reserve[i] >= 0) {
			close(reserve[i]);
			reserve[i] = -1;
		}
	log_limit_flush(); /* what was held back is told, not lost */
}
