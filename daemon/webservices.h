/* SPDX-License-Identifier: ISC */
/*
 * The listener core: a Linux implementation of the Windows Web Services
 * (WWSAPI) listener object with Microsoft's function names, state numbers,
 * property ids and HRESULT values.  Deviations from the Windows signatures
 * are listed in wsl-listener(3) and marked "deviation" below:
 *  - strings (WS_STRING) are UTF-8, not UTF-16;
 *  - WsFreeListener and WsFreeChannel return an HRESULT and refuse (with
 *    WS_E_INVALID_OPERATION) to free an object that is in use, instead of
 *    crashing;
 *  - functions whose names start with Wsl are extensions.
 *
 * Listeners run on a pool of loop threads, one libevent loop each (or on
 * a loop of their own, or spread over several: see the extensions).
 * Completion callbacks of asynchronous calls (WS_S_ASYNC) always run on a
 * loop thread of the listener's: an accept's on the loop of the lane it
 * was queued on, the others' on its home loop.
 *
 * Threads.  Every function on a listener may be called from any thread,
 * and concurrently with any other call on it, with one exception, as on
 * Windows: WsFreeListener ends the object, so the caller makes sure that no
 * other call on the listener (nor WslCancelAccept or WsAbortChannel on a
 * channel accepting from it) is under way or will follow.  In particular
 * WsAbortListener may come from any thread at any moment before the free.
 * A synchronous call (no async context) on the listener's own loop thread
 * returns WS_E_INVALID_OPERATION instead of waiting for itself.
 */
#ifndef WSL_WEBSERVICES_H
#define WSL_WEBSERVICES_H

#include <sys/socket.h>

#include <stdint.h>

#include "wsl-proto.h" /* HRESULT values (hresult.def) */

typedef int32_t HRESULT;
typedef uint32_t ULONG;
typedef int BOOL;
typedef uint16_t LANGID;

#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif
#define INFINITE 0xFFFFFFFFu

#define S_OK WSL_HR_S_OK
#define S_FALSE WSL_HR_S_FALSE
#define NO_ERROR WSL_HR_S_OK
#define WS_S_ASYNC WSL_HR_WS_S_ASYNC
#define WS_E_INVALID_FORMAT WSL_HR_WS_E_INVALID_FORMAT
#define WS_E_OBJECT_FAULTED WSL_HR_WS_E_OBJECT_FAULTED
#define WS_E_INVALID_OPERATION WSL_HR_WS_E_INVALID_OPERATION
#define WS_E_OPERATION_ABORTED WSL_HR_WS_E_OPERATION_ABORTED
#define WS_E_OPERATION_TIMED_OUT WSL_HR_WS_E_OPERATION_TIMED_OUT
#define WS_E_QUOTA_EXCEEDED WSL_HR_WS_E_QUOTA_EXCEEDED
#define WS_E_ADDRESS_IN_USE WSL_HR_WS_E_ADDRESS_IN_USE
#define WS_E_ADDRESS_NOT_AVAILABLE WSL_HR_WS_E_ADDRESS_NOT_AVAILABLE
#define WS_E_NOT_SUPPORTED WSL_HR_WS_E_NOT_SUPPORTED
#define WS_E_INVALID_ENDPOINT_URL WSL_HR_WS_E_INVALID_ENDPOINT_URL
#define WS_E_OTHER WSL_HR_WS_E_OTHER
#define E_INVALIDARG WSL_HR_E_INVALIDARG
#define E_OUTOFMEMORY WSL_HR_E_OUTOFMEMORY
#define E_ACCESSDENIED WSL_HR_E_ACCESSDENIED
#define E_UNEXPECTED WSL_HR_E_UNEXPECTED
#define FAILED(hr) ((HRESULT)(hr) < 0)
#define SUCCEEDED(hr) ((HRESULT)(hr) >= 0)

/* UTF-8 here (deviation: UTF-16 on Windows); not NUL-terminated. */
typedef struct {
	ULONG length;
	char *chars;
} WS_STRING;

