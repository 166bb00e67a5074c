/* SPDX-License-Identifier: ISC */
/*
 * wslctl -H: the same request and reply as on this host, carried by ssh.
 *
 * wslctl runs "ssh -T -o BatchMode=yes [-p PORT] [USER@]HOST wslctl
 * --bridge [-s SOCKET]" (or $WSLCTL_SSH instead of "ssh") with one end of a
 * socket pair as ssh's standard input and output, so that the transport
 * is a socket exactly like the local control socket and the exchange does
 * not know the difference.  ssh's standard error comes back on a pipe and
 * is relayed, line by line and escaped, as "wslctl: HOST: LINE"; when no
 * reply came, ssh's exit status says why (255: ssh itself failed; 126 or
 * 127: no wslctl there; otherwise the bridge's own status, 3 or 6).
 *
 * On the other host, wslctl --bridge connects to the control socket and
 * relays bytes both ways; wsld knows it by its SO_PEERCRED, the ssh user.
 *
 * Several -H run one after the other, each in a child whose output comes
 * back on pipes and is prefixed with "HOST: " (pdsh's convention), or,
 * with -j, gets a "host" key.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

extern char **environ;

#define LINGER_MS 5000     /* for ssh to end after the reply */
#define TERM_GRACE_MS 1000 /* for ssh to end after SIGTERM */
#define LINE_MAX_KEPT 1024 /* of a line of ssh's: longer ones are cut */
#define RELAY_BUF 65536

struct ctl_remote {
	char label[256 * WSL_ESCAPE_MAX]; /* the -H argument, escaped */
	pid_t pid;        /* ssh; -1 once reaped */
	int pidfd;        /* to wait for it with poll; -1 if none */
	int errfd;        /* its standard error; -1 at EOF */
	int status;       /* its wait status, once reaped */
	bool named;       /* name the host in messages (not in a fleet) */
	bool said;        /* a line of ssh's was relayed */
	char line[LINE_MAX_KEPT];
	size_t len;       /* of a line not yet ended */
};

static struct ctl_remote remote = { .pid = -1, .pidfd = -1, .errfd = -1 };
static bool in_fleet; /* a fleet's child: the parent names the host */
static volatile pid_t fleet_child = -1;

/*
 * wslctl killed (not by a terminal, which signals ssh too): ssh goes
 * with it, so the bridge ends and wsld cancels what was pending, as when
 * a local wslctl dies; in a fleet, the child running goes.
 */
static void
on_signal(int sig)
{
	if (remote.pid > 0)
		kill(remote.pid, SIGTERM);
	if (fleet_child > 0)
		kill(fleet_child, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/*
 * [USER@]HOST[:PORT], HOST possibly "[IPv6]" (a bare IPv6 address with
 * more than one colon has no port).  dest gets USER@HOST without
 * brackets, port the port or "".  NULL on success, else what is wrong.
 */
const char *
ctl_host_parse(const char *arg, char *dest, size_t dsize, char *port,
    size_t psize)
{
	const char *at, *host, *end, *colon, *p;
	size_t ulen, hlen;
	char *e;
	long n;

	for (p = arg; *p != '\0'; p++)
		if (iscntrl((unsigned char)*p) || isspace((unsigned char)*p))
			return ("a host has no spaces or control characters");
	at = strrchr(arg, '@');
	host = at != NULL ? at + 1 : arg;
	ulen = at != NULL ? (size_t)(at - arg) : 0;
	if (at != NULL && ulen == 0)
		return ("the user before '@' is empty");
	if (arg[0] == '-')
		return ("a host cannot start with '-'");
	*port = '\0';
	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL)
			return ("'[' without ']'");
		hlen = (size_t)(end - host - 1);
		host++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return ("only :PORT may follow ']'");
	} else {
		colon = strchr(host, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* an IPv6 address */
		hlen = colon != NULL ? (size_t)(colon - host) : strlen(host);
	}
	if (hlen == 0)
		return ("the host is empty");
	if (colon != NULL) {
		errno = 0;
		n = strtol(colon + 1, &e, 10);
		if (!isdigit((unsigned char)colon[1]) || *e != '\0' ||
		    errno != 0 || n < 1 || n > 65535)
			return ("the port must be a number from 1 to 65535");
		snprintf(port, psize, "%ld", n);
	}
	if (ulen + 1 + hlen + 1 > dsize)
		return ("too long");
	snprintf(dest, dsize, "%.*s%s%.*s", (int)ulen, arg, at != NULL ? "@" :
	    "", (int)hlen, host);
	return (NULL);
}

/* A line of ssh's (or of the bridge's): shown, escaped, naming the host. */
static void
relay_line(struct ctl_remote *r, char *line, size_t len)
{
	char text[LINE_MAX_KEPT * WSL_ESCAPE_MAX];

	while (len > 0 && line[len - 1] == '\r') /* ssh ends lines "\r\n" */
		len--;
	line[len] = '\0';
	if (len == 0)
		return;
	/* The bridge's messages: "wslctl: cannot reach wsld at ..." */
	if (strncmp(line, "wslctl: ", 8) == 0)
		line += 8;
	wsl_escape_controls(line, text, sizeof(text));
	if (r->named)
		fprintf(stderr, "wslctl: %s: %s\n", r->label, text);
	else
		fprintf(stderr, "wslctl: %s\n", text);
	r->said = true;
}

/* Read what ssh has written to its standard error, without waiting. */
static void
drain(struct ctl_remote *r)
{
	char buf[4096];
	ssize_t n, i;

	while (r->errfd >= 0) {
		n = read(r->errfd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(r->errfd);
			r->errfd = -1;
			break;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' || r->len == sizeof(r->line) - 1) {
				relay_line(r, r->line, r->len);
				r->len = 0;
				if (buf[i] == '\n')
					continue;
			}
			r->line[r->len++] = buf[i];
		}
	}
	if (r->len > 0) {
		relay_line(r, r->line, r->len);
		r->len = 0;
	}
}

