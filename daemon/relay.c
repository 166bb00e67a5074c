/* SPDX-License-Identifier: ISC */
/*
 * Relaying a byte stream (see relay.h).
 */
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "relay.h"

/* Blocks read per wake-up of one source, so that one busy connection
 * does not hold its loop. */
#define RELAY_TURN 4

/* One block per loop thread, freed when the thread ends. */
static pthread_once_t block_once = PTHREAD_ONCE_INIT;
static pthread_key_t block_key;

static void
block_init(void)
{
	(void)pthread_key_create(&block_key, free);
}

static unsigned char *
block(void)
{
	unsigned char *b;

	pthread_once(&block_once, block_init);
	if ((b = pthread_getspecific(block_key)) == NULL &&
	    (b = malloc(RELAY_BLOCK)) != NULL &&
	    pthread_setspecific(block_key, b) != 0) {
		free(b);
		b = NULL;
	}
	return (b);
}

/* Direction i reads end src(i) and writes end dst(i). */
static int
src(const struct relay *r, int i)
{
	return (r->ends == 1 ? 0 : i);
}

static int
dst(const struct relay *r, int i)
{
	return (r->ends == 1 ? 0 : !i);
}

static void
set_rd(struct relay_end *e, bool on)
{
	if (e->rd_on == on || e->broken)
		return;
	if ((on ? event_add(e->rd, NULL) : event_del(e->rd)) == 0)
		e->rd_on = on;
}

static void
set_wr(struct relay_end *e, bool on)
{
	if (e->wr_on == on || e->broken)
		return;
	if ((on ? event_add(e->wr, NULL) : event_del(e->wr)) == 0)
		e->wr_on = on;
}

/* Every direction has passed its end on: tell the owner, who may free r;
 * true if so (nothing may touch r then). */
static bool
finished(struct relay *r)
{
	int i;

	for (i = 0; i < r->ends; i++)
		if (!r->dir[i].shut)
			return (false);
	r->done(r, r->arg);
	return (true);
}

/* Pass direction i's end on once everything before it is written. */
static void
pass_eof(struct relay *r, int i)
{
	struct relay_dir *d = &r->dir[i];
	struct relay_end *t = &r->end[dst(r, i)];

	if (!d->eof || d->shut || d->len > d->off)
		return;
	/* Echo closes once done; a forwarded end goes on as a half-close,
	 * unless the other way is over too: the close that follows at once
	 * says it. */
	if (r->ends == 2 && !t->broken && !r->dir[!i].shut)
		(void)shutdown(t->fd, SHUT_WR);
	d->shut = true;
}

/* End e was reset or failed: nothing more comes from it, nothing more can
 * go to it; what it sent before still goes on. */
static void
broke(struct relay *r, int e)
{
	struct relay_end *x = &r->end[e];
	int i;

	set_rd(x, false);
	set_wr(x, false);
	x->broken = true;
	for (i = 0; i < r->ends; i++) {
		if (src(r, i) == e)
			r->dir[i].eof = true;
		if (dst(r, i) == e) {
			free(r->dir[i].tail);
			r->dir[i].tail = NULL;
			r->dir[i].len = r->dir[i].off = 0;
			r->dir[i].eof = true; /* its source is read and dropped */
			r->dir[i].shut = true;
		}
	}
	for (i = 0; i < r->ends; i++)
		pass_eof(r, i);
}

