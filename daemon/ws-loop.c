/* SPDX-License-Identifier: ISC */
/*
 * A listener on its event loops: one lane per loop (one the pool gives
 * it, see ws-pool.c, or one of its own), lane 0 its home.  Other threads
 * never touch a lane's events; they change the listener under its mutex
 * and activate the lane's wake_ev, whose callback reconciles the lane
 * with the listener: it completes the lane's aborted accepts; on the home
 * lane it finishes a pending close, takes the socket away from a faulted
 * listener and performs a pending open; it watches the listening socket
 * only while accepts are queued on the lane, and then runs the tasks
 * posted to the lane before it began.  Every completion callback
 * therefore runs on the loop of the lane it was queued on.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "ws-internal.h"

#define ACCEPT_BATCH 64       /* connections per wake-up, for fairness */
#define BACKOFF_MIN_MS 100    /* after EMFILE and friends */
#define BACKOFF_MAX_MS 1000

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void
init(void)
{
	evthread_use_pthreads();
}

void
WslInitialize(void)
{
	pthread_once(&init_once, init);
}

/* Wake a lane; allocates nothing, so WsAbortListener may call it. */
void
ws_lane_wake(struct ws_lane *ln)
{
	event_active(ln->wake_ev, EV_READ, 0);
}

void
ws_loop_wake(WS_LISTENER *l)
{
	ws_lane_wake(WS_HOME(l));
}

void
ws_loop_wake_all(WS_LISTENER *l)
{
	ULONG i;

	for (i = 0; i < l->n_lanes; i++)
		ws_lane_wake(&l->lanes[i]);
}

void
ws_notify_state(WS_LISTENER *l)
{
	if (l->state_hook != NULL)
		l->state_hook(l, l->state_hook_arg);
}

void
ws_complete(struct ws_op *op, HRESULT hr, WS_CALLBACK_MODEL model)
{
	op->ctx.callback(hr, model, op->ctx.callbackState);
}

/* Remember why an operation failed, for status displays.  (mu) */
void
ws_record_error(WS_LISTENER *l, const char *op, HRESULT hr, const char *text)
{
	l->last_error = hr;
	snprintf(l->last_error_op, sizeof(l->last_error_op), "%s", op);
	snprintf(l->last_error_text, sizeof(l->last_error_text), "%s", text);
}

/* Finish one accept: the channel is OPEN on success, CREATED again if not. */
void
ws_complete_accept(WS_LISTENER *l, WS_CHANNEL *ch, HRESULT hr)
{
	struct ws_op op;

	pthread_mutex_lock(&l->mu);
	ch->state = SUCCEEDED(hr) ? WS_CHANNEL_STATE_OPEN :
	    WS_CHANNEL_STATE_CREATED;
	ch->accepting = NULL;
	op = ch->op;
	/* completed was counted with accepted, in the same snapshot. */
	if (hr == WS_E_OPERATION_ABORTED)
		l->counters.abortedAccepts++;
	pthread_mutex_unlock(&l->mu);
	if (hr == WS_E_OPERATION_ABORTED)
		ws_error_fill(op.error, hr, 0,
		    "the accept was aborted (the listener or the channel was "
		    "aborted, or the listener is closing)");
	ws_complete(&op, hr, l->props.callback_model);
}

static WSL_TASK *
take_tasks(struct ws_lane *ln)
{
	WS_LISTENER *l = ln->l;
	WSL_TASK *t;

	pthread_mutex_lock(&l->mu);
	t = ln->tasks;
	ln->tasks = ln->tasks_tail = NULL;
	pthread_mutex_unlock(&l->mu);
	return (t);
}

static void
run_tasks(WSL_TASK *t)
{
	WSL_TASK *next;

	for (; t != NULL; t = next) {
		next = t->next; /* the task may be reused by its own run() */
		t->next = NULL;
		t->run(t->arg);
	}
}

static void
complete_aborted(struct ws_lane *ln)
{
	struct ws_channel_list list = TAILQ_HEAD_INITIALIZER(list);
	WS_LISTENER *l = ln->l;
	WS_CHANNEL *ch;

	pthread_mutex_lock(&l->mu);
	TAILQ_CONCAT(&list, &ln->aborted, entry);
	pthread_mutex_unlock(&l->mu);
	while ((ch = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, ch, entry);
		ws_complete_accept(l, ch, WS_E_OPERATION_ABORTED);
	}
}

