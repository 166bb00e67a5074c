/* SPDX-License-Identifier: ISC */
/*
 * wslctl: the control client of wsld.  It sends one request, waits for
 * its reply, prints it and exits with the reply's result: 0 success,
 * 1 failure, 2 usage or bad request, 3 wsld unreachable, 4 wrong state,
 * 5 no such listener, 6 denied, 124 timed out.
 *
 * The transport is a socket: the control socket, or with -H HOST one end
 * of a socket pair whose other end is ssh's standard input and output
 * (ctl-remote.c), so the exchange is the same either way.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#define DEFAULT_TIMEOUT_MS 30000
#define TIMEOUT_GRACE_MS 2000 /* let the daemon say "timed out" first */

struct ctl_opts opts = { NULL, false, false, -1 };

/* The connection to wsld: its socket, and ssh when it is remote. */
struct ctl_conn {
	int fd;
	struct ctl_remote *remote;
};

/* The request, the same for every host. */
static const struct ctl_cmd *cmd;
static char *req_line, **accept_command;
static char **hosts; /* the -H arguments */
static size_t req_len;
static char asked_what[256 * WSL_ESCAPE_MAX]; /* for errors */

static int
connect_daemon(const char *path)
{
	struct sockaddr_un sun;
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "wslctl: socket path %s is too long\n", path);
		exit(CTL_EXIT_USAGE);
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		e = errno;
		fprintf(stderr, "wslctl: cannot reach wsld at %s: %s%s\n", path,
		    strerror(e), e == EACCES ? "" :
		    " (is wsld running? -s or WSLCTL_SOCKET choose the socket)");
		exit(e == EACCES ? CTL_EXIT_DENIED : CTL_EXIT_UNREACHABLE);
	}
	return (fd);
}

/*
 * Wait for the connection to be ready until the deadline (-1: none);
 * false on timeout.  What ssh writes meanwhile is relayed.
 */
static bool
wait_for(const struct ctl_conn *c, short events, long long deadline)
{
	struct pollfd p[2] = { { c->fd, events, 0 }, { -1, POLLIN, 0 } };
	long long left;
	int r;

	for (;;) {
		if (c->remote != NULL)
			p[1].fd = ctl_remote_errfd(c->remote);
		left = deadline < 0 ? -1 : deadline - wsl_now_ms();
		if (deadline >= 0 && left < 0)
			left = 0;
		r = poll(p, p[1].fd >= 0 ? 2 : 1,
		    left > INT_MAX ? INT_MAX : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0 && p[1].fd >= 0 && p[1].revents != 0)
			ctl_remote_drain(c->remote);
		if (r <= 0 || p[0].revents != 0)
			return (r > 0);
	}
}

static void
timed_out(const char *what)
{
	fprintf(stderr, "wslctl: %s: no reply within %lld ms\n", what,
	    opts.timeout_ms);
	exit(CTL_EXIT_TIMEOUT);
}

