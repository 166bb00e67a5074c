/* SPDX-License-Identifier: ISC */
/*
 * soap.udp channels.  UDP has no connections, so the listener makes one per
 * peer: the first datagram from a new peer completes a pending accept with
 * a channel that is one end of a SOCK_SEQPACKET pair.  The loop relays: each
 * datagram from that peer becomes one packet on the channel, each packet
 * written to the channel is sent to the peer from the listener's own
 * address.  A datagram from a new peer when no accept is pending is turned
 * away and counted as refused; one lost for lack of resources is counted
 * as dropped.  Channels end (EOF) when their owner closes them or when the
 * listener's socket goes away.  Everything here runs on the loop thread.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ws-internal.h"

#define DATAGRAM_MAX 65536
#define DATAGRAM_BATCH 64

struct ws_udp_session {
	WS_LISTENER *l;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	int fd;               /* the loop's end of the pair */
	struct event *ev;
	struct ws_udp_session *next; /* only while closing them all */
	char key[80];
};

static void
peer_key(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	(void)wsl_format_addr((const struct sockaddr *)ss, host, sizeof(host),
	    &port);
	snprintf(buf, size, ss->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d",
	    host, port);
}

static void
session_free(struct ws_udp_session *s)
{
	WS_LISTENER *l = s->l;

	strmap_remove(l->udp_sessions, s->key);
	event_free(s->ev);
	close(s->fd);
	ws_free(s);
	pthread_mutex_lock(&l->mu);
	l->n_udp_sessions--;
	pthread_mutex_unlock(&l->mu);
}

/* A packet from the channel's owner: send it to the peer. */
static void
session_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ws_udp_session *s = arg;
	WS_LISTENER *l = s->l;
	ssize_t n;
	int sock;

	(void)what;
	pthread_mutex_lock(&l->mu);
	sock = l->sock.fd;
	pthread_mutex_unlock(&l->mu);
	n = recv(fd, l->udp_buf, DATAGRAM_MAX, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* 0 bytes: the owner closed, or sent an empty datagram. */
	if (n < 0 || sock < 0 || (n == 0 && wsl_hung_up(fd, true))) {
		session_free(s);
		return;
	}
	(void)sendto(sock, l->udp_buf, (size_t)n, MSG_DONTWAIT,
	    (struct sockaddr *)&s->peer, s->peerlen);
}

/* A new peer and a pending accept: open a channel for it. */
static void
session_new(WS_LISTENER *l, WS_CHANNEL *ch, const struct sockaddr_storage *peer,
    socklen_t peerlen, const char *key, size_t n)
{
	struct ws_udp_session *s = NULL;
	int sv[2] = { -1, -1 }, e = 0;
	bool requeued;

	if ((e = socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) < 0 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 ||
	    (s = ws_calloc(1, sizeof(*s))) == NULL ||
	    (s->ev = event_new(WS_HOME(l)->base, sv[0], EV_READ | EV_PERSIST,
		session_cb, s)) == NULL ||
	    strmap_put(l->udp_sessions, key, s) < 0) {
		/* Out of resources: the datagram is lost, the accept waits. */
		e = e < 0 ? errno : ENOMEM;
		if (s != NULL && s->ev != NULL)
			event_free(s->ev);
		ws_free(s);
		if (sv[0] >= 0) {
			close(sv[0]);
			close(sv[1]);
		}
		pthread_mutex_lock(&l->mu);
		ws_count_accept_error(l, e);
		l->counters.datagramsDropped++;
		requeued = l->state == WS_LISTENER_STATE_OPEN;
		if (requeued) {
			TAILQ_INSERT_HEAD(&WS_HOME(l)->accepts, ch, entry);
			ch->queued = true;
			WS_HOME(l)->n_accepts++;
			l->n_accepts++;
		}
		pthread_mutex_unlock(&l->mu);
		/* A close or an abort came meanwhile: the accept ends as its
		 * queued companions did. */
		if (!requeued)
			ws_complete_accept(l, ch, WS_E_OPERATION_ABORTED);
		return;
	}
	s->l = l;
	s->fd = sv[0];
	s->peer = *peer;
	s->peerlen = peerlen;
	snprintf(s->key, sizeof(s->key), "%s", key);
	event_add(s->ev, NULL);
	(void)send(sv[0], l->udp_buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	pthread_mutex_lock(&l->mu);
	l->n_udp_sessions++;
	l->counters.accepted++;
	l->counters.completed++; /* in one snapshot: the equation holds */
	ch->fd = sv[1];
	ch->peer = *peer;
	ch->peerlen = peerlen;
	pthread_mutex_unlock(&l->mu);
	ws_complete_accept(l, ch, S_OK);
}

void
ws_udp_readable(WS_LISTENER *l)
{
	struct sockaddr_storage peer;
	struct ws_udp_session *s;
	socklen_t len;
	WS_CHANNEL *ch;
	char key[80];
	ssize_t n;
	int i, sock;

	for (i = 0; i < DATAGRAM_BATCH; i++) {
		pthread_mutex_lock(&l->mu);
		sock = l->state == WS_LISTENER_STATE_OPEN ? l->sock.fd : -1;
		pthread_mutex_unlock(&l->mu);
		if (sock < 0)
			return;
		len = sizeof(peer);
		n = recvfrom(sock, l->udp_buf, DATAGRAM_MAX, MSG_DONTWAIT,
		    (struct sockaddr *)&peer, &len);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			continue; /* e.g. ECONNREFUSED from an ICMP error */
		}
		peer_key(&peer, key, sizeof(key));
		if ((s = strmap_get(l->udp_sessions, key)) != NULL) {
			(void)send(s->fd, l->udp_buf, (size_t)n,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			continue;
		}
		pthread_mutex_lock(&l->mu);
		if ((ch = TAILQ_FIRST(&WS_HOME(l)->accepts)) == NULL) {
			/* A new peer, and nobody accepting (the handler is
			 * at its limit): turned away. */
			l->counters.refused++;
			pthread_mutex_unlock(&l->mu);
			continue;
		}
		TAILQ_REMOVE(&WS_HOME(l)->accepts, ch, entry);
		ch->queued = false; /* from now on no cancel can take it */
		WS_HOME(l)->n_accepts--;
		l->n_accepts--;
		pthread_mutex_unlock(&l->mu);
		session_new(l, ch, &peer, len, key, (size_t)n);
	}
}

static void
collect(const char *key, void *value, void *arg)
{
	struct ws_udp_session **list = arg, *s = value;

	(void)key;
	s->next = *list;
	*list = s;
}

void
ws_udp_close_all(WS_LISTENER *l)
{
	struct ws_udp_session *list = NULL, *s, *next;

	if (l->udp_sessions == NULL)
		return;
	/* Collect first: session_free() changes the map. */
	strmap_foreach(l->udp_sessions, collect, &list);
	for (s = list; s != NULL; s = next) {
		next = s->next;
		session_free(s);
	}
}