typedef struct WS_LISTENER WS_LISTENER;
typedef struct WS_CHANNEL WS_CHANNEL;
typedef struct WS_ERROR WS_ERROR;
typedef struct WS_SECURITY_DESCRIPTION WS_SECURITY_DESCRIPTION;

typedef enum {
	WS_LISTENER_STATE_CREATED = 0,
	WS_LISTENER_STATE_OPENING = 1,
	WS_LISTENER_STATE_OPEN = 2,
	WS_LISTENER_STATE_FAULTED = 3,
	WS_LISTENER_STATE_CLOSING = 4,
	WS_LISTENER_STATE_CLOSED = 5,
} WS_LISTENER_STATE;

typedef enum {
	WS_CHANNEL_STATE_CREATED = 0,
	WS_CHANNEL_STATE_OPENING = 1,
	WS_CHANNEL_STATE_ACCEPTING = 2,
	WS_CHANNEL_STATE_OPEN = 3,
	WS_CHANNEL_STATE_FAULTED = 4,
	WS_CHANNEL_STATE_CLOSING = 5,
	WS_CHANNEL_STATE_CLOSED = 6,
} WS_CHANNEL_STATE;

typedef enum {
	WS_CHANNEL_TYPE_INPUT = 0x1,
	WS_CHANNEL_TYPE_OUTPUT = 0x2,
	WS_CHANNEL_TYPE_SESSION = 0x4,
	WS_CHANNEL_TYPE_INPUT_SESSION = 0x5,
	WS_CHANNEL_TYPE_OUTPUT_SESSION = 0x6,
	WS_CHANNEL_TYPE_DUPLEX = 0x3,
	WS_CHANNEL_TYPE_DUPLEX_SESSION = 0x7,
	WS_CHANNEL_TYPE_REQUEST = 0x8,
	WS_CHANNEL_TYPE_REPLY = 0x10,
} WS_CHANNEL_TYPE;

typedef enum {
	WS_HTTP_CHANNEL_BINDING = 0,
	WS_TCP_CHANNEL_BINDING = 1,
	WS_UDP_CHANNEL_BINDING = 2,
	WS_CUSTOM_CHANNEL_BINDING = 3,
	WS_NAMEDPIPE_CHANNEL_BINDING = 4,
} WS_CHANNEL_BINDING;

typedef enum {
	WS_IP_VERSION_4 = 1,
	WS_IP_VERSION_6 = 2,
	WS_IP_VERSION_AUTO = 3,
} WS_IP_VERSION;

typedef enum {
	WS_SHORT_CALLBACK = 0,
	WS_LONG_CALLBACK = 1,
} WS_CALLBACK_MODEL;

typedef enum {
	WS_LISTENER_PROPERTY_LISTEN_BACKLOG = 0,
	WS_LISTENER_PROPERTY_IP_VERSION = 1,
	WS_LISTENER_PROPERTY_STATE = 2,
	WS_LISTENER_PROPERTY_ASYNC_CALLBACK_MODEL = 3,
	WS_LISTENER_PROPERTY_CHANNEL_TYPE = 4,
	WS_LISTENER_PROPERTY_CHANNEL_BINDING = 5,
	WS_LISTENER_PROPERTY_CONNECT_TIMEOUT = 6,
	WS_LISTENER_PROPERTY_IS_MULTICAST = 7,
	WS_LISTENER_PROPERTY_MULTICAST_INTERFACES = 8,
	WS_LISTENER_PROPERTY_MULTICAST_LOOPBACK = 9,
	WS_LISTENER_PROPERTY_CLOSE_TIMEOUT = 10,
	WS_LISTENER_PROPERTY_TO_HEADER_MATCHING_OPTIONS = 11,
	WS_LISTENER_PROPERTY_TRANSPORT_URL_MATCHING_OPTIONS = 12,
	WS_LISTENER_PROPERTY_CUSTOM_LISTENER_CALLBACKS = 13,
	WS_LISTENER_PROPERTY_CUSTOM_LISTENER_PARAMETERS = 14,
	WS_LISTENER_PROPERTY_CUSTOM_LISTENER_INSTANCE = 15,
	WS_LISTENER_PROPERTY_DISALLOWED_USER_AGENT = 16,
	/* Extension: directory of net.pipe sockets (char[], NUL included). */
	WSL_LISTENER_PROPERTY_PIPE_DIRECTORY = 0x10000,
	/* Extension: a loop of its own rather than the pool's (BOOL). */
	WSL_LISTENER_PROPERTY_DEDICATED_LOOP = 0x10001,
	/* ULONG: how many of the pool's loops accept for the listener (its
	 * lanes); 1 by default, 0 for all, clamped to the pool's size.
	 * Stream bindings only, and not with DEDICATED_LOOP. */
	WSL_LISTENER_PROPERTY_LOOPS = 0x10002,
} WS_LISTENER_PROPERTY_ID;

