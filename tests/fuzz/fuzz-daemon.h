/* SPDX-License-Identifier: ISC */
/*
 * What the fuzzers share: wsld's control loop and listener registry set
 * up as the daemon sets them up, a private pipe directory, no name
 * service (a fuzzer must not wait on DNS: host names other than localhost
 * fail as numeric-only lookups), and a way back to no listener at all.
 */
#ifndef WSL_FUZZ_DAEMON_H
#define WSL_FUZZ_DAEMON_H

#include <stdbool.h>

/* Quiet (syslog, nowhere here) unless WSL_FUZZ_LOG is set. */
void fuzz_daemon_init(void);
const char *fuzz_daemon_dir(void);          /* private, for files too */
/* Run the control loop until cond(arg) holds; past 8 s, abort (a
 * completion or a free that never comes is a bug). */
void fuzz_daemon_run_until(bool (*)(void *), void *);
/* Close and free every listener, waiting for what is in progress; an
 * operation that never finishes is a bug (abort). */
void fuzz_daemon_clean_up(void);

#endif
