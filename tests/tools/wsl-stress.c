/* SPDX-License-Identifier: ISC */
/*
 * wsl-stress: a seeded, model-based stress test of a running wsld.
 *
 *   wsl-stress -s SOCKET -c CONFIG -p WSLD_PID [-S seed] [-d duration_ms]
 *       [-n clients] [-N names] [-l wsld_log] [-x cmd,...] [-v]
 *
 * -n control clients (24) send random commands in bursts of 1 to 3
 * pipelined requests about -N listeners (3), n0..n{N-1}, each with a TCP
 * port of its own that every incarnation of the name keeps, for -d ms
 * (6000), while two load threads connect to those ports.  A reload (or
 * SIGHUP) first rewrites CONFIG, atomically, with one of a few variants
 * over the same names.  Now and then a client walks away from a pending
 * request and connects again.
 *
 * Every reply is checked against the listener state machine (the rules
 * are in check_reply()) and must come within 20 s.  Then the listeners
 * must all come back to freed within 20 s, with their counters adding up.
 * With -l, every state change that wsld logged during the run must be an
 * edge that the operation named in the line can make.  -x leaves out
 * commands ("-x reload,sighup"), to tell one failure from another.
 *
 * Prints "# seed S" first (replay with -S S), a "violation: ..." line for
 * each of the first 50 violations, "# " lines of tallies, and last
 * "wsl-stress: N requests, V violations".  Exits 0 when clean, 1 on any
 * violation, 2 on a usage error, and within the duration and 60 s
 * whatever wsld does.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wsl-proto.h"

#define MAX_NAMES	16
#define MAX_CLIENTS	256
#define MAX_BURST	3
#define REPLY_MS	20000	/* every request is answered within this */
#define SETTLE_MS	20000	/* the end: reload, then every name freed */
#define SLACK_MS	60000	/* the run ends within duration + this */
#define MAX_SHOWN	50
#define MAX_LINE	(8 * 1024 * 1024)

enum op {
	OP_CREATE, OP_OPEN, OP_CLOSE, OP_ABORT, OP_RESET, OP_FREE, OP_ACCEPT,
	OP_WAIT, OP_STATUS, OP_LIST, OP_RELOAD, OP_VERSION, OP_SIGHUP,
	OP__COUNT
};

static struct {
	const char *name;
	int weight;	/* 0: excluded with -x */
	bool named;	/* takes a listener name */
} ops[OP__COUNT] = {
	{ "create", 12, true },
	{ "open", 12, true },
	{ "close", 12, true },
	{ "abort", 10, true },
	{ "reset", 10, true },
	{ "free", 8, true },
	{ "accept", 12, true },
	{ "wait", 6, true },
	{ "status", 6, true },
	{ "list", 3, false },
	{ "reload", 3, false },
	{ "version", 2, false },
	{ "sighup", 2, false },	/* kill(pid, SIGHUP), not a request */
};

/* State names as bits, so that a rule reads as a set. */
#define B(s)		(1u << WS_##s)
enum { WS_CREATED, WS_OPENING, WS_OPEN, WS_FAULTED, WS_CLOSING, WS_CLOSED };

struct req {
	long long id;
	int op;
	int name;		/* -1: none */
	bool open;		/* create with "open": true */
	long long sent;
};

struct passed {
	long long line;		/* the index of the reply line it came with */
	int fd;
};

struct client {
	int fd;			/* -1: not connected */
	struct req q[MAX_BURST + 1];
	int nq;
	char *in;		/* a partial line, never a whole one */
	size_t inlen, incap;
	long long newlines;	/* received on this connection */
	long long lines;	/* taken */
	struct passed fds[8];
	int nfds;
	char *out;
	size_t outlen, outoff;
	long long next;		/* the next burst, or connection attempt */
	long long hangup;	/* walk away from the pending request then */
	bool keep;		/* keep the last reply (the end's client) */
	json_t *last;
};

struct count {
	char what[48];
	long n;
};

struct load {
	pthread_t th;
	int first;
	long ok, empty, refused, reset, timeout, other;
};

static const char *sock_path, *config_path, *log_path;
static pid_t wsld_pid;
static int nnames = 3, nclients = 24, verbose;
static long long duration_ms = 6000;
static uint64_t seed, rng;
static int ports[MAX_NAMES];
static char urls[MAX_NAMES][64], names[MAX_NAMES][16];

static long long start_ms, deadline_ms;
static long long next_id = 1, requests, sighups, abandoned, idle_closes;
static long violations, shown;
static bool gone;		/* wsld is no more: stop */
static struct count counts[OP__COUNT][24];
static int ncounts[OP__COUNT];
static struct client clients[MAX_CLIENTS];
static atomic_int load_stop;
static long long log_offset = -1;

static void check_log(bool);
static void summary_and_exit(void) __attribute__((__noreturn__));

static void
usage(void)
{
	fprintf(stderr, "usage: wsl-stress -s SOCKET -c CONFIG_FILE -p WSLD_PID "
	    "[-S seed] [-d duration_ms]\n"
	    "                  [-n clients] [-N names] [-l wsld_log_file] "
	    "[-x cmd,...] [-v]\n");
	exit(2);
}