typedef struct {
	WS_LISTENER_PROPERTY_ID id;
	void *value;
	ULONG valueSize;
} WS_LISTENER_PROPERTY;

typedef enum {
	WS_CHANNEL_PROPERTY_STATE = 8,
	WS_CHANNEL_PROPERTY_ASYNC_CALLBACK_MODEL = 9,
	WS_CHANNEL_PROPERTY_CHANNEL_TYPE = 34,
} WS_CHANNEL_PROPERTY_ID;

typedef struct {
	WS_CHANNEL_PROPERTY_ID id;
	void *value;
	ULONG valueSize;
} WS_CHANNEL_PROPERTY;

typedef enum {
	WS_ERROR_PROPERTY_STRING_COUNT = 0,
	WS_ERROR_PROPERTY_ORIGINAL_ERROR_CODE = 1,
	WS_ERROR_PROPERTY_LANGID = 2,
} WS_ERROR_PROPERTY_ID;

typedef struct {
	WS_ERROR_PROPERTY_ID id;
	void *value;
	ULONG valueSize;
} WS_ERROR_PROPERTY;

typedef void (*WS_ASYNC_CALLBACK)(HRESULT, WS_CALLBACK_MODEL, void *);
typedef struct {
	WS_ASYNC_CALLBACK callback;
	void *callbackState;
} WS_ASYNC_CONTEXT;

/* Listener */
HRESULT WsCreateListener(WS_CHANNEL_TYPE, WS_CHANNEL_BINDING,
    const WS_LISTENER_PROPERTY *, ULONG, const WS_SECURITY_DESCRIPTION *,
    WS_LISTENER **, WS_ERROR *);
HRESULT WsOpenListener(WS_LISTENER *, const WS_STRING *,
    const WS_ASYNC_CONTEXT *, WS_ERROR *);
HRESULT WsAcceptChannel(WS_LISTENER *, WS_CHANNEL *, const WS_ASYNC_CONTEXT *,
    WS_ERROR *);
HRESULT WsCloseListener(WS_LISTENER *, const WS_ASYNC_CONTEXT *, WS_ERROR *);
HRESULT WsAbortListener(WS_LISTENER *, WS_ERROR *);
HRESULT WsResetListener(WS_LISTENER *, WS_ERROR *);
HRESULT WsFreeListener(WS_LISTENER *); /* deviation: returns HRESULT */
HRESULT WsGetListenerProperty(WS_LISTENER *, WS_LISTENER_PROPERTY_ID, void *,
    ULONG, WS_ERROR *);
HRESULT WsSetListenerProperty(WS_LISTENER *, WS_LISTENER_PROPERTY_ID,
    const void *, ULONG, WS_ERROR *);
HRESULT WsCreateChannelForListener(WS_LISTENER *, const WS_CHANNEL_PROPERTY *,
    ULONG, WS_CHANNEL **, WS_ERROR *);

