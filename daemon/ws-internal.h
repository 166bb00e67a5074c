/* SPDX-License-Identifier: ISC */
/*
 * Internals of the listener core, shared by its ws-*.c files only.
 *
 * Locking: every field of WS_LISTENER and of its lanes marked (mu) is read
 * and written with l->mu held; fields marked (loop) belong to the thread of
 * the lane's loop (the home lane's, for the listener's own).
 * The mutex is never held while a callback runs or while blocking work
 * (name resolution, bind) is done, so a control thread calling into a
 * listener never waits for the loop.
 */
#ifndef WSL_WS_INTERNAL_H
#define WSL_WS_INTERNAL_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "strmap.h"
#include "webservices.h"

#define WS_LISTENER_MAGIC 0x5453494cu /* "LIST" */
#define WS_CHANNEL_MAGIC 0x4e4e4843u  /* "CHNN" */
#define WS_ERROR_MAGIC 0x52525245u    /* "ERRR" */

/* Memory (ws-alloc.c) */
void *ws_malloc(size_t);
void *ws_calloc(size_t, size_t);
void *ws_realloc(void *, size_t);
void ws_free(void *);
char *ws_strndup(const char *, size_t);

/* Error objects (ws-error.c) */
HRESULT ws_error_fill(WS_ERROR *, HRESULT, int sys_errno, const char *, ...)
    __attribute__((__format__(__printf__, 4, 5)));
HRESULT ws_hr_from_errno(int);

/* A failure found where no WS_ERROR is at hand (loop thread, sockets). */
struct ws_fail {
	HRESULT hr;
	int sys_errno;
	char text[256];
};
HRESULT ws_fail_set(struct ws_fail *, HRESULT, int sys_errno, const char *, ...)
    __attribute__((__format__(__printf__, 4, 5)));

/* URLs (ws-url.c) */
enum ws_scheme { WS_SCHEME_HTTP, WS_SCHEME_HTTPS, WS_SCHEME_NETTCP,
	WS_SCHEME_SOAPUDP, WS_SCHEME_NETPIPE };
struct ws_url {
	enum ws_scheme scheme;
	char host[256];   /* unbracketed; "" when wildcard */
	bool wildcard;    /* "+" or "*" */
	int port;         /* the scheme's default when absent */
	char path[256];   /* decoded, without the leading '/' */
};
HRESULT ws_url_parse(const char *, size_t, struct ws_url *, char *, size_t);
WS_CHANNEL_BINDING ws_scheme_binding(enum ws_scheme);

/* Create-time properties (ws-property.c) */
struct ws_props {
	ULONG backlog;
	WS_IP_VERSION ip_version;
	WS_CALLBACK_MODEL callback_model;
	ULONG connect_timeout;
	ULONG close_timeout;
	ULONG to_header_matching;
	ULONG transport_url_matching;
	/* The default (ws_pipe_dir_default) or, in a listener, its own copy;
	 * while checking, the caller's value.  A pointer, not an array: a
	 * PATH_MAX array was most of a listener's memory. */
	const char *pipe_dir;
	bool dedicated_loop;
	ULONG loops;                 /* lanes asked for; 0: every loop */
};
extern const char ws_pipe_dir_default[];
void ws_props_default(struct ws_props *);
HRESULT ws_props_apply(struct ws_props *, WS_CHANNEL_BINDING,
    const WS_LISTENER_PROPERTY *, ULONG, WS_ERROR *);

/* Bound sockets (ws-socket.c) */
struct ws_bound {
	int fd;
	int family;
	int socktype;
	int port;
	char address[64];
	char path[108];
	dev_t dev;        /* of the net.pipe socket file, to unlink only ours */
	bool adopted;     /* given (WslAdoptListenerSocket), not bound here */
	ino_t ino;
};
HRESULT ws_socket_open(const struct ws_url *, WS_CHANNEL_BINDING,
    const struct ws_props *, struct ws_bound *, struct ws_fail *);
void ws_socket_close(struct ws_bound *);
void ws_bound_clear(struct ws_bound *);         /* no socket at all */
void ws_socket_queue(const struct ws_bound *, int *depth, int *limit);
HRESULT ws_socket_resolve(const struct ws_url *, int socktype, WS_IP_VERSION,
    struct sockaddr_storage *, socklen_t *, struct ws_fail *);
void ws_unix_diag(int fd, int *depth, int *limit, int *shut);
/* ws-adopt.c: a socket given to the listener instead of a bound one */
HRESULT ws_socket_adopt(const struct ws_url *, WS_CHANNEL_BINDING,
    const struct ws_props *, int fd, struct ws_bound *, struct ws_fail *);

/* An asynchronous operation waiting for its completion. */
struct ws_op {
	bool active;
	WS_ASYNC_CONTEXT ctx;
	WS_ERROR *error;
	uint64_t tag;                    /* the caller's, for its transition */
};

/* A synchronous caller blocked until its operation completes. */
struct ws_sync {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	HRESULT hr;
};
void ws_sync_init(struct ws_sync *);
void ws_sync_destroy(struct ws_sync *);
void ws_sync_callback(HRESULT, WS_CALLBACK_MODEL, void *);
HRESULT ws_sync_wait(struct ws_sync *);

struct WS_CHANNEL {
	uint32_t magic;
	WS_CHANNEL_TYPE type;
	WS_CHANNEL_BINDING binding;
	WS_CALLBACK_MODEL callback_model;
	WS_CHANNEL_STATE state;          /* (mu of accepting listener) */
	int fd;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	/* The listener while an accept is pending; then state, op and entry
	 * are guarded by its mutex.  Atomic so a channel can find out. */
	_Atomic(WS_LISTENER *) accepting;
	bool queued;                     /* on its accepts list (mu) */
	struct ws_lane *lane;            /* ... of this lane (mu) */
	struct ws_op op;
	TAILQ_ENTRY(WS_CHANNEL) entry;
};
TAILQ_HEAD(ws_channel_list, WS_CHANNEL);

