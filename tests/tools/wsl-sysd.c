/* SPDX-License-Identifier: ISC */
/*
 * wsl-sysd: a tiny stand-in for systemd's service manager, so the
 * integration tests can exercise wsld's sd_notify, watchdog, fd store and
 * restart logic without systemd as PID 1.  It needs only libc (and the
 * project's clock helper), not libsystemd.
 *
 *   wsl-sysd -n NOTIFY_SOCKET_PATH -l LOGFILE [-w WATCHDOG_MS]
 *       [-E VAR=VALUE]... [-S NAME=PORT]... -- PROGRAM [ARGS...]
 *
 * It binds a datagram socket at NOTIFY_SOCKET_PATH (credentials passed),
 * runs PROGRAM with NOTIFY_SOCKET set (a relative path is made absolute),
 * WATCHDOG_USEC and WATCHDOG_PID with -w, every -E variable, and the
 * stored descriptors as socket activation passes them: fds 3, 4, ... with
 * LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES (unset when nothing is stored).
 * The child gets an empty signal mask and the descriptor limit wsl-sysd
 * started with, raised by the number of descriptors passed (up to the
 * hard limit).
 *
 * Socket units: each -S NAME=PORT is a TCP socket wsl-sysd binds to
 * 127.0.0.1:PORT and listens on before the first start, as systemd does for
 * a socket unit with FileDescriptorName=NAME; it is passed to every
 * generation, before the stored descriptors, and kept.  Whenever the child
 * has exited, wsl-sysd watches these sockets as systemd watches a socket
 * unit's while its service is not running: one that polls POLLHUP or
 * POLLERR (a listening socket the child shut down) fails, as systemd fails
 * its unit ("Got POLLHUP on a listening socket"): it is closed and passed
 * no more.
 *
 * Signals: SIGHUP is forwarded to the child.  SIGUSR1 restarts it: SIGTERM,
 * wait for the exit, start the next generation with the fd store.  SIGUSR2
 * does the same but empties the store first.  SIGQUIT stops it as
 * "systemctl stop" does a socket-activated service: SIGTERM, wait for the
 * exit, empty the store, then start the next generation when a socket
 * unit's socket has a connection waiting (socket activation); with none
 * left listening, wsl-sysd exits with the child's status.  SIGTERM and
 * SIGINT stop the child (if one runs) and exit with its status.  When the
 * child exits on its own, wsl-sysd exits with its status.  Notify messages
 * keep being read while the child stops, and the socket is drained once it
 * has exited, before anything else happens.  The watchdog is only
 * recorded, never enforced.
 *
 * The log (appended to, one write per line, flushed at once) has one line
 * per event, fields separated by a single tab:
 *
 *   START  <gen> <pid> <nfds passed> <names joined by ':', or '-'>
 *   MSG    <gen> <ms since wsl-sysd started> main|other <nfds> <payload>
 *   EXIT   <gen> <pid> <exit status, or 128+signal>
 *   SOCKET <gen> <name> listening|failed  (after generation gen exited)
 *   # diagnostics
 *
 * Generations count from 1.  "main" means the sender (from its
 * credentials) is the current child; messages from anyone else are logged
 * and otherwise ignored, their descriptors closed.  The payload has one
 * trailing newline stripped, every other newline shown as '|' and NUL
 * bytes as "\0".
 *
 * Fd store (messages from the main pid only): FDSTORE=1 keeps the attached
 * descriptors under the FDNAME= name ("stored" when absent or invalid),
 * in order of arrival, at most 1024; a descriptor for the same device and
 * inode as one already kept is closed, the old one stays.  FDSTOREREMOVE=1
 * with FDNAME=x closes every descriptor named x (done before FDSTORE=1 when
 * a message has both).  Descriptors that come with any other message are
 * closed.  Messages with NUL bytes are logged but not interpreted.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wsl-proto.h"

#define STORE_MAX	1024	/* descriptors kept across generations */
#define MSG_MAX		65536	/* bytes read of one message */
#define MSG_FDS_MAX	253	/* SCM_MAX_FD */
#define FDNAME_MAX	255
#define SOCKETS_MAX	16	/* -S socket units */

struct stored {
	int	 fd;
	dev_t	 dev;
	ino_t	 ino;
	char	 name[FDNAME_MAX + 1];
};