int
ctl_remote_errfd(const struct ctl_remote *r)
{
	return (r->errfd);
}

void
ctl_remote_drain(struct ctl_remote *r)
{
	drain(r);
}

/* Reap ssh if it has ended. */
static bool
reaped(struct ctl_remote *r)
{
	pid_t p;

	if (r->pid < 0)
		return (true);
	do
		p = waitpid(r->pid, &r->status, WNOHANG);
	while (p < 0 && errno == EINTR);
	if (p == 0)
		return (false);
	if (p < 0) /* not ours any more: nothing to learn */
		r->status = 255 << 8;
	r->pid = -1;
	if (r->pidfd >= 0) {
		close(r->pidfd);
		r->pidfd = -1;
	}
	return (true);
}

/*
 * Wait for ssh to end until the deadline (-1: none), relaying its
 * standard error meanwhile; false if it has not.  Without a pidfd (a
 * kernel before 5.3) its end is checked every 10 ms.
 */
static bool
wait_ssh(struct ctl_remote *r, long long deadline)
{
	struct pollfd p[2];
	long long left;
	nfds_t n;
	int ms;

	while (!reaped(r)) {
		n = 0;
		if (r->pidfd >= 0)
			p[n++] = (struct pollfd){ r->pidfd, POLLIN, 0 };
		if (r->errfd >= 0)
			p[n++] = (struct pollfd){ r->errfd, POLLIN, 0 };
		left = deadline < 0 ? -1 : deadline - wsl_now_ms();
		if (deadline >= 0 && left <= 0)
			return (false);
		ms = left < 0 || left > INT_MAX ? INT_MAX : (int)left;
		if (r->pidfd < 0 && ms > 10)
			ms = 10;
		if (poll(p, n, ms) > 0 && r->errfd >= 0)
			drain(r);
	}
	drain(r); /* what is there: a ControlPersist master may hold it */
	return (true);
}

/* End ssh: SIGTERM, then SIGKILL if it does not go. */
static void
stop_ssh(struct ctl_remote *r)
{
	if (reaped(r))
		return;
	kill(r->pid, SIGTERM);
	if (r->errfd >= 0) { /* "Killed by signal 15." is ours to know */
		close(r->errfd);
		r->errfd = -1;
	}
	if (wait_ssh(r, wsl_now_ms() + TERM_GRACE_MS))
		return;
	kill(r->pid, SIGKILL);
	while (waitpid(r->pid, &r->status, 0) < 0 && errno == EINTR)
		;
	r->pid = -1;
}

/* Whatever way wslctl exits (a timeout, an error), no ssh outlives it. */
static void
cleanup(void)
{
	if (remote.pid > 0) {
		drain(&remote);
		stop_ssh(&remote);
	}
}

/* 'text' for the remote shell: in single quotes. */
static char *
shell_quote(const char *s)
{
	char *q, *p;

	if ((q = malloc(strlen(s) * 4 + 3)) == NULL)
		return (NULL);
	p = q;
	*p++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else
			*p++ = *s;
	}
	*p++ = '\'';
	*p = '\0';
	return (q);
}

