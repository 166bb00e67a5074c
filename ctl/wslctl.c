/* SPDX-License-Identifier: ISC */
/*
 * wslctl: the control client of wsld.  It sends one request, waits for
 * its reply, prints it and exits with the reply's result: 0 success,
 * 1 failure, 2 usage or bad request, 3 wsld unreachable, 4 wrong state,
 * 5 no such listener, 6 denied, 124 timed out.
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

static struct ctl_opts opts = { NULL, false, false, -1 };

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

/* Wait for fd to be ready until the deadline (-1: none); false on timeout. */
static bool
wait_for(int fd, short events, long long deadline)
{
	struct pollfd p = { fd, events, 0 };
	long long left;
	int r;

	do {
		left = deadline < 0 ? -1 : deadline - wsl_now_ms();
		if (deadline >= 0 && left < 0)
			left = 0;
		r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
	} while (r < 0 && errno == EINTR);
	return (r > 0);
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
exchange(int fd, const char *req, size_t len, long long deadline, int *rfd,
    size_t *rlen, const char *what)
{
	char *buf = NULL, *nl, *p;
	size_t have = 0, cap = 0;
	int send_err = 0;
	ssize_t n;

	while (len > 0) {
		if (!wait_for(fd, POLLOUT, deadline))
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
		if (!wait_for(fd, POLLIN, deadline))
			timed_out(what);
		n = wsl_recv_fd(fd, buf + have, cap - have - 1, rfd);
		if (n < 0 && errno == EINTR)
			continue;
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

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[PATH_MAX], asked[256], what[256 * WSL_ESCAPE_MAX], *line,
	    *reply, *end, **command = NULL;
	const struct ctl_cmd *c;
	struct wsl_reply r;
	struct wsl_err err;
	json_t *args, *req;
	size_t len, rlen;
	long long deadline;
	double secs;
	int ch, fd, rfd = -1, status;
	bool accepting;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "+s:jqt:Vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			opts.socket = optarg;
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
	if (argc < 1) {
		ctl_usage(stderr);
		return (CTL_EXIT_USAGE);
	}
	if ((c = ctl_cmd_find(argv[0])) == NULL) {
		fprintf(stderr, "wslctl: unknown command '%s'\n", argv[0]);
		ctl_usage(stderr);
		return (CTL_EXIT_USAGE);
	}
	if ((args = c->build(argc - 1, argv + 1, c)) == NULL)
		return (CTL_EXIT_USAGE);
	/* accept NAME -- COMMAND...: args_accept has checked the "--";
	 * what follows it, another "--" included, is the command's. */
	if (strcmp(c->verb, "accept") == 0 && argc > 3)
		command = argv + 3;
	/* Waiting commands: the daemon itself answers "timed out". */
	if (c->waits == CTL_TIMED && opts.timeout_ms >= 0 && c->command != NULL)
		json_object_set_new(args, "timeout-ms",
		    json_integer(opts.timeout_ms));
	if (opts.timeout_ms < 0 && c->waits == CTL_QUICK)
		opts.timeout_ms = DEFAULT_TIMEOUT_MS;
	deadline = opts.timeout_ms < 0 ? -1 : wsl_now_ms() + opts.timeout_ms +
	    (c->waits == CTL_TIMED ? TIMEOUT_GRACE_MS : 0);
	snprintf(asked, sizeof(asked), "%s%s%s", c->command != NULL ? argv[0] :
	    argc > 1 ? argv[1] : "call",
	    json_object_get(args, "name") != NULL ? " " : "",
	    json_object_get(args, "name") != NULL ?
		json_string_value(json_object_get(args, "name")) : "");
	/* Errors quote it: a script may have passed on what a peer sent. */
	wsl_escape_controls(asked, what, sizeof(what));

	if (opts.socket == NULL)
		opts.socket = getenv("WSLCTL_SOCKET");
	if (opts.socket == NULL || *opts.socket == '\0') {
		if (wsl_default_socket_path(path, sizeof(path)) < 0) {
			fprintf(stderr, "wslctl: the default socket path is "
			    "too long; use -s\n");
			return (CTL_EXIT_USAGE);
		}
		opts.socket = path;
	}
	req = wsl_request_new(NULL, c->command != NULL ? c->command : argv[1],
	    args);
	if (req == NULL || (line = wsl_encode(req, &len)) == NULL) {
		fprintf(stderr, "wslctl: out of memory\n");
		return (1);
	}
	json_decref(req);
	fd = connect_daemon(opts.socket);
	reply = exchange(fd, line, len, deadline, &rfd, &rlen, what);
	free(line);
	close(fd);
	if (wsl_hr_failed(wsl_reply_decode(reply, rlen, &r, &err))) {
		fprintf(stderr, "wslctl: %s: unreadable reply from wsld: %s\n",
		    what, err.text);
		wsl_reply_clear(&r);
		free(reply);
		if (rfd >= 0)
			close(rfd);
		return (1);
	}
	accepting = strcmp(c->verb, "accept") == 0;
	/* -j prints the reply's own bytes: JSON-escaped. */
	defang_reply(&r, strcmp(c->verb, "metrics") == 0 ? "metrics" : NULL);
	if (opts.json) {
		/* As it came; accept keeps stdout for the connection. */
		fprintf(accepting ? stderr : stdout, "%.*s\n", (int)rlen, reply);
		fflush(accepting ? stderr : stdout);
	}
	status = r.result >= 0 && r.result < 256 ? r.result : 1;
	if (wsl_hr_failed(r.hr) || status != 0) {
		print_error(what, &r);
		if (status == 0)
			status = 1;
		if (rfd >= 0)
			close(rfd);
	} else if (accepting) {
		if (rfd < 0) {
			fprintf(stderr, "wslctl: %s: the reply carried no "
			    "descriptor\n", what);
			status = 1;
		} else
			status = ctl_accept_run(rfd, &r, command);
	} else {
		if (rfd >= 0)
			close(rfd);
		if (!opts.quiet && !opts.json)
			c->print(&r);
	}
	wsl_reply_clear(&r);
	free(reply);
	return (status);
}