/* A socket unit's socket (-S), or fd -1 once it failed. */
struct sock_unit {
	int	 fd;
	char	 name[FDNAME_MAX + 1];
};

/* What to do once the child has exited; later ones win. */
enum action {
	ACT_NONE,
	ACT_RESTART,		/* SIGUSR1: keep the store */
	ACT_RESTART_CLEAN,	/* SIGUSR2: empty the store */
	ACT_ACTIVATE,		/* SIGQUIT: empty it, wait for a connection */
	ACT_QUIT		/* SIGTERM, SIGINT */
};

static const char *const action_names[] = {
	"none", "restart", "restart without the fd store",
	"socket activation", "stop"
};

static pid_t self_pid;
static char *notify_path;
static FILE *log_fp;
static char log_buf[2 * MSG_MAX + 4096];
static long long watchdog_ms = -1;
static char **env_extra;
static int nenv_extra;
static char **prog_argv;
static struct rlimit nofile_orig;

static struct stored store[STORE_MAX];
static int nstore;
static struct sock_unit sockets[SOCKETS_MAX];
static int nsockets;
static bool activating;		/* no child: waiting for a connection */
static int last_status;

static int notify_fd = -1;
static int sig_fd = -1;
static long long start_ms;
static int gen;
static pid_t child_pid = -1;
static enum action pending = ACT_NONE;

static char msg_buf[MSG_MAX + 1];
static char esc_buf[2 * MSG_MAX + 1];

static void
usage(void)
{
	fprintf(stderr, "usage: wsl-sysd -n NOTIFY_SOCKET_PATH -l LOGFILE "
	    "[-w WATCHDOG_MS] [-E VAR=VALUE]...\n"
	    "                [-S NAME=PORT]... -- PROGRAM [ARGS...]\n");
	exit(2);
}

static void logline(const char *, ...)
    __attribute__((format(printf, 1, 2)));

/* One line to the log, written and flushed as a whole. */
static void
logline(const char *fmt, ...)
{
	static bool warned;
	va_list ap;

	va_start(ap, fmt);
	vfprintf(log_fp, fmt, ap);
	va_end(ap);
	fputc('\n', log_fp);
	if (fflush(log_fp) == EOF && !warned) {
		fprintf(stderr, "wsl-sysd: log: %s\n", strerror(errno));
		warned = true;
	}
}

static void
store_clear(void)
{
	int i;

	for (i = 0; i < nstore; i++)
		close(store[i].fd);
	nstore = 0;
}

static void
cleanup(void)
{
	int i;

	store_clear();
	for (i = 0; i < nsockets; i++)
		if (sockets[i].fd != -1)
			close(sockets[i].fd);
	nsockets = 0;
	if (notify_fd != -1) {
		close(notify_fd);
		notify_fd = -1;
		if (unlink(notify_path) < 0 && errno != ENOENT)
			fprintf(stderr, "wsl-sysd: unlink %s: %s\n",
			    notify_path, strerror(errno));
	}
	if (sig_fd != -1) {
		close(sig_fd);
		sig_fd = -1;
	}
	if (log_fp != NULL) {
		fclose(log_fp);
		log_fp = NULL;
	}
	free(notify_path);
	notify_path = NULL;
	free(env_extra);
	env_extra = NULL;
}

static void fatal(const char *, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/* Report, stop the child if there is one, tidy up and exit 1. */
static void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	fputs("wsl-sysd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(saved));
	if (getpid() != self_pid)
		_exit(127);	/* a child between fork and exec */
	if (log_fp != NULL)
		logline("# fatal error, exiting");
	if (child_pid > 0)
		kill(child_pid, SIGTERM);
	cleanup();
	exit(1);
}

static bool
fdname_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > FDNAME_MAX)
		return (false);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == ':')
			return (false);
	return (true);
}

static void
store_add(int fd, const char *name)
{
	struct stat st;
	int i;

	if (fstat(fd, &st) < 0) {
		logline("# fd store: fstat: %s, descriptor closed",
		    strerror(errno));
		close(fd);
		return;
	}
	for (i = 0; i < nstore; i++) {
		if (store[i].dev == st.st_dev && store[i].ino == st.st_ino) {
			logline("# fd store: duplicate of \"%s\" (slot %d) "
			    "dropped", store[i].name, i);
			close(fd);
			return;
		}
	}
	if (nstore == STORE_MAX) {
		logline("# fd store: full (%d), \"%s\" dropped", STORE_MAX,
		    name);
		close(fd);
		return;
	}
	store[nstore].fd = fd;
	store[nstore].dev = st.st_dev;
	store[nstore].ino = st.st_ino;
	snprintf(store[nstore].name, sizeof(store[nstore].name), "%s", name);
	nstore++;
}

