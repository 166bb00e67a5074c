/* SPDX-License-Identifier: ISC */
/*
 * Non-blocking messages to the service manager (see notify-send.h).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "control.h"
#include "notify-send.h"
#include "wsl-proto.h"

#define QUEUE_MAX 64
#define RETRY_MS 50

static int fd = -1;
static bool no_manager;                 /* NOTIFY_SOCKET unset or unusable */
static struct sockaddr_un addr;
static socklen_t addrlen;
static char *queue[QUEUE_MAX];          /* oldest first */
static size_t queued;
static struct event *retry_ev;
static unsigned long long sent, dropped, waited;

static bool
connect_manager(void)
{
	const char *e = getenv("NOTIFY_SOCKET");
	size_t n;

	if (fd >= 0 || no_manager)
		return (fd >= 0);
	if (e == NULL || (e[0] != '/' && e[0] != '@') ||
	    (n = strlen(e)) >= sizeof(addr.sun_path)) {
		no_manager = true;
		return (false);
	}
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	memcpy(addr.sun_path, e, n);
	if (e[0] == '@')
		addr.sun_path[0] = '\0'; /* abstract */
	addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
	    (e[0] == '@' ? 0 : 1));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return (fd >= 0);
}

/* 1 sent, 0 would block, -1 failed for good (dropped). */
static int
try_send(const char *msg)
{
	if (sendto(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
	    (struct sockaddr *)&addr, addrlen) >= 0) {
		sent++;
		return (1);
	}
	return (errno == EAGAIN || errno == ENOBUFS || errno == EINTR ? 0 :
	    -1);
}

static bool
status_only(const char *msg)
{
	return (strncmp(msg, "STATUS=", 7) == 0 && strchr(msg, '\n') == NULL);
}

static void
flush(void)
{
	struct timeval tv = wsl_ms_to_tv(RETRY_MS);
	size_t i = 0;
	int r;

	while (i < queued && (r = try_send(queue[i])) != 0) {
		if (r < 0)
			dropped++;
		free(queue[i++]);
	}
	memmove(queue, queue + i, (queued - i) * sizeof(queue[0]));
	queued -= i;
	if (queued > 0 && retry_ev != NULL)
		evtimer_add(retry_ev, &tv);
}

static void
retry_cb(evutil_socket_t s, short what, void *arg)
{
	(void)s;
	(void)what;
	(void)arg;
	flush();
}

void
notify_send(const char *msg)
{
	struct timeval tv = wsl_ms_to_tv(RETRY_MS);
	char *copy;
	int r;

	if (!connect_manager())
		return;
	if (queued == 0 && (r = try_send(msg)) != 0) {
		if (r < 0)
			dropped++;
		return;
	}
	waited++;
	/* Only the latest status matters. */
	if (queued > 0 && status_only(msg) && status_only(queue[queued - 1]) &&
	    (copy = strdup(msg)) != NULL) {
		free(queue[queued - 1]);
		queue[queued - 1] = copy;
		return;
	}
	if (queued == QUEUE_MAX || (copy = strdup(msg)) == NULL) {
		dropped++;
		return;
	}
	queue[queued++] = copy;
	if (retry_ev == NULL)
		retry_ev = evtimer_new(control_base, retry_cb, NULL);
	if (retry_ev != NULL && !evtimer_pending(retry_ev, NULL))
		evtimer_add(retry_ev, &tv);
}

json_t *
notify_send_stats(void)
{
	return (json_pack("{s:I,s:I,s:I,s:I}", "sent", (json_int_t)sent,
	    "waited", (json_int_t)waited, "queued", (json_int_t)queued,
	    "dropped", (json_int_t)dropped));
}

void
notify_send_free(void)
{
	/* What still waits gets one last chance: a stop must be heard. */
	flush();
	while (queued > 0)
		free(queue[--queued]);
	if (retry_ev != NULL)
		event_free(retry_ev);
	retry_ev = NULL;
	if (fd >= 0)
		close(fd);
	fd = -1;
}