/* The lane stops polling the socket; the home, which lets the socket go
 * only once no lane polls it, hears of it. */
static void
io_detach(struct ws_lane *ln)
{
	WS_LISTENER *l = ln->l;
	bool was;

	if (ln->io_ev != NULL) {
		event_free(ln->io_ev);
		ln->io_ev = NULL;
	}
	ln->io_enabled = false;
	ln->io_fd = -1;
	if (ln->paused) {
		evtimer_del(ln->retry_ev);
		ln->paused = false;
	}
	ln->backoff_ms = 0;
	pthread_mutex_lock(&l->mu);
	was = ln->watching;
	ln->watching = false;
	pthread_mutex_unlock(&l->mu);
	if (was && ln != WS_HOME(l))
		ws_loop_wake(l);
}

/* Another lane still polls the socket: it will wake the home once it has
 * let go.  (mu) */
static bool
others_watching(WS_LISTENER *l)
{
	ULONG i;

	for (i = 1; i < l->n_lanes; i++)
		if (l->lanes[i].watching)
			return (true);
	return (false);
}

/* A datagram listener's buffer and peers' map, once its sessions are
 * closed. */
static void
udp_release(WS_LISTENER *l)
{
	ws_free(l->udp_buf);
	l->udp_buf = NULL;
	strmap_free(l->udp_sessions);
	l->udp_sessions = NULL;
}

/*
 * Release the listening socket (the loop is its only closer).  Connections
 * still queued in the kernel are accepted and closed, so their clients see
 * an orderly end instead of hanging; after an abort of a TCP listener the
 * kernel has already reset them and there is nothing left to accept.  The
 * socket is then shut down, because another process may hold it too (the
 * fd store, a socket unit).  A hand-over leaves queue and socket alone for
 * the process that inherits it.
 */
static bool
release_socket(WS_LISTENER *l)
{
	struct ws_bound b;
	uint64_t n = 0;
	bool aborted, hand_over;
	int c;

	pthread_mutex_lock(&l->mu);
	if (others_watching(l)) {
		pthread_mutex_unlock(&l->mu);
		return (false); /* see io_detach() */
	}
	b = l->sock;
	aborted = l->sock_refusing;
	hand_over = l->hand_over;
	l->hand_over = false;
	ws_bound_clear(&l->sock);
	pthread_mutex_unlock(&l->mu);
	if (b.fd < 0)
		return (true);
	io_detach(WS_HOME(l));
	if (b.socktype == SOCK_DGRAM)
		ws_udp_close_all(l);
	else if (!hand_over) {
		while ((c = accept4(b.fd, NULL, NULL, SOCK_CLOEXEC)) >= 0 ||
		    errno == EINTR || errno == ECONNABORTED) {
			if (c >= 0) {
				close(c);
				n++;
			}
		}
		/* Not twice: on a socket an abort shut down, a second
		 * shutdown marks it, and every connection it accepts once it
		 * listens again, as closed for reading. */
		if (!aborted)
			(void)shutdown(b.fd, SHUT_RD);
	}
	if (hand_over) {
		close(b.fd); /* the file, if any, is the successor's */
		b.fd = -1;
	}
	ws_socket_close(&b);
	udp_release(l);
	pthread_mutex_lock(&l->mu);
	l->counters.accepted += n;
	if (aborted)
		l->counters.closedOnAbort += n;
	else
		l->counters.failed[WSL_FAIL_LISTENER_CLOSED] += n;
	pthread_mutex_unlock(&l->mu);
	return (true);
}