/* Close and forget every stored descriptor named name; order is kept. */
static void
store_remove(const char *name)
{
	int i, j, removed = 0;

	for (i = j = 0; i < nstore; i++) {
		if (strcmp(store[i].name, name) == 0) {
			close(store[i].fd);
			removed++;
			continue;
		}
		if (i != j)
			store[j] = store[i];
		j++;
	}
	nstore = j;
	logline("# fd store: %d removed as \"%s\", %d left", removed, name,
	    nstore);
}

/*
 * What a generation is passed, in order: the socket units' sockets that
 * have not failed, then the stored descriptors.  Their number; fds and
 * names (joined by ':', "" when none; the caller frees it) if not NULL.
 */
static int
passed(int *fds, char **names)
{
	const char *name[SOCKETS_MAX + STORE_MAX];
	size_t len = 1, off = 0;
	int i, n = 0;

	for (i = 0; i < nsockets; i++)
		if (sockets[i].fd != -1) {
			if (fds != NULL)
				fds[n] = sockets[i].fd;
			name[n++] = sockets[i].name;
		}
	for (i = 0; i < nstore; i++) {
		if (fds != NULL)
			fds[n] = store[i].fd;
		name[n++] = store[i].name;
	}
	if (names == NULL)
		return (n);
	for (i = 0; i < n; i++)
		len += strlen(name[i]) + 1;
	if ((*names = malloc(len)) == NULL)
		fatal("malloc");
	(*names)[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(*names + off, len - off, "%s%s",
		    i > 0 ? ":" : "", name[i]);
	return (n);
}

static void
close_fds(const int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* Interpret a message from the main pid: the fd store commands. */
static void
interpret(char *text, int *fds, int nfds)
{
	bool fdstore = false, fdremove = false;
	const char *name = NULL;
	char *line, *next;
	int i;

	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (strcmp(line, "FDSTORE=1") == 0)
			fdstore = true;
		else if (strcmp(line, "FDSTOREREMOVE=1") == 0)
			fdremove = true;
		else if (strncmp(line, "FDNAME=", 7) == 0 && name == NULL)
			name = line + 7;
	}
	if (name != NULL && !fdname_valid(name)) {
		logline("# invalid FDNAME= ignored");
		name = NULL;
	}
	if (fdremove) {
		if (name != NULL)
			store_remove(name);
		else
			logline("# FDSTOREREMOVE=1 without a valid FDNAME=");
	}
	if (!fdstore) {
		if (nfds > 0)
			logline("# %d descriptor%s without FDSTORE=1 closed",
			    nfds, nfds == 1 ? "" : "s");
		close_fds(fds, nfds);
		return;
	}
	for (i = 0; i < nfds; i++)
		store_add(fds[i], name != NULL ? name : "stored");
}

/*
 * Receive, log and act on one notify message.  Returns 0 when one was
 * handled, -1 when the socket is empty.
 */
static int
recv_one(void)
{
	union {
		struct cmsghdr	hdr;
		char		space[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(sizeof(int) * MSG_FDS_MAX)];
	} cm;
	struct msghdr msg;
	struct iovec iov;
	struct cmsghdr *c;
	struct ucred uc;
	int fds[MSG_FDS_MAX], nfds = 0, fd, extra = 0;
	pid_t sender = 0;
	size_t len, i, k, nc;
	bool has_nul = false, is_main;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = msg_buf;
	iov.iov_len = MSG_MAX;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.space;
	msg.msg_controllen = sizeof(cm.space);
	n = recvmsg(notify_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (-1);
		if (errno == EINTR)
			return (0);
		fatal("recvmsg");
	}
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(uc))) {
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			sender = uc.pid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			nc = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (k = 0; k < nc; k++) {
				memcpy(&fd, CMSG_DATA(c) + k * sizeof(int),
				    sizeof(int));
				if (nfds < MSG_FDS_MAX)
					fds[nfds++] = fd;
				else {
					close(fd);
					extra++;
				}
			}
		}
	}

	len = (size_t)n;
	msg_buf[len] = '\0';
	if (len > 0 && msg_buf[len - 1] == '\n')
		msg_buf[--len] = '\0';
	for (i = k = 0; i < len; i++) {
		if (msg_buf[i] == '\n')
			esc_buf[k++] = '|';
		else if (msg_buf[i] == '\0') {
			esc_buf[k++] = '\\';
			esc_buf[k++] = '0';
			has_nul = true;
		} else
			esc_buf[k++] = msg_buf[i];
	}
	esc_buf[k] = '\0';

	is_main = child_pid > 0 && sender == child_pid;
	logline("MSG\t%d\t%lld\t%s\t%d\t%s", gen, wsl_now_ms() - start_ms,
	    is_main ? "main" : "other", nfds, esc_buf);
	if (msg.msg_flags & MSG_TRUNC)
		logline("# message truncated to %d bytes", MSG_MAX);
	if (msg.msg_flags & MSG_CTRUNC)
		logline("# control data truncated, descriptors lost");
	if (extra > 0)
		logline("# %d descriptors over %d closed", extra, MSG_FDS_MAX);

	if (!is_main) {
		if (nfds > 0)
			logline("# %d descriptor%s from pid %ld closed", nfds,
			    nfds == 1 ? "" : "s", (long)sender);
		close_fds(fds, nfds);
	} else if (has_nul) {
		logline("# message with NUL bytes not interpreted");
		close_fds(fds, nfds);
	} else
		interpret(msg_buf, fds, nfds);
	return (0);
}