/* Channel (the part a listener hands out) */
HRESULT WsGetChannelProperty(WS_CHANNEL *, WS_CHANNEL_PROPERTY_ID, void *,
    ULONG, WS_ERROR *);
HRESULT WsAbortChannel(WS_CHANNEL *, WS_ERROR *);
HRESULT WsCloseChannel(WS_CHANNEL *, const WS_ASYNC_CONTEXT *, WS_ERROR *);
HRESULT WsResetChannel(WS_CHANNEL *, WS_ERROR *);
HRESULT WsFreeChannel(WS_CHANNEL *); /* deviation: returns HRESULT */

/* Error object */
HRESULT WsCreateError(const WS_ERROR_PROPERTY *, ULONG, WS_ERROR **);
HRESULT WsAddErrorString(WS_ERROR *, const WS_STRING *);
HRESULT WsGetErrorString(WS_ERROR *, ULONG, WS_STRING *);
HRESULT WsGetErrorProperty(WS_ERROR *, WS_ERROR_PROPERTY_ID, void *, ULONG);
HRESULT WsSetErrorProperty(WS_ERROR *, WS_ERROR_PROPERTY_ID, const void *,
    ULONG);
HRESULT WsResetError(WS_ERROR *);
void WsFreeError(WS_ERROR *);

/*
 * Extensions.
 */

/* Call once before creating any other libevent base that listener loops
 * will signal (it turns on libevent's pthreads support).  Idempotent. */
void WslInitialize(void);

/* Allocation goes through these; tests install failing ones. */
typedef struct {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void (*free)(void *);
} WSL_ALLOCATOR;
void WslSetAllocator(const WSL_ALLOCATOR *); /* NULL: libc */

/* What WsCreateListener would say about these arguments, without
 * creating anything (for configuration checks). */
HRESULT WslCheckListenerArguments(WS_CHANNEL_TYPE, WS_CHANNEL_BINDING,
    const WS_LISTENER_PROPERTY *, ULONG, WS_ERROR *);

/* WsAbortListener, also reporting what it cancelled. */
typedef struct {
	WS_LISTENER_STATE previousState;
	WS_LISTENER_STATE state;
	ULONG pendingAccepts;  /* accepts that will complete with ABORTED */
	ULONG pendingOpen;     /* 1 when an open was pending */
	ULONG pendingClose;    /* 1 when a close was pending */
	ULONG queuedReset;     /* TCP connections reset in the kernel queue */
} WSL_ABORT_RESULT;
HRESULT WslAbortListenerEx(WS_LISTENER *, WSL_ABORT_RESULT *, WS_ERROR *);

/* Work run on the listener's loop thread, in order.  The task is owned by
 * the caller and must stay valid until run (no allocation happens here).
 * Tasks still queued when the listener is freed run before it goes. */
typedef struct WSL_TASK {
	void (*run)(void *);
	void *arg;
	struct WSL_TASK *next;
} WSL_TASK;
HRESULT WslPostTask(WS_LISTENER *, WSL_TASK *);
/* The base of the loop the listener runs on: shared with the other
 * listeners of that loop, so everything made on it for the listener must
 * be freed before the listener is. */
struct event_base *WslGetListenerEventBase(WS_LISTENER *);
int WslIsListenerThread(WS_LISTENER *);

/* The loops listeners share (extension).  A listener is placed on the one
 * hosting the fewest when it is created and stays there; the pool has
 * WslSetLoopCount() loops (0, the default: one per core), made as they
 * are first needed.  WslGetListenerLoop() says which (from 0), or
 * WSL_LOOP_DEDICATED for a listener created with
 * WSL_LISTENER_PROPERTY_DEDICATED_LOOP.  WslEndLoops() ends the pool's
 * threads, once every listener is freed; a dedicated loop ends with its
 * listener. */
