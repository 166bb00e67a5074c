/* SPDX-License-Identifier: ISC */
/*
 * wslctl: one request per invocation, built from argv by the command
 * table, answered by the daemon, printed for humans (or as the daemon's
 * raw JSON with -j), with the reply's result as the exit status.
 */
#ifndef WSL_CTL_H
#define WSL_CTL_H

#include <stdbool.h>

#include <jansson.h>

#include "wsl-proto.h"

/* Exit statuses besides the reply's result classes. */
#define CTL_EXIT_USAGE 2
#define CTL_EXIT_UNREACHABLE 3
#define CTL_EXIT_DENIED 6         /* as a reply of E_ACCESSDENIED */
#define CTL_EXIT_TIMEOUT 124

struct ctl_opts {
	const char *socket;
	bool json, quiet;
	long long timeout_ms;   /* -1: none */
};
extern struct ctl_opts opts; /* wslctl.c: what the options say */

struct ctl_cmd {
	const char *verb;
	const char *command;        /* the protocol command */
	const char *usage;
	/* argv (after the verb) to arguments; NULL after printing why. */
	json_t *(*build)(int, char **, const struct ctl_cmd *);
	/* Print a successful reply for humans. */
	void (*print)(const struct wsl_reply *);
	/* CTL_QUICK: the default timeout applies; CTL_SLOW: none; CTL_TIMED:
	 * none, and -t goes to the daemon as "timeout-ms" too. */
	enum { CTL_QUICK, CTL_SLOW, CTL_TIMED } waits;
};

const struct ctl_cmd *ctl_cmd_find(const char *);
/* The verb nearest to an unknown one (2 edits at most), or NULL. */
const char *ctl_cmd_nearest(const char *);
void ctl_usage(FILE *);
void ctl_usage_error(const struct ctl_cmd *, const char *, ...)
    __attribute__((__format__(__printf__, 2, 3)));
json_t *ctl_value(const char *); /* JSON if it parses, else a string */

/* ctl-output.c */
/* Every string of the reply with control characters escaped, before any
 * of it is shown (a URL may carry a newline or an escape sequence); the
 * argument named lines (or NULL) is text of several lines, each escaped
 * alone, its newlines kept. */
void defang_reply(struct wsl_reply *, const char *lines);
void print_state(const struct wsl_reply *);
void print_reopen(const struct wsl_reply *);
void print_list(const struct wsl_reply *);
void print_status(const struct wsl_reply *);
void print_freed(const struct wsl_reply *);
void print_get(const struct wsl_reply *);
void print_version(const struct wsl_reply *);
void print_metrics(const struct wsl_reply *);
void print_reload(const struct wsl_reply *);
/* The table alone: also for a reload applied but not everywhere. */
void print_reload_listeners(const struct wsl_reply *);
void print_commands(const struct wsl_reply *);
void print_json(const struct wsl_reply *);

/* ctl-accept.c: serve the accepted channel; returns the exit status. */
int ctl_accept_run(int fd, const struct wsl_reply *, char **command);

/* ctl-remote.c: -H, over ssh to wslctl --bridge on another host. */
struct ctl_remote;
const char *ctl_host_parse(const char *, char *dest, size_t, char *port,
    size_t);
/* Start ssh; our end of its standard input and output (a socket). */
int ctl_remote_start(const char *host, const char *socket,
    struct ctl_remote **);
int ctl_remote_errfd(const struct ctl_remote *); /* ssh's stderr, or -1 */
void ctl_remote_drain(struct ctl_remote *);      /* relay what it wrote */
/* After the reply: let ssh end (bounded). */
void ctl_remote_done(struct ctl_remote *, long long deadline);
/* No reply: say why from ssh's end; returns the exit status. */
int ctl_remote_failed(struct ctl_remote *, long long deadline,
    const char *what);
int ctl_bridge(int sock);                        /* wslctl --bridge */
/* Several -H: run(host) for each in turn, output labelled. */
int ctl_fleet(char *const *hosts, size_t, bool json, int (*run)(const char *));

#endif