/* Everything queued: messages sent before an exit are still in there. */
static void
drain(void)
{
	while (recv_one() == 0)
		;
}

static void child_exec(void) __attribute__((noreturn));
static void child_fail(const char *) __attribute__((noreturn));

static void
child_fail(const char *what)
{
	dprintf(2, "wsl-sysd: child: %s: %s\n", what, strerror(errno));
	_exit(127);
}

static void
setenv_or_die(const char *name, const char *value)
{
	if (setenv(name, value, 1) < 0)
		child_fail("setenv");
}

static void
unsetenv_or_die(const char *name)
{
	if (unsetenv(name) < 0)
		child_fail("unsetenv");
}

/* In the child: the environment, descriptors 3... and exec. */
static void
child_exec(void)
{
	struct rlimit rl;
	sigset_t none;
	char buf[64], *names;
	int fds[SOCKETS_MAX + STORE_MAX], i, n, fd;

	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_fail("sigprocmask");

	setenv_or_die("NOTIFY_SOCKET", notify_path);
	if (watchdog_ms > 0) {
		snprintf(buf, sizeof(buf), "%lld", watchdog_ms * 1000);
		setenv_or_die("WATCHDOG_USEC", buf);
		snprintf(buf, sizeof(buf), "%ld", (long)getpid());
		setenv_or_die("WATCHDOG_PID", buf);
	} else {
		unsetenv_or_die("WATCHDOG_USEC");
		unsetenv_or_die("WATCHDOG_PID");
	}
	for (i = 0; i < nenv_extra; i++)
		if (putenv(env_extra[i]) != 0)
			child_fail("putenv");

	if ((n = passed(fds, &names)) > 0) {
		/* Above 3 + n first, so no dup2 clobbers a source. */
		for (i = 0; i < n; i++) {
			fd = fcntl(fds[i], F_DUPFD, 3 + n);
			if (fd < 0)
				child_fail("F_DUPFD");
			fds[i] = fd;
		}
		for (i = 0; i < n; i++) {
			if (dup2(fds[i], 3 + i) < 0)
				child_fail("dup2");
			if (fcntl(3 + i, F_SETFD, 0) < 0)
				child_fail("F_SETFD");
		}
		snprintf(buf, sizeof(buf), "%d", n);
		setenv_or_die("LISTEN_FDS", buf);
		snprintf(buf, sizeof(buf), "%ld", (long)getpid());
		setenv_or_die("LISTEN_PID", buf);
		setenv_or_die("LISTEN_FDNAMES", names);
	} else {
		unsetenv_or_die("LISTEN_FDS");
		unsetenv_or_die("LISTEN_PID");
		unsetenv_or_die("LISTEN_FDNAMES");
	}

	free(names);

	/* Everything else, the notify socket and the log included. */
	if (close_range(3U + (unsigned)n, ~0U, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		if (max < 0 || max > 1048576)
			max = 1048576;
		for (fd = 3 + n; fd < max; fd++)
			close(fd);
	}

	/* The limit wsl-sysd started with, plus what is passed. */
	rl = nofile_orig;
	if (rl.rlim_cur != RLIM_INFINITY) {
		rl.rlim_cur += (rlim_t)n;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			rl.rlim_cur = rl.rlim_max;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		child_fail("setrlimit");

	execvp(prog_argv[0], prog_argv);
	dprintf(2, "wsl-sysd: %s: %s\n", prog_argv[0], strerror(errno));
	_exit(127);
}

static void
start_child(void)
{
	char *names;
	pid_t pid;
	int n;

	gen++;
	activating = false;
	n = passed(NULL, &names);
	fflush(NULL);
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid == 0) {
		free(names);
		child_exec();
	}
	child_pid = pid;
	logline("START\t%d\t%ld\t%d\t%s", gen, (long)pid, n,
	    n > 0 ? names : "-");
	free(names);
}

/*
 * The socket units' sockets, as systemd sees them while their service is
 * not running: a connection waiting (POLLIN) is one to activate it for;
 * POLLHUP or POLLERR fails the socket (closed, passed no more).  Logged
 * with log_state once the child has exited.  Whether one has a
 * connection waiting.
 */
static bool
watch_sockets(bool log_state)
{
	struct pollfd p;
	bool waiting = false;
	int i;

	for (i = 0; i < nsockets; i++) {
		if (sockets[i].fd == -1)
			continue;
		p.fd = sockets[i].fd;
		p.events = POLLIN;
		p.revents = 0;
		while (poll(&p, 1, 0) < 0)
			if (errno != EINTR)
				fatal("poll %s", sockets[i].name);
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) {
			logline("SOCKET\t%d\t%s\tfailed", gen,
			    sockets[i].name);
			logline("# %s: POLLHUP or POLLERR on the listening "
			    "socket; failed, closed", sockets[i].name);
			close(sockets[i].fd);
			sockets[i].fd = -1;
			continue;
		}
		if (log_state)
			logline("SOCKET\t%d\t%s\tlistening", gen,
			    sockets[i].name);
		if (p.revents & POLLIN)
			waiting = true;
	}
	return (waiting);
}

