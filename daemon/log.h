/* SPDX-License-Identifier: ISC */
/*
 * Logging: to the journal, with structured fields, when wsld runs under
 * systemd (its stderr is the journal's stream: $JOURNAL_STREAM); else to
 * stderr in the foreground, to syslog once detached.  Lines about a
 * listener start with "listener 'NAME': " and carry WSLD_LISTENER=; state
 * changes also WSLD_STATE=, WSLD_PREVIOUS_STATE= and, for the result of
 * an operation, WSLD_HRESULT= (its name) and WSLD_HRESULT_CODE=.
 */
#ifndef WSL_LOG_H
#define WSL_LOG_H

#include <sys/uio.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

/* What a message is about, for the journal's fields (-1, NULL: none). */
struct log_about {
	const char *listener;
	int state, previous;
	bool has_hr;
	int32_t hr;
};
#define LOG_FIELDS 8
#define LOG_FIELD_SIZE 1100
/* The journal entry's fields ("KEY=value" in buf, pointed to by iov). */
size_t log_journal_fields(int priority, const struct log_about *,
    const char *message, char buf[LOG_FIELDS][LOG_FIELD_SIZE],
    struct iovec *iov);

void log_init(bool foreground, int verbose);
void log_warn(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void log_warnx(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void log_info(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void log_debug(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void log_listener(int priority, const char *name, const char *, ...)
    __attribute__((__format__(__printf__, 3, 4)));
/* A listener's state change (state -1: none), or an operation's result. */
void log_listener_event(int priority, const char *name, int previous,
    int state, bool has_hr, int32_t hr, const char *, ...)
    __attribute__((__format__(__printf__, 7, 8)));
void fatal(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2), __noreturn__));
void fatalx(const char *, ...)
    __attribute__((__format__(__printf__, 1, 2), __noreturn__));

#endif
