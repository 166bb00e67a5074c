/* SPDX-License-Identifier: ISC */
/*
 * Reload (SIGHUP, or the `reload` command): read the configuration file
 * again; if it is valid, make the listeners match it (config-apply.h),
 * else change nothing and tell the caller where the file is wrong.  One
 * reload at a time; the service manager hears RELOADING=1, then READY=1.
 */
#ifndef WSL_RELOAD_H
#define WSL_RELOAD_H

#include <stdbool.h>

#include <jansson.h>

#include "actor.h"
#include "webservices.h"

/* The file to read (NULL: none), and what cannot change without a
 * restart, to warn when the file changes it. */
void reload_init(const char *config, const char *control_socket,
    const char *pipe_dir);
typedef void reload_done_fn(HRESULT, const char *text, json_t *result,
    void *arg);
/* Starts a reload, or fails at once (err set, done not called) having
 * changed nothing: a broken file, no memory, another reload running.
 * done may be NULL (SIGHUP: the log says how it went). */
int reload_start(actor_t, reload_done_fn *, void *arg, struct wsl_err *err);

#endif
