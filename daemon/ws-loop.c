/* SPDX-License-Identifier: ISC */
/*
 * A listener on its event loop (one the pool gives it, see ws-pool.c, or
 * one of its own).  Other threads never touch the listener's events; they
 * change the listener under its mutex and activate wake_ev, whose callback
 * reconciles the loop with the listener: it completes aborted accepts,
 * finishes a pending close, takes the socket away from a faulted
 * listener, performs a pending open, watches the listening socket only
 * while accepts are pending, and then runs the tasks posted before it
 * began.  Every completion callback therefore runs there, on the loop's
 * thread.
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

/* Wake the loop; allocates nothing, so WsAbortListener may call it. */
void
ws_loop_wake(WS_LISTENER *l)
{
	event_active(l->wake_ev, EV_READ, 0);
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
take_tasks(WS_LISTENER *l)
{
	WSL_TASK *t;

	pthread_mutex_lock(&l->mu);
	t = l->tasks;
	l->tasks = l->tasks_tail = NULL;
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
complete_aborted(WS_LISTENER *l)
{
	struct ws_channel_list list = TAILQ_HEAD_INITIALIZER(list);
	WS_CHANNEL *ch;

	pthread_mutex_lock(&l->mu);
	TAILQ_CONCAT(&list, &l->aborted, entry);
	pthread_mutex_unlock(&l->mu);
	while ((ch = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, ch, entry);
		ws_complete_accept(l, ch, WS_E_OPERATION_ABORTED);
	}
}

static void
io_detach(WS_LISTENER *l)
{
	if (l->io_ev != NULL) {
		event_free(l->io_ev);
		l->io_ev = NULL;
	}
	l->io_enabled = false;
	if (l->paused) {
		evtimer_del(l->retry_ev);
		l->paused = false;
	}
	l->backoff_ms = 0;
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
static void
release_socket(WS_LISTENER *l)
{
	struct ws_bound b;
	uint64_t n = 0;
	bool aborted, hand_over;
	int c;

	pthread_mutex_lock(&l->mu);
	b = l->sock;
	aborted = l->sock_refusing;
	hand_over = l->hand_over;
	l->hand_over = false;
	ws_bound_clear(&l->sock);
	pthread_mutex_unlock(&l->mu);
	if (b.fd < 0)
		return;
	io_detach(l);
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
	ws_free(l->udp_buf);
	l->udp_buf = NULL;
	pthread_mutex_lock(&l->mu);
	l->counters.accepted += n;
	if (aborted)
		l->counters.closedOnAbort += n;
	else
		l->counters.failed[WSL_FAIL_LISTENER_CLOSED] += n;
	pthread_mutex_unlock(&l->mu);
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
	release_socket(l);
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
		release_socket(l);
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
	if (SUCCEEDED(hr) && b.socktype == SOCK_DGRAM &&
	    (l->udp_buf = ws_malloc(65536)) == NULL) {
		ws_socket_close(&b);
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
		ws_free(l->udp_buf);
		l->udp_buf = NULL;
	}
	ws_notify_state(l);
	if (FAILED(hr))
		ws_error_fill(op.error, hr, fail.sys_errno, "%s", fail.text);
	ws_complete(&op, hr, l->props.callback_model);
}

static void io_cb(evutil_socket_t, short, void *);

/* Watch the socket only while someone waits for what it brings. */
static void
update_io(WS_LISTENER *l)
{
	bool want;
	int fd;

	pthread_mutex_lock(&l->mu);
	fd = l->sock.fd;
	want = l->state == WS_LISTENER_STATE_OPEN && fd >= 0 &&
	    !l->sock_refusing &&
	    (l->n_accepts > 0 || l->n_udp_sessions > 0);
	pthread_mutex_unlock(&l->mu);
	if (l->paused)
		want = false;
	if (want == l->io_enabled)
		return;
	if (want) {
		if (l->io_ev == NULL &&
		    (l->io_ev = event_new(l->base, fd, EV_READ | EV_PERSIST,
			io_cb, l)) == NULL)
			return; /* retried at the next wake-up */
		event_priority_set(l->io_ev, 1);
		if (event_add(l->io_ev, NULL) == 0)
			l->io_enabled = true;
	} else {
		event_del(l->io_ev);
		l->io_enabled = false;
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

void
WslResumeAccepting(WS_LISTENER *l)
{
	if (!ws_listener_valid(l))
		return;
	pthread_mutex_lock(&l->mu);
	l->resume = true;
	pthread_mutex_unlock(&l->mu);
	ws_loop_wake(l);
}

/* In the wake-up: end a back-off early if a descriptor was freed. */
static void
resume_if_freed(WS_LISTENER *l)
{
	bool resume;

	pthread_mutex_lock(&l->mu);
	resume = l->resume;
	l->resume = false;
	pthread_mutex_unlock(&l->mu);
	if (resume && l->paused) {
		evtimer_del(l->retry_ev);
		l->paused = false;
	}
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	WS_LISTENER *l = arg;

	(void)fd;
	(void)what;
	l->paused = false;
	update_io(l);
}

/* Out of descriptors or memory: stop accepting for a while, never spin. */
static void
back_off(WS_LISTENER *l)
{
	struct timeval tv;

	l->backoff_ms = l->backoff_ms == 0 ? BACKOFF_MIN_MS :
	    l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    l->backoff_ms * 2;
	tv = wsl_ms_to_tv(l->backoff_ms);
	l->paused = true;
	evtimer_add(l->retry_ev, &tv);
}

static void
accept_stream(WS_LISTENER *l, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len;
	WS_CHANNEL *ch;
	int c, i, e;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		/*
		 * Under the lock, so that no connection is taken from the
		 * kernel once a close or an abort has begun: a close that
		 * hands the socket over must leave every queued connection to
		 * the next holder.  accept4 does not block (the socket is
		 * non-blocking), so callers wait no longer than a system call.
		 */
		pthread_mutex_lock(&l->mu);
		if (l->state != WS_LISTENER_STATE_OPEN ||
		    (ch = TAILQ_FIRST(&l->accepts)) == NULL) {
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
			    SOCK_CLOEXEC);
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
			back_off(l);
			break;
		}
		l->backoff_ms = 0;
		l->counters.accepted++;
		l->counters.completed++;
		TAILQ_REMOVE(&l->accepts, ch, entry);
		ch->queued = false; /* from now on no cancel can take it */
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
	WS_LISTENER *l = arg;

	(void)what;
	if (l->udp_buf != NULL)
		ws_udp_readable(l);
	else
		accept_stream(l, fd);
	update_io(l);
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	WS_LISTENER *l = arg;
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
	tasks = take_tasks(l);
	complete_aborted(l);
	do_close(l);
	release_if_faulted(l);
	do_open(l);
	resume_if_freed(l);
	update_io(l);
	run_tasks(tasks);
	pthread_mutex_lock(&l->mu);
	stopping = l->stopping;
	pthread_mutex_unlock(&l->mu);
	if (stopping) {
		run_tasks(take_tasks(l)); /* posted while this pass ran */
		io_detach(l); /* the retry timer too */
		/* The listener leaves the loop: its events go (freeing the
		 * one whose callback this is is allowed), then its freer
		 * hears of it and may free it: nothing here touches l after
		 * the unlock. */
		event_free(l->retry_ev);
		event_free(l->wake_ev);
		pthread_mutex_lock(&l->mu);
		l->stopped = true;
		pthread_cond_broadcast(&l->stopped_cv);
		pthread_mutex_unlock(&l->mu);
	}
}

/* On the loop the pool gives it (or one of its own). */
HRESULT
ws_loop_start(WS_LISTENER *l, WS_ERROR *error)
{
	HRESULT hr;

	WslInitialize();
	if (FAILED(hr = ws_pool_join(l, l->props.dedicated_loop, error)))
		return (hr);
	if ((l->wake_ev = event_new(l->base, -1, 0, wake_cb, l)) == NULL ||
	    event_priority_set(l->wake_ev, 0) < 0 ||
	    (l->retry_ev = evtimer_new(l->base, retry_cb, l)) == NULL) {
		if (l->wake_ev != NULL)
			event_free(l->wake_ev);
		ws_pool_leave(l);
		return (ws_error_fill(error, E_OUTOFMEMORY, 0,
		    "no memory for the listener's events"));
	}
	pthread_cond_init(&l->stopped_cv, NULL);
	return (S_OK);
}

/* Take the listener off its loop after the loop has run every queued
 * task; from any thread but the loop's. */
void
ws_loop_stop(WS_LISTENER *l)
{
	/* Woken under the lock: the loop, seeing stopping only under it,
	 * cannot free wake_ev before this wake-up is made. */
	pthread_mutex_lock(&l->mu);
	l->stopping = true;
	ws_loop_wake(l);
	while (!l->stopped)
		pthread_cond_wait(&l->stopped_cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
	pthread_cond_destroy(&l->stopped_cv);
	ws_pool_leave(l);
}

HRESULT
WslPostTask(WS_LISTENER *l, WSL_TASK *t)
{
	if (!ws_listener_valid(l) || t == NULL || t->run == NULL)
		return (E_INVALIDARG);
	pthread_mutex_lock(&l->mu);
	if (l->stopping) {
		pthread_mutex_unlock(&l->mu);
		return (WS_E_INVALID_OPERATION);
	}
	t->next = NULL;
	if (l->tasks_tail != NULL)
		l->tasks_tail->next = t;
	else
		l->tasks = t;
	l->tasks_tail = t;
	ws_loop_wake(l); /* under the lock: see ws_loop_stop() */
	pthread_mutex_unlock(&l->mu);
	return (S_OK);
}

struct event_base *
WslGetListenerEventBase(WS_LISTENER *l)
{
	return (ws_listener_valid(l) ? l->base : NULL);
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