static void
violation(const char *fmt, ...)
{
	va_list ap;

	violations++;
	if (++shown > MAX_SHOWN)
		return;
	va_start(ap, fmt);
	fputs("violation: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

/* splitmix64: a seed of 0 is as good as any other. */
static uint64_t
rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

static int
between(int lo, int hi)
{
	return (lo + (int)(rnd() % (uint64_t)(hi - lo + 1)));
}

static bool
chance(int percent)
{
	return (between(1, 100) <= percent);
}

static unsigned int
state_bit(const char *s)
{
	int i;

	if (s == NULL || (i = wsl_state_lookup(s)) < 0)
		return (0);
	return (1u << i);
}

static void
count(int op, const char *what)
{
	int i;

	for (i = 0; i < ncounts[op]; i++)
		if (strcmp(counts[op][i].what, what) == 0) {
			counts[op][i].n++;
			return;
		}
	if (i == (int)(sizeof(counts[0]) / sizeof(counts[0][0])))
		return;
	snprintf(counts[op][i].what, sizeof(counts[op][i].what), "%s", what);
	counts[op][i].n = 1;
	ncounts[op]++;
}

static long
counted(int op, const char *what)
{
	int i;

	for (i = 0; i < ncounts[op]; i++)
		if (strcmp(counts[op][i].what, what) == 0)
			return (counts[op][i].n);
	return (0);
}

/* Is wsld gone?  A zombie is gone too: its parent may not have reaped it. */
static bool
wsld_gone(void)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	if (kill(wsld_pid, 0) < 0 && errno == ESRCH)
		return (true);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)wsld_pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (errno == ENOENT);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (false);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return (p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

/* After a surprise (a connection lost, refused): was it wsld dying?  Its
 * descriptors close before it is a zombie, so give it a moment. */
static bool
check_gone(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	static long long waited;
	int i;

	if (gone)
		return (true);
	for (i = 0; i < 15; i++) {
		if (wsld_gone()) {
			gone = true;
			violation("wsld (pid %d) is gone: it crashed or exited "
			    "during the run", (int)wsld_pid);
			return (true);
		}
		/* Wait once a second at most: wsld may be alive. */
		if (wsl_now_ms() - waited < 1000)
			return (false);
		nanosleep(&ts, NULL);
	}
	waited = wsl_now_ms();
	return (false);
}

static void
check_deadline(void)
{
	if (wsl_now_ms() < deadline_ms)
		return;
	violation("deadline: the run did not end within %lld ms (the duration "
	    "and %d s)", duration_ms + SLACK_MS, SLACK_MS / 1000);
	check_log(false);
	summary_and_exit();
}

/* The last resort, should anything block after all. */
static void
on_alarm(int sig)
{
	static const char msg[] = "violation: deadline (SIGALRM)\n";

	(void)sig;
	(void)write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

/* A free port now, which each incarnation of a name then binds. */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

/*
 * Listener definitions, for create and for the configuration file alike.
 */
static json_t *
definition(int i, bool echo, bool open, int backlog)
{
	json_t *props, *d;

	props = json_pack("{s:i}", "close-timeout", 300);
	if (backlog > 0)
		json_object_set_new(props, "listen-backlog",
		    json_integer(backlog));
	d = json_pack("{s:s,s:b,s:o}", "url", urls[i], "open", open,
	    "properties", props);
	if (echo)
		json_object_set_new(d, "handler", json_pack("{s:s}", "type",
		    "echo"));
	return (d);
}

/* One of a few configurations over the same names; rename() makes the
 * change atomic, so a reload reads one whole version or another. */
static void
write_config(int variant)
{
	char tmp[4096];
	json_t *ls, *root;
	char *s;
	FILE *f;

	ls = json_object();
	switch (variant) {
	case 1:
		json_object_set_new(ls, names[0], definition(0, true, true, 0));
		break;
	case 2:
	case 3:
		/* 3 differs from 2 in n0's backlog only: n0 is "changed"
		 * and, when open, hands its socket over. */
		json_object_set_new(ls, names[0], definition(0, false, true,
		    variant == 3 ? 64 : 0));
		if (nnames > 1)
			json_object_set_new(ls, names[1], definition(1, true,
			    false, 0));
		break;
	}
	root = json_pack("{s:o}", "listeners", ls);
	s = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	snprintf(tmp, sizeof(tmp), "%s.tmp", config_path);
	if (s == NULL || (f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "wsl-stress: %s: %s\n", tmp, strerror(errno));
		free(s);
		exit(2);
	}
	fprintf(f, "%s\n", s);
	free(s);
	if (fclose(f) != 0 || rename(tmp, config_path) < 0) {
		fprintf(stderr, "wsl-stress: %s: %s\n", config_path,
		    strerror(errno));
		exit(2);
	}
}

/*
 * Load: connect to each port in turn, send "x\n" and half-close, read to
 * the end.  Whatever happens is an outcome, never a violation.
 */
static long *
load_one(struct load *ld, int port)
{
	struct sockaddr_in sin;
	struct pollfd p;
	char buf[256];
	size_t have = 0;
	long long end;
	socklen_t len;
	ssize_t n;
	int fd, e;
	long *slot = &ld->other;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (slot);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		if (errno != EINPROGRESS) {
			slot = errno == ECONNREFUSED ? &ld->refused : &ld->other;
			goto done;
		}
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, 1000) == 0) {
			slot = &ld->timeout;
			goto done;
		}
		len = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 ||
		    e != 0) {
			slot = e == ECONNREFUSED ? &ld->refused :
			    e == ECONNRESET ? &ld->reset : &ld->other;
			goto done;
		}
	}
	if (send(fd, "x\n", 2, MSG_NOSIGNAL) < 0) {
		slot = errno == ECONNRESET || errno == EPIPE ? &ld->reset :
		    &ld->other;
		goto done;
	}
	shutdown(fd, SHUT_WR);
	end = wsl_now_ms() + 1000;
	for (;;) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, (int)(end - wsl_now_ms() > 0 ?
		    end - wsl_now_ms() : 0)) == 0) {
			slot = &ld->timeout;
			break;
		}
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			slot = errno == ECONNRESET ? &ld->reset : &ld->other;
			break;
		}
		if (n == 0) {
			slot = have == 0 ? &ld->empty : have == 2 &&
			    memcmp(buf, "x\n", 2) == 0 ? &ld->ok : &ld->other;
			break;
		}
		have += (size_t)n;
		if (have == sizeof(buf))
			break;
	}
done:
	close(fd);
	return (slot);
}

static void *
load_thread(void *arg)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	struct load *ld = arg;
	int i = ld->first;

	/* Each counter is this thread's own until the join. */
	while (!atomic_load(&load_stop)) {
		(*load_one(ld, ports[i]))++;
		i = (i + 1) % nnames;
		nanosleep(&ts, NULL); /* refused ones come back at once */
	}
	return (NULL);
}

/*
 * The model: is this reply one that the state machine allows?
 */
