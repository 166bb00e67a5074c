/* SPDX-License-Identifier: ISC */
/*
 * wsld: the listener daemon.  The main thread runs the control loop
 * (control socket, signals, start-up and shutdown); listeners run on a
 * pool of loop threads (daemon/ws-pool.c, ws-loop.c).  What happens to a
 * listener is lifecycle.c's to tell; this file only starts things and
 * turns signals into a reload or the stop.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "access.h"
#include "activation.h"
#include "conf.h"
#include "config-apply.h"
#include "control.h"
#include "descriptors.h"
#include "fdstore.h"
#include "handler.h"
#include "inject.h"
#include "json-memory.h"
#include "lifecycle.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "notify-send.h"
#include "reload.h"
#include "shutdown.h"
#include "watchdog.h"
#include "wsl-proto.h"

static struct {
	const char *config;
	const char *control_socket;
	const char *pipe_dir;
	bool foreground, check_only, fd_store, fault_injection;
	int verbose;
} opt;

static int ready_fd = -1;       /* to the waiting parent, when detached */
static struct conf conf;
static json_t *saved;           /* what the previous wsld left, or NULL */
static json_t *no_listeners;

static void
usage(FILE *f)
{
	fprintf(f, "usage: wsld [-fnvV] [--fd-store] [--fault-injection] "
	    "[-c file]\n            [-s control-socket] [-p pipe-directory]\n");
}

static void
version(void)
{
	printf("wsld %s (control protocol %d, libevent %s, jansson %s)\n",
	    PACKAGE_VERSION, WSL_PROTO_VERSION, event_get_version(),
	    JANSSON_VERSION);
}

static void
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "control-socket", required_argument, NULL, 's' },
		{ "pipe-directory", required_argument, NULL, 'p' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "fd-store", no_argument, NULL, 'F' },
		{ "fault-injection", no_argument, NULL, 'X' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:fs:p:nvVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			opt.config = optarg;
			break;
		case 'f':
			opt.foreground = true;
			break;
		case 's':
			opt.control_socket = optarg;
			break;
		case 'p':
			opt.pipe_dir = optarg;
			break;
		case 'n':
			opt.check_only = true;
			break;
		case 'F':
			opt.fd_store = true;
			break;
		case 'X':
			opt.fault_injection = true;
			break;
		case 'v':
			opt.verbose++;
			break;
		case 'V':
			version();
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
}

/* Paths from the command line are relative to where wsld was started,
 * not to "/" where it runs once detached. */
static void
absolute(const char *path, char *out, size_t size)
{
	char cwd[PATH_MAX];
	int n;

	if (path[0] == '/')
		n = snprintf(out, size, "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		n = -1;
	else
		n = snprintf(out, size, "%s/%s", cwd, path);
	if (n < 0 || (size_t)n >= size) {
		fprintf(stderr, "wsld: %s: path too long\n", path);
		exit(1);
	}
}

/* Once the start's plan and its answer are freed as well: what the start
 * took at its peak goes back to the system. */
static void
trim_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	malloc_trim(0);
}

/* Start-up is over: tell whoever waits (systemd, or the parent we
 * detached from).  Failures were logged with their reasons; a listener
 * that could not open stays CREATED with its last error. */
static void
started(HRESULT hr, const char *text, json_t *outcomes, void *arg)
{
	char status[256];

	(void)outcomes;
	(void)arg;
	if (FAILED(hr) && text != NULL)
		log_warnx("start: %s", text);
	activation_discard_rest();
	json_decref(saved);
	saved = NULL;
	/* The file has been applied: each listener keeps its definition
	 * (lifecycle.c), nothing else needs the document. */
	conf_free(&conf);
	if (event_base_once(control_base, -1, EV_TIMEOUT, trim_cb, NULL,
	    &(struct timeval){ 0, 0 }) < 0)
		malloc_trim(0);
	notify_ready();
	if (ready_fd >= 0) {
		/* A start cut short by a stop is not a start: the parent,
		 * hearing nothing, exits 1. */
		if (!shutdown_started())
			(void)write(ready_fd, "", 1);
		close(ready_fd);
		ready_fd = -1;
	}
	notify_summary(status, sizeof(status));
	log_info("ready: %s", status);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct wsl_err err;

	(void)what;
	(void)arg;
	if (shutdown_started())
		return;
	if (sig == SIGHUP) {
		/* A refusal is logged by the reload itself. */
		(void)reload_start(actor_signal(ACTOR_NONE, SIGHUP), NULL,
		    NULL, &err);
		return;
	}
	shutdown_start((int)sig);
}

/* libevent's own warnings go where ours go. */
static void
libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
}

/* libevent exits after this; wsld checks before every call that could
 * bring it here, so say so loudly if one ever does. */
static void
libevent_fatal(int err)
{
	log_warnx("libevent: fatal error %d; exiting", err);
}

/* Detach: the parent exits once the child is ready (0) or has failed. */
static void
detach(void)
{
	int p[2], fd;
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		fatal("pipe");
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0)
		fatal("setsid");
	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	(void)chdir("/");
}

