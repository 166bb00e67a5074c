/* SPDX-License-Identifier: ISC */
/*
 * The loops listeners share.  A fixed set of threads, one libevent base
 * each (by default one per core), made when the first listeners need them;
 * a listener is placed on the one hosting the fewest, and stays there for
 * its life.  A listener created with WSL_LISTENER_PROPERTY_DEDICATED_LOOP
 * gets a loop of its own instead, made with it and ended with it, for
 * isolation: nothing another listener does can hold it up.  A listener
 * spread over several loops (WSL_LISTENER_PROPERTY_LOOPS) has a lane on
 * each, every lane on a distinct loop, each counted as hosted there.
 *
 * So a listener costs no descriptor until it opens (its socket), whatever
 * their number: a loop's descriptors (epoll, eventfd, the signal pipe) are
 * the loop's.  The placement table is guarded by pool_mu; a loop's base
 * and thread never change once it runs.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "ws-internal.h"

#define LOOP_FDS 4            /* epoll, eventfd, the signal pipe */
#define POOL_MAX 256

struct ws_loop {
	pthread_t thread;
	struct event_base *base;
	unsigned index;       /* in the pool; POOL_MAX if dedicated */
	unsigned hosted;      /* (pool_mu) listeners placed on it */
	/* The watchdog's probe: the loop answers a ping on its thread. */
	struct event *ping_ev;
	atomic_uint sent, answered;
	atomic_bool stalled;  /* the last ping found the one before unanswered */
	LIST_ENTRY(ws_loop) entry; /* (pool_mu) on every_loop */
};

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(, ws_loop) every_loop = LIST_HEAD_INITIALIZER(every_loop);
static struct ws_loop *pool[POOL_MAX];  /* (pool_mu) made on demand */
static unsigned pool_made;              /* (pool_mu) */
static unsigned pool_size;              /* (pool_mu) 0: one per core */

/*
 * libevent exits the process when it cannot make a base's signal pipe, so
 * make sure the descriptors are there first: open as many as a base takes,
 * and a few more for what follows, then give them back for it.  The
 * daemon keeps peers from taking the last ones (descriptors.h), so none
 * are taken meanwhile.
 */