static void
check_reply(const struct req *r, const struct wsl_reply *rep, int nfds)
{
	const char *res, *prev_s, *state_s;
	unsigned int prev, state;
	const char *why = NULL;
	bool reload, ok;
	json_t *c;

	res = rep->error != NULL ? rep->error : wsl_hr_name(rep->hr);
	if (res == NULL)
		res = "?";
	count(r->op, res);
	prev_s = json_string_value(json_object_get(rep->arguments,
	    "previous-state"));
	state_s = json_string_value(json_object_get(rep->arguments, "state"));
	prev = state_bit(prev_s);
	state = state_bit(state_s);
	/* wsld may refuse to change a listener that a reload replaces. */
	reload = strstr(rep->text, "reload") != NULL;

#define IS(x)	(strcmp(res, #x) == 0)
	switch (r->op) {
	case OP_CREATE:
		if (IS(S_OK) || IS(ERROR_ALREADY_EXISTS) ||
		    (IS(WS_E_INVALID_OPERATION) && reload)) {
			if (IS(S_OK) && r->open && prev != B(CREATED))
				why = "an open from a new listener";
			break;
		}
		if (!r->open) {
			why = "not a result of create";
			break;
		}
		/* With "open", the open's outcomes. */
		/* FALLTHROUGH */
	case OP_OPEN:
		if (IS(S_OK))
			ok = prev == B(CREATED);
		else if (IS(WS_E_INVALID_OPERATION))
			ok = reload || (prev & (B(OPENING) | B(OPEN) |
			    B(FAULTED) | B(CLOSING) | B(CLOSED)));
		else if (IS(WS_E_OPERATION_ABORTED))
			ok = prev == B(CREATED);
		else
			ok = IS(WS_E_ADDRESS_IN_USE) || IS(ERROR_NOT_FOUND);
		if (!ok)
			why = "not what open does from that state";
		break;
	case OP_CLOSE:
		if (IS(S_OK))
			ok = prev & (B(CREATED) | B(OPEN) | B(FAULTED));
		else if (IS(WS_E_OPERATION_ABORTED))
			ok = prev & (B(OPEN) | B(FAULTED));
		else if (IS(WS_E_INVALID_OPERATION))
			ok = reload || (prev & (B(OPENING) | B(CLOSING) |
			    B(CLOSED)));
		else
			ok = IS(ERROR_NOT_FOUND);
		if (!ok)
			why = "not what close does from that state";
		break;
	case OP_ABORT:
		if (IS(ERROR_NOT_FOUND))
			break;
		if (!IS(S_OK)) {
			why = "abort never fails on an existing listener";
			break;
		}
		/* Only an open one changes; in the others the pending
		 * operation fails later. */
		if (prev != state ? !(prev == B(OPEN) && state == B(FAULTED)) :
		    prev == 0 || prev == B(OPEN))
			why = "not the state abort leaves";
		break;
	case OP_RESET:
		if (IS(S_OK))
			ok = (prev & (B(CREATED) | B(CLOSED))) &&
			    state == B(CREATED);
		else if (IS(WS_E_INVALID_OPERATION))
			ok = reload || (prev & (B(OPENING) | B(OPEN) |
			    B(FAULTED) | B(CLOSING))) || (prev == B(CLOSED) &&
			    strstr(rep->text, "still finishing") != NULL);
		else
			ok = IS(ERROR_NOT_FOUND);
		if (!ok)
			why = "not what reset does from that state";
		break;
	case OP_FREE:
		/* Refusals: in use, an operation under way, a close still
		 * finishing, a reload; counted, not judged. */
		if (IS(S_OK))
			ok = prev & (B(CREATED) | B(CLOSED));
		else
			ok = IS(WS_E_INVALID_OPERATION) ||
			    IS(ERROR_NOT_FOUND);
		if (!ok)
			why = "not what free does from that state";
		break;
	case OP_ACCEPT:
		if (!IS(S_OK) && !IS(WS_E_OBJECT_FAULTED) &&
		    !IS(WS_E_INVALID_OPERATION) &&
		    !IS(WS_E_OPERATION_ABORTED) &&
		    !IS(WS_E_OPERATION_TIMED_OUT) && !IS(ERROR_NOT_FOUND))
			why = "not a result of accept";
		break;
	case OP_WAIT:
		if (!IS(S_OK) && !IS(WS_E_OPERATION_TIMED_OUT) &&
		    !IS(ERROR_NOT_FOUND) && !IS(WS_E_OPERATION_ABORTED))
			why = "not a result of wait";
		break;
	case OP_STATUS:
		if (!IS(S_OK) && !IS(ERROR_NOT_FOUND))
			why = "not a result of status";
		break;
	case OP_LIST:
	case OP_VERSION:
		if (!IS(S_OK))
			why = "it never fails";
		break;
	case OP_RELOAD:
		/* Done, refused while another runs or a listener it would
		 * change is busy, or applied but not everywhere (an open
		 * that failed, say); never malformed: the files are good. */
		if (IS(WS_E_INVALID_FORMAT) || IS(E_INVALIDARG))
			why = "the configuration files of this test are valid";
		break;
	}
	/* Never, whatever the command. */
	if (IS(E_UNEXPECTED) || IS(E_OUTOFMEMORY))
		why = "never in this test";
#undef IS
	if (why == NULL && rep->result != wsl_hr_class(rep->hr))
		why = "the result class does not go with the hresult";
	if (why != NULL)
		violation("%s %s (id %lld): %s, previous-state %s, state %s "
		    "(\"%s\"): %s", ops[r->op].name, r->name >= 0 ?
		    names[r->name] : "-", r->id, res, prev_s != NULL ? prev_s :
		    "-", state_s != NULL ? state_s : "-", rep->text, why);

	/* Exactly one descriptor with a successful accept, none otherwise. */
	if (r->op == OP_ACCEPT && rep->hr == WSL_HR_S_OK ? nfds != 1 :
	    nfds != 0)
		violation("%s %s (id %lld): %s came with %d descriptors",
		    ops[r->op].name, r->name >= 0 ? names[r->name] : "-",
		    r->id, res, nfds);

	/* Every reply's counters come from one snapshot. */
	if ((c = json_object_get(rep->arguments, "counters")) != NULL) {
		json_int_t a, d, f, o, i;

		a = json_integer_value(json_object_get(c, "accepted"));
		d = json_integer_value(json_object_get(c, "delivered"));
		f = json_integer_value(json_object_get(c, "failed"));
		o = json_integer_value(json_object_get(c, "closed-on-abort"));
		i = json_integer_value(json_object_get(c, "in-flight"));
		if (a != d + f + o + i)
			violation("%s %s (id %lld): accepted %" JSON_INTEGER_FORMAT
			    " != delivered %" JSON_INTEGER_FORMAT " + failed %"
			    JSON_INTEGER_FORMAT " + closed-on-abort %"
			    JSON_INTEGER_FORMAT " + in-flight %"
			    JSON_INTEGER_FORMAT, ops[r->op].name, r->name >= 0 ?
			    names[r->name] : "-", r->id, a, d, f, o, i);
	}
	if (verbose)
		printf("# %s %s (id %lld) -> %s previous-state %s state %s: "
		    "%s\n", ops[r->op].name, r->name >= 0 ? names[r->name] :
		    "-", r->id, res, prev_s != NULL ? prev_s : "-",
		    state_s != NULL ? state_s : "-", rep->text);
}