#define WSL_LOOP_DEDICATED (-2)
HRESULT WslSetLoopCount(ULONG);
ULONG WslGetLoopCount(void);
HRESULT WslStartLoops(WS_ERROR *); /* all of them now, not on demand */
int WslGetListenerLoop(WS_LISTENER *);
void WslEndLoops(void);

/*
 * A listener spread over several loops (WSL_LISTENER_PROPERTY_LOOPS) has
 * one lane per loop, lane 0 being its home (the loop WslPostTask and
 * WslGetListenerEventBase name).  Every lane watches the same listening
 * socket; an accept is queued on the lane of the loop it is called from
 * (the home lane from any other thread) and completes there, so a loop
 * calling WsAcceptChannel serves the connections it accepts.  There is
 * still one state, one set of counters and one abort: an abort or a close
 * stops every lane at once.
 */
#define WSL_LOOPS_MAX 256
typedef struct {
	int loop;               /* the pool's loop it runs on */
	uint64_t accepted;      /* connections this lane took */
	ULONG pendingAccepts;
} WSL_LANE_INFO;
ULONG WslGetListenerLaneCount(WS_LISTENER *);
/* Fills up to max lanes; returns how many the listener has. */
ULONG WslGetListenerLanes(WS_LISTENER *, WSL_LANE_INFO *, ULONG max);
HRESULT WslPostLaneTask(WS_LISTENER *, ULONG lane, WSL_TASK *);

/* The watchdog's probe of every loop (pool and dedicated): each that has
 * answered the last ping gets the next, run on its thread; returns how
 * many have not (stalled).  WslGetStalledLoop says which loop of the
 * listener's was found stalled by the last probe (or -1 if none). */
ULONG WslPingLoops(void);
int WslGetStalledLoop(WS_LISTENER *);
struct event_base *WslGetLaneEventBase(WS_LISTENER *, ULONG lane);

/* Called (without locks held, on whichever thread made the change) after
 * every state change.  It must not call back into the listener; it may
 * only note that there is something to read (WslGetListenerTransitions). */
typedef void (*WSL_STATE_HOOK)(WS_LISTENER *, void *);
void WslSetListenerStateHook(WS_LISTENER *, WSL_STATE_HOOK, void *);

/*
 * Every state change the listener makes, in the order it made them, with
 * the operation that made it and who asked.  A caller names itself with
 * WslSetCallerTag (per thread, 0 until set): the transitions its calls
 * make, and those their asynchronous completions make later on the loop,
 * carry that tag.  A call that changes nothing (reset of a CREATED
 * listener, abort of a FAULTED one) records nothing.  The listener keeps
 * the last WSL_TRANSITIONS_KEPT; WslGetListenerTransitions returns those
 * after sequence `after` (0: from the first), oldest first, at most max,
 * and in *lost how many of them were overwritten before they were read.
 * Recording allocates nothing, so WsAbortListener still never fails.
 */
#define WSL_TRANSITIONS_KEPT 32
typedef enum {
	WSL_OPERATION_OPEN,        /* WsOpenListener, and its completion */
	WSL_OPERATION_CLOSE,       /* WsCloseListener, and its completion */
	WSL_OPERATION_ABORT,       /* WsAbortListener */
	WSL_OPERATION_RESET,       /* WsResetListener */
	WSL_OPERATION_RESTORE,     /* WslRestoreListener */
} WSL_OPERATION;
typedef struct {
	uint64_t sequence;         /* 1, 2, 3, ... for this listener */
	WS_LISTENER_STATE from, to;
	WSL_OPERATION operation;
	HRESULT result;            /* S_OK, or why: an open that failed or was
	                            * aborted, a close that was aborted */
	uint64_t tag;              /* WslSetCallerTag of the caller */
	int64_t monotonicMs;       /* CLOCK_MONOTONIC, milliseconds */
} WSL_TRANSITION;
void WslSetCallerTag(uint64_t);
uint64_t WslGetCallerTag(void);
HRESULT WslGetListenerTransitions(WS_LISTENER *, uint64_t after,
    WSL_TRANSITION *, ULONG max, ULONG *count, uint64_t *lost);