struct ws_udp_session;

/*
 * One loop a listener accepts on.  Lane 0 is its home: it runs opens,
 * closes and tasks, owns the listening socket and hosts the datagram
 * sessions.  Every lane (home included) watches the socket while accepts
 * are queued on it, takes connections for them, and completes them on its
 * own loop.  The home lets the socket go only once no other lane watches
 * it (watching, under mu), so no loop ever polls a closed descriptor.
 */
struct ws_lane {
	WS_LISTENER *l;
	struct ws_loop *loop;              /* set at create, until the free */
	struct event_base *base;           /* the loop's */
	struct event *wake_ev;             /* activated from any thread */
	struct ws_channel_list accepts;    /* (mu) pending, FIFO */
	ULONG n_accepts;                   /* (mu) */
	struct ws_channel_list aborted;    /* (mu) to complete with ABORTED */
	WSL_TASK *tasks, *tasks_tail;      /* (mu) */
	uint64_t accepted;                 /* (mu) connections it took */
	bool resume;                       /* (mu) a descriptor was freed */
	bool watching;                     /* (mu) the socket is in its loop */
	bool stopped;                      /* (mu) off its loop */
	struct event *io_ev;               /* (loop) readable listening socket */
	int io_fd;                         /* (loop) ... the one io_ev polls */
	struct event *retry_ev;            /* (loop) accept back-off timer */
	bool io_enabled;                   /* (loop) */
	bool paused;                       /* (loop) accept back-off running */
	unsigned backoff_ms;               /* (loop) */
};

struct WS_LISTENER {
	uint32_t magic;
	pthread_mutex_t mu;
	WS_CHANNEL_TYPE type;
	WS_CHANNEL_BINDING binding;
	struct ws_props props;

	WS_LISTENER_STATE state;           /* (mu) */
	bool aborted_before_open;          /* (mu) sticky until reset */
	bool abort_during_open;            /* (mu) */
	bool abort_during_close;           /* (mu) */
	bool stopping;                     /* (mu) WsFreeListener */
	struct ws_url url;                 /* (mu) of the pending/current open */
	struct ws_op open_op, close_op;    /* (mu) */
	ULONG n_accepts;                   /* (mu) over every lane */
	struct ws_bound sock;              /* (mu) fd -1 when none */
	bool sock_refusing;                /* (mu) shut down by an abort */
	bool operator_paused;              /* (mu) WslPauseListener: no lane
	                                    * takes connections; OPEN only */
	int given_fd;                      /* (mu) to adopt at the next open */
	int inject_errno;                  /* (mu) WslInjectAcceptErrors */
	ULONG inject_count;                /* (mu) */
	bool hand_over;                    /* (mu) the next release leaves the
	                                    * kernel's queue to a successor */
	HRESULT last_error;                /* (mu) */
	char last_error_text[256];         /* (mu) */
	char last_error_op[16];            /* (mu) */
	WSL_LISTENER_COUNTERS counters;    /* (mu) */
	WSL_TRANSITION transitions[WSL_TRANSITIONS_KEPT]; /* (mu) a ring */
	uint64_t transitions_made;         /* (mu) the last one's sequence */
	WSL_STATE_HOOK state_hook;         /* set before use */
	void *state_hook_arg;

	pthread_cond_t stopped_cv;         /* a lane stopped; with mu */
	struct strmap *udp_sessions;       /* (loop) peer string -> session,
	                                    * while a datagram socket is open */
	ULONG n_udp_sessions;              /* (mu) for status */
	unsigned char *udp_buf;            /* (loop) one datagram */
	ULONG n_lanes;                     /* set at create */
	struct ws_lane lanes[];            /* lanes[0]: home */
};
#define WS_HOME(l) (&(l)->lanes[0])

/* ws-pool.c */
struct ws_loop;
ULONG ws_pool_lanes(ULONG asked); /* how many lanes a listener gets */
HRESULT ws_pool_join(WS_LISTENER *, bool dedicated, WS_ERROR *);
void ws_pool_leave(WS_LISTENER *);
bool ws_on_loop(WS_LISTENER *);              /* on any lane's loop */
struct ws_lane *ws_lane_here(WS_LISTENER *); /* the caller's, or NULL */

/* ws-loop.c */
HRESULT ws_loop_start(WS_LISTENER *, WS_ERROR *);
void ws_loop_stop(WS_LISTENER *);
void ws_loop_wake(WS_LISTENER *);           /* the home lane */
void ws_loop_wake_all(WS_LISTENER *);       /* every lane */
void ws_lane_wake(struct ws_lane *);
void ws_complete(struct ws_op *, HRESULT, WS_CALLBACK_MODEL);
void ws_notify_state(WS_LISTENER *);
/* The one way the state changes: recorded as a transition.  (mu) */
void ws_set_state(WS_LISTENER *, WS_LISTENER_STATE, WSL_OPERATION, HRESULT,
    uint64_t tag);
void ws_record_error(WS_LISTENER *, const char *, HRESULT, const char *);
void ws_complete_accept(WS_LISTENER *, WS_CHANNEL *, HRESULT);

void ws_count_accept_error(WS_LISTENER *, int); /* (mu) */

/* ws-udp.c (loop thread only) */
void ws_udp_readable(WS_LISTENER *);
void ws_udp_close_all(WS_LISTENER *);

/* ws-channel.c */
bool ws_channel_valid(const WS_CHANNEL *);
bool ws_listener_valid(const WS_LISTENER *);

#endif