/*
 * Control connections.
 */
static void
drop(struct client *c)
{
	int i;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	for (i = 0; i < c->nfds; i++)
		close(c->fds[i].fd);
	c->nfds = 0;
	c->nq = 0;
	c->inlen = 0;
	c->outlen = c->outoff = 0;
	c->newlines = c->lines = 0;
	c->hangup = 0;
}

static int
connect_client(struct client *c)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	/* Non-blocking: a full backlog says EAGAIN instead of waiting. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return (-1);
	}
	c->fd = fd;
	return (0);
}

/* Connect, or try again soon; refusal by a live wsld is a violation. */
static void
reconnect(struct client *c)
{
	static long long last_report;

	int e;

	if (connect_client(c) == 0)
		return;
	if ((e = errno) == EAGAIN || e == EINTR) {
		c->next = wsl_now_ms() + 10;
		return;
	}
	if (!check_gone() && wsl_now_ms() - last_report > 1000) {
		last_report = wsl_now_ms();
		violation("connect %s: %s", sock_path, strerror(e));
	}
	c->next = wsl_now_ms() + 100;
}

static void
flush_out(struct client *c)
{
	ssize_t n;

	while (c->fd >= 0 && c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			/* What wsld said before it closed is still to read;
			 * the read side reports the loss. */
			c->outoff = c->outlen;
			return;
		}
		c->outoff += (size_t)n;
	}
	c->outlen = c->outoff = 0;
}

/* Queue one request (steals args). */
static void
send_request(struct client *c, int op, int name, json_t *args, bool open)
{
	json_t *id, *msg;
	struct req *r;
	char *s;
	size_t len;

	id = json_integer(next_id);
	msg = wsl_request_new(id, ops[op].name, args);
	json_decref(id);
	if (msg == NULL || (s = wsl_encode(msg, &len)) == NULL) {
		fprintf(stderr, "wsl-stress: out of memory\n");
		exit(2);
	}
	json_decref(msg);
	if ((c->out = realloc(c->out, c->outlen + len)) == NULL) {
		fprintf(stderr, "wsl-stress: out of memory\n");
		exit(2);
	}
	memcpy(c->out + c->outlen, s, len);
	c->outlen += len;
	free(s);
	r = &c->q[c->nq++];
	r->id = next_id++;
	r->op = op;
	r->name = name;
	r->open = open;
	r->sent = wsl_now_ms();
	requests++;
	if (verbose)
		printf("# -> %s %s (id %lld)\n", ops[op].name, name >= 0 ?
		    names[name] : "-", r->id);
}

/* A reply line: it answers the oldest request outstanding, or is wrong. */
static void
take_line(struct client *c, char *line, size_t len)
{
	struct wsl_reply rep;
	struct wsl_err err;
	char line_shown[200];
	long long index = c->lines++, id;
	json_t *jid;
	struct req r;
	int i, nfds = 0;
	int j, k;

	for (i = 0; i < c->nfds; i++)
		if (c->fds[i].line == index) {
			close(c->fds[i].fd);
			nfds++;
			c->fds[i--] = c->fds[--c->nfds];
		}
	wsl_escape_controls(line, line_shown, sizeof(line_shown));
	if (c->nq == 0) {
		violation("a reply with no request outstanding: %s", line_shown);
		drop(c);
		return;
	}
	if (wsl_reply_decode(line, len, &rep, &err) != WSL_HR_S_OK) {
		r = c->q[0];
		violation("%s %s (id %lld): a malformed reply (%s): %s",
		    ops[r.op].name, r.name >= 0 ? names[r.name] : "-", r.id,
		    err.text, line_shown);
		wsl_reply_clear(&rep);
		drop(c);
		return;
	}
	/*
	 * Replies come in the order of their requests, but for accepts,
	 * answered when a channel comes: the reply answers the outstanding
	 * request with its id, and one to anything but an accept must have
	 * only accepts before it.
	 */
	jid = json_object_get(rep.root, "id");
	id = json_is_integer(jid) ? (long long)json_integer_value(jid) : -1;
	for (k = 0; k < c->nq && c->q[k].id != id; k++)
		;
	for (j = 0; k < c->nq && c->q[k].op != OP_ACCEPT && j < k; j++)
		if (c->q[j].op != OP_ACCEPT)
			break;
	if (k == c->nq || (c->q[k].op != OP_ACCEPT && j < k)) {
		r = c->q[k == c->nq ? 0 : k];
		violation("%s %s (id %lld): %s: %s", ops[r.op].name,
		    r.name >= 0 ? names[r.name] : "-", r.id, k == c->nq ?
		    "a reply with the id of no outstanding request" :
		    "answered before an earlier request", line_shown);
		wsl_reply_clear(&rep);
		drop(c);
		return;
	}
	r = c->q[k];
	memmove(c->q + k, c->q + k + 1, (size_t)(--c->nq - k) *
	    sizeof(c->q[0]));
	if (c->nq == 0)
		c->hangup = 0;
	check_reply(&r, &rep, nfds);
	if (c->keep) {
		json_decref(c->last);
		c->last = json_incref(rep.root);
	}
	wsl_reply_clear(&rep);
}