int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct event *sigev[3];
	char sockpath[PATH_MAX], pipedir[PATH_MAX], tmp[PATH_MAX], err[1024],
	    shown[sizeof(err) * WSL_ESCAPE_MAX];
	char confpath[PATH_MAX];
	struct access_table *grants;
	struct wsl_err apply_err;
	struct plan *plan;
	const char *config, *env;
	size_t i, n;
	int fd;

	parse_args(argc, argv);
	/* A buffer of 1 MiB or more (a reply to list or metrics: tens of
	 * MB at 10,000 listeners) gets a mapping of its own, given back when
	 * freed.  Left to glibc, the threshold rises to the size of the last
	 * such buffer freed, the next one of that size comes from the heap,
	 * and its pages stay with wsld after it is freed. */
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	/* Descriptors inherited from whoever started wsld must not reach
	 * the commands it runs: close-on-exec for all but stdio. */
	(void)close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
	config = opt.config;
	if (config == NULL && access(WSL_SYSCONFDIR "/wsld/wsld.json", F_OK) == 0)
		config = WSL_SYSCONFDIR "/wsld/wsld.json";
	if (config != NULL) {
		absolute(config, confpath, sizeof(confpath));
		config = confpath;
	}
	if (config != NULL && conf_load(config, &conf, err, sizeof(err)) < 0) {
		wsl_escape_controls(err, shown, sizeof(shown)); /* quotes it */
		fprintf(stderr, "wsld: %s\n", shown);
		return (1);
	}
	if (opt.check_only) {
		n = conf.listeners != NULL ? json_object_size(conf.listeners) :
		    0;
		if (conf.include != NULL)
			printf("wsld: %s: configuration OK (%zu listener%s, "
			    "%zu included file%s)\n", config, n,
			    n == 1 ? "" : "s", conf.included,
			    conf.included == 1 ? "" : "s");
		else
			printf("wsld: %s: configuration OK (%zu listener%s)\n",
			    config != NULL ? config : "(none)", n,
			    n == 1 ? "" : "s");
		conf_free(&conf);
		return (0);
	}

	if (opt.control_socket != NULL)
		absolute(opt.control_socket, sockpath, sizeof(sockpath));
	else if (conf.control_socket != NULL)
		snprintf(sockpath, sizeof(sockpath), "%s", conf.control_socket);
	else if (wsl_default_socket_path(sockpath, sizeof(sockpath)) < 0) {
		fprintf(stderr, "wsld: the default control socket path is too "
		    "long; use -s\n");
		return (1);
	}
	if (opt.pipe_dir != NULL)
		absolute(opt.pipe_dir, pipedir, sizeof(pipedir));
	else if (conf.pipe_directory != NULL)
		snprintf(pipedir, sizeof(pipedir), "%s", conf.pipe_directory);
	else {
		/* By default, net.pipe sockets live next to the control one. */
		snprintf(tmp, sizeof(tmp), "%s", sockpath);
		snprintf(pipedir, sizeof(pipedir), "%s", dirname(tmp));
	}
	listener_set_pipe_dir(pipedir);

	if (!opt.foreground)
		detach();
	log_init(opt.foreground, opt.verbose);
	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(libevent_log);
	event_set_fatal_callback(libevent_fatal);
	WslInitialize(); /* before any base: listener loops signal ours */
	if ((control_base = event_base_new()) == NULL)
		fatalx("cannot create the control event loop");
	if (lifecycle_init(control_base) < 0)
		fatalx("out of memory");
	for (i = 0; i < 3; i++) {
		sigev[i] = evsignal_new(control_base, sigs[i], signal_cb, NULL);
		if (sigev[i] == NULL || event_add(sigev[i], NULL) < 0)
			fatalx("cannot watch signals");
	}
	/* systemd 254+ says how many it stores; older ones need --fd-store. */
	env = getenv("FDSTORE");
	if ((opt.fd_store || (env != NULL && atoi(env) > 0)) &&
	    getenv("NOTIFY_SOCKET") == NULL)
		log_warnx("--fd-store: no service manager to store sockets "
		    "with (NOTIFY_SOCKET is not set); ignored");
	else
		fdstore_enable(opt.fd_store || (env != NULL && atoi(env) > 0));
	inject_enable(opt.fault_injection);
	json_memory_init();
	if (activation_init() > 0)
		saved = fdstore_read_state();
	if ((fd = activation_take_unix(sockpath)) >= 0) {
		if (control_adopt(control_base, fd) < 0)
			return (1);
	} else if (control_listen(control_base, sockpath, conf.control_group,
	    false) < 0)
		return (1);
	if (conf.read_only_socket != NULL && control_listen(control_base,
	    conf.read_only_socket, NULL, true) < 0)
		return (1);
	if ((grants = access_prepare(conf.access)) == NULL)
		fatalx("out of memory");
	access_commit(grants);
	if (config != NULL) {
		control_set_limits((size_t)conf.max_clients,
		    conf.request_timeout_ms);
		descriptors_set_control((size_t)conf.max_clients);
	}
	(void)WslSetLoopCount((ULONG)conf.loops); /* a reload leaves it */
	if (FAILED(WslStartLoops(NULL)))
		fatalx("cannot start the event loops");
	descriptors_init(); /* counting the loops' descriptors as wsld's */
	log_info("wsld %s: control socket %s%s, pipe directory %s%s",
	    PACKAGE_VERSION, sockpath, fd >= 0 ? " (from systemd)" : "",
	    pipedir, fdstore_enabled() ? ", fd store" : "");
	reload_init(config, sockpath, pipedir);
	if ((no_listeners = json_object()) == NULL ||
	    (plan = config_apply_prepare(conf.listeners != NULL ?
	    conf.listeners : no_listeners, saved,
	    actor_internal(ACTOR_START), &apply_err)) == NULL)
		fatalx("start: %s", no_listeners != NULL ? apply_err.text :
		    "out of memory");
	config_apply_start(plan, started, NULL);
	(void)watchdog_start(control_base);
	event_base_dispatch(control_base);

	conf_free(&conf);
	json_decref(no_listeners);
	watchdog_stop();
	control_free();
	handler_exec_cleanup();
	for (i = 0; i < 3; i++)
		event_free(sigev[i]);
	shutdown_end();
	WslEndLoops();
	notify_send_free();
	event_base_free(control_base);
	log_info("stopped");
	return (0);
}
