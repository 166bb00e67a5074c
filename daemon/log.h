/* SPDX-License-Identifier: ISC */
/*
 * Logging: stderr in the foreground (with <N> priority prefixes when
 * journald reads it), syslog once detached.  Lines about a listener start
 * with "listener 'NAME': ".
 */
#ifndef WSL_LOG_H
#define WSL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

void log_init(bool foreground, int verbose);
void log_warn(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void log_warnx(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void log_info(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void log_debug(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void log_listener(int priority, const char *name, const char *, ...)
    __attribute__((__format__(__printf__, 3, 4)));
void fatal(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2), __noreturn__));
void fatalx(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2), __noreturn__));

#endif
