/* SPDX-License-Identifier: ISC */
/*
 * The exec handler, inetd-style: every channel runs a command with the
 * connection as its standard input and output.
 *
 *   {"type": "exec", "command": ["/usr/bin/prog", "arg"],
 *    "max-channels": 40, "stderr": "inherit" | "null"}
 *
 * Children start with posix_spawn (not fork: the daemon may be large), in
 * a session of their own, with default signal dispositions and an empty
 * signal mask (the loop thread blocks every signal), and no descriptor of
 * the daemon's (everything wsld opens is close-on-exec).  Their
 * environment is wsld's plus WSL_LISTENER, WSL_PEER, WSL_PEER_ADDRESS,
 * WSL_PEER_PORT, WSL_LOCAL_ADDRESS, WSL_LOCAL_PORT, and the UCSPI names
 * PROTO, TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT for TCP.
 * At most max-channels children run at once (default 40, as tcpserver):
 * at the limit the listener stops accepting until one exits.  Each child
 * is reaped through a pidfd watched by the listener's loop, so no zombie
 * is left and no SIGCHLD handler is needed.  Children outlive an abort of
 * their listener; when the listener is freed, the control loop goes on
 * reaping them.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "control.h"
#include "handler-loop.h"
#include "handler.h"
#include "log.h"
#include "listener.h"

#define EXEC_MAX_CHANNELS 40
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

struct child {
	struct exec *x;
	pid_t pid;
	int pidfd;                   /* -1: polled by a timer instead */
	struct event *ev;
	LIST_ENTRY(child) entry;
};

#define POLL_MS 100                  /* without a pidfd (out of descriptors) */

/* Reap pid if it has exited: through its pidfd, or waitpid without one. */
static bool
reaped(pid_t pid, int pidfd, siginfo_t *si)
{
	memset(si, 0, sizeof(*si));
	if (pidfd >= 0)
		return (waitid(P_PIDFD, (id_t)pidfd, si, WEXITED | WNOHANG) < 0 ||
		    si->si_pid != 0);
	return (waitid(P_PID, (id_t)pid, si, WEXITED | WNOHANG) < 0 ||
	    si->si_pid != 0);
}

/* Watch a child for its exit on base: readable pidfd, or a polling timer. */
static struct event *
watch(struct event_base *base, pid_t pid, int pidfd,
    void (*cb)(evutil_socket_t, short, void *), void *arg)
{
	struct timeval tv = { 0, POLL_MS * 1000 };
	struct event *ev;

	(void)pid;
	ev = event_new(base, pidfd, pidfd >= 0 ? EV_READ | EV_PERSIST :
	    EV_PERSIST, cb, arg);
	if (ev != NULL && event_add(ev, pidfd >= 0 ? NULL : &tv) < 0) {
		event_free(ev);
		ev = NULL;
	}
	return (ev);
}

struct exec {
	struct accept_loop loop;
	char **argv;                 /* NULL-terminated */
	bool stderr_null;
	LIST_HEAD(, child) children;
};

static int
pidfd_open_(pid_t pid)
{
	return ((int)syscall(SYS_pidfd_open, pid, 0));
}

/* "127.0.0.1" and "5555" for an address; false for a Unix peer. */
static bool
host_port(const struct sockaddr_storage *ss, char *host, size_t hostlen,
    char *port, size_t portlen)
{
	int p;

	if (!wsl_format_addr((const struct sockaddr *)ss, host, hostlen, &p))
		return (false);
	snprintf(port, portlen, "%d", p);
	return (true);
}

/* Is NAME=... one of the n variables in vars? */
static bool
ours(const char *var, char vars[][INET6_ADDRSTRLEN + 48], size_t n)
{
	size_t i, len = strcspn(var, "=");

	for (i = 0; i < n; i++)
		if (strncmp(var, vars[i], len) == 0 && vars[i][len] == '=')
			return (true);
	return (false);
}

/* wsld's environment plus the channel's variables; the first *own of
 * them are borrowed from environ, the rest are ours to free. */