/*
 * Read what there is.  wsld attaches a descriptor to the first byte of
 * its reply, and recvmsg() stops right after the bytes it came with, so
 * a descriptor belongs to the last line that starts in what was read.
 */
static void
read_client(struct client *c)
{
	char buf[65536], *nl;
	long long before = c->newlines, owner;
	int fds[WSL_RECV_FDS_MAX], i;
	size_t k, got;
	ssize_t n;
	int nfds;

	/* Every descriptor: a reply with two must be seen as such. */
	n = wsl_recv_fds(c->fd, buf, sizeof(buf), fds, WSL_RECV_FDS_MAX, &got);
	nfds = (int)got;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		const char *how = n == 0 ? "end of file" : strerror(errno);

		for (i = 0; i < nfds; i++)
			close(fds[i]);
		if (c->nq > 0 && !check_gone())
			violation("%s %s (id %lld): wsld closed the connection "
			    "(%s) with %d requests outstanding",
			    ops[c->q[0].op].name, c->q[0].name >= 0 ?
			    names[c->q[0].name] : "-", c->q[0].id, how, c->nq);
		else if (c->nq == 0)
			idle_closes++;
		drop(c);
		c->next = wsl_now_ms();
		return;
	}
	/* Without a line start in what was read, the line in progress. */
	owner = before;
	for (k = 0; k < (size_t)n; k++)
		if (buf[k] == '\n') {
			c->newlines++;
			if (k + 1 < (size_t)n)
				owner = c->newlines;
		}
	for (i = 0; i < nfds; i++) {
		if (c->nfds == (int)(sizeof(c->fds) / sizeof(c->fds[0]))) {
			close(fds[i]);
			continue;
		}
		c->fds[c->nfds].line = owner;
		c->fds[c->nfds++].fd = fds[i];
	}
	if (c->inlen + (size_t)n > MAX_LINE) {
		violation("a reply line longer than %d bytes", MAX_LINE);
		drop(c);
		return;
	}
	if (c->inlen + (size_t)n > c->incap) {
		c->incap = (c->inlen + (size_t)n) * 2;
		if ((c->in = realloc(c->in, c->incap)) == NULL) {
			fprintf(stderr, "wsl-stress: out of memory\n");
			exit(2);
		}
	}
	memcpy(c->in + c->inlen, buf, (size_t)n);
	c->inlen += (size_t)n;
	while (c->fd >= 0 && c->inlen > 0 &&
	    (nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		*nl = '\0';
		take_line(c, c->in, (size_t)(nl - c->in));
		if (c->fd < 0)
			break;
		k = (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->inlen - k);
		c->inlen -= k;
	}
}

/* A request unanswered for REPLY_MS: report it, and give up the
 * connection (those behind it wait on it). */
static void
check_late(struct client *c, long long now)
{
	if (c->fd < 0 || c->nq == 0 || now - c->q[0].sent < REPLY_MS)
		return;
	if (!check_gone())
		violation("%s %s (id %lld): no reply within %d s (waited %lld "
		    "ms, %d requests outstanding on the connection)",
		    ops[c->q[0].op].name, c->q[0].name >= 0 ?
		    names[c->q[0].name] : "-", c->q[0].id, REPLY_MS / 1000,
		    now - c->q[0].sent, c->nq);
	drop(c);
	c->next = now;
}

/*
 * The chaos: a burst of 1 to 3 random requests.
 */
static int
pick_op(void)
{
	int total = 0, i, x;

	for (i = 0; i < OP__COUNT; i++)
		total += ops[i].weight;
	x = between(1, total);
	for (i = 0; i < OP__COUNT; i++)
		if (ops[i].weight > 0 && (x -= ops[i].weight) <= 0)
			return (i);
	return (OP_STATUS);
}

static void
add_random(struct client *c, int op, int ms_lo, int ms_hi)
{
	int name = ops[op].named ? between(0, nnames - 1) : -1;
	json_t *args = NULL;
	bool open = false;

	switch (op) {
	case OP_CREATE:
		open = chance(50);
		args = definition(name, chance(50), open, 0);
		json_object_set_new(args, "name", json_string(names[name]));
		break;
	case OP_ACCEPT:
		args = json_pack("{s:s,s:i}", "name", names[name],
		    "timeout-ms", between(ms_lo, ms_hi));
		break;
	case OP_WAIT:
		args = json_pack("{s:s,s:s,s:i}", "name", names[name], "state",
		    wsl_state_name(between(0, 5)), "timeout-ms",
		    between(ms_lo, ms_hi));
		break;
	case OP_RELOAD:
		write_config(between(0, 3));
		break;
	default:
		if (ops[op].named)
			args = json_pack("{s:s}", "name", names[name]);
	}
	send_request(c, op, name, args, open);
}

static void
burst(struct client *c, long long now)
{
	int i, n, op;

	/* Now and then: walk away from a pending accept or wait. */
	if (chance(4)) {
		op = chance(65) ? OP_ACCEPT : OP_WAIT;
		if (chance(10) || ops[op].weight == 0)
			op = pick_op();
		if (op == OP_SIGHUP)
			op = OP_STATUS;
		add_random(c, op, 300, 1000);
		c->hangup = now + between(0, 150);
		flush_out(c);
		return;
	}
	n = between(1, MAX_BURST);
	for (i = 0; i < n; i++) {
		op = pick_op();
		if (op == OP_SIGHUP) {
			write_config(between(0, 3));
			if (kill(wsld_pid, SIGHUP) < 0)
				(void)check_gone();
			sighups++;
			continue;
		}
		add_random(c, op, 50, 300);
	}
	flush_out(c);
	if (c->nq == 0) /* signals only */
		c->next = now + between(0, 10);
}