static void
do_close(WS_LISTENER *l)
{
	struct ws_op op;
	HRESULT hr;

	pthread_mutex_lock(&l->mu);
	if (l->state != WS_LISTENER_STATE_CLOSING || !l->close_op.active) {
		pthread_mutex_unlock(&l->mu);
		return;
	}
	pthread_mutex_unlock(&l->mu);
	if (!release_socket(l))
		return; /* again once the other lanes have let go */
	pthread_mutex_lock(&l->mu);
	op = l->close_op;
	l->close_op.active = false;
	hr = l->abort_during_close ? WS_E_OPERATION_ABORTED : S_OK;
	l->abort_during_close = false;
	ws_set_state(l, WS_LISTENER_STATE_CLOSED, WSL_OPERATION_CLOSE, hr, op.tag);
	if (FAILED(hr))
		ws_record_error(l, "close", hr,
		    "the close was aborted by WsAbortListener");
	pthread_mutex_unlock(&l->mu);
	ws_notify_state(l);
	if (FAILED(hr))
		ws_error_fill(op.error, hr, 0,
		    "the close was aborted by WsAbortListener");
	ws_complete(&op, hr, l->props.callback_model);
}

static void
release_if_faulted(WS_LISTENER *l)
{
	bool faulted;

	pthread_mutex_lock(&l->mu);
	faulted = l->state == WS_LISTENER_STATE_FAULTED && l->sock.fd >= 0;
	pthread_mutex_unlock(&l->mu);
	if (faulted)
		(void)release_socket(l);
}

static void
do_open(WS_LISTENER *l)
{
	struct ws_bound b;
	struct ws_fail fail;
	struct ws_url url;
	struct ws_op op;
	bool discard = false;
	HRESULT hr;
	int given;

	/* Only this loop runs opens, one at a time: no other can be under
	 * way. */
	pthread_mutex_lock(&l->mu);
	if (l->state != WS_LISTENER_STATE_OPENING) {
		pthread_mutex_unlock(&l->mu);
		return;
	}
	url = l->url;
	given = l->given_fd;
	l->given_fd = -1;
	pthread_mutex_unlock(&l->mu);

	memset(&fail, 0, sizeof(fail));
	hr = S_FALSE;
	if (given >= 0)
		hr = ws_socket_adopt(&url, l->binding, &l->props, given, &b,
		    &fail);
	if (hr == S_FALSE)
		hr = ws_socket_open(&url, l->binding, &l->props, &b, &fail);
	/* A datagram listener's buffer and peer map exist only while it is
	 * open: a closed one, or a stream one, costs none of it. */
	if (SUCCEEDED(hr) && b.socktype == SOCK_DGRAM &&
	    ((l->udp_buf = ws_malloc(65536)) == NULL ||
	    (l->udp_sessions = strmap_new()) == NULL)) {
		ws_socket_close(&b);
		udp_release(l);
		hr = ws_fail_set(&fail, E_OUTOFMEMORY, ENOMEM,
		    "no memory for the datagram buffer");
	}

	pthread_mutex_lock(&l->mu);
	op = l->open_op;
	l->open_op.active = false;
	if (l->abort_during_open) {
		l->abort_during_open = false;
		discard = SUCCEEDED(hr); /* after the unlock: it may block */
		hr = ws_fail_set(&fail, WS_E_OPERATION_ABORTED, 0,
		    "the open was aborted by WsAbortListener");
		ws_set_state(l, WS_LISTENER_STATE_FAULTED, WSL_OPERATION_OPEN,
		    hr, op.tag);
	} else if (FAILED(hr))
		ws_set_state(l, WS_LISTENER_STATE_CREATED, WSL_OPERATION_OPEN,
		    hr, op.tag);
	else {
		l->sock = b;
		l->sock_refusing = false;
		ws_set_state(l, WS_LISTENER_STATE_OPEN, WSL_OPERATION_OPEN, hr,
		    op.tag);
		l->last_error = S_OK;
		l->last_error_text[0] = l->last_error_op[0] = '\0';
	}
	if (FAILED(hr))
		ws_record_error(l, "open", hr, fail.text);
	pthread_mutex_unlock(&l->mu);
	if (discard) {
		ws_socket_close(&b);
		udp_release(l);
	}
	ws_notify_state(l);
	if (FAILED(hr))
		ws_error_fill(op.error, hr, fail.sys_errno, "%s", fail.text);
	ws_complete(&op, hr, l->props.callback_model);
}

static void io_cb(evutil_socket_t, short, void *);