static void
socket_unit(const char *arg)
{
	struct sockaddr_in sin;
	const char *eq = strchr(arg, '=');
	struct sock_unit *u;
	char name[FDNAME_MAX + 1];
	char *end;
	long port;
	int one = 1;

	if (eq == NULL || (size_t)(eq - arg) > FDNAME_MAX) {
		fprintf(stderr, "wsl-sysd: bad -S %s\n", arg);
		exit(1);
	}
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	errno = 0;
	port = strtol(eq + 1, &end, 10);
	if (!fdname_valid(name) || errno != 0 || *end != '\0' ||
	    end == eq + 1 || port < 1 || port > 65535 ||
	    nsockets == SOCKETS_MAX) {
		fprintf(stderr, "wsl-sysd: bad -S %s\n", arg);
		exit(1);
	}
	u = &sockets[nsockets];
	snprintf(u->name, sizeof(u->name), "%s", name);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((u->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		fatal("socket");
	nsockets++;
	if (setsockopt(u->fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) < 0 ||
	    bind(u->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(u->fd, SOMAXCONN) < 0)
		fatal("-S %s", arg);
	logline("# socket %s: listening on 127.0.0.1:%ld", name, port);
}

static void quit(int) __attribute__((noreturn));

static void
quit(int status)
{
	logline("# exiting with %d", status);
	cleanup();
	exit(status);
}

/* The child is gone and its messages are read: next generation, or out. */
static void
child_exited(int status)
{
	enum action a = pending;

	pending = ACT_NONE;
	child_pid = -1;
	last_status = status;
	(void)watch_sockets(true);
	switch (a) {
	case ACT_RESTART_CLEAN:
	case ACT_ACTIVATE:
		logline("# fd store emptied (%d closed)", nstore);
		store_clear();
		if (a == ACT_ACTIVATE) {
			activating = true;
			if (passed(NULL, NULL) > 0)
				return;
			logline("# no socket left to activate it");
			break;
		}
		/* FALLTHROUGH */
	case ACT_RESTART:
		start_child();
		return;
	case ACT_NONE:
	case ACT_QUIT:
		break;
	}
	quit(status);
}

/* Waiting for a connection: one is there, or a socket failed. */
static void
on_sockets(void)
{
	if (watch_sockets(false)) {
		logline("# a connection is waiting: starting the next "
		    "generation");
		start_child();
	} else if (passed(NULL, NULL) == 0) {
		logline("# no socket left to activate it");
		quit(last_status);
	}
}

static void
reap(void)
{
	int st, code;
	pid_t pid;

	for (;;) {
		pid = waitpid(-1, &st, WNOHANG);
		if (pid == 0)
			return;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECHILD)
				return;
			fatal("waitpid");
		}
		if (pid != child_pid)
			continue;
		if (WIFEXITED(st))
			code = WEXITSTATUS(st);
		else if (WIFSIGNALED(st))
			code = 128 + WTERMSIG(st);
		else
			continue;
		logline("EXIT\t%d\t%ld\t%d", gen, (long)pid, code);
		drain();
		child_exited(code);
	}
}

/* Stop the child; what follows its exit is the strongest request. */
static void
request(enum action a, int signo)
{
	if (activating) {
		logline("# %s: no child running", strsignal(signo));
		if (a == ACT_QUIT)
			quit(last_status);
		return;
	}
	if (pending != ACT_NONE) {
		if (a > pending) {
			logline("# %s: now %s after the exit of %ld",
			    strsignal(signo), action_names[a],
			    (long)child_pid);
			pending = a;
		} else
			logline("# %s: already stopping %ld",
			    strsignal(signo), (long)child_pid);
		return;
	}
	pending = a;
	if (kill(child_pid, SIGTERM) < 0)
		logline("# %s: kill %ld: %s", strsignal(signo),
		    (long)child_pid, strerror(errno));
	else
		logline("# %s: SIGTERM sent to %ld, then %s",
		    strsignal(signo), (long)child_pid, action_names[a]);
}

static void
on_signals(void)
{
	struct signalfd_siginfo si;
	ssize_t n;

	for (;;) {
		n = read(sig_fd, &si, sizeof(si));
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			fatal("read signalfd");
		}
		if ((size_t)n != sizeof(si)) {
			errno = EIO;
			fatal("read signalfd");
		}
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap();
			break;
		case SIGHUP:
			if (activating)
				logline("# SIGHUP: no child running");
			else if (kill(child_pid, SIGHUP) < 0)
				logline("# SIGHUP: kill %ld: %s",
				    (long)child_pid, strerror(errno));
			else
				logline("# SIGHUP forwarded to %ld",
				    (long)child_pid);
			break;
		case SIGUSR1:
			request(ACT_RESTART, SIGUSR1);
			break;
		case SIGUSR2:
			request(ACT_RESTART_CLEAN, SIGUSR2);
			break;
		case SIGQUIT:
			request(ACT_ACTIVATE, SIGQUIT);
			break;
		case SIGTERM:
		case SIGINT:
			request(ACT_QUIT, (int)si.ssi_signo);
			break;
		}
	}
}