/* Run the clients until the duration is over (chaos), or until nothing
 * is outstanding any more (draining). */
static void
run_clients(bool chaos)
{
	static struct pollfd p[MAX_CLIENTS];
	long long now, end = start_ms + duration_ms, wake, last_check = 0;
	int i, n, outstanding;
	struct client *c;

	for (;;) {
		check_deadline();
		now = wsl_now_ms();
		if (gone || (chaos && now >= end))
			return;
		if (now - last_check >= 250) {
			last_check = now;
			if (wsld_gone())
				(void)check_gone();
		}
		wake = now + 100;
		outstanding = 0;
		for (i = 0; i < nclients; i++) {
			c = &clients[i];
			if (c->fd >= 0 && c->nq > 0 && c->hangup != 0 &&
			    now >= c->hangup) {
				abandoned++;
				count(c->q[0].op, "(walked away)");
				drop(c);
				c->next = now + between(0, 20);
			}
			check_late(c, now);
			if (c->fd < 0 && chaos && now >= c->next)
				reconnect(c);
			if (c->fd >= 0 && c->nq == 0 && c->outlen == 0 &&
			    chaos && now >= c->next)
				burst(c, now);
			outstanding += c->fd >= 0 ? c->nq : 0;
			if (c->fd < 0 || c->nq == 0) {
				if (chaos && c->next < wake)
					wake = c->next;
			} else {
				if (c->q[0].sent + REPLY_MS < wake)
					wake = c->q[0].sent + REPLY_MS;
				if (c->hangup != 0 && c->hangup < wake)
					wake = c->hangup;
			}
		}
		if (!chaos && outstanding == 0)
			return;
		if (chaos && end < wake)
			wake = end;
		if (deadline_ms < wake)
			wake = deadline_ms;
		for (i = n = 0; i < nclients; i++) {
			c = &clients[i];
			p[i].fd = c->fd;
			p[i].events = c->fd >= 0 ? POLLIN |
			    (c->outlen > c->outoff ? POLLOUT : 0) : 0;
			p[i].revents = 0;
			n++;
		}
		now = wsl_now_ms();
		if (poll(p, (nfds_t)n, (int)(wake > now ? wake - now : 0)) <= 0)
			continue;
		for (i = 0; i < nclients; i++) {
			c = &clients[i];
			if (c->fd < 0 || p[i].revents == 0)
				continue;
			if (p[i].revents & POLLOUT)
				flush_out(c);
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
				read_client(c);
		}
	}
}

/*
 * The end: one request at a time on a client of its own.
 */
static struct client final_client = { .fd = -1, .keep = true };

static json_t *
call(int op, int name, json_t *args)
{
	struct client *c = &final_client;
	long long end, now;
	struct pollfd p;
	int tries, e;
	json_t *r;

	for (tries = 0; c->fd < 0; tries++) {
		if (connect_client(c) == 0)
			break;
		e = errno;
		if ((e != EAGAIN && e != EINTR) || check_gone() ||
		    tries == 100) {
			json_decref(args);
			if (!gone)
				violation("connect %s: %s", sock_path,
				    strerror(e));
			return (NULL);
		}
		poll(NULL, 0, 20);
	}
	send_request(c, op, name, args, false);
	flush_out(c);
	end = wsl_now_ms() + REPLY_MS;
	while (c->fd >= 0 && c->nq > 0) {
		check_deadline();
		now = wsl_now_ms();
		if (now >= end) {
			check_late(c, now);
			return (NULL);
		}
		p.fd = c->fd;
		p.events = POLLIN | (c->outlen > c->outoff ? POLLOUT : 0);
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		if (p.revents & POLLOUT)
			flush_out(c);
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			read_client(c);
	}
	r = c->last;
	c->last = NULL;
	return (r);
}

static const char *
reply_error(json_t *r)
{
	const char *e = json_string_value(json_object_get(r, "error"));

	return (e != NULL ? e : "S_OK");
}

static const char *
reply_state(json_t *r)
{
	return (json_string_value(json_object_get(json_object_get(r,
	    "arguments"), "state")));
}

static void
pause_ms(int ms)
{
	poll(NULL, 0, ms);
}

/* Empty the configuration and reload until no reload is in progress. */
static bool
final_reload(void)
{
	long long end = wsl_now_ms() + SETTLE_MS;
	const char *text;
	json_t *r;

	write_config(0);
	for (;;) {
		if ((r = call(OP_RELOAD, -1, NULL)) == NULL)
			return (false);
		text = json_string_value(json_object_get(r, "text"));
		if (verbose)
			printf("# final reload: %s: %s\n", reply_error(r), text);
		if (strcmp(reply_error(r), "WS_E_INVALID_OPERATION") != 0 ||
		    text == NULL || strstr(text, "in progress") == NULL) {
			json_decref(r);
			return (true);
		}
		json_decref(r);
		if (wsl_now_ms() >= end) {
			violation("reload: still \"in progress\" after %d s",
			    SETTLE_MS / 1000);
			return (true);
		}
		pause_ms(50);
	}
}

/* Bring a name to freed: close it if it is open or faulted, then free,
 * again while a close's channels finish; OPENING and CLOSING settle on
 * their own. */
