/* SPDX-License-Identifier: ISC */
/*
 * What `wslctl accept` does with the channel it was given: run COMMAND
 * with the connection as its standard input and output (like inetd), or
 * copy the connection to standard output and standard input to the
 * connection until the peer closes.  stdout carries nothing but the
 * connection's bytes.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

static void
export(const char *name, const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	char buf[32];

	if (json_is_string(v))
		setenv(name, json_string_value(v), 1);
	else if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)json_integer_value(v));
		setenv(name, buf, 1);
	}
}

static bool
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return (false);
		}
		buf += n;
		len -= (size_t)n;
	}
	return (true);
}

/* Copy both ways until the connection ends. */
static int
copy(int fd)
{
	struct pollfd p[2];
	char buf[65536];
	bool in_open = true;
	ssize_t n;

	for (;;) {
		p[0].fd = fd;
		p[0].events = POLLIN;
		p[1].fd = in_open ? 0 : -1;
		p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return (1);
		}
		if (p[0].revents != 0) {
			if ((n = read(fd, buf, sizeof(buf))) < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				fprintf(stderr, "wslctl: accept: read: %s\n",
				    strerror(errno));
				return (1);
			}
			/* On a UDP channel, 0 bytes can be an empty datagram. */
			if (n == 0 && wsl_hung_up(fd, true))
				return (0);
			if (!write_all(1, buf, (size_t)n))
				return (errno == EPIPE ? 0 : 1);
		}
		if (in_open && p[1].revents != 0) {
			if ((n = read(0, buf, sizeof(buf))) <= 0) {
				/* Our input is done: say so, keep reading. */
				in_open = false;
				(void)shutdown(fd, SHUT_WR);
			} else if (!write_all(fd, buf, (size_t)n)) {
				in_open = false;
				(void)shutdown(fd, SHUT_WR);
			}
		}
	}
}

int
ctl_accept_run(int fd, const struct wsl_reply *r, char **command)
{
	json_t *channel = json_object_get(r->arguments, "channel");

	setenv("WSL_LISTENER", json_string_value(json_object_get(r->arguments,
	    "name")), 1);
	export("WSL_PEER", channel, "peer");
	export("WSL_PEER_ADDRESS", channel, "peer-address");
	export("WSL_PEER_PORT", channel, "peer-port");
	if (command == NULL || command[0] == NULL)
		return (copy(fd));
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0) {
		fprintf(stderr, "wslctl: accept: dup2: %s\n", strerror(errno));
		return (1);
	}
	if (fd > 1)
		close(fd);
	execvp(command[0], command);
	fprintf(stderr, "wslctl: accept: %s: %s\n", command[0], strerror(errno));
	return (errno == ENOENT ? 127 : 126);
}