static char **
child_env(struct accept_loop *a, int fd, const struct sockaddr_storage *peer,
    size_t *own)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	char ph[INET6_ADDRSTRLEN] = "", pp[8] = "", lh[INET6_ADDRSTRLEN] = "",
	    lp[8] = "", vars[12][INET6_ADDRSTRLEN + 48];
	bool ip, tcp = !a->datagrams;
	size_t n = 0, i, count;
	char **env;

	ip = host_port(peer, ph, sizeof(ph), pp, sizeof(pp));
	if (getsockname(fd, (struct sockaddr *)&local, &len) == 0)
		(void)host_port(&local, lh, sizeof(lh), lp, sizeof(lp));
	snprintf(vars[n++], sizeof(vars[0]), "WSL_LISTENER=%s", a->l->name);
	if (ip) {
		snprintf(vars[n++], sizeof(vars[0]), strchr(ph, ':') != NULL ?
		    "WSL_PEER=[%s]:%s" : "WSL_PEER=%s:%s", ph, pp);
		snprintf(vars[n++], sizeof(vars[0]), "WSL_PEER_ADDRESS=%s", ph);
		snprintf(vars[n++], sizeof(vars[0]), "WSL_PEER_PORT=%s", pp);
		if (lh[0] != '\0') {
			snprintf(vars[n++], sizeof(vars[0]),
			    "WSL_LOCAL_ADDRESS=%s", lh);
			snprintf(vars[n++], sizeof(vars[0]), "WSL_LOCAL_PORT=%s",
			    lp);
		}
		if (tcp) {
			snprintf(vars[n++], sizeof(vars[0]), "PROTO=TCP");
			snprintf(vars[n++], sizeof(vars[0]), "TCPREMOTEIP=%s", ph);
			snprintf(vars[n++], sizeof(vars[0]), "TCPREMOTEPORT=%s",
			    pp);
			snprintf(vars[n++], sizeof(vars[0]), "TCPLOCALIP=%s", lh);
			snprintf(vars[n++], sizeof(vars[0]), "TCPLOCALPORT=%s", lp);
		}
	} else
		snprintf(vars[n++], sizeof(vars[0]), "WSL_PEER=unix");
	for (count = 0; environ[count] != NULL; count++)
		;
	if ((env = calloc(count + n + 1, sizeof(*env))) == NULL)
		return (NULL);
	/* wsld's own variables, but never one of ours under the same name:
	 * the child would find wsld's value first. */
	for (i = *own = 0; i < count; i++)
		if (!ours(environ[i], vars, n))
			env[(*own)++] = environ[i];
	count = *own;
	for (i = 0; i < n; i++)
		if ((env[count + i] = strdup(vars[i])) == NULL)
			break;
	return (env);
}