static bool
final_free(int i)
{
	long long end = wsl_now_ms() + SETTLE_MS;
	const char *e, *s;
	char last[300] = "";
	json_t *r;

	for (;;) {
		if ((r = call(OP_STATUS, i, json_pack("{s:s}", "name",
		    names[i]))) == NULL)
			return (false);
		e = reply_error(r);
		s = reply_state(r);
		snprintf(last, sizeof(last), "status %s %s", e, s != NULL ? s :
		    "-");
		if (strcmp(e, "ERROR_NOT_FOUND") == 0) {
			json_decref(r);
			return (true);
		}
		if (s != NULL && (strcmp(s, "OPEN") == 0 ||
		    strcmp(s, "FAULTED") == 0)) {
			json_decref(r);
			if ((r = call(OP_CLOSE, i, json_pack("{s:s}", "name",
			    names[i]))) == NULL)
				return (false);
			e = reply_error(r);
			if (strcmp(e, "S_OK") != 0 &&
			    strcmp(e, "WS_E_OPERATION_ABORTED") != 0)
				violation("the final close of %s: %s (\"%s\")",
				    names[i], e, json_string_value(
				    json_object_get(r, "text")));
		} else if (s != NULL && (strcmp(s, "CREATED") == 0 ||
		    strcmp(s, "CLOSED") == 0)) {
			json_decref(r);
			if ((r = call(OP_FREE, i, json_pack("{s:s}", "name",
			    names[i]))) == NULL)
				return (false);
			e = reply_error(r);
			snprintf(last, sizeof(last), "free %s (\"%s\")", e,
			    json_string_value(json_object_get(r, "text")));
			if (strcmp(e, "S_OK") == 0 ||
			    strcmp(e, "ERROR_NOT_FOUND") == 0) {
				json_decref(r);
				return (true);
			}
		}
		json_decref(r);
		if (wsl_now_ms() >= end) {
			violation("stuck: %s could not be freed within %d s "
			    "(last: %s)", names[i], SETTLE_MS / 1000, last);
			return (true);
		}
		pause_ms(20);
	}
}

static void
final_checks(void)
{
	json_t *r, *ls;
	char left[256] = "";
	size_t k;
	int i;

	if (!final_reload())
		return;
	for (i = 0; i < nnames; i++)
		if (!final_free(i))
			return;
	if ((r = call(OP_LIST, -1, NULL)) == NULL)
		return;
	ls = json_object_get(json_object_get(r, "arguments"), "listeners");
	for (k = 0; k < json_array_size(ls); k++)
		snprintf(left + strlen(left), sizeof(left) - strlen(left),
		    " %s", json_string_value(json_object_get(
		    json_array_get(ls, k), "name")));
	if (json_array_size(ls) > 0)
		violation("list is not empty at the end:%s", left);
	json_decref(r);
}

/*
 * The log: every "listener 'NAME': FROM -> TO (OPERATION ...)" line
 * written during the run must be an edge that OPERATION can make (wsld
 * logs each change the listener core made, one line each).
 */
static const struct {
	const char *op;
	int from, to;
} edges[] = {
	{ "open", WS_CREATED, WS_OPENING },
	{ "open", WS_OPENING, WS_OPEN },
	{ "open", WS_OPENING, WS_CREATED },
	{ "open", WS_OPENING, WS_FAULTED },
	{ "close", WS_CREATED, WS_CLOSED },
	{ "close", WS_OPEN, WS_CLOSING },
	{ "close", WS_FAULTED, WS_CLOSING },
	{ "close", WS_CLOSING, WS_CLOSED },
	{ "abort", WS_OPEN, WS_FAULTED },
	{ "reset", WS_CLOSED, WS_CREATED },
	{ "restore", WS_CREATED, WS_FAULTED },
	{ "restore", WS_CREATED, WS_CLOSED },
};

static long long
file_size(const char *path)
{
	struct stat st;

	return (stat(path, &st) == 0 ? (long long)st.st_size : -1);
}

/* The state name at *p, which it passes. */
static int
parse_state(const char **p)
{
	int i;
	size_t n;

	for (i = 0; i <= WS_CLOSED; i++) {
		n = strlen(wsl_state_name(i));
		if (strncmp(*p, wsl_state_name(i), n) == 0 &&
		    ((*p)[n] == ' ' || (*p)[n] == '\0')) {
			*p += n;
			return (i);
		}
	}
	return (-1);
}

static void
check_log(bool tail)
{
	char *line = NULL, op[32], *last[5] = { NULL };
	static struct {
		char op[32];
		int from, to;
		long n;
		char first[300];
	} kinds[32];
	size_t nlast = 0, nkinds = 0;
	const char *p, *q;
	long changes = 0, bad = 0;
	size_t cap = 0, k, n;
	ssize_t len;
	int from, to;
	FILE *f;
	bool legal;

	if (log_path == NULL || log_offset < 0)
		return;
	if ((f = fopen(log_path, "r")) == NULL ||
	    fseek(f, (long)log_offset, SEEK_SET) < 0) {
		violation("the log %s: %s", log_path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		/* wsld is gone: what it said last. */
		if (tail) {
			free(last[nlast % 5]);
			last[nlast++ % 5] = strdup(line);
		}
		if ((p = strstr(line, "listener '")) == NULL ||
		    (q = strstr(p + 10, "': ")) == NULL)
			continue;
		p = q + 3;
		if ((from = parse_state(&p)) < 0 || strncmp(p, " -> ", 4) != 0)
			continue;
		p += 4;
		if ((to = parse_state(&p)) < 0 || strncmp(p, " (", 2) != 0)
			continue;
		p += 2;
		n = strcspn(p, " )");
		if (n == 0 || n >= sizeof(op))
			continue;
		memcpy(op, p, n);
		op[n] = '\0';
		changes++;
		legal = false;
		for (k = 0; k < sizeof(edges) / sizeof(edges[0]); k++)
			if (strcmp(edges[k].op, op) == 0 &&
			    edges[k].from == from && edges[k].to == to)
				legal = true;
		if (legal)
			continue;
		bad++;
		/* One line per kind: the same race makes many. */
		for (k = 0; k < nkinds; k++)
			if (strcmp(kinds[k].op, op) == 0 &&
			    kinds[k].from == from && kinds[k].to == to)
				break;
		if (k == nkinds && nkinds < sizeof(kinds) / sizeof(kinds[0])) {
			snprintf(kinds[k].op, sizeof(kinds[k].op), "%s", op);
			kinds[k].from = from;
			kinds[k].to = to;
			kinds[k].n = 0;
			snprintf(kinds[k].first, sizeof(kinds[k].first), "%s",
			    line);
			nkinds++;
		}
		if (k < nkinds)
			kinds[k].n++;
	}
	for (k = 0; k < nkinds; k++) {
		violation("log: %s -> %s is not an edge that %s makes (%ld "
		    "lines), the first: %s", wsl_state_name(kinds[k].from),
		    wsl_state_name(kinds[k].to), kinds[k].op, kinds[k].n,
		    kinds[k].first);
		violations += kinds[k].n - 1; /* every line counts */
	}
	free(line);
	fclose(f);
	for (k = nlast > 5 ? nlast - 5 : 0; k < nlast; k++) {
		printf("# wsld's log: %s\n", last[k % 5] != NULL ?
		    last[k % 5] : "");
		free(last[k % 5]);
	}
	printf("# log: %ld state changes, %ld impossible\n", changes, bad);
	/* A log that says nothing proves nothing (a wrong path, a new
	 * format the parser no longer reads). */
	if (changes == 0 && requests > 0)
		violation("log: no state change found in %s", log_path);
}

static void
summary_and_exit(void)
{
	int op, i;

	atomic_store(&load_stop, 1); /* at the deadline they may still run */
	for (op = 0; op < OP__COUNT; op++) {
		if (op == OP_SIGHUP || ncounts[op] == 0)
			continue;
		printf("# counts: %s", ops[op].name);
		for (i = 0; i < ncounts[op]; i++)
			printf(" %s=%ld", counts[op][i].what, counts[op][i].n);
		putchar('\n');
	}
	printf("# counts: sighup sent=%lld\n", sighups);
	printf("# walked away from %lld pending requests; wsld closed %lld idle "
	    "connections\n", abandoned, idle_closes);
	if (shown > MAX_SHOWN)
		printf("# ... %ld more violations not shown\n",
		    shown - MAX_SHOWN);
	printf("wsl-stress: %lld requests, %ld violations\n", requests,
	    violations);
	fflush(stdout);
	exit(violations > 0 ? 1 : 0);
}

/* -x: leave these commands out of the chaos. */
static void
exclude(char *list)
{
	char *w;
	int i;

	while ((w = strsep(&list, ",")) != NULL) {
		for (i = 0; i < OP__COUNT; i++)
			if (strcmp(ops[i].name, w) == 0)
				break;
		if (i == OP__COUNT)
			usage();
		ops[i].weight = 0;
	}
	for (i = 0; i < OP__COUNT; i++)
		if (ops[i].weight > 0)
			return;
	usage();
}

static long long
number(const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi)
		usage();
	return (v);
}