/*
 * Start ssh to HOST running wslctl --bridge [-s SOCKET] there; return
 * our end of its standard input and output (a socket), and *rp.  Exits 3
 * if ssh cannot be started.
 */
int
ctl_remote_start(const char *host, const char *socket,
    struct ctl_remote **rp)
{
	struct ctl_remote *r = &remote;
	char dest[512], port[8], *cmd = NULL, *qs = NULL, *script = NULL;
	const char *argv[16], *ssh, *why;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	sigset_t dfl;
	int sv[2], ep[2], e;
	size_t n = 0;

	wsl_escape_controls(host, r->label, sizeof(r->label));
	r->named = !in_fleet;
	if ((why = ctl_host_parse(host, dest, sizeof(dest), port,
	    sizeof(port))) != NULL) { /* main has checked it */
		fprintf(stderr, "wslctl: -H %s: %s\n", r->label, why);
		exit(CTL_EXIT_USAGE);
	}
	if (socket != NULL && (qs = shell_quote(socket)) == NULL)
		goto nomem;
	if (asprintf(&cmd, "wslctl --bridge%s%s", qs != NULL ? " -s " : "",
	    qs != NULL ? qs : "") < 0)
		goto nomem;
	ssh = getenv("WSLCTL_SSH");
	if (ssh != NULL && *ssh != '\0') {
		/* A command line, as GIT_SSH_COMMAND: the shell reads it. */
		if (asprintf(&script, "exec %s \"$@\"", ssh) < 0)
			goto nomem;
		argv[n++] = "/bin/sh";
		argv[n++] = "-c";
		argv[n++] = script;
		argv[n++] = "wslctl-ssh";
	} else
		argv[n++] = "ssh";
	argv[n++] = "-T";
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";
	if (*port != '\0') {
		argv[n++] = "-p";
		argv[n++] = port;
	}
	argv[n++] = dest;
	argv[n++] = cmd;
	argv[n] = NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(ep, O_CLOEXEC) < 0) {
		e = errno;
		fprintf(stderr, "wslctl: %s: cannot start ssh: %s\n",
		    r->label, strerror(e));
		exit(CTL_EXIT_UNREACHABLE);
	}
	/* ssh's standard input and output are one socket, as wsld's. */
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	posix_spawnattr_init(&sa);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE); /* ignored here, not in ssh */
	posix_spawnattr_setsigdefault(&sa, &dfl);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGDEF);
	fflush(NULL);
	e = posix_spawnp(&r->pid, argv[0], &fa, &sa, (char *const *)argv,
	    environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	close(sv[1]);
	close(ep[1]);
	free(cmd);
	free(qs);
	free(script);
	if (e != 0) {
		r->pid = -1;
		fprintf(stderr, "wslctl: %s: cannot run %s: %s\n", r->label,
		    argv[0], strerror(e));
		exit(CTL_EXIT_UNREACHABLE);
	}
	atexit(cleanup);
	catch_signals();
#ifdef SYS_pidfd_open
	r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	if (r->pidfd >= 0)
		fcntl(r->pidfd, F_SETFD, FD_CLOEXEC);
#endif
	r->errfd = ep[0];
	fcntl(r->errfd, F_SETFL, fcntl(r->errfd, F_GETFL) | O_NONBLOCK);
	*rp = r;
	return (sv[0]);
nomem:
	fprintf(stderr, "wslctl: out of memory\n");
	exit(1);
}

/* The reply came and our end is closed: let ssh end, in a bounded time. */
void
ctl_remote_done(struct ctl_remote *r, long long deadline)
{
	long long until = wsl_now_ms() + LINGER_MS;

	if (deadline >= 0 && deadline < until)
		until = deadline;
	if (!wait_ssh(r, until))
		stop_ssh(r);
}

/*
 * The connection ended without a reply: wait for ssh (until the deadline)
 * and say why from its exit status; return wslctl's.
 */