/* Watch the socket only while someone on this lane waits for what it
 * brings; let it go for good once the listener is no longer OPEN. */
static void
update_io(struct ws_lane *ln)
{
	WS_LISTENER *l = ln->l;
	bool open, want;
	int fd;

	pthread_mutex_lock(&l->mu);
	fd = l->sock.fd;
	open = l->state == WS_LISTENER_STATE_OPEN && fd >= 0 &&
	    !l->sock_refusing;
	want = open && !ln->paused && !l->operator_paused &&
	    (ln->n_accepts > 0 ||
	    (ln == WS_HOME(l) && l->n_udp_sessions > 0));
	if (want)
		ln->watching = true; /* before the event: see release_socket() */
	pthread_mutex_unlock(&l->mu);
	if (!open || (ln->io_ev != NULL && ln->io_fd != fd))
		io_detach(ln);
	if (want == ln->io_enabled)
		return;
	if (want) {
		if (ln->io_ev == NULL) {
			if ((ln->io_ev = event_new(ln->base, fd,
			    EV_READ | EV_PERSIST, io_cb, ln)) == NULL)
				return; /* retried at the next wake-up */
			ln->io_fd = fd;
			event_priority_set(ln->io_ev, 1);
		}
		if (event_add(ln->io_ev, NULL) == 0)
			ln->io_enabled = true;
	} else {
		event_del(ln->io_ev);
		ln->io_enabled = false;
	}
}

/* Accept errors, by errno.  (mu) */
void
ws_count_accept_error(WS_LISTENER *l, int e)
{
	switch (e) {
	case EMFILE:
		l->counters.acceptErrors[WSL_ACCEPT_EMFILE]++;
		break;
	case ENFILE:
		l->counters.acceptErrors[WSL_ACCEPT_ENFILE]++;
		break;
	case ENOBUFS:
		l->counters.acceptErrors[WSL_ACCEPT_ENOBUFS]++;
		break;
	case ENOMEM:
		l->counters.acceptErrors[WSL_ACCEPT_ENOMEM]++;
		break;
	case ECONNABORTED:
		l->counters.acceptErrors[WSL_ACCEPT_ECONNABORTED]++;
		break;
	default:
		l->counters.acceptErrors[WSL_ACCEPT_OTHER]++;
		break;
	}
}

/* A descriptor was freed: the caller's lane (every lane, from another
 * thread) ends its back-off.  Not every lane from a loop: that would wake
 * them all at every channel's end; theirs ends at its timer. */
void
WslResumeAccepting(WS_LISTENER *l)
{
	struct ws_lane *here;
	ULONG i;

	if (!ws_listener_valid(l))
		return;
	here = ws_lane_here(l);
	pthread_mutex_lock(&l->mu);
	for (i = 0; i < l->n_lanes; i++)
		if (here == NULL || here == &l->lanes[i])
			l->lanes[i].resume = true;
	pthread_mutex_unlock(&l->mu);
	if (here != NULL)
		ws_lane_wake(here);
	else
		ws_loop_wake_all(l);
}

/* In the wake-up: end a back-off early if a descriptor was freed. */
static void
resume_if_freed(struct ws_lane *ln)
{
	bool resume;

	pthread_mutex_lock(&ln->l->mu);
	resume = ln->resume;
	ln->resume = false;
	pthread_mutex_unlock(&ln->l->mu);
	if (resume && ln->paused) {
		evtimer_del(ln->retry_ev);
		ln->paused = false;
	}
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ws_lane *ln = arg;

	(void)fd;
	(void)what;
	ln->paused = false;
	update_io(ln);
}

/* Out of descriptors or memory: stop accepting for a while, never spin. */
static void
back_off(struct ws_lane *ln)
{
	struct timeval tv;

	ln->backoff_ms = ln->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    ln->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    ln->backoff_ms * 2;
	tv = wsl_ms_to_tv(ln->backoff_ms);
	ln->paused = true;
	evtimer_add(ln->retry_ev, &tv);
}