int
main(int argc, char **argv)
{
	struct load loads[2];
	bool seeded = false;
	char *end;
	int ch, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((ch = getopt(argc, argv, "s:c:p:S:d:n:N:l:x:v")) != -1) {
		switch (ch) {
		case 's':
			sock_path = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'p':
			wsld_pid = (pid_t)number(optarg, 1, INT32_MAX);
			break;
		case 'S':
			errno = 0;
			seed = strtoull(optarg, &end, 0);
			if (errno != 0 || *optarg == '\0' || *end != '\0')
				usage();
			seeded = true;
			break;
		case 'd':
			duration_ms = number(optarg, 0, 3600 * 1000);
			break;
		case 'n':
			nclients = (int)number(optarg, 1, MAX_CLIENTS);
			break;
		case 'N':
			nnames = (int)number(optarg, 1, MAX_NAMES);
			break;
		case 'l':
			log_path = optarg;
			break;
		case 'x':
			exclude(optarg);
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || sock_path == NULL || config_path == NULL ||
	    wsld_pid == 0)
		usage();
	if (!seeded)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	rng = seed;
	printf("# seed %" PRIu64 "\n", seed);
	signal(SIGPIPE, SIG_IGN);
	start_ms = wsl_now_ms();
	deadline_ms = start_ms + duration_ms + SLACK_MS;
	signal(SIGALRM, on_alarm);
	alarm((unsigned int)((duration_ms + SLACK_MS) / 1000 + 5));
	if (log_path != NULL && (log_offset = file_size(log_path)) < 0) {
		fprintf(stderr, "wsl-stress: %s: %s\n", log_path,
		    strerror(errno));
		return (2);
	}
	for (i = 0; i < nnames; i++) {
		if ((ports[i] = free_port()) < 0) {
			fprintf(stderr, "wsl-stress: no free port: %s\n",
			    strerror(errno));
			return (2);
		}
		snprintf(names[i], sizeof(names[i]), "n%d", i);
		snprintf(urls[i], sizeof(urls[i]), "net.tcp://127.0.0.1:%d/",
		    ports[i]);
		printf("# %s: %s\n", names[i], urls[i]);
	}
	printf("# %d clients, %d names, %lld ms\n", nclients, nnames,
	    duration_ms);
	for (i = 0; i < nclients; i++) {
		clients[i].fd = -1;
		clients[i].next = start_ms + between(0, 20);
	}
	memset(loads, 0, sizeof(loads));
	for (i = 0; i < 2; i++) {
		loads[i].first = i % nnames;
		if (pthread_create(&loads[i].th, NULL, load_thread,
		    &loads[i]) != 0) {
			fprintf(stderr, "wsl-stress: pthread_create failed\n");
			return (2);
		}
	}

	run_clients(true);
	/* Nothing new: every reply still due must come. */
	atomic_store(&load_stop, 1);
	if (!gone)
		run_clients(false);
	for (i = 0; i < 2; i++)
		pthread_join(loads[i].th, NULL);
	printf("# load: ok=%ld empty=%ld refused=%ld reset=%ld timeout=%ld "
	    "other=%ld\n", loads[0].ok + loads[1].ok, loads[0].empty +
	    loads[1].empty, loads[0].refused + loads[1].refused,
	    loads[0].reset + loads[1].reset, loads[0].timeout +
	    loads[1].timeout, loads[0].other + loads[1].other);
	for (i = 0; i < nclients; i++)
		drop(&clients[i]);
	if (!gone)
		final_checks();
	drop(&final_client);
	printf("# port races (WS_E_ADDRESS_IN_USE): open %ld, create %ld\n",
	    counted(OP_OPEN, "WS_E_ADDRESS_IN_USE"),
	    counted(OP_CREATE, "WS_E_ADDRESS_IN_USE"));
	check_log(gone);
	summary_and_exit();
}
