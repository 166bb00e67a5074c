/* SPDX-License-Identifier: ISC */
/*
 * Logging backends (see log.h).  Safe to call from listener loop threads:
 * each line is formatted first and written with one call.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "log.h"
#include "wsl-proto.h"

static bool to_stderr = true;
static bool to_journal;
static bool prefix_priority;      /* stderr is journald's stream */
static int verbosity;

/* Is stderr the stream systemd connected to the journal? */
static bool
stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return (e != NULL && sscanf(e, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(2, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino);
}

void
log_init(bool foreground, int verbose)
{
	to_stderr = foreground;
	verbosity = verbose;
	to_journal = foreground && stderr_is_journal();
	/* libsystemd drops entries silently when journald is not there. */
	prefix_priority = to_journal &&
	    access("/run/systemd/journal/socket", F_OK) < 0;
	if (prefix_priority)
		to_journal = false;
	if (!foreground)
		openlog("wsld", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

size_t
log_journal_fields(int priority, const struct log_about *about,
    const char *message, char buf[LOG_FIELDS][LOG_FIELD_SIZE],
    struct iovec *iov)
{
	const char *name;
	char hex[11];
	size_t n = 0, i;

	snprintf(buf[n++], LOG_FIELD_SIZE, "MESSAGE=%s", message);
	snprintf(buf[n++], LOG_FIELD_SIZE, "PRIORITY=%d", priority);
	snprintf(buf[n++], LOG_FIELD_SIZE, "SYSLOG_IDENTIFIER=wsld");
	if (about != NULL && about->listener != NULL)
		snprintf(buf[n++], LOG_FIELD_SIZE, "WSLD_LISTENER=%s",
		    about->listener);
	if (about != NULL && about->state >= 0)
		snprintf(buf[n++], LOG_FIELD_SIZE, "WSLD_STATE=%s",
		    wsl_state_name(about->state));
	if (about != NULL && about->previous >= 0)
		snprintf(buf[n++], LOG_FIELD_SIZE, "WSLD_PREVIOUS_STATE=%s",
		    wsl_state_name(about->previous));
	if (about != NULL && about->has_hr) {
		wsl_hr_format(about->hr, hex);
		name = wsl_hr_name(about->hr);
		snprintf(buf[n++], LOG_FIELD_SIZE, "WSLD_HRESULT=%s",
		    name != NULL ? name : hex);
		snprintf(buf[n++], LOG_FIELD_SIZE, "WSLD_HRESULT_CODE=%s", hex);
	}
	for (i = 0; i < n; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = strlen(buf[i]);
	}
	return (n);
}

static void
vlog(int priority, const struct log_about *about, const char *prefix,
    const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024], raw[1100], line[1100];
	char fields[LOG_FIELDS][LOG_FIELD_SIZE];
	struct iovec iov[LOG_FIELDS];
	size_t n;

	if (priority == LOG_DEBUG && verbosity < 1)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(raw, sizeof(raw), "%s%s%s%s", prefix, msg,
	    suffix != NULL ? ": " : "", suffix != NULL ? suffix : "");
	wsl_escape_controls(raw, line, sizeof(line));
	if (to_journal) {
		n = log_journal_fields(priority, about, line, fields, iov);
		if (sd_journal_sendv(iov, (int)n) >= 0)
			return;
	}
	if (to_journal || prefix_priority) /* the stream reaches it */
		fprintf(stderr, "<%d>%s\n", priority, line);
	else if (!to_stderr)
		syslog(priority, "%s", line);
	else
		fprintf(stderr, "wsld: %s\n", line);
}

#define LOGGER(fn, priority, with_errno)			\
	void							\
	fn(const char *fmt, ...)				\
	{							\
		va_list ap;					\
		int saved = errno;				\
								\
		va_start(ap, fmt);				\
		vlog(priority, NULL, "", fmt, ap,		\
		    with_errno ? strerror(saved) : NULL);	\
		va_end(ap);					\
		errno = saved;					\
	}

LOGGER(log_warn, LOG_WARNING, true)
LOGGER(log_warnx, LOG_WARNING, false)
LOGGER(log_info, LOG_INFO, false)
LOGGER(log_debug, LOG_DEBUG, false)

static void
vlog_listener(int priority, const struct log_about *about, const char *fmt,
    va_list ap)
{
	char prefix[128];

	snprintf(prefix, sizeof(prefix), "listener '%s': ", about->listener);
	vlog(priority, about, prefix, fmt, ap, NULL);
}

void
log_listener(int priority, const char *name, const char *fmt, ...)
{
	struct log_about about = { name, -1, -1, false, 0 };
	va_list ap;

	va_start(ap, fmt);
	vlog_listener(priority, &about, fmt, ap);
	va_end(ap);
}

void
log_listener_event(int priority, const char *name, int previous, int state,
    bool has_hr, int32_t hr, const char *fmt, ...)
{
	struct log_about about = { name, state, previous, has_hr, hr };
	va_list ap;

	va_start(ap, fmt);
	vlog_listener(priority, &about, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	char e[128];
	va_list ap;

	snprintf(e, sizeof(e), "%s", strerror(errno));
	va_start(ap, fmt);
	vlog(LOG_CRIT, NULL, "", fmt, ap, e);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, NULL, "", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