static void
accept_stream(struct ws_lane *ln, int fd)
{
	WS_LISTENER *l = ln->l;
	struct sockaddr_storage ss;
	socklen_t len;
	WS_CHANNEL *ch;
	int c, i, e;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		/*
		 * Under the lock, so that no connection is taken from the
		 * kernel once a close, an abort or a pause has begun: a close that
		 * hands the socket over must leave every queued connection to
		 * the next holder.  accept4 does not block (the socket is
		 * non-blocking), so callers wait no longer than a system call.
		 */
		pthread_mutex_lock(&l->mu);
		if (l->state != WS_LISTENER_STATE_OPEN || l->operator_paused ||
		    (ch = TAILQ_FIRST(&ln->accepts)) == NULL) {
			pthread_mutex_unlock(&l->mu);
			break;
		}
		len = sizeof(ss);
		if (l->inject_count > 0) {
			l->inject_count--;
			c = -1;
			errno = l->inject_errno;
		} else
			c = accept4(fd, (struct sockaddr *)&ss, &len,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0) {
			e = errno;
			if (e == EAGAIN || e == EINVAL) {
				pthread_mutex_unlock(&l->mu);
				break; /* EINVAL: shut down by an abort */
			}
			if (e != EINTR)
				ws_count_accept_error(l, e);
			pthread_mutex_unlock(&l->mu);
			if (e == EINTR || e == ECONNABORTED || e == EPROTO ||
			    e == EPERM)
				continue;
			back_off(ln);
			break;
		}
		ln->backoff_ms = 0;
		l->counters.accepted++;
		l->counters.completed++;
		ln->accepted++;
		TAILQ_REMOVE(&ln->accepts, ch, entry);
		ch->queued = false; /* from now on no cancel can take it */
		ln->n_accepts--;
		l->n_accepts--;
		ch->fd = c;
		ch->peer = ss;
		ch->peerlen = len;
		pthread_mutex_unlock(&l->mu);
		ws_complete_accept(l, ch, S_OK);
	}
}

static void
io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ws_lane *ln = arg;

	(void)what;
	if (ln->l->udp_buf != NULL)
		ws_udp_readable(ln->l); /* home only: UDP has one lane */
	else
		accept_stream(ln, fd);
	update_io(ln);
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ws_lane *ln = arg;
	WS_LISTENER *l = ln->l;
	WSL_TASK *tasks;
	bool stopping;

	(void)fd;
	(void)what;
	/*
	 * Tasks run after the reconciliation, and only those posted before it
	 * began: so a task sees the effect of every call made before it was
	 * posted.  Later ones wait for the next pass, which their post asked
	 * for.
	 */
	tasks = take_tasks(ln);
	complete_aborted(ln);
	if (ln == WS_HOME(l)) {
		do_close(l);
		release_if_faulted(l);
		do_open(l);
	}
	resume_if_freed(ln);
	update_io(ln);
	run_tasks(tasks);
	pthread_mutex_lock(&l->mu);
	stopping = l->stopping;
	pthread_mutex_unlock(&l->mu);
	if (stopping) {
		run_tasks(take_tasks(ln)); /* posted while this pass ran */
		io_detach(ln); /* the retry timer too */
		/* The lane leaves its loop: its events go (freeing the one
		 * whose callback this is is allowed), then the freer hears of
		 * it and may free the listener once every lane has: nothing
		 * here touches l after the unlock. */
		event_free(ln->retry_ev);
		event_free(ln->wake_ev);
		pthread_mutex_lock(&l->mu);
		ln->stopped = true;
		pthread_cond_broadcast(&l->stopped_cv);
		pthread_mutex_unlock(&l->mu);
	}
}

static void
lanes_free_events(WS_LISTENER *l)
{
	ULONG i;

	for (i = 0; i < l->n_lanes; i++) {
		if (l->lanes[i].wake_ev != NULL)
			event_free(l->lanes[i].wake_ev);
		if (l->lanes[i].retry_ev != NULL)
			event_free(l->lanes[i].retry_ev);
	}
}