static HRESULT
check_descriptors(WS_ERROR *error)
{
	int fds[LOOP_FDS + 2], i, n, e = 0;

	for (n = 0; n < (int)(sizeof(fds) / sizeof(fds[0])); n++)
		if ((fds[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
			e = errno;
			break;
		}
	for (i = 0; i < n; i++)
		close(fds[i]);
	if (e == EMFILE || e == ENFILE)
		return (ws_error_fill(error, WS_E_QUOTA_EXCEEDED, e,
		    "out of descriptors: an event loop needs %d", LOOP_FDS));
	return (S_OK);
}

static void *
loop_main(void *arg)
{
	struct ws_loop *lp = arg;

	event_base_loop(lp->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return (NULL);
}

static void
ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ws_loop *lp = arg;

	(void)fd;
	(void)what;
	atomic_store(&lp->answered, atomic_load(&lp->sent));
}

/* A new loop (pool_mu held for a pool loop; a dedicated one takes it to
 * join every_loop). */
static HRESULT
loop_new(unsigned index, struct ws_loop **out, WS_ERROR *error)
{
	struct ws_loop *lp;
	sigset_t all, old;
	HRESULT hr;
	int r;

	if (FAILED(hr = check_descriptors(error)))
		return (hr);
	if ((lp = ws_calloc(1, sizeof(*lp))) == NULL)
		return (ws_error_fill(error, E_OUTOFMEMORY, ENOMEM,
		    "no memory for an event loop"));
	lp->index = index;
	if ((lp->base = event_base_new()) == NULL ||
	    event_base_priority_init(lp->base, 2) < 0 ||
	    (lp->ping_ev = event_new(lp->base, -1, 0, ping_cb, lp)) == NULL) {
		if (lp->base != NULL)
			event_base_free(lp->base);
		ws_free(lp);
		return (ws_error_fill(error, E_OUTOFMEMORY, 0,
		    "cannot make an event loop"));
	}
	/* Signals belong to the daemon's main thread, never to a loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&lp->thread, NULL, loop_main, lp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		event_free(lp->ping_ev);
		event_base_free(lp->base);
		ws_free(lp);
		return (ws_error_fill(error, E_OUTOFMEMORY, r,
		    "cannot start an event loop's thread"));
	}
	if (index == POOL_MAX)
		pthread_mutex_lock(&pool_mu);
	LIST_INSERT_HEAD(&every_loop, lp, entry);
	if (index == POOL_MAX)
		pthread_mutex_unlock(&pool_mu);
	*out = lp;
	return (S_OK);
}

/* pool_mu held for a pool loop, as in loop_new(). */
static void
loop_end(struct ws_loop *lp)
{
	if (lp->index == POOL_MAX)
		pthread_mutex_lock(&pool_mu);
	LIST_REMOVE(lp, entry);
	if (lp->index == POOL_MAX)
		pthread_mutex_unlock(&pool_mu);
	event_base_loopbreak(lp->base);
	pthread_join(lp->thread, NULL);
	event_free(lp->ping_ev);
	event_base_free(lp->base);
	ws_free(lp);
}

static unsigned
wanted_size(void)
{
	long n;

	if (pool_size > 0)
		return (pool_size);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return (n < 1 ? 1 : n > POOL_MAX ? POOL_MAX : (unsigned)n);
}

/* How many lanes a listener asking for this many gets: no more than the
 * pool has loops (0: one on each). */
ULONG
ws_pool_lanes(ULONG asked)
{
	ULONG size;

	pthread_mutex_lock(&pool_mu);
	size = wanted_size();
	pthread_mutex_unlock(&pool_mu);
	return (asked == 0 || asked > size ? size : asked);
}

static bool
hosts(const WS_LISTENER *l, ULONG placed, const struct ws_loop *lp)
{
	ULONG i;

	for (i = 0; i < placed; i++)
		if (l->lanes[i].loop == lp)
			return (true);
	return (false);
}

/* The pool's least busy loop not hosting l yet (a new one while the pool
 * is not full and every made one is busy); NULL and hr if none.
 * (pool_mu) */
static struct ws_loop *
least_busy(const WS_LISTENER *l, ULONG placed, HRESULT *hr, WS_ERROR *error)
{
	struct ws_loop *lp = NULL;
	unsigned i, size = wanted_size();

	*hr = S_OK;
	for (i = 0; i < pool_made && i < size; i++)
		if (!hosts(l, placed, pool[i]) &&
		    (lp == NULL || pool[i]->hosted < lp->hosted))
			lp = pool[i];
	if (pool_made < size && (lp == NULL || lp->hosted > 0)) {
		/* Spread over every core before doubling up; if no loop can
		 * be made, an existing one will do. */
		if (SUCCEEDED(*hr = loop_new(pool_made, &pool[pool_made],
		    error)))
			lp = pool[pool_made++];
		else if (lp != NULL)
			*hr = S_OK;
	}
	return (lp);
}

/* Loops for a new listener: its own, or for each lane the pool's least
 * busy one not hosting it yet, so that its lanes run on distinct loops. */
HRESULT
ws_pool_join(WS_LISTENER *l, bool dedicated, WS_ERROR *error)
{
	struct ws_loop *lp;
	HRESULT hr = S_OK;
	ULONG i;

	if (dedicated) {
		if (FAILED(hr = loop_new(POOL_MAX, &lp, error)))
			return (hr);
		lp->hosted = 1;
		WS_HOME(l)->loop = lp;
		WS_HOME(l)->base = lp->base;
		return (S_OK);
	}
	pthread_mutex_lock(&pool_mu);
	for (i = 0; i < l->n_lanes; i++) {
		if ((lp = least_busy(l, i, &hr, error)) == NULL)
			break;
		lp->hosted++;
		l->lanes[i].loop = lp;
		l->lanes[i].base = lp->base;
	}
	if (i < l->n_lanes) {
		while (i-- > 0) {
			l->lanes[i].loop->hosted--;
			l->lanes[i].loop = NULL;
			l->lanes[i].base = NULL;
		}
		if (SUCCEEDED(hr))
			hr = ws_error_fill(error, E_OUTOFMEMORY, 0,
			    "no event loop for the listener");
	}
	pthread_mutex_unlock(&pool_mu);
	return (hr);
}

/* The listener is gone from its loops: a dedicated loop ends with it. */
void
ws_pool_leave(WS_LISTENER *l)
{
	struct ws_loop *lp = WS_HOME(l)->loop;
	ULONG i;

	if (lp->index == POOL_MAX) {
		WS_HOME(l)->loop = NULL;
		WS_HOME(l)->base = NULL;
		loop_end(lp);
		return;
	}
	pthread_mutex_lock(&pool_mu);
	for (i = 0; i < l->n_lanes; i++) {
		l->lanes[i].loop->hosted--;
		l->lanes[i].loop = NULL;
		l->lanes[i].base = NULL;
	}
	pthread_mutex_unlock(&pool_mu);
}

struct ws_lane *
ws_lane_here(WS_LISTENER *l)
{
	pthread_t self = pthread_self();
	ULONG i;

	for (i = 0; i < l->n_lanes; i++)
		if (l->lanes[i].loop != NULL &&
		    pthread_equal(self, l->lanes[i].loop->thread) != 0)
			return (&l->lanes[i]);
	return (NULL);
}

bool
ws_on_loop(WS_LISTENER *l)
{
	return (ws_lane_here(l) != NULL);
}

static int
loop_number(const struct ws_loop *lp)
{
	return (lp->index == POOL_MAX ? WSL_LOOP_DEDICATED : (int)lp->index);
}

int
WslGetListenerLoop(WS_LISTENER *l)
{
	if (!ws_listener_valid(l))
		return (-1);
	return (loop_number(WS_HOME(l)->loop));
}

ULONG
WslGetListenerLaneCount(WS_LISTENER *l)
{
	return (ws_listener_valid(l) ? l->n_lanes : 0);
}

ULONG
WslGetListenerLanes(WS_LISTENER *l, WSL_LANE_INFO *out, ULONG max)
{
	ULONG i;

	if (!ws_listener_valid(l))
		return (0);
	pthread_mutex_lock(&l->mu);
	for (i = 0; i < l->n_lanes && i < max && out != NULL; i++) {
		out[i].loop = loop_number(l->lanes[i].loop);
		out[i].accepted = l->lanes[i].accepted;
		out[i].pendingAccepts = l->lanes[i].n_accepts;
	}
	pthread_mutex_unlock(&l->mu);
	return (l->n_lanes);
}

/*
 * The watchdog's probe of every loop, pool or dedicated: a loop that has
 * answered the last ping gets the next; one that has not is stalled.
 * Allocates nothing and never waits for a loop.
 */
ULONG
WslPingLoops(void)
{
	struct ws_loop *lp;
	ULONG stalled = 0;
	unsigned sent;

	pthread_mutex_lock(&pool_mu);
	LIST_FOREACH(lp, &every_loop, entry) {
		sent = atomic_load(&lp->sent);
		if (atomic_load(&lp->answered) != sent) {
			atomic_store(&lp->stalled, true);
			stalled++;
			continue;
		}
		atomic_store(&lp->stalled, false);
		atomic_store(&lp->sent, sent + 1);
		event_active(lp->ping_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&pool_mu);
	return (stalled);
}

int
WslGetStalledLoop(WS_LISTENER *l)
{
	ULONG i;

	if (!ws_listener_valid(l))
		return (-1);
	for (i = 0; i < l->n_lanes; i++)
		if (atomic_load(&l->lanes[i].loop->stalled))
			return (loop_number(l->lanes[i].loop));
	return (-1);
}

HRESULT
WslSetLoopCount(ULONG n)
{
	if (n > POOL_MAX)
		return (E_INVALIDARG);
	pthread_mutex_lock(&pool_mu);
	pool_size = (unsigned)n;
	pthread_mutex_unlock(&pool_mu);
	return (S_OK);
}

ULONG
WslGetLoopCount(void)
{
	ULONG n;

	pthread_mutex_lock(&pool_mu);
	n = wanted_size();
	pthread_mutex_unlock(&pool_mu);
	return (n);
}

/* Make every loop of the pool now, rather than as listeners first need
 * them: so the descriptors they take are taken at start. */
HRESULT
WslStartLoops(WS_ERROR *error)
{
	unsigned size;
	HRESULT hr = S_OK;

	WslInitialize();
	pthread_mutex_lock(&pool_mu);
	size = wanted_size();
	while (pool_made < size && SUCCEEDED(hr = loop_new(pool_made,
	    &pool[pool_made], error)))
		pool_made++;
	pthread_mutex_unlock(&pool_mu);
	return (hr);
}

/* At exit, once every listener is freed: end the pool's threads. */
void
WslEndLoops(void)
{
	unsigned i;

	pthread_mutex_lock(&pool_mu);
	for (i = 0; i < pool_made; i++) {
		loop_end(pool[i]);
		pool[i] = NULL;
	}
	pool_made = 0;
	pthread_mutex_unlock(&pool_mu);
}