/* Send the request; read one reply line, and the descriptor it carries. */
static char *
exchange(const struct ctl_conn *c, const char *req, size_t len,
    long long deadline, int *rfd, size_t *rlen, const char *what)
{
	int fd = c->fd;
	char *buf = NULL, *nl, *p;
	size_t have = 0, cap = 0;
	int send_err = 0;
	ssize_t n;

	while (len > 0) {
		if (!wait_for(c, POLLOUT, deadline))
			timed_out(what);
		if ((n = send(fd, req, len, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			/* wsld may have said why before it closed (too many
			 * clients): read that first. */
			send_err = errno;
			break;
		}
		req += n;
		len -= (size_t)n;
	}
	for (;;) {
		if (have + 65536 > cap) {
			cap = cap == 0 ? 65536 * 2 : cap * 2;
			if ((p = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "wslctl: out of memory\n");
				exit(1);
			}
			buf = p;
		}
		if (!wait_for(c, POLLIN, deadline))
			timed_out(what);
		n = wsl_recv_fd(fd, buf + have, cap - have - 1, rfd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 && c->remote != NULL) { /* ssh says why */
			free(buf);
			exit(ctl_remote_failed(c->remote, deadline, what));
		}
		if (n <= 0) {
			if (n < 0 && send_err == 0)
				send_err = errno;
			fprintf(stderr, "wslctl: %s: wsld closed the connection "
			    "without a reply%s%s\n", what, send_err != 0 ?
			    ": " : "", send_err != 0 ? strerror(send_err) : "");
			exit(CTL_EXIT_UNREACHABLE);
		}
		have += (size_t)n;
		/* Only the new bytes: a reply of megabytes comes in many. */
		if ((nl = memchr(buf + have - (size_t)n, '\n', (size_t)n)) != NULL) {
			*rlen = (size_t)(nl - buf);
			return (buf);
		}
	}
}

static void
print_error(const char *what, const struct wsl_reply *r)
{
	char hex[11];

	wsl_hr_format(r->hr, hex);
	fprintf(stderr, "wslctl: %s: %s (%s): %s\n", what,
	    r->error != NULL ? r->error : hex, hex, r->text);
}

/* Resolve the socket of this host: -s, WSLCTL_SOCKET, the default. */
static void
local_socket(void)
{
	static char path[PATH_MAX];

	if (opts.socket == NULL)
		opts.socket = getenv("WSLCTL_SOCKET");
	if (opts.socket == NULL || *opts.socket == '\0') {
		if (wsl_default_socket_path(path, sizeof(path)) < 0) {
			fprintf(stderr, "wslctl: the default socket path is "
			    "too long; use -s\n");
			exit(CTL_EXIT_USAGE);
		}
		opts.socket = path;
	}
}

/*
 * The request against one daemon: this host's (host NULL) or HOST's over
 * ssh; the deadline counts from here, ssh's connection included.  Returns
 * the exit status.
 */
static int
run(const char *host)
{
	struct ctl_conn conn = { -1, NULL };
	struct wsl_reply r;
	struct wsl_err err;
	long long deadline;
	size_t rlen;
	int rfd = -1, status;
	char *reply;
	bool accepting;

	deadline = opts.timeout_ms < 0 ? -1 : wsl_now_ms() + opts.timeout_ms +
	    (cmd->waits == CTL_TIMED ? TIMEOUT_GRACE_MS : 0);
	if (host == NULL)
		conn.fd = connect_daemon(opts.socket);
	else
		conn.fd = ctl_remote_start(host, opts.socket, &conn.remote);
	reply = exchange(&conn, req_line, req_len, deadline, &rfd, &rlen,
	    asked_what);
	close(conn.fd);
	if (conn.remote != NULL)
		ctl_remote_done(conn.remote, deadline);
	if (wsl_hr_failed(wsl_reply_decode(reply, rlen, &r, &err))) {
		fprintf(stderr, "wslctl: %s: unreadable reply from wsld: %s\n",
		    asked_what, err.text);
		wsl_reply_clear(&r);
		free(reply);
		if (rfd >= 0)
			close(rfd);
		return (1);
	}
	accepting = strcmp(cmd->verb, "accept") == 0;
	/* -j prints the reply's own bytes: JSON-escaped. */
	defang_reply(&r, strcmp(cmd->verb, "metrics") == 0 ? "metrics" : NULL);
	if (opts.json) {
		/* As it came; accept keeps stdout for the connection. */
		fprintf(accepting ? stderr : stdout, "%.*s\n", (int)rlen, reply);
		fflush(accepting ? stderr : stdout);
	}
	status = r.result >= 0 && r.result < 256 ? r.result : 1;
	if (wsl_hr_failed(r.hr) || status != 0) {
		/* A reload applied but not everywhere says where it was. */
		if (cmd->print == print_reload && !opts.quiet && !opts.json)
			print_reload_listeners(&r);
		print_error(asked_what, &r);
		if (status == 0)
			status = 1;
		if (rfd >= 0)
			close(rfd);
	} else if (accepting) {
		if (rfd < 0) {
			fprintf(stderr, "wslctl: %s: the reply carried no "
			    "descriptor\n", asked_what);
			status = 1;
		} else
			status = ctl_accept_run(rfd, &r, accept_command);
	} else {
		if (rfd >= 0)
			close(rfd);
		if (!opts.quiet && !opts.json)
			cmd->print(&r);
	}
	wsl_reply_clear(&r);
	free(reply);
	fflush(stdout);
	return (status);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "host", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "bridge", no_argument, NULL, 'B' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char asked[256], *end, dest[512], port[8];
	const char *why, *near;
	json_t *args, *req;
	size_t nhosts = 0;
	double secs;
	int ch, i, j;
	bool bridge = false;

	signal(SIGPIPE, SIG_IGN);
	if ((hosts = calloc((size_t)argc + 1, sizeof(*hosts))) == NULL) {
		fprintf(stderr, "wslctl: out of memory\n");
		return (1);
	}
	while ((ch = getopt_long(argc, argv, "+s:H:jqt:Vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			opts.socket = optarg;
			break;
		case 'H':
			if ((why = ctl_host_parse(optarg, dest, sizeof(dest),
			    port, sizeof(port))) != NULL) {
				wsl_escape_controls(optarg, asked_what,
				    sizeof(asked_what));
				fprintf(stderr, "wslctl: -H %s: %s; expected "
				    "[USER@]HOST[:PORT]\n", asked_what, why);
				return (CTL_EXIT_USAGE);
			}
			hosts[nhosts++] = optarg;
			break;
		case 'j':
			opts.json = true;
			break;
		case 'q':
			opts.quiet = true;
			break;
		case 't':
			secs = strtod(optarg, &end);
			if (*end != '\0' || end == optarg || secs < 0 ||
			    secs > 31536000) {
				fprintf(stderr, "wslctl: -t needs seconds, not "
				    "'%s'\n", optarg);
				return (CTL_EXIT_USAGE);
			}
			opts.timeout_ms = (long long)(secs * 1000);
			break;
		case 'B':
			bridge = true;
			break;
		case 'V':
			printf("wslctl %s\n", PACKAGE_VERSION);
			return (0);
		case 'h':
			ctl_usage(stdout);
			return (0);
		default:
			ctl_usage(stderr);
			return (CTL_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (bridge) {
		/* On the far side of -H: ssh's stdio to the control socket. */
		if (argc > 0 || nhosts > 0) {
			fprintf(stderr, "wslctl: --bridge takes no command "
			    "and no -H\nusage: wslctl --bridge [-s socket]\n");
			return (CTL_EXIT_USAGE);
		}
		local_socket();
		return (ctl_bridge(connect_daemon(opts.socket)));
	}
	if (argc < 1) {
		ctl_usage(stderr);
		return (CTL_EXIT_USAGE);
	}
	if ((cmd = ctl_cmd_find(argv[0])) == NULL) {
		char shown[64 * WSL_ESCAPE_MAX];

		wsl_escape_controls(argv[0], shown, sizeof(shown));
		fprintf(stderr, "wslctl: unknown command '%.*s'", 64, shown);
		if ((near = ctl_cmd_nearest(argv[0])) != NULL)
			fprintf(stderr, "; did you mean '%s'?", near);
		fputc('\n', stderr);
		ctl_usage(stderr);
		return (CTL_EXIT_USAGE);
	}
	/* -j and -q after the command too (wslctl list -j), up to a "--"
	 * (what follows is accept's command's). */
	for (i = 1, j = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--json") == 0)
			opts.json = true;
		else if (strcmp(argv[i], "-q") == 0 ||
		    strcmp(argv[i], "--quiet") == 0)
			opts.quiet = true;
		else
			argv[j++] = argv[i];
	}
	argc = j;
	/* The descriptor an accept receives cannot cross hosts. */
	if (nhosts > 0 && (strcmp(cmd->verb, "accept") == 0 ||
	    (cmd->command == NULL && argc > 1 &&
	    strcmp(argv[1], "accept") == 0))) {
		fprintf(stderr, "wslctl: accept cannot work over -H: the "
		    "connection's descriptor cannot cross hosts; run it on "
		    "the host itself (ssh HOST wslctl accept NAME -- "
		    "COMMAND)\n");
		return (CTL_EXIT_USAGE);
	}
	if ((args = cmd->build(argc - 1, argv + 1, cmd)) == NULL)
		return (CTL_EXIT_USAGE);
	/* accept NAME -- COMMAND...: args_accept has checked the "--";
	 * what follows it, another "--" included, is the command's. */
	if (strcmp(cmd->verb, "accept") == 0 && argc > 3)
		accept_command = argv + 3;
	/* Waiting commands: the daemon itself answers "timed out". */
	if (cmd->waits == CTL_TIMED && opts.timeout_ms >= 0 &&
	    cmd->command != NULL)
		json_object_set_new(args, "timeout-ms",
		    json_integer(opts.timeout_ms));
	if (opts.timeout_ms < 0 && cmd->waits == CTL_QUICK)
		opts.timeout_ms = DEFAULT_TIMEOUT_MS;
	snprintf(asked, sizeof(asked), "%s%s%s", cmd->command != NULL ?
	    argv[0] : argc > 1 ? argv[1] : "call",
	    json_object_get(args, "name") != NULL ? " " : "",
	    json_object_get(args, "name") != NULL ?
		json_string_value(json_object_get(args, "name")) : "");
	/* Errors quote it: a script may have passed on what a peer sent. */
	wsl_escape_controls(asked, asked_what, sizeof(asked_what));

	/* With -H, -s names the socket there, and only -s: WSLCTL_SOCKET
	 * and the default are this host's. */
	if (nhosts == 0)
		local_socket();
	req = wsl_request_new(NULL, cmd->command != NULL ? cmd->command :
	    argv[1], args);
	if (req == NULL || (req_line = wsl_encode(req, &req_len)) == NULL) {
		fprintf(stderr, "wslctl: out of memory\n");
		return (1);
	}
	json_decref(req);
	if (nhosts > 1)
		return (ctl_fleet(hosts, nhosts, opts.json, run));
	return (run(nhosts == 1 ? hosts[0] : NULL));
}
