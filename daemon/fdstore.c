/* SPDX-License-Identifier: ISC */
/*
 * The systemd fd store (see fdstore.h).
 */
#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "activation.h"
#include "fdstore.h"
#include "json-memory.h"
#include "lifecycle.h"
#include "log.h"

static bool enabled;
static bool handing_over;

void
fdstore_enable(bool on)
{
	enabled = on;
}

bool
fdstore_enabled(void)
{
	return (enabled);
}

static int
put(const char *name, int fd)
{
	char msg[300];
	int r;

	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	if ((r = sd_pid_notify_with_fds(0, 0, msg, &fd, 1)) <= 0) {
		log_warnx("fd store: cannot store '%s': %s", name,
		    r < 0 ? strerror(-r) : "no service manager");
		return (-1);
	}
	return (0);
}

void
fdstore_remove(const char *name)
{
	if (enabled)
		(void)sd_notifyf(0, "FDSTOREREMOVE=1\nFDNAME=%s", name);
}

static bool
ours(struct wsld_listener *l)
{
	return (enabled && !handing_over && l->ws != NULL && !l->given.keep &&
	    l->life.bound);
}

/* Its socket, if the core still has it open: a change told late may find
 * it gone already, and the change after it drops nothing then. */
static void
store(struct wsld_listener *l)
{
	int fd;

	if (l->fdstore.stored || WslDupListenerSocket(l->ws, &fd) != S_OK)
		return;
	if (put(l->name, fd) == 0)
		l->fdstore.stored = true;
	close(fd);
}

static void
unstore(struct wsld_listener *l)
{
	if (!l->fdstore.stored)
		return;
	fdstore_remove(l->name);
	l->fdstore.stored = false;
}

/*
 * Stored when it becomes OPEN; removed when it leaves OPEN, or when an
 * open fails on a socket stored before (a successor opening on the one
 * its predecessor handed over).  Nothing else changes the entry: while a
 * successor is OPENING on a handed-over socket, the socket stays stored.
 */
void
fdstore_changed(struct wsld_listener *l, const WSL_TRANSITION *t)
{
	if (!ours(l))
		return;
	if (t->to == WS_LISTENER_STATE_OPEN)
		store(l);
	else if (t->from == WS_LISTENER_STATE_OPEN ||
	    t->from == WS_LISTENER_STATE_OPENING)
		unstore(l);
}

/* The socket under the name is the successor's now (handed over, it is
 * opening on it): the entry stays while it does; the successor's own
 * changes keep it or drop it from then on. */
void
fdstore_replaced(struct wsld_listener *old, struct wsld_listener *new)
{
	new->fdstore.stored = old->fdstore.stored;
	old->fdstore.stored = false;
}

void
fdstore_freed(struct wsld_listener *l)
{
	if (l->fdstore.stored && !handing_over)
		fdstore_remove(l->name);
	l->fdstore.stored = false;
}

/* The core's state, not the changes told so far. */
static void
sync_one(struct wsld_listener *l, void *arg)
{
	(void)arg;
	if (!ours(l))
		return;
	if (listener_state(l) == WS_LISTENER_STATE_OPEN)
		store(l);
	else
		unstore(l);
}

void
fdstore_hand_over(void)
{
	lifecycle_foreach(sync_one, NULL);
	handing_over = true;
}

int
fdstore_put_state(const json_t *doc, bool final)
{
	char *text;
	size_t len, off = 0;
	ssize_t n;
	int fd, r = -1;

	if ((text = json_encode_whole(doc, &len)) == NULL)
		return (-1);
	if ((fd = memfd_create("wsld-state", MFD_CLOEXEC)) < 0) {
		log_warn("fd store: memfd_create");
		free(text);
		return (-1);
	}
	while (off < len && ((n = write(fd, text + off, len - off)) > 0 ||
	    errno == EINTR))
		if (n > 0)
			off += (size_t)n;
	if (off == len &&
	    (r = put(final ? FDSTORE_FINAL_STATE_NAME : FDSTORE_STATE_NAME,
	    fd)) == 0) {
		if (final)
			fdstore_remove(FDSTORE_STATE_NAME);
	} else
		log_warn("fd store: writing the state");
	close(fd);
	free(text);
	return (r);
}

static json_t *
read_state(int fd, const char *name)
{
	json_error_t e;
	json_t *doc = NULL;

	if (lseek(fd, 0, SEEK_SET) < 0)
		log_warn("fd store: the saved state %s cannot be read", name);
	else if ((doc = json_loadfd(fd, JSON_REJECT_DUPLICATES, &e)) == NULL)
		log_warnx("fd store: the saved state %s cannot be read (%s)",
		    name, e.text);
	close(fd);
	/* Consumed: a crash later must not bring back a stale state. */
	fdstore_remove(name);
	return (doc);
}

json_t *
fdstore_read_state(void)
{
	json_t *doc = NULL;
	int final, first;

	final = activation_take(FDSTORE_FINAL_STATE_NAME);
	first = activation_take(FDSTORE_STATE_NAME);
	if (final >= 0)
		doc = read_state(final, FDSTORE_FINAL_STATE_NAME);
	if (first >= 0 && doc == NULL)
		doc = read_state(first, FDSTORE_STATE_NAME);
	else if (first >= 0) {
		close(first); /* the final one supersedes it */
		fdstore_remove(FDSTORE_STATE_NAME);
	}
	if (doc == NULL && (final >= 0 || first >= 0))
		log_warnx("fd store: no saved state could be read; listeners "
		    "start as configured");
	return (doc);
}
