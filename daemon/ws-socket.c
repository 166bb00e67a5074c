/* SPDX-License-Identifier: ISC */
/*
 * Turning a parsed URL into a bound, listening socket, with failures mapped
 * to canonical HRESULTs (the errno kept as ORIGINAL_ERROR_CODE and its text
 * in the WS_ERROR strings).  Runs on the listener's loop thread while the
 * listener is OPENING, so name resolution never blocks a control thread.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ws-internal.h"

static HRESULT
sys_fail(struct ws_fail *error, int e, const char *what, const char *where)
{
	return (ws_fail_set(error, ws_hr_from_errno(e), e, "%s %s: %s", what,
	    where, strerror(e)));
}

/* Where to bind: the wildcard, a literal, or the first address of a name. */
HRESULT
ws_socket_resolve(const struct ws_url *u, int socktype, WS_IP_VERSION v,
    struct sockaddr_storage *ss, socklen_t *len, struct ws_fail *error)
{
	struct addrinfo hints, *res;
	char port[8];
	int r;

	memset(ss, 0, sizeof(*ss));
	if (u->wildcard) {
		if (v == WS_IP_VERSION_4) {
			struct sockaddr_in *sin = (void *)ss;
			sin->sin_family = AF_INET;
			sin->sin_port = htons((uint16_t)u->port);
			*len = sizeof(*sin);
		} else {
			struct sockaddr_in6 *sin6 = (void *)ss;
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((uint16_t)u->port);
			*len = sizeof(*sin6);
		}
		return (S_OK);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = socktype;
	hints.ai_family = v == WS_IP_VERSION_4 ? AF_INET :
	    v == WS_IP_VERSION_6 ? AF_INET6 : AF_UNSPEC;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", u->port);
	if ((r = getaddrinfo(u->host, port, &hints, &res)) != 0)
		return (ws_fail_set(error, WS_E_ADDRESS_NOT_AVAILABLE,
		    r == EAI_SYSTEM ? errno : 0, "cannot listen on '%s'%s: %s",
		    u->host, v == WS_IP_VERSION_AUTO ? "" :
		    v == WS_IP_VERSION_4 ? " with IP version 4" :
		    " with IP version 6", gai_strerror(r)));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return (S_OK);
}

static HRESULT
open_ip(const struct ws_url *u, WS_CHANNEL_BINDING b,
    const struct ws_props *p, struct ws_bound *out, struct ws_fail *error)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char where[300];
	int socktype = b == WS_UDP_CHANNEL_BINDING ? SOCK_DGRAM : SOCK_STREAM;
	int fd, on = 1, v6only, e, dummy;
	HRESULT hr;

	if (u->scheme == WS_SCHEME_HTTPS)
		return (ws_fail_set(error, WS_E_NOT_SUPPORTED, 0,
		    "https listeners are not supported (no TLS in wsld)"));
	if (FAILED(hr = ws_socket_resolve(u, socktype, p->ip_version, &ss, &len, error)))
		return (hr);
	/* Every address of the wildcard, both families, when AUTO. */
	v6only = !(u->wildcard && p->ip_version == WS_IP_VERSION_AUTO);
	fd = socket(ss.ss_family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT && u->wildcard &&
	    p->ip_version == WS_IP_VERSION_AUTO) {
		/* No IPv6 on this host: the IPv4 wildcard is "every address". */
		struct sockaddr_in *sin = (void *)&ss;
		memset(&ss, 0, sizeof(ss));
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)u->port);
		len = sizeof(*sin);
		fd = socket(AF_INET, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	(void)wsl_format_addr((struct sockaddr *)&ss, out->address, sizeof(out->address),
	    &dummy);
	snprintf(where, sizeof(where), ss.ss_family == AF_INET6 ? "[%s]:%d" :
	    "%s:%d", out->address, u->port);
	if (fd < 0)
		return (sys_fail(error, errno, "socket for", where));
	if (socktype == SOCK_STREAM)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
		goto fail_bind;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		goto fail_bind;
	if (socktype == SOCK_STREAM && listen(fd, (int)p->backlog) < 0) {
		e = errno;
		close(fd);
		return (sys_fail(error, e, "listen on", where));
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		e = errno;
		close(fd);
		return (sys_fail(error, e, "getsockname of", where));
	}
	out->fd = fd;
	out->family = ss.ss_family;
	out->socktype = socktype;
	(void)wsl_format_addr((struct sockaddr *)&ss, out->address, sizeof(out->address),
	    &out->port);
	return (S_OK);
fail_bind:
	e = errno;
	close(fd);
	return (sys_fail(error, e, "bind", where));
}

/* Is something answering on this socket path?  Without blocking: a busy
 * listener with a full backlog answers EAGAIN, which means yes. */
static bool
in_use(const struct sockaddr_un *sun)
{
	int fd, r;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0)
		return (true);
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	return (r == 0 || errno != ECONNREFUSED);
}

