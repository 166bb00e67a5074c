/* SPDX-License-Identifier: ISC */
/*
 * Socket helpers both sides need: passing one descriptor with SCM_RIGHTS
 * attached to a message's bytes, binding a Unix socket with a given mode
 * and group, an address as text, and the default control socket path.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wsl-proto.h"

/* Send bytes with fd attached to the first of them (fd < 0: none). */
ssize_t
wsl_send_fd(int sock, const void *buf, size_t len, int fd)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { (void *)(uintptr_t)buf, len };
	struct msghdr msg;
	struct cmsghdr *c;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.space;
		msg.msg_controllen = sizeof(cm.space);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return (sendmsg(sock, &msg, MSG_NOSIGNAL));
}

/*
 * Receive bytes and the descriptors that came with them (close-on-exec):
 * up to max of them in fds, *n how many; more are closed (and more than
 * WSL_RECV_FDS_MAX the kernel drops itself).
 */
ssize_t
wsl_recv_fds(int sock, void *buf, size_t len, int *fds, size_t max,
    size_t *n)
{
	union {
		struct cmsghdr hdr;
		char space[CMSG_SPACE(sizeof(int) * WSL_RECV_FDS_MAX)];
	} cm;
	struct iovec iov = { buf, len };
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t got;
	size_t i, count;
	int fd;

	*n = 0;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.space;
	msg.msg_controllen = sizeof(cm.space);
	if ((got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0)
		return (got);
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < count; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*n < max)
				fds[(*n)++] = fd;
			else
				close(fd);
		}
	}
	return (got);
}

/* At most one descriptor: extra ones, which a well-behaved daemon never
 * sends, are closed. */
ssize_t
wsl_recv_fd(int sock, void *buf, size_t len, int *fd)
{
	int fds[WSL_RECV_FDS_MAX];
	size_t n, i;
	ssize_t got;

	got = wsl_recv_fds(sock, buf, len, fds, WSL_RECV_FDS_MAX, &n);
	for (i = 0; i < n; i++) {
		if (*fd < 0)
			*fd = fds[i];
		else
			close(fds[i]);
	}
	return (got);
}

bool
wsl_hung_up(int fd, bool half)
{
	struct pollfd p = { fd, POLLRDHUP, 0 };
	short mask = POLLHUP | POLLERR | (half ? POLLRDHUP : 0);

	return (poll(&p, 1, 0) == 1 && (p.revents & mask));
}

bool
wsl_format_addr(const struct sockaddr *sa, char *host, size_t size, int *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, host, (socklen_t)size);
		*port = ntohs(sin->sin_port);
		return (true);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, (socklen_t)size);
		*port = ntohs(sin6->sin6_port);
		return (true);
	}
	return (false);
}

/* Bind, then set the mode and group through the file's own descriptor
 * (see wsl-proto.h). */
int
wsl_bind_unix(int fd, const struct sockaddr_un *sun, mode_t mode, gid_t gid)
{
	char self[64];
	struct stat st;
	int file, e;

	/* bind() creates the file with the socket's own mode, less the umask. */
	if (fchmod(fd, S_IRUSR | S_IWUSR) < 0 ||
	    bind(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0)
		return (-1);
	/* O_PATH: a handle on the file, whoever may swap its path now. */
	if ((file = open(sun->sun_path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		e = errno;
		(void)unlink(sun->sun_path);
		errno = e;
		return (-1);
	}
	if (fstat(file, &st) < 0)
		goto fail;
	if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
		close(file); /* not the socket just made: leave it alone */
		errno = EPERM;
		return (-1);
	}
	if (gid != (gid_t)-1 && fchownat(file, "", (uid_t)-1, gid,
	    AT_EMPTY_PATH) < 0)
		goto fail;
	/* fchmod() refuses O_PATH descriptors; their /proc link does not. */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", file);
	if (chmod(self, mode) < 0)
		goto fail;
	close(file);
	return (0);
fail:
	e = errno;
	close(file);
	(void)unlink(sun->sun_path);
	errno = e;
	return (-1);
}

/*
 * The control socket: /run/wsld/control.sock for root; for other users
 * $XDG_RUNTIME_DIR/wsld/control.sock, or /tmp/wsld-UID/control.sock when
 * that variable is unset.  wsld and wslctl call this same function.
 */
int
wsl_default_socket_path(char *buf, size_t size)
{
	const char *xdg;
	int n;

	if (geteuid() == 0)
		n = snprintf(buf, size, "%s", WSL_RUNSTATEDIR "/wsld/control.sock");
	else if ((xdg = getenv("XDG_RUNTIME_DIR")) != NULL && *xdg == '/')
		n = snprintf(buf, size, "%s/wsld/control.sock", xdg);
	else
		n = snprintf(buf, size, "/tmp/wsld-%u/control.sock",
		    (unsigned int)geteuid());
	if (n < 0 || (size_t)n >= size)
		return (-ENAMETOOLONG);
	return (0);
}
