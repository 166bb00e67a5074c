/* SPDX-License-Identifier: ISC */
/*
 * wsld: the listener daemon.  The main thread runs the control loop
 * (control socket, signals, start-up and shutdown); every listener runs
 * its own loop on its own thread (daemon/ws-loop.c).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
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
#include "fdstore.h"
#include "handler.h"
#include "inject.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "registry.h"
#include "reload.h"
#include "saved-state.h"
#include "watchdog.h"

#define SHUTDOWN_GRACE_MS 30000

static struct {
	const char *config;
	const char *control_socket;
	const char *pipe_dir;
	bool foreground, check_only, fd_store, fault_injection;
	int verbose;
} opt;

static int ready_fd = -1;       /* to the waiting parent, when detached */
static bool shutting_down;
static struct event *grace_ev;
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

/* Start-up is over: tell whoever waits (systemd, or the parent we
 * detached from).  Failures were logged with their reasons; a listener
 * that could not open stays CREATED with its last error. */
static void
started(HRESULT hr, const char *text, json_t *outcomes, void *arg)
{
	char status[256];

	(void)outcomes;
	(void)arg;
	if (FAILED(hr))
		log_warnx("start: %s", text);
	activation_discard_rest();
	json_decref(saved);
	saved = NULL;
	notify_ready();
	if (ready_fd >= 0) {
		(void)write(ready_fd, "", 1);
		close(ready_fd);
		ready_fd = -1;
	}
	notify_summary(status, sizeof(status));
	log_info("ready: %s", status);
}

/*
 * Shutdown: abort what is opening, close what is open or faulted, wait
 * for what is closing; once every listener is CREATED or CLOSED (and no
 * reload or replaced listener is still busy), save the state for the next
 * wsld when sockets are handed over, free them all and leave the loop.
 * Runs again at every state change.
 */
static void
shutdown_step(void)
{
	struct wsld_listener **all;
	WSL_ABORT_RESULT r;
	struct wsl_err err;
	WS_LISTENER_STATE s;
	json_t *doc;
	size_t n, i;
	bool busy = reload_busy() || config_apply_busy();

	if ((all = registry_sorted(&n)) == NULL)
		fatalx("out of memory");
	for (i = 0; i < n; i++) {
		s = listener_state(all[i]);
		if (s == WS_LISTENER_STATE_OPENING)
			(void)listener_abort(all[i], &r, "at shutdown");
		else if (s == WS_LISTENER_STATE_OPEN ||
		    s == WS_LISTENER_STATE_FAULTED)
			listener_close(all[i], NULL, NULL, "at shutdown");
	}
	/* Only now: a close may have finished (or not) in the meantime, and
	 * its answer must have been handled before the listener goes. */
	for (i = 0; i < n; i++) {
		s = listener_state(all[i]);
		if (all[i]->ops > 0 || (s != WS_LISTENER_STATE_CREATED &&
		    s != WS_LISTENER_STATE_CLOSED))
			busy = true;
	}
	if (!busy && fdstore_enabled()) {
		doc = saved_state_new();
		for (i = 0; i < n; i++)
			saved_state_add(doc, all[i], all[i]->state_at_stop);
		if (fdstore_put_state(doc) == 0)
			log_info("fd store: the state of %zu listeners saved "
			    "for the next start", n);
		json_decref(doc);
	}
	if (!busy)
		for (i = 0; i < n; i++)
			if (listener_free(all[i], &err, "at shutdown") != S_OK)
				busy = true;
	registry_free_sorted(all, n);
	if (!busy && registry_count() == 0)
		event_base_loopbreak(control_base);
}

static void
state_changed(struct wsld_listener *l)
{
	waiters_check(l);
	fdstore_sync(l);
	config_apply_changed(l);
	notify_status();
	if (shutting_down)
		shutdown_step();
}

static void
grace_expired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_warnx("shutdown: listeners did not close within %d ms; exiting",
	    SHUTDOWN_GRACE_MS);
	exit(1);
}

