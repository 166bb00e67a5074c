/* SPDX-License-Identifier: ISC */
/*
 * What one control peer can make wsld log, limited per uid: the first
 * LOG_LIMIT_BURST lines of a kind are logged in full, the rest counted and
 * logged as "N more denied from uid U" once a second, until the uid has
 * been quiet for a second.  Keyed by uid, not pid: a user may start as
 * many processes as it likes, but not become another user.  At most
 * LOG_LIMIT_PEERS uids are tracked at once; the others share one count
 * ("from other uids"), so memory is fixed whatever the number of peers.
 * Control thread only.
 */
#ifndef WSL_LOG_LIMIT_H
#define WSL_LOG_LIMIT_H

#include <sys/types.h>

#include <stdbool.h>

#define LOG_LIMIT_BURST 5
#define LOG_LIMIT_PEERS 64
#define LOG_LIMIT_PERIOD_MS 1000

enum log_limit_kind {
	LOG_LIMIT_DENIED,         /* a command above the peer's level */
	LOG_LIMIT_BAD_REQUEST,    /* a request that could not be read */
	LOG_LIMIT_TURNED_AWAY,    /* a connection over a limit */
	LOG_LIMIT__COUNT
};

/* Log this one in full?  If not, it is counted for the summary. */
bool log_limit(enum log_limit_kind, uid_t);
/* Log every count held back now, and forget every peer (at exit). */
void log_limit_flush(void);

#endif