int
ctl_remote_failed(struct ctl_remote *r, long long deadline, const char *what)
{
	const char *pre = r->named ? r->label : "", *sep = r->named ? ": " :
	    "";
	int st, code;

	if (!wait_ssh(r, deadline)) {
		fprintf(stderr, "wslctl: %s%s%s: ssh closed the connection "
		    "without a reply and did not exit\n", pre, sep, what);
		stop_ssh(r);
		return (CTL_EXIT_UNREACHABLE);
	}
	st = r->status;
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "wslctl: %s%sssh was killed by signal %d\n",
		    pre, sep, WTERMSIG(st));
		return (CTL_EXIT_UNREACHABLE);
	}
	code = WEXITSTATUS(st);
	switch (code) {
	case 255: /* ssh's own failure: it has said why, normally */
		if (!r->said)
			fprintf(stderr, "wslctl: %s%sssh failed (exit status "
			    "255)\n", pre, sep);
		return (CTL_EXIT_UNREACHABLE);
	case 126:
	case 127:
		fprintf(stderr, "wslctl: %s%scannot run 'wslctl --bridge' "
		    "(exit status %d: is wslctl on the PATH of ssh sessions "
		    "there?)\n", pre, sep, code);
		return (CTL_EXIT_UNREACHABLE);
	case 0:
		fprintf(stderr, "wslctl: %s%s%s: wsld closed the connection "
		    "without a reply\n", pre, sep, what);
		return (CTL_EXIT_UNREACHABLE);
	default: /* the bridge's: 3 unreachable, 6 denied, 2 usage */
		if (!r->said)
			fprintf(stderr, "wslctl: %s%s'wslctl --bridge' failed "
			    "there (exit status %d)\n", pre, sep, code);
		return (code);
	}
}

/*
 * wslctl --bridge: relay bytes between standard input and output and the
 * control socket until either side is done.  The end of standard input
 * is passed on as a half-close (wsld still answers the last request); the
 * end of the socket, or standard output's reader going away (the ssh
 * session is gone), ends the relay, and wsld cancels what was pending.
 * Descriptors wsld sends (an accept's) are closed by the kernel unread.
 */
int
ctl_bridge(int sock)
{
	static char up[RELAY_BUF], down[RELAY_BUF];
	size_t uplen = 0, upoff = 0, downlen = 0, downoff = 0;
	bool in_eof = false, shut = false, sock_eof = false;
	struct pollfd p[3];
	ssize_t n;

	fcntl(sock, F_SETFL, fcntl(sock, F_GETFL) | O_NONBLOCK);
	for (;;) {
		if (sock_eof && downlen == downoff)
			return (0);
		p[0] = (struct pollfd){ in_eof || uplen > upoff ? -1 : 0,
		    POLLIN, 0 };
		p[1] = (struct pollfd){ sock, (short)((uplen > upoff ?
		    POLLOUT : 0) | (!sock_eof && downlen == downoff ?
		    POLLIN : 0)), 0 };
		p[2] = (struct pollfd){ 1, downlen > downoff ? POLLOUT : 0,
		    0 };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return (1);
		}
		/* Nobody reads standard output any more. */
		if (p[2].revents & (POLLERR | POLLNVAL) ||
		    (p[2].revents & POLLHUP && !(p[2].revents & POLLOUT)))
			return (1);
		if (p[0].revents != 0) {
			n = read(0, up, sizeof(up));
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				n = 0;
			if (n == 0)
				in_eof = true;
			else if (n > 0) {
				uplen = (size_t)n;
				upoff = 0;
			}
		}
		if (p[1].revents & POLLOUT || (uplen > upoff &&
		    p[1].revents & (POLLERR | POLLHUP))) {
			n = send(sock, up + upoff, uplen - upoff,
			    MSG_NOSIGNAL);
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				/* wsld is gone: pass on what it said */
				uplen = upoff = 0;
				in_eof = true;
			} else if (n > 0)
				upoff += (size_t)n;
		}
		if (in_eof && uplen == upoff && !shut) {
			shutdown(sock, SHUT_WR);
			shut = true;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR) &&
		    !sock_eof && downlen == downoff) {
			n = recv(sock, down, sizeof(down), 0);
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				n = 0;
			if (n == 0)
				sock_eof = true;
			else if (n > 0) {
				downlen = (size_t)n;
				downoff = 0;
			}
		}
		if (p[2].revents & POLLOUT) {
			n = write(1, down + downoff, downlen - downoff);
			if (n < 0 && errno != EINTR && errno != EAGAIN)
				return (1);
			if (n > 0)
				downoff += (size_t)n;
		}
	}
}

/* One of a fleet child's outputs, copied with its host in every line. */
struct stream {
	int fd;
	bool out;          /* standard output (else error) */
	bool bol;          /* at the beginning of a line */
	bool lines;        /* a line has begun */
	char last[LINE_MAX_KEPT], cur[LINE_MAX_KEPT];
	size_t curlen;
};

