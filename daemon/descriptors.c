/* SPDX-License-Identifier: ISC */
/*
 * The daemon's budget of file descriptors (see descriptors.h).
 */
#include <sys/resource.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>

#include "control.h"
#include "descriptors.h"
#include "log.h"

#define CONTROL_MARGIN 16   /* config files, the journal, a state memfd */
#define LISTENER_MARGIN 64  /* listeners still creatable when peers hold
                             * all they may */

static bool counting;          /* false: no limit known, nothing refused */
static long limit;             /* the soft RLIMIT_NOFILE, once raised */
static long own;               /* held before any listener: stdio, sockets */
static atomic_long control = CONTROL_MAX_CLIENTS + CONTROL_MARGIN;
                               /* kept for control clients (a reload may
                                * change it while loops read it) */
static atomic_long listeners;  /* held for listeners (sockets, own loops) */
static atomic_long peers;      /* held for channels */
static atomic_long serving;    /* listeners whose accept loops run */
static atomic_ullong refused;  /* peer takes refused */

/* Descriptors open now, stdio and inherited ones included. */
static long
count_open(void)
{
	struct dirent *de;
	long n = 0, fd;
	DIR *d;

	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				n++;
		closedir(d);
		return (n - 1); /* the directory's own */
	}
	for (fd = 0; fd < limit && fd < 65536; fd++)
		if (fcntl((int)fd, F_GETFD) >= 0)
			n++;
	return (n);
}

void
descriptors_set_control(size_t clients)
{
	control = (long)clients + CONTROL_MARGIN;
}

void
descriptors_init(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("getrlimit RLIMIT_NOFILE");
		return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_warn("raising the descriptor limit");
			(void)getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	limit = rl.rlim_cur > (rlim_t)1 << 30 ? 1L << 30 : (long)rl.rlim_cur;
	own = count_open();
	counting = true;
	log_debug("descriptors: limit %ld, %ld held, %ld for control clients",
	    limit, own, atomic_load(&control));
}

/* What peers may hold in all: what neither wsld, its control clients nor
 * its listeners need, less a margin for more listeners. */
static long
peers_max(void)
{
	long n = limit - own - control - LISTENER_MARGIN -
	    atomic_load(&listeners);

	return (n > 0 ? n : 0);
}

int
descriptors_listener_take(bool dedicated_loop, struct wsl_err *err)
{
	long need = DESCRIPTORS_PER_LISTENER +
	    (dedicated_loop ? DESCRIPTORS_PER_LOOP : 0);
	long n = atomic_load(&listeners), p = atomic_load(&peers);
	long left = limit - own - control - n - p;

	if (counting && left < need) {
		wsl_err_set(err, WSL_HR_WS_E_QUOTA_EXCEEDED, "out of "
		    "descriptors: the listener needs %ld and %ld are left "
		    "(limit %ld: %ld held by wsld, %ld kept for control "
		    "clients, %ld for listeners, %ld for channels)", need,
		    left > 0 ? left : 0, limit, own, atomic_load(&control), n, p);
		return (-1);
	}
	atomic_fetch_add(&listeners, need);
	return (0);
}

void
descriptors_listener_give(bool dedicated_loop)
{
	atomic_fetch_sub(&listeners, DESCRIPTORS_PER_LISTENER +
	    (dedicated_loop ? DESCRIPTORS_PER_LOOP : 0));
}

void
descriptors_serving(struct descriptor_share *s, bool on)
{
	if (s->serving == on)
		return;
	s->serving = on;
	atomic_fetch_add(&serving, on ? 1 : -1);
}

bool
descriptors_peer_take(struct descriptor_share *s, unsigned n)
{
	long used, max, fair, others;

	if (!counting) {
		s->held += n;
		return (true);
	}
	max = peers_max();
	others = atomic_load(&serving);
	fair = max / (others > 2 ? others : 2);
	used = atomic_load(&peers);
	do {
		if (used + (long)n > max ||
		    (4 * (used + (long)n) > 3 * max &&
		    (long)(s->held + n) > fair)) {
			atomic_fetch_add(&refused, 1);
			return (false);
		}
	} while (!atomic_compare_exchange_weak(&peers, &used, used + (long)n));
	s->held += n;
	return (true);
}

void
descriptors_peer_give(struct descriptor_share *s, unsigned n)
{
	s->held -= n;
	if (counting)
		atomic_fetch_sub(&peers, (long)n);
}

json_t *
descriptors_describe(void)
{
	return (json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "limit", (json_int_t)limit, "wsld", (json_int_t)own,
	    "control-reserve", (json_int_t)atomic_load(&control),
	    "listeners", (json_int_t)atomic_load(&listeners),
	    "channels", (json_int_t)atomic_load(&peers),
	    "channels-max", (json_int_t)peers_max(),
	    "channels-refused", (json_int_t)atomic_load(&refused)));
}
