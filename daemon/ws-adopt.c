/* SPDX-License-Identifier: ISC */
/*
 * Sockets that outlive one process: a listener can adopt a socket it was
 * given (socket activation, the systemd fd store, a reload replacing a
 * listener) instead of binding one, hand its socket over at close without
 * touching the connections queued on it, and start from a state saved by
 * the process before it.
 *
 * An adopted socket must be what the URL names: same family and type, the
 * same address and port (the wildcard host and port 0 accept any).  A TCP
 * socket shut down by an abort listens again when adopted (its port stays
 * bound); a Unix socket cannot, so a shut-down one is not adopted and the
 * open binds a fresh socket at the path instead.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ws-internal.h"

static const char *
family_name(int family)
{
	return (family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" :
	    family == AF_UNIX ? "Unix" : "other");
}

/* Does the socket's address match the URL's?  why says how not. */
static bool
ip_matches(const struct ws_url *u, int socktype, const struct ws_props *p,
    const struct sockaddr_storage *have, char *why, size_t whylen)
{
	struct sockaddr_storage want;
	struct ws_fail fail;
	char a[64], b[64];
	socklen_t len;
	int hport, wport;

	(void)wsl_format_addr((const struct sockaddr *)have, a, sizeof(a), &hport);
	if (u->port != 0 && hport != u->port) {
		snprintf(why, whylen, "it is bound to port %d, the URL says %d",
		    hport, u->port);
		return (false);
	}
	if (u->wildcard)
		return (true);
	memset(&fail, 0, sizeof(fail));
	if (FAILED(ws_socket_resolve(u, socktype, p->ip_version, &want, &len,
	    &fail))) {
		snprintf(why, whylen, "%s", fail.text);
		return (false);
	}
	(void)wsl_format_addr((const struct sockaddr *)&want, b, sizeof(b), &wport);
	if (want.ss_family != have->ss_family || strcmp(a, b) != 0) {
		snprintf(why, whylen, "it is bound to %s, the URL says %s", a,
		    b);
		return (false);
	}
	return (true);
}

static bool
pipe_matches(const struct ws_url *u, const struct ws_props *p,
    const struct sockaddr_un *have, char *why, size_t whylen)
{
	char want[sizeof(have->sun_path) + 1];
	int n;

	n = snprintf(want, sizeof(want), "%s/%s", p->pipe_dir, u->path);
	if (n < 0 || (size_t)n >= sizeof(have->sun_path) ||
	    strcmp(want, have->sun_path) != 0) {
		snprintf(why, whylen, "it is bound to '%.100s', the URL means "
		    "'%.100s'", have->sun_path, want);
		return (false);
	}
	return (true);
}

/*
 * Fill out from fd, which the caller gives up in every case.  S_FALSE: a
 * shut-down Unix socket, closed here; the caller binds a fresh one.
 */
HRESULT
ws_socket_adopt(const struct ws_url *u, WS_CHANNEL_BINDING binding,
    const struct ws_props *p, int fd, struct ws_bound *out,
    struct ws_fail *error)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char why[300];
	int family, type, want_type, want_unix, depth, limit, shut = 0, e;
	socklen_t olen = sizeof(int);
	struct stat st;

	ws_bound_clear(out);
	want_type = binding == WS_UDP_CHANNEL_BINDING ? SOCK_DGRAM :
	    SOCK_STREAM;
	want_unix = binding == WS_NAMEDPIPE_CHANNEL_BINDING;
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &olen) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &olen) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		e = errno;
		close(fd);
		return (ws_fail_set(error, E_INVALIDARG, e, "the adopted "
		    "descriptor is not a usable socket: %s", strerror(e)));
	}
	if (type != want_type || (family == AF_UNIX) != want_unix ||
	    (family != AF_UNIX && family != AF_INET && family != AF_INET6)) {
		close(fd);
		return (ws_fail_set(error, E_INVALIDARG, 0, "the adopted "
		    "socket is a%s %s %s socket; the URL needs a%s %s %s socket",
		    family == AF_INET6 ? "n" : "", family_name(family),
		    type == SOCK_DGRAM ? "datagram" : type == SOCK_STREAM ?
		    "stream" : "other", want_unix ? "" : "n",
		    want_unix ? "Unix" : "IP",
		    want_type == SOCK_DGRAM ? "datagram" : "stream"));
	}
	if (family == AF_UNIX ?
	    !pipe_matches(u, p, (struct sockaddr_un *)&ss, why, sizeof(why)) :
	    !ip_matches(u, type, p, &ss, why, sizeof(why))) {
		close(fd);
		return (ws_fail_set(error, E_INVALIDARG, 0, "the adopted "
		    "socket does not match the URL: %s", why));
	}
	if (family == AF_UNIX) {
		ws_unix_diag(fd, &depth, &limit, &shut);
		if (shut > 0) {
			close(fd);
			return (S_FALSE);
		}
	}
	/* Listen again (a TCP socket an abort shut down) with our backlog. */
	if ((type == SOCK_STREAM && listen(fd, (int)p->backlog) < 0) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		e = errno;
		close(fd);
		return (ws_fail_set(error, ws_hr_from_errno(e), e, "listen on "
		    "the adopted socket: %s", strerror(e)));
	}
	len = sizeof(ss); /* listen() binds a port-0 socket the abort unbound */
	(void)getsockname(fd, (struct sockaddr *)&ss, &len);
	out->fd = fd;
	out->family = family;
	out->socktype = type;
	out->adopted = true;
	if (family == AF_UNIX) {
		memcpy(out->path, ((struct sockaddr_un *)&ss)->sun_path,
		    sizeof(out->path) - 1);
		if (stat(out->path, &st) == 0) {
			out->dev = st.st_dev;
			out->ino = st.st_ino;
		}
	} else
		(void)wsl_format_addr((struct sockaddr *)&ss, out->address,
		    sizeof(out->address), &out->port);
	return (S_OK);
}