static void
copy_out(struct stream *s, const char *buf, size_t n, const char *label,
    const char *hostjson, bool json)
{
	FILE *f = s->out ? stdout : stderr;
	const char *nl;
	size_t k;

	while (n > 0) {
		if (s->bol) {
			if (s->out && json && buf[0] == '{') {
				fprintf(f, "{\"host\":%s,", hostjson);
				buf++;
				n--;
			} else
				fprintf(f, "%s: ", label);
			s->bol = false;
			s->lines = true;
			continue;
		}
		nl = memchr(buf, '\n', n);
		k = nl != NULL ? (size_t)(nl - buf) + 1 : n;
		fwrite(buf, 1, k, f);
		if (!s->out) { /* the last line of errors, for -j */
			size_t c = k - (nl != NULL);

			if (c > sizeof(s->cur) - 1 - s->curlen)
				c = sizeof(s->cur) - 1 - s->curlen;
			memcpy(s->cur + s->curlen, buf, c);
			s->curlen += c;
			if (nl != NULL) {
				s->cur[s->curlen] = '\0';
				memcpy(s->last, s->cur, s->curlen + 1);
				s->curlen = 0;
			}
		}
		if (nl != NULL)
			s->bol = true;
		buf += k;
		n -= k;
	}
	fflush(f);
}

/*
 * Run the request against each host in turn, each in a child (run(host)
 * as for one -H) whose output comes back on pipes: human lines become
 * "HOST: LINE", on standard output and error alike; with -j, the reply
 * gets "host" as its first key, and a host that gave no reply gets
 * {"host":HOST,"result":STATUS,"text":ERROR}.  Returns the highest of the
 * hosts' exit statuses.
 */
int
ctl_fleet(char *const *hosts, size_t nhosts, bool json,
    int (*run)(const char *))
{
	char label[256 * WSL_ESCAPE_MAX], buf[65536], *hostjson, *synth;
	struct stream st[2];
	struct pollfd p[2];
	int out[2], err[2], status, worst = 0, i, w;
	const char *text;
	json_t *v;
	ssize_t n;
	size_t h;
	pid_t pid;

	for (h = 0; h < nhosts; h++) {
		wsl_escape_controls(hosts[h], label, sizeof(label));
		if ((v = json_string(hosts[h])) == NULL)
			v = json_string(label);
		hostjson = v != NULL ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
		json_decref(v);
		if (hostjson == NULL) {
			fprintf(stderr, "wslctl: out of memory\n");
			return (1);
		}
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
			fprintf(stderr, "wslctl: %s: %s\n", label,
			    strerror(errno));
			free(hostjson);
			return (1);
		}
		fflush(NULL);
		if ((pid = fork()) < 0) {
			fprintf(stderr, "wslctl: %s: fork: %s\n", label,
			    strerror(errno));
			free(hostjson);
			return (1);
		}
		if (pid == 0) {
			fleet_child = -1;
			dup2(out[1], 1);
			dup2(err[1], 2);
			in_fleet = true;
			exit(run(hosts[h]));
		}
		fleet_child = pid;
		catch_signals();
		close(out[1]);
		close(err[1]);
		memset(st, 0, sizeof(st));
		st[0].fd = out[0];
		st[0].out = true;
		st[1].fd = err[0];
		st[0].bol = st[1].bol = true;
		while (st[0].fd >= 0 || st[1].fd >= 0) {
			for (i = 0; i < 2; i++)
				p[i] = (struct pollfd){ st[i].fd, POLLIN, 0 };
			if (poll(p, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			for (i = 0; i < 2; i++) {
				if (p[i].revents == 0)
					continue;
				n = read(st[i].fd, buf, sizeof(buf));
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0) {
					close(st[i].fd);
					st[i].fd = -1;
					if (!st[i].bol)
						copy_out(&st[i], "\n", 1,
						    label, hostjson, json);
					continue;
				}
				copy_out(&st[i], buf, (size_t)n, label,
				    hostjson, json);
			}
		}
		while (waitpid(pid, &w, 0) < 0 && errno == EINTR)
			;
		fleet_child = -1;
		status = WIFEXITED(w) ? WEXITSTATUS(w) : 128 + WTERMSIG(w);
		if (json && !st[0].lines && status != 0) {
			text = st[1].last;
			if (strncmp(text, "wslctl: ", 8) == 0)
				text += 8;
			v = json_pack("{s:s,s:i,s:s}", "host", hosts[h],
			    "result", status, "text", text);
			if (v == NULL)
				v = json_pack("{s:s,s:i,s:s}", "host", label,
				    "result", status, "text", "");
			if (v != NULL &&
			    (synth = json_dumps(v, JSON_COMPACT)) != NULL) {
				printf("%s\n", synth);
				fflush(stdout);
				free(synth);
			}
			json_decref(v);
		}
		free(hostjson);
		if (status > worst)
			worst = status;
	}
	return (worst);
}