/* On the loops the pool gives it (or one of its own). */
HRESULT
ws_loop_start(WS_LISTENER *l, WS_ERROR *error)
{
	struct ws_lane *ln;
	HRESULT hr;
	ULONG i;

	WslInitialize();
	for (i = 0; i < l->n_lanes; i++) {
		ln = &l->lanes[i];
		ln->l = l;
		ln->io_fd = -1;
		TAILQ_INIT(&ln->accepts);
		TAILQ_INIT(&ln->aborted);
	}
	if (FAILED(hr = ws_pool_join(l, l->props.dedicated_loop, error)))
		return (hr);
	for (i = 0; i < l->n_lanes; i++) {
		ln = &l->lanes[i];
		if ((ln->wake_ev = event_new(ln->base, -1, 0, wake_cb,
		    ln)) == NULL ||
		    event_priority_set(ln->wake_ev, 0) < 0 ||
		    (ln->retry_ev = evtimer_new(ln->base, retry_cb,
		    ln)) == NULL) {
			lanes_free_events(l);
			ws_pool_leave(l);
			return (ws_error_fill(error, E_OUTOFMEMORY, 0,
			    "no memory for the listener's events"));
		}
	}
	pthread_cond_init(&l->stopped_cv, NULL);
	return (S_OK);
}

static bool
all_stopped(WS_LISTENER *l)
{
	ULONG i;

	for (i = 0; i < l->n_lanes; i++)
		if (!l->lanes[i].stopped)
			return (false);
	return (true);
}

/* Take the listener off its loops after each has run every task queued
 * on it; from any thread but theirs. */
void
ws_loop_stop(WS_LISTENER *l)
{
	/* Woken under the lock: a lane, seeing stopping only under it,
	 * cannot free its wake_ev before this wake-up is made. */
	pthread_mutex_lock(&l->mu);
	l->stopping = true;
	ws_loop_wake_all(l);
	while (!all_stopped(l))
		pthread_cond_wait(&l->stopped_cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
	pthread_cond_destroy(&l->stopped_cv);
	ws_pool_leave(l);
}

HRESULT
WslPostLaneTask(WS_LISTENER *l, ULONG lane, WSL_TASK *t)
{
	struct ws_lane *ln;

	if (!ws_listener_valid(l) || t == NULL || t->run == NULL ||
	    lane >= l->n_lanes)
		return (E_INVALIDARG);
	ln = &l->lanes[lane];
	pthread_mutex_lock(&l->mu);
	if (l->stopping) {
		pthread_mutex_unlock(&l->mu);
		return (WS_E_INVALID_OPERATION);
	}
	t->next = NULL;
	if (ln->tasks_tail != NULL)
		ln->tasks_tail->next = t;
	else
		ln->tasks = t;
	ln->tasks_tail = t;
	ws_lane_wake(ln); /* under the lock: see ws_loop_stop() */
	pthread_mutex_unlock(&l->mu);
	return (S_OK);
}

HRESULT
WslPostTask(WS_LISTENER *l, WSL_TASK *t)
{
	return (WslPostLaneTask(l, 0, t));
}

struct event_base *
WslGetLaneEventBase(WS_LISTENER *l, ULONG lane)
{
	return (ws_listener_valid(l) && lane < l->n_lanes ?
	    l->lanes[lane].base : NULL);
}

struct event_base *
WslGetListenerEventBase(WS_LISTENER *l)
{
	return (WslGetLaneEventBase(l, 0));
}

int
WslIsListenerThread(WS_LISTENER *l)
{
	return (ws_listener_valid(l) && ws_on_loop(l));
}

/* Synchronous calls wait on one of these for their own completion. */
void
ws_sync_init(struct ws_sync *s)
{
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->done = false;
	s->hr = S_OK;
}

void
ws_sync_destroy(struct ws_sync *s)
{
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

void
ws_sync_callback(HRESULT hr, WS_CALLBACK_MODEL model, void *arg)
{
	struct ws_sync *s = arg;

	(void)model;
	pthread_mutex_lock(&s->mu);
	s->hr = hr;
	s->done = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

HRESULT
ws_sync_wait(struct ws_sync *s)
{
	HRESULT hr;

	pthread_mutex_lock(&s->mu);
	while (!s->done)
		pthread_cond_wait(&s->cv, &s->mu);
	hr = s->hr;
	pthread_mutex_unlock(&s->mu);
	ws_sync_destroy(s);
	return (hr);
}