static void
reloaded(HRESULT hr, const char *text, json_t *result, void *arg)
{
	(void)hr;
	(void)text;
	(void)result;
	(void)arg;
	if (shutting_down)
		shutdown_step();
}

/*
 * Going down.  Sockets that outlive wsld are handed over, with the
 * connections queued on them: those of socket units always, and with the
 * fd store every open one.  The others close as documented: queued
 * connections closed, channels given CLOSE_TIMEOUT.
 */
static void
stop(void)
{
	struct timeval tv = { SHUTDOWN_GRACE_MS / 1000, 0 };
	struct wsld_listener **all;
	size_t n, i;

	if ((all = registry_sorted(&n)) == NULL)
		fatalx("out of memory");
	for (i = 0; i < n; i++) {
		all[i]->state_at_stop = listener_state(all[i]);
		if (all[i]->state_at_stop == WS_LISTENER_STATE_OPEN &&
		    (fdstore_enabled() || all[i]->adopt_keep))
			(void)WslHandOverListener(all[i]->ws);
	}
	registry_free_sorted(all, n);
	if (fdstore_enabled())
		fdstore_hand_over();
	notify_stopping();
	shutting_down = true;
	watchdog_stop();
	control_shutdown();
	grace_ev = evtimer_new(control_base, grace_expired, NULL);
	evtimer_add(grace_ev, &tv);
	shutdown_step();
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct wsl_err err;

	(void)what;
	(void)arg;
	if (shutting_down)
		return;
	if (sig == SIGHUP) {
		if (reload_start("by SIGHUP", reloaded, NULL, &err) < 0)
			log_warnx("SIGHUP: %s", err.text);
		return;
	}
	log_info("%s: closing every listener", strsignal((int)sig));
	stop();
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
	char sockpath[PATH_MAX], pipedir[PATH_MAX], tmp[PATH_MAX], err[1024];
	char confpath[PATH_MAX];
	const char *config, *env;
	size_t i;
	int fd;

	parse_args(argc, argv);
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
		fprintf(stderr, "wsld: %s\n", err);
		return (1);
	}
	if (opt.check_only) {
		printf("wsld: %s: configuration OK (%zu listeners)\n",
		    config != NULL ? config : "(none)",
		    conf.listeners != NULL ? json_object_size(conf.listeners) : 0);
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
	WslInitialize(); /* before any base: listener loops signal ours */
	if ((control_base = event_base_new()) == NULL)
		fatalx("cannot create the control event loop");
	registry_init(control_base, state_changed);
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
	if (activation_init() > 0 &&
	    (fd = activation_take(FDSTORE_STATE_NAME)) >= 0)
		saved = fdstore_read_state(fd);
	if ((fd = activation_take_unix(sockpath)) >= 0) {
		if (control_adopt(control_base, fd) < 0)
			return (1);
	} else if (control_listen(control_base, sockpath, conf.control_group,
	    false) < 0)
		return (1);
	if (conf.read_only_socket != NULL && control_listen(control_base,
	    conf.read_only_socket, NULL, true) < 0)
		return (1);
	access_configure(conf.access);
	if (config != NULL)
		control_set_limits((size_t)conf.max_clients,
		    conf.request_timeout_ms);
	log_info("wsld %s: control socket %s%s, pipe directory %s%s",
	    PACKAGE_VERSION, sockpath, fd >= 0 ? " (from systemd)" : "",
	    pipedir, fdstore_enabled() ? ", fd store" : "");
	reload_init(config, sockpath, pipedir);
	no_listeners = json_object();
	config_apply(conf.listeners != NULL ? conf.listeners : no_listeners,
	    saved, "at start", started, NULL);
	(void)watchdog_start(control_base);
	event_base_dispatch(control_base);

	conf_free(&conf);
	json_decref(no_listeners);
	watchdog_stop();
	control_free();
	handler_exec_cleanup();
	for (i = 0; i < 3; i++)
		event_free(sigev[i]);
	if (grace_ev != NULL)
		event_free(grace_ev);
	event_base_free(control_base);
	log_info("stopped");
	return (0);
}