HRESULT
WslAdoptListenerSocket(WS_LISTENER *l, int fd, WS_ERROR *error)
{
	HRESULT hr = S_OK;

	if (!ws_listener_valid(l) || fd < 0)
		return (ws_error_fill(error, E_INVALIDARG, 0,
		    "the listener is NULL or the descriptor negative"));
	pthread_mutex_lock(&l->mu);
	if (l->state != WS_LISTENER_STATE_CREATED &&
	    l->state != WS_LISTENER_STATE_CLOSED)
		hr = ws_error_fill(error, WS_E_INVALID_OPERATION, 0,
		    "a socket can be adopted only before an open (the "
		    "listener is %s)", wsl_state_name((int)l->state));
	else {
		if (l->given_fd >= 0)
			close(l->given_fd);
		l->given_fd = fd;
	}
	pthread_mutex_unlock(&l->mu);
	return (hr);
}

HRESULT
WslDupListenerSocket(WS_LISTENER *l, int *fd)
{
	HRESULT hr = S_OK;

	if (!ws_listener_valid(l) || fd == NULL)
		return (E_INVALIDARG);
	*fd = -1;
	pthread_mutex_lock(&l->mu);
	if (l->state != WS_LISTENER_STATE_OPEN || l->sock.fd < 0)
		hr = WS_E_INVALID_OPERATION;
	else if ((*fd = fcntl(l->sock.fd, F_DUPFD_CLOEXEC, 3)) < 0)
		hr = ws_hr_from_errno(errno);
	pthread_mutex_unlock(&l->mu);
	return (hr);
}

HRESULT
WslHandOverListener(WS_LISTENER *l)
{
	if (!ws_listener_valid(l))
		return (E_INVALIDARG);
	pthread_mutex_lock(&l->mu);
	l->hand_over = true;
	pthread_mutex_unlock(&l->mu);
	return (S_OK);
}

HRESULT
WslRestoreListener(WS_LISTENER *l, WS_LISTENER_STATE state,
    const WSL_LISTENER_COUNTERS *counters, WS_ERROR *error)
{
	HRESULT hr = S_OK;
	bool changed = false;

	if (!ws_listener_valid(l) || (state != WS_LISTENER_STATE_CREATED &&
	    state != WS_LISTENER_STATE_FAULTED &&
	    state != WS_LISTENER_STATE_CLOSED))
		return (ws_error_fill(error, E_INVALIDARG, 0, "only CREATED, "
		    "FAULTED and CLOSED can be restored"));
	pthread_mutex_lock(&l->mu);
	if (l->state != WS_LISTENER_STATE_CREATED)
		hr = ws_error_fill(error, WS_E_INVALID_OPERATION, 0,
		    "a state can be restored only into a CREATED listener "
		    "(it is %s)", wsl_state_name((int)l->state));
	else {
		changed = l->state != state;
		ws_set_state(l, state, WSL_OPERATION_RESTORE, S_OK,
		    WslGetCallerTag());
		if (counters != NULL) {
			l->counters = *counters;
			l->counters.active = 0; /* none in a new process */
		}
	}
	pthread_mutex_unlock(&l->mu);
	if (changed)
		ws_notify_state(l);
	return (hr);
}