/* Write what the destination can take; keep the rest as the tail. */
static int
put(struct relay *r, int i, const unsigned char *p, size_t n)
{
	struct relay_dir *d = &r->dir[i];
	struct relay_end *s = &r->end[src(r, i)], *t = &r->end[dst(r, i)];
	ssize_t w;

	if (t->broken)
		return (0); /* nowhere to go: dropped */
	do
		w = send(t->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	if (w < 0 && errno != EAGAIN) {
		broke(r, dst(r, i));
		return (0);
	}
	if (w < 0)
		w = 0;
	if ((size_t)w == n)
		return (0);
	if ((d->tail = malloc(n - (size_t)w)) == NULL) {
		broke(r, dst(r, i)); /* cannot keep it: as if gone */
		return (0);
	}
	memcpy(d->tail, p + w, n - (size_t)w);
	d->len = n - (size_t)w;
	d->off = 0;
	set_rd(s, false); /* until the tail is taken */
	set_wr(t, true);
	return (1);
}

/* Move direction i's bytes: read blocks and write them on at once. */
static void
pump(struct relay *r, int i)
{
	struct relay_dir *d = &r->dir[i];
	int e = src(r, i);
	unsigned char *b;
	ssize_t n;
	int turn;

	if ((b = block()) == NULL)
		return; /* no memory for a block yet: again at the next wake */
	for (turn = 0; turn < RELAY_TURN && d->tail == NULL; turn++) {
		do
			n = read(r->end[e].fd, b, RELAY_BLOCK);
		while (n < 0 && errno == EINTR);
		if (n > 0) {
			if (put(r, i, b, (size_t)n) != 0)
				return;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			broke(r, e);
			return;
		}
		d->eof = true;
		set_rd(&r->end[e], false);
		pass_eof(r, i);
		return;
	}
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct relay_end *x = arg;
	struct relay *r = x->r;
	int e = (int)(x - r->end), i;

	(void)fd;
	(void)what;
	for (i = 0; i < r->ends; i++)
		if (src(r, i) == e)
			pump(r, i);
	(void)finished(r);
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	struct relay_end *x = arg;
	struct relay *r = x->r;
	struct relay_dir *d;
	int e = (int)(x - r->end), i;
	ssize_t w;

	(void)fd;
	(void)what;
	for (i = 0; i < r->ends; i++) {
		d = &r->dir[i];
		if (dst(r, i) != e || d->tail == NULL)
			continue;
		do
			w = send(x->fd, d->tail + d->off, d->len - d->off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
		while (w < 0 && errno == EINTR);
		if (w < 0) {
			if (errno == EAGAIN)
				continue;
			broke(r, e);
			break;
		}
		if ((d->off += (size_t)w) < d->len)
			continue;
		free(d->tail);
		d->tail = NULL;
		d->len = d->off = 0;
		set_wr(x, false);
		if (!d->eof)
			set_rd(&r->end[src(r, i)], true);
		pass_eof(r, i);
	}
	(void)finished(r);
}

int
relay_start(struct relay *r, struct event_base *base, int fd0, int fd1,
    void (*done)(struct relay *, void *), void *arg)
{
	int i;

	memset(r, 0, sizeof(*r));
	r->ends = fd1 < 0 ? 1 : 2;
	r->end[0].fd = fd0;
	r->end[1].fd = fd1;
	r->done = done;
	r->arg = arg;
	for (i = 0; i < r->ends; i++) {
		r->end[i].r = r;
		if ((r->end[i].rd = event_new(base, r->end[i].fd,
		    EV_READ | EV_PERSIST, on_read, &r->end[i])) == NULL ||
		    (r->end[i].wr = event_new(base, r->end[i].fd,
		    EV_WRITE | EV_PERSIST, on_write, &r->end[i])) == NULL)
			goto fail;
	}
	return (0);
fail:
	for (i = 0; i < r->ends; i++) {
		if (r->end[i].rd != NULL)
			event_free(r->end[i].rd);
		if (r->end[i].wr != NULL)
			event_free(r->end[i].wr);
		r->end[i].rd = r->end[i].wr = NULL;
	}
	return (-1);
}

void
relay_go(struct relay *r, int now)
{
	int i;

	for (i = 0; i < r->ends; i++)
		if (src(r, i) == now)
			pump(r, i);
	/* Watch whatever still has something to come. */
	for (i = 0; i < r->ends; i++)
		if (!r->dir[i].eof && r->dir[i].tail == NULL)
			set_rd(&r->end[src(r, i)], true);
	(void)finished(r);
}

void
relay_free(struct relay *r)
{
	int i;

	for (i = 0; i < r->ends; i++) {
		if (r->end[i].rd != NULL)
			event_free(r->end[i].rd);
		if (r->end[i].wr != NULL)
			event_free(r->end[i].wr);
		if (r->end[i].fd >= 0)
			close(r->end[i].fd);
		free(r->dir[i].tail);
	}
	memset(r, 0, sizeof(*r));
	r->end[0].fd = r->end[1].fd = -1;
}
