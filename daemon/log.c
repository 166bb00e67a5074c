/* SPDX-License-Identifier: ISC */
/*
 * Logging backends (see log.h).  Safe to call from listener loop threads:
 * each line is formatted first and written with one call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static bool to_stderr = true;
static bool journal_prefix;
static int verbosity;

void
log_init(bool foreground, int verbose)
{
	to_stderr = foreground;
	verbosity = verbose;
	/* journald reads our stderr: tell it each line's priority. */
	journal_prefix = foreground && getenv("JOURNAL_STREAM") != NULL;
	if (!foreground)
		openlog("wsld", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void
vlog(int priority, const char *prefix, const char *fmt, va_list ap,
    const char *suffix)
{
	char msg[1024];

	if (priority == LOG_DEBUG && verbosity < 1)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!to_stderr) {
		syslog(priority, "%s%s%s%s", prefix, msg, suffix != NULL ? ": " : "",
		    suffix != NULL ? suffix : "");
		return;
	}
	if (journal_prefix)
		fprintf(stderr, "<%d>%s%s%s%s\n", priority, prefix, msg,
		    suffix != NULL ? ": " : "", suffix != NULL ? suffix : "");
	else
		fprintf(stderr, "wsld: %s%s%s%s\n", prefix, msg,
		    suffix != NULL ? ": " : "", suffix != NULL ? suffix : "");
}

#define LOGGER(fn, priority, with_errno)			\
	void							\
	fn(const char *fmt, ...)				\
	{							\
		char e[128];					\
		va_list ap;					\
		int saved = errno;				\
								\
		snprintf(e, sizeof(e), "%s", strerror(saved));		\
		va_start(ap, fmt);				\
		vlog(priority, "", fmt, ap, with_errno ? e : NULL); \
		va_end(ap);					\
		errno = saved;					\
	}

LOGGER(log_warn, LOG_WARNING, true)
LOGGER(log_warnx, LOG_WARNING, false)
LOGGER(log_info, LOG_INFO, false)
LOGGER(log_debug, LOG_DEBUG, false)

void
log_listener(int priority, const char *name, const char *fmt, ...)
{
	char prefix[128];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "listener '%s': ", name);
	va_start(ap, fmt);
	vlog(priority, prefix, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	char e[128];
	va_list ap;

	snprintf(e, sizeof(e), "%s", strerror(errno));
	va_start(ap, fmt);
	vlog(LOG_CRIT, "", fmt, ap, e);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