const char *WslOperationName(WSL_OPERATION); /* "open", "close", ... */

/*
 * What became of every channel, counted under the listener's mutex so that
 * one snapshot always satisfies
 *   accepted == delivered + failed + closedOnAbort + inFlight
 * where failed is the sum of failed[] and inFlight = completed - delivered
 * - (failed - failed[WSL_FAIL_LISTENER_CLOSED]): channels handed to an
 * accept caller whose fate it has not reported yet (WslCountChannel).
 */
typedef enum {
	WSL_FAIL_HANDOFF,            /* could not be handed to a client */
	WSL_FAIL_UPSTREAM_REFUSED,   /* forward: the upstream refused */
	WSL_FAIL_UPSTREAM_TIMEOUT,   /* forward: no connection in time */
	WSL_FAIL_UPSTREAM_ERROR,     /* forward: any other connect error */
	WSL_FAIL_SPAWN,              /* exec: the command could not start */
	WSL_FAIL_RESOURCES,          /* no memory or descriptor to serve it */
	WSL_FAIL_LISTENER_CLOSED,    /* accepted while closing, then closed */
	WSL_FAIL__COUNT
} WSL_FAILURE;

typedef enum {
	WSL_ACCEPT_EMFILE,
	WSL_ACCEPT_ENFILE,
	WSL_ACCEPT_ENOBUFS,
	WSL_ACCEPT_ENOMEM,
	WSL_ACCEPT_ECONNABORTED,
	WSL_ACCEPT_OTHER,
	WSL_ACCEPT__COUNT
} WSL_ACCEPT_ERROR;

typedef struct {
	uint64_t accepted;        /* connections accept()ed, UDP peers taken */
	uint64_t completed;       /* handed to a pending accept (S_OK) */
	uint64_t delivered;       /* ... and served or passed on (reported) */
	uint64_t failed[WSL_FAIL__COUNT];
	uint64_t closedOnAbort;   /* accepted after an abort, closed (EOF) */
	uint64_t active;          /* delivered, still being served */
	uint64_t refused;         /* turned away: UDP peers while nobody
	                           * accepts, or reported by a handler */
	uint64_t resetOnAbort;    /* reset (RST) in the kernel queue by abort */
	uint64_t abortedAccepts;  /* accepts completed with ABORTED */
	uint64_t acceptErrors[WSL_ACCEPT__COUNT];
	uint64_t datagramsDropped; /* UDP: lost for lack of resources */
} WSL_LISTENER_COUNTERS;

/* What a handler reports about a channel its accept completed. */
typedef enum {
	WSL_CHANNEL_SERVED,      /* delivered, and served here (active) */
	WSL_CHANNEL_PASSED_ON,   /* delivered, to someone else (not active) */
	WSL_CHANNEL_FAILED,      /* not delivered: reason says why */
	WSL_CHANNEL_ENDED,       /* a served channel is finished (active--) */
	WSL_CHANNEL_REFUSED,     /* turned away by a limit */
} WSL_CHANNEL_OUTCOME;
HRESULT WslCountChannel(WS_LISTENER *, WSL_CHANNEL_OUTCOME, WSL_FAILURE);
uint64_t WslInFlight(const WSL_LISTENER_COUNTERS *);
uint64_t WslFailed(const WSL_LISTENER_COUNTERS *);

/*
 * Sockets that outlive a process (socket activation, the systemd fd store,
 * a reload that replaces a listener); see ws-adopt.c.
 * WslAdoptListenerSocket: the next open uses fd (the listener's from now
 * on) instead of binding; it must match the URL, or the open fails with
 * E_INVALIDARG.  Allowed in CREATED and CLOSED.
 * WslDupListenerSocket: a copy of the listening socket, while OPEN.
 * WslHandOverListener: the next close leaves the kernel's queue and the
 * socket as they are, for the process that inherits the socket.
 * WslRestoreListener: make a new, CREATED listener CREATED, FAULTED or
 * CLOSED, with saved counters (NULL: keep), as a previous process left it.
 */
