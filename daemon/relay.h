/* SPDX-License-Identifier: ISC */
/*
 * Relaying a byte stream, for echo (a socket back to itself) and forward
 * (two sockets, both ways), on one loop thread.  Bytes are read in blocks
 * of RELAY_BLOCK into a buffer the loop thread shares and written on at
 * once; only what the other side could not take yet (the tail) is kept,
 * and while a direction has a tail its source is not read, so a slow
 * reader holds wsld to one block per direction.  Interest in writability
 * is taken only while a tail waits.  An end of input is passed on as a
 * half-close (shutdown SHUT_WR) once everything before it is written; a
 * reset or an error ends that socket both ways, what it sent before still
 * reaching the other side.
 */
#ifndef WSL_RELAY_H
#define WSL_RELAY_H

#include <stdbool.h>
#include <stddef.h>

#define RELAY_BLOCK (64 * 1024)

struct event;
struct event_base;

struct relay;

struct relay_end {
	struct relay *r;
	int fd;                   /* non-blocking; the relay closes it */
	struct event *rd, *wr;
	bool rd_on, wr_on;
	bool broken;              /* reset or error: gone both ways */
};

/* Bytes from end[i] to end[!i] (echo: end[0] to itself). */
struct relay_dir {
	unsigned char *tail;      /* what the destination did not take */
	size_t len, off;
	bool eof;                 /* the source has no more */
	bool shut;                /* ... and that was passed on */
};

struct relay {
	struct relay_end end[2];
	struct relay_dir dir[2];
	int ends;                 /* 1: echo, 2: forward */
	/* Every direction has passed its end on: the owner frees it. */
	void (*done)(struct relay *, void *);
	void *arg;
};

/* Set up relaying fd0 to itself (fd1 -1) or fd0 and fd1 both ways; -1
 * if out of memory (the descriptors are still the caller's then). */
int relay_start(struct relay *, struct event_base *, int fd0, int fd1,
    void (*done)(struct relay *, void *), void *arg);
/* Begin: read end `now` at once (a peer usually sends as soon as it is
 * connected: what is there already is moved without a round through the
 * loop, and a short exchange may end here), and watch the rest.  It may
 * call done: the caller's last use of the relay. */
void relay_go(struct relay *, int now);
/* Stop, free the events and tails, close the descriptors. */
void relay_free(struct relay *);

#endif