static void
free_env(char **env, size_t own)
{
	size_t i;

	for (i = own; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

static void
child_free(struct child *c)
{
	LIST_REMOVE(c, entry);
	event_free(c->ev);
	if (c->pidfd >= 0)
		close(c->pidfd);
	free(c);
}

/* The child exited: reap it, free its slot. */
static void
child_exited(evutil_socket_t fd, short what, void *arg)
{
	struct child *c = arg;
	struct accept_loop *a = &c->x->loop;
	siginfo_t si;

	(void)fd;
	(void)what;
	if (!reaped(c->pid, c->pidfd, &si))
		return;
	log_listener(LOG_DEBUG, a->l->name, "exec: pid %d %s %d",
	    (int)c->pid, si.si_code == CLD_EXITED ? "exited" : "killed by",
	    si.si_status);
	child_free(c);
	accept_loop_ended(a);
}

static void
serve(struct accept_loop *a, int fd, const struct sockaddr_storage *peer,
    socklen_t len)
{
	struct exec *x = a->owner;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	struct child *c;
	char **env = NULL;
	size_t own = 0;
	pid_t pid;
	int r;

	(void)len;
	/* The child gets a blocking descriptor, as stdin and stdout expect. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (env = child_env(a, fd, peer, &own)) == NULL) {
		free(c);
		close(fd);
		accept_loop_failed(a, WSL_FAIL_RESOURCES);
		return;
	}
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, 0);
	posix_spawn_file_actions_adddup2(&fa, fd, 1);
	if (x->stderr_null)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
		    0);
	/* Nothing but stdin, stdout and stderr, whatever wsld inherited. */
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	r = posix_spawnp(&pid, x->argv[0], &fa, &attr, x->argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free_env(env, own);
	close(fd); /* the child has it now */
	if (r != 0) {
		log_listener(LOG_WARNING, a->l->name, "exec: cannot run %s: %s",
		    x->argv[0], strerror(r));
		free(c);
		accept_loop_failed(a, WSL_FAIL_SPAWN);
		return;
	}
	c->x = x;
	c->pid = pid;
	/* Without a pidfd (out of descriptors), poll for its exit. */
	c->pidfd = pidfd_open_(pid);
	if ((c->ev = watch(accept_loop_base(a), pid, c->pidfd,
	    child_exited, c)) == NULL) {
		/* Not even that: wait for it here rather than leak it. */
		log_listener(LOG_WARNING, a->l->name, "exec: cannot watch pid "
		    "%d; waiting for it", (int)pid);
		(void)waitpid(pid, NULL, 0);
		if (c->pidfd >= 0)
			close(c->pidfd);
		free(c);
		accept_loop_served(a);
		accept_loop_ended(a);
		return;
	}
	LIST_INSERT_HEAD(&x->children, c, entry);
	accept_loop_served(a);
}

/*
 * Children still running when their listener is freed go on; the control
 * loop reaps them as they exit (release_all runs on the listener's loop,
 * hence the lock).
 */
struct orphan {
	pid_t pid;
	int pidfd;
	struct event *ev;
	LIST_ENTRY(orphan) entry;
};
static LIST_HEAD(, orphan) orphans = LIST_HEAD_INITIALIZER(orphans);
static pthread_mutex_t orphans_mu = PTHREAD_MUTEX_INITIALIZER;

static void
orphan_free(struct orphan *o)
{
	LIST_REMOVE(o, entry);
	event_free(o->ev);
	if (o->pidfd >= 0)
		close(o->pidfd);
	free(o);
}

static void
orphan_exited(evutil_socket_t fd, short what, void *arg)
{
	struct orphan *o = arg;
	siginfo_t si;

	(void)fd;
	(void)what;
	if (reaped(o->pid, o->pidfd, &si)) {
		pthread_mutex_lock(&orphans_mu);
		orphan_free(o);
		pthread_mutex_unlock(&orphans_mu);
	}
}

/* At exit: stop watching (the children are init's to reap then). */
void
handler_exec_cleanup(void)
{
	pthread_mutex_lock(&orphans_mu);
	while (!LIST_EMPTY(&orphans))
		orphan_free(LIST_FIRST(&orphans));
	pthread_mutex_unlock(&orphans_mu);
}

static void
release_all(struct accept_loop *a)
{
	struct exec *x = a->owner;
	struct orphan *o;
	struct child *c;

	while ((c = LIST_FIRST(&x->children)) != NULL) {
		if ((o = calloc(1, sizeof(*o))) != NULL) {
			o->pid = c->pid;
			o->pidfd = c->pidfd;
			pthread_mutex_lock(&orphans_mu);
			if ((o->ev = watch(control_base, o->pid, o->pidfd,
			    orphan_exited, o)) != NULL) {
				LIST_INSERT_HEAD(&orphans, o, entry);
				c->pidfd = -1; /* the orphan has it now */
			} else {
				free(o); /* init reaps it once we are gone */
			}
			pthread_mutex_unlock(&orphans_mu);
		}
		child_free(c);
		accept_loop_ended(a);
	}
}

/* At the close timeout: ask every child to stop; each is reaped as usual. */
static void
cut_all(struct accept_loop *a)
{
	struct exec *x = a->owner;
	struct child *c;

	LIST_FOREACH(c, &x->children, entry)
		(void)kill(c->pid, SIGTERM); /* not reaped yet: still ours */
}

static const struct accept_loop_ops exec_ops = {
	.serve = serve, .release_all = release_all, .cut_all = cut_all,
	.fds_per_channel = 1, /* the child's pidfd */
};

static void
exec_free(void *state)
{
	struct exec *x = state;
	size_t i;

	if (x == NULL)
		return;
	accept_loop_destroy_lanes(&x->loop);
	for (i = 0; x->argv != NULL && x->argv[i] != NULL; i++)
		free(x->argv[i]);
	free(x->argv);
	free(x);
}

#define EXEC_COMMAND_PHRASE \
	"an array of non-empty strings such as [\"/bin/cat\"]"
#define EXEC_STDERR_PHRASE "\"inherit\" or \"null\""

static int
exec_configure(const json_t *conf, WS_CHANNEL_BINDING binding, void **state,
    struct wsl_err *err, char *where, size_t wherelen)
{
	json_t *cmd, *v;
	struct exec *x;
	unsigned max;
	size_t i;
	bool null;

	(void)binding;
	if (handler_check_keys(conf, &handler_exec, err, where, wherelen) < 0 ||
	    handler_max_channels(conf, EXEC_MAX_CHANNELS, &max, err, where,
		wherelen) < 0)
		return (-1);
	cmd = json_object_get(conf, "command");
	snprintf(where, wherelen, "%s", cmd != NULL ? "/command" : "");
	if (cmd == NULL) {
		wsl_err_set(err, WSL_HR_E_INVALIDARG, "the exec handler needs a "
		    "\"command\", " EXEC_COMMAND_PHRASE);
		return (-1);
	}
	if (!json_is_array(cmd) || json_array_size(cmd) == 0) {
		wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"command\" must be "
		    EXEC_COMMAND_PHRASE);
		return (-1);
	}
	json_array_foreach(cmd, i, v)
		if (!json_is_string(v) || json_string_value(v)[0] == '\0') {
			snprintf(where, wherelen, "/command/%zu", i);
			wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"command\" must "
			    "be " EXEC_COMMAND_PHRASE);
			return (-1);
		}
	v = json_object_get(conf, "stderr");
	if (v != NULL && (!json_is_string(v) ||
	    (strcmp(json_string_value(v), "inherit") != 0 &&
		strcmp(json_string_value(v), "null") != 0))) {
		snprintf(where, wherelen, "/stderr");
		wsl_err_set(err, WSL_HR_E_INVALIDARG, "\"stderr\" must be "
		    EXEC_STDERR_PHRASE);
		return (-1);
	}
	null = v != NULL && strcmp(json_string_value(v), "null") == 0;
	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->argv = calloc(json_array_size(cmd) + 1,
		sizeof(*x->argv))) == NULL)
		goto nomem;
	json_array_foreach(cmd, i, v)
		if ((x->argv[i] = strdup(json_string_value(v))) == NULL)
			goto nomem;
	x->stderr_null = null;
	where[0] = '\0';
	accept_loop_init(&x->loop, &exec_ops, x, max, ACCEPT_LOOP_IDLE_MS);
	LIST_INIT(&x->children);
	*state = x;
	return (0);
nomem:
	exec_free(x);
	wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
	return (-1);
}



static const struct handler_key exec_keys[] = {
	{ "command", EXEC_COMMAND_PHRASE },
	{ "max-channels", HANDLER_MAX_CHANNELS_PHRASE },
	{ "stderr", EXEC_STDERR_PHRASE },
	{ NULL, NULL },
};

const struct handler_type handler_exec = {
	.name = "exec",
	.keys = exec_keys,
	.serves_accept_requests = false,
	.configure = exec_configure,
	.start = handler_loop_start,
	.drain = handler_loop_drain,
	.hurry = handler_loop_hurry,
	.release = handler_loop_release,
	.destroy = exec_free,
};