HRESULT WslAdoptListenerSocket(WS_LISTENER *, int fd, WS_ERROR *);
HRESULT WslDupListenerSocket(WS_LISTENER *, int *fd);
HRESULT WslHandOverListener(WS_LISTENER *);
HRESULT WslRestoreListener(WS_LISTENER *, WS_LISTENER_STATE,
    const WSL_LISTENER_COUNTERS *, WS_ERROR *);

/* Testing aid: the next count accepts of the listening socket fail with
 * err (EMFILE, ENFILE, ENOBUFS, ECONNABORTED, ...) as if the kernel had
 * said so; the connections stay queued. */
HRESULT WslInjectAcceptErrors(WS_LISTENER *, int err, ULONG count);

/* A descriptor was freed: retry accepting now if it was paused for lack
 * of descriptors (EMFILE), instead of at the end of the back-off. */
void WslResumeAccepting(WS_LISTENER *);

typedef struct {
	WS_LISTENER_STATE state;
	WS_CHANNEL_BINDING binding;
	int abortedBeforeOpen;
	int paused;                 /* WslPauseListener */
	ULONG pendingAccepts;
	ULONG channels;           /* open UDP relay channels */
	int family;               /* AF_INET, AF_INET6, AF_UNIX; 0 if none */
	int port;                 /* bound port, -1 if none */
	char address[64];         /* bound address, "" if none */
	char path[108];           /* net.pipe socket path, "" if none */
	int socketAdopted;        /* the socket was given, not bound */
	int queueDepth;           /* the kernel's accept queue (ss Recv-Q), */
	int queueLimit;           /* and its limit (Send-Q); -1 if unknown */
	HRESULT lastError;        /* S_OK when none */
	char lastErrorText[256];
	char lastErrorOperation[16];
	WSL_LISTENER_COUNTERS counters;
} WSL_LISTENER_INFO;
HRESULT WslGetListenerInfo(WS_LISTENER *, WSL_LISTENER_INFO *);

/*
 * Pause (extension): an OPEN listener stops taking connections (and a UDP
 * one datagrams) from its socket, which stays bound, so that new clients
 * wait in the kernel's queue; pending accepts stay pending.  The state
 * stays OPEN.  Resume takes connections again.  Both are allowed only in
 * OPEN (WS_E_INVALID_OPERATION otherwise) and change nothing when already
 * so; a pause ends with the open: any state change out of OPEN (an abort,
 * a close) clears it.
 */
HRESULT WslPauseListener(WS_LISTENER *, BOOL pause, WS_ERROR *);

/* The accepted connection: its descriptor (TCP or Unix stream socket; for
 * UDP a SOCK_SEQPACKET relay, one packet per datagram) and peer. */
HRESULT WslCancelAccept(WS_CHANNEL *); /* only if still pending */
int WslGetChannelFd(WS_CHANNEL *);
int WslDetachChannelFd(WS_CHANNEL *); /* caller owns it; channel -> CLOSED */
HRESULT WslGetChannelPeer(WS_CHANNEL *, struct sockaddr_storage *,
    socklen_t *);

/* URLs: the scheme decides the binding and the listener channel type. */
HRESULT WslUrlBinding(const char *, WS_CHANNEL_BINDING *, WS_CHANNEL_TYPE *,
    char *why, size_t whylen);
typedef struct {
	WS_CHANNEL_BINDING binding;
	WS_CHANNEL_TYPE type;
	int wildcard;              /* host "+" or "*" */
	char host[256];            /* "" when wildcard */
	int port;                  /* -1 for net.pipe */
	char path[256];            /* without the leading '/' */
} WSL_URL_INFO;
HRESULT WslParseUrl(const char *, WSL_URL_INFO *, char *why, size_t whylen);

const char *WslErrorText(WS_ERROR *); /* string 0 or "" */

#endif