static void
setup_signals(void)
{
	static const int sigs[] = {
		SIGCHLD, SIGHUP, SIGUSR1, SIGUSR2, SIGQUIT, SIGTERM, SIGINT
	};
	struct sigaction sa;
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&set, sigs[i]);
		/* An ignored signal never reaches the signalfd. */
		if (sigaction(sigs[i], &sa, NULL) < 0)
			fatal("sigaction");
	}
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		fatal("sigprocmask");
	if ((sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		fatal("signalfd");
}

static void
setup_socket(void)
{
	struct sockaddr_un sun;
	int one = 1, size = 1024 * 1024;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(notify_path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		fatal("%s", notify_path);
	}
	memcpy(sun.sun_path, notify_path, strlen(notify_path) + 1);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (notify_fd < 0)
		fatal("socket");
	if (setsockopt(notify_fd, SOL_SOCKET, SO_PASSCRED, &one,
	    sizeof(one)) < 0)
		fatal("SO_PASSCRED");
	/* Past rmem_max when privileged; the plain option otherwise. */
	if (setsockopt(notify_fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) < 0 &&
	    setsockopt(notify_fd, SOL_SOCKET, SO_RCVBUF, &size,
	    sizeof(size)) < 0)
		fatal("SO_RCVBUF");
	if (unlink(notify_path) < 0 && errno != ENOENT)
		fatal("unlink %s", notify_path);
	if (bind(notify_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int saved = errno;

		close(notify_fd);
		notify_fd = -1;	/* not ours: leave the path alone */
		errno = saved;
		fatal("bind %s", notify_path);
	}
}

/* sd_notify wants an absolute path. */
static char *
absolute(const char *path)
{
	char cwd[PATH_MAX], *s;

	if (path[0] == '/') {
		if ((s = strdup(path)) == NULL)
			fatal("strdup");
		return (s);
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("getcwd");
	if (asprintf(&s, "%s/%s", cwd, path) < 0)
		fatal("asprintf");
	return (s);
}

int
main(int argc, char **argv)
{
	struct pollfd pfd[2 + SOCKETS_MAX];
	struct rlimit rl;
	const char *log_path = NULL, *npath = NULL;
	char *end;
	const char *units[SOCKETS_MAX];
	int ch, i, n, nunits = 0, fd;

	start_ms = wsl_now_ms();
	self_pid = getpid();
	/* 0, 1 and 2 open, so nothing of ours or stored lands there. */
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd < 0)
		fatal("/dev/null");
	close(fd);
	if ((env_extra = calloc((size_t)argc, sizeof(*env_extra))) == NULL)
		fatal("calloc");
	while ((ch = getopt(argc, argv, "+n:l:w:E:S:")) != -1) {
		switch (ch) {
		case 'n':
			npath = optarg;
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'w':
			errno = 0;
			watchdog_ms = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    watchdog_ms <= 0 ||
			    watchdog_ms > LLONG_MAX / 1000) {
				fprintf(stderr, "wsl-sysd: bad -w %s\n",
				    optarg);
				exit(1);
			}
			break;
		case 'E':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				fprintf(stderr, "wsl-sysd: bad -E %s\n",
				    optarg);
				exit(1);
			}
			env_extra[nenv_extra++] = optarg;
			break;
		case 'S':
			if (nunits == SOCKETS_MAX) {
				fprintf(stderr, "wsl-sysd: more than %d -S\n",
				    SOCKETS_MAX);
				exit(1);
			}
			units[nunits++] = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (npath == NULL || log_path == NULL || argc == 0)
		usage();
	prog_argv = argv;
	notify_path = absolute(npath);

	if ((fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) < 0)
		fatal("%s", log_path);
	if ((log_fp = fdopen(fd, "a")) == NULL) {
		close(fd);
		fatal("fdopen %s", log_path);
	}
	/* Line buffered, and big enough that a line is one write(2). */
	if (setvbuf(log_fp, log_buf, _IOLBF, sizeof(log_buf)) != 0)
		fatal("setvbuf");

	/* Room for a full store and a message's worth in flight. */
	if (getrlimit(RLIMIT_NOFILE, &nofile_orig) < 0)
		fatal("getrlimit");
	rl = nofile_orig;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			fatal("setrlimit");
	}

	setup_signals();
	setup_socket();
	logline("# wsl-sysd %ld: notify socket %s, watchdog %lld ms",
	    (long)getpid(), notify_path, watchdog_ms > 0 ? watchdog_ms : 0);
	for (i = 0; i < nunits; i++)
		socket_unit(units[i]);
	start_child();

	for (;;) {
		pfd[0].fd = notify_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = sig_fd;
		pfd[1].events = POLLIN;
		/* Without a child, the socket units' sockets are watched. */
		for (i = n = 0; activating && i < nsockets; i++)
			if (sockets[i].fd != -1) {
				pfd[2 + n].fd = sockets[i].fd;
				pfd[2 + n].events = POLLIN;
				n++;
			}
		if (poll(pfd, (nfds_t)(2 + n), -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].revents & (POLLERR | POLLNVAL)) {
				errno = EIO;
				fatal("poll: %s", i == 0 ? "notify socket" :
				    "signalfd");
			}
		}
		/* Messages first: they were sent before the signal came. */
		if (pfd[0].revents & POLLIN)
			for (i = 0; i < 64 && recv_one() == 0; i++)
				;
		if (pfd[1].revents & POLLIN)
			on_signals();
		for (i = 0; activating && i < n; i++)
			if (pfd[2 + i].revents != 0) {
				on_sockets();
				break;
			}
	}
}