static HRESULT
open_pipe(const struct ws_url *u, const struct ws_props *p,
    struct ws_bound *out, struct ws_fail *error)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, e, n;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", p->pipe_dir,
	    u->path);
	if (n < 0 || (size_t)n >= sizeof(sun.sun_path))
		return (ws_fail_set(error, WS_E_INVALID_ENDPOINT_URL,
		    ENAMETOOLONG, "socket path %s/%s is longer than %zu bytes",
		    p->pipe_dir, u->path, sizeof(sun.sun_path) - 1));
	if (lstat(sun.sun_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return (ws_fail_set(error, WS_E_ADDRESS_IN_USE, EEXIST,
			    "%s exists and is not a socket", sun.sun_path));
		if (in_use(&sun))
			return (ws_fail_set(error, WS_E_ADDRESS_IN_USE,
			    EADDRINUSE, "%s: another process is listening "
			    "there", sun.sun_path));
		(void)unlink(sun.sun_path); /* stale: nobody answers */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (sys_fail(error, errno, "socket for", sun.sun_path));
	/* Like a TCP port on loopback: every local user may connect. */
	if (wsl_bind_unix(fd, &sun, 0666, (gid_t)-1) < 0) {
		e = errno;
		close(fd);
		return (sys_fail(error, e, "bind", sun.sun_path));
	}
	if (stat(sun.sun_path, &st) < 0 ||
	    listen(fd, (int)p->backlog) < 0) {
		e = errno;
		close(fd);
		(void)unlink(sun.sun_path);
		return (sys_fail(error, e, "listen on", sun.sun_path));
	}
	out->fd = fd;
	out->family = AF_UNIX;
	out->socktype = SOCK_STREAM;
	out->port = -1;
	snprintf(out->path, sizeof(out->path), "%s", sun.sun_path);
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	return (S_OK);
}

void
ws_bound_clear(struct ws_bound *b)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->port = -1;
}

HRESULT
ws_socket_open(const struct ws_url *u, WS_CHANNEL_BINDING b,
    const struct ws_props *p, struct ws_bound *out, struct ws_fail *error)
{
	ws_bound_clear(out);
	if (b == WS_NAMEDPIPE_CHANNEL_BINDING)
		return (open_pipe(u, p, out, error));
	return (open_ip(u, b, p, out, error));
}

/* Close the socket; a net.pipe socket file goes too, if it is still ours. */
void
ws_socket_close(struct ws_bound *b)
{
	struct stat st;

	if (b->fd < 0)
		return;
	close(b->fd);
	if (b->path[0] != '\0' && lstat(b->path, &st) == 0 &&
	    st.st_dev == b->dev && st.st_ino == b->ino)
		(void)unlink(b->path);
	ws_bound_clear(b);
}

/* A listening Unix socket's queue, from the kernel's sock_diag (what
 * `ss -lx` shows), and whether it was shut down: -1 when it cannot tell. */
void
ws_unix_diag(int fd, int *depth, int *limit, int *shut)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q;
	union {
		struct nlmsghdr nlh;
		char buf[1024];
	} a;
	struct unix_diag_msg *m;
	struct unix_diag_rqlen *rq;
	struct rtattr *rta;
	struct stat st;
	ssize_t n;
	int len, nl;

	if (fstat(fd, &st) < 0 ||
	    (nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		NETLINK_SOCK_DIAG)) < 0)
		return;
	memset(&q, 0, sizeof(q));
	q.nlh.nlmsg_len = sizeof(q);
	q.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	q.nlh.nlmsg_flags = NLM_F_REQUEST;
	q.req.sdiag_family = AF_UNIX;
	q.req.udiag_states = 1 << 10; /* TCP_LISTEN */
	q.req.udiag_ino = (unsigned int)st.st_ino;
	q.req.udiag_show = UDIAG_SHOW_RQLEN;
	q.req.udiag_cookie[0] = q.req.udiag_cookie[1] = ~0u;
	if (send(nl, &q, sizeof(q), 0) < 0 ||
	    (n = recv(nl, &a, sizeof(a), 0)) < 0 ||
	    !NLMSG_OK(&a.nlh, (unsigned int)n) ||
	    a.nlh.nlmsg_type != SOCK_DIAG_BY_FAMILY) {
		close(nl);
		return;
	}
	close(nl);
	m = NLMSG_DATA(&a.nlh);
	len = (int)(a.nlh.nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	for (rta = (struct rtattr *)(m + 1); RTA_OK(rta, len);
	    rta = RTA_NEXT(rta, len))
		if (rta->rta_type == UNIX_DIAG_RQLEN) {
			rq = RTA_DATA(rta);
			*depth = (int)rq->udiag_rqueue;
			*limit = (int)rq->udiag_wqueue;
		} else if (rta->rta_type == UNIX_DIAG_SHUTDOWN)
			*shut = *(unsigned char *)RTA_DATA(rta);
}

/* The kernel's accept queue: its depth and limit, as `ss -l` shows them. */
void
ws_socket_queue(const struct ws_bound *b, int *depth, int *limit)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int shut;

	*depth = *limit = -1;
	if (b->fd < 0 || b->socktype != SOCK_STREAM)
		return;
	if (b->family == AF_UNIX) {
		ws_unix_diag(b->fd, depth, limit, &shut);
		return;
	}
	if (getsockopt(b->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
		*depth = (int)ti.tcpi_unacked;
		*limit = (int)ti.tcpi_sacked;
	}
}
