/* SPDX-License-Identifier: ISC */
/*
 * The wsld control protocol, shared by wsld and wslctl (libwslproto.a).
 *
 * Framing: newline-delimited compact JSON over an AF_UNIX stream socket.
 * A request is {"id": any, "command": "abort", "arguments": {...}}; the reply
 * is {"id": same, "result": class, "hresult": "0x803D0003", "error": name,
 * "text": sentence, "arguments": {...}}.  The man page wsld-control(7) is
 * the normative description; bump WSL_PROTO_VERSION on any incompatible
 * change.  This library depends on jansson and libc only and never logs.
 */
#ifndef WSL_PROTO_H
#define WSL_PROTO_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#define WSL_PROTO_VERSION 2 /* 2: counters reworked (no closed-on-close) */
#define WSL_PROTO_MAX_REQUEST (1024 * 1024) /* bytes, newline included */
#define WSL_PROTO_MAX_DEPTH 32             /* nested objects and arrays */

/* HRESULT constants, from hresult.def. */
enum {
#define WSL_HR(name, value, class, text) WSL_HR_##name = (int32_t)(value),
#include "hresult.def"
#undef WSL_HR
};

const char *wsl_hr_name(int32_t);  /* NULL when unknown */
const char *wsl_hr_text(int32_t);  /* never NULL */
int wsl_hr_class(int32_t);         /* result class = wslctl exit status */
bool wsl_hr_parse(const char *, int32_t *); /* "0x803D0003" */
void wsl_hr_format(int32_t, char buf[11]);  /* "0x803D0003" */
bool wsl_hr_failed(int32_t);

/* Control commands, from commands.def. */
enum wsl_level { WSL_LEVEL_READ, WSL_LEVEL_OPERATE, WSL_LEVEL_ADMIN };
enum wsl_cmd {
#define WSL_CMD(c, wire, level, args, summary) WSL_CMD_##c,
#include "commands.def"
#undef WSL_CMD
	WSL_CMD__COUNT
};
struct wsl_cmd_info {
	const char *name;
	enum wsl_level level;
	const char *arguments;
	const char *summary;
};
extern const struct wsl_cmd_info wsl_cmds[WSL_CMD__COUNT];
int wsl_cmd_lookup(const char *); /* enum wsl_cmd, or -1 */
const char *wsl_level_name(enum wsl_level);

/* A failure: an HRESULT and the sentence that explains it. */
struct wsl_err {
	int32_t hr;
	char text[256];
};
int32_t wsl_err_set(struct wsl_err *, int32_t, const char *, ...)
    __attribute__((__format__(__printf__, 3, 4)));

/* A decoded request; borrowed pointers into root, which owns them. */
struct wsl_request {
	json_t *root;
	json_t *id;        /* NULL when absent */
	const char *command;
	int cmd;           /* enum wsl_cmd, or -1 when unknown */
	json_t *arguments; /* always an object */
};
int32_t wsl_request_decode(const char *, size_t, struct wsl_request *,
    struct wsl_err *);
void wsl_request_clear(struct wsl_request *);
json_t *wsl_request_new(json_t *id, const char *command, json_t *arguments);

/* Replies.  wsl_reply_new steals arguments (may be NULL) and escapes
 * text (wsl_escape_controls): the arguments are data, the text is shown. */
json_t *wsl_reply_new(json_t *id, int32_t hr, const char *text,
    json_t *arguments);
struct wsl_reply {
	json_t *root;
	int result;
	int32_t hr;
	const char *error; /* NULL on success */
	const char *text;
	json_t *arguments; /* an object, possibly empty */
};
int32_t wsl_reply_decode(const char *, size_t, struct wsl_reply *,
    struct wsl_err *);
void wsl_reply_clear(struct wsl_reply *);
char *wsl_encode(const json_t *, size_t *); /* compact JSON + '\n'; free() */

/*
 * JSON text as json_loadb() reads it, except that the text ends early once
 * stop() says so (stop is asked before every 1 KiB, and may be NULL).
 * Both decoders above read this way.  For a caller whose allocations can
 * fail: jansson 2.14 drops a byte that it has no memory to save and goes
 * on (load.c, lex_save), so that a string that loses its closing quote is
 * copied on past the end of its buffer.  Such a caller serves the failed
 * allocation from a reserve and makes stop() say true: the parse then
 * fails within 1 KiB, with a bounded need for memory meanwhile.
 */
void wsl_json_stop_when(bool (*stop)(void));
json_t *wsl_json_loadb(const char *, size_t, size_t flags, json_error_t *);

/*
 * Line framing that does not care how bytes arrive: append what read()
 * returned, then take complete lines out (see wsl_lines_next for the
 * consume contract).  Once max bytes are buffered without a newline,
 * wsl_lines_next() reports WSL_LINES_TOO_LONG; appending more is the
 * caller's choice (the daemon stops reading and drops the connection).
 * The cost is linear in the bytes appended, whatever the lines.
 */
struct wsl_lines {
	char *buf;
	size_t off, len;  /* the bytes not yet consumed: buf[off, len) */
	size_t cap, max;
	size_t scanned;   /* buf[off, scanned) holds no newline */
	size_t tail;      /* just past the last newline (<= off: none) */
	size_t moved;     /* bytes moved to make room, in all (for tests) */
};
enum { WSL_LINES_NONE, WSL_LINES_LINE, WSL_LINES_TOO_LONG };
void wsl_lines_init(struct wsl_lines *, size_t max);
void wsl_lines_free(struct wsl_lines *);
int wsl_lines_append(struct wsl_lines *, const void *, size_t); /* -ENOMEM */
int wsl_lines_next(struct wsl_lines *, char **, size_t *); /* WSL_LINES_* */
int wsl_lines_take_rest(struct wsl_lines *, char **, size_t *); /* at EOF */
void wsl_lines_consume(struct wsl_lines *, size_t);
size_t wsl_lines_pending(const struct wsl_lines *);
size_t wsl_lines_partial(const struct wsl_lines *); /* after the last \n */
/* Memory: the buffer's size, and what appending n bytes would add to it. */
size_t wsl_lines_size(const struct wsl_lines *);
size_t wsl_lines_growth(const struct wsl_lines *, size_t n);
void wsl_lines_drop_partial(struct wsl_lines *); /* keep complete lines */
void wsl_lines_trim(struct wsl_lines *, size_t keep); /* shrink to ~keep */

/* Descriptor passing over AF_UNIX stream sockets (SCM_RIGHTS).  For
 * wsl_recv_fd, *fd must be -1 on entry. */
ssize_t wsl_send_fd(int sock, const void *, size_t, int fd);
ssize_t wsl_recv_fd(int sock, void *, size_t, int *fd);
/* Every descriptor that came (up to max, the rest closed), for those who
 * must tell one from two. */
#define WSL_RECV_FDS_MAX 8
ssize_t wsl_recv_fds(int sock, void *, size_t, int *fds, size_t max,
    size_t *n);

/*
 * After a read of 0 bytes: has the peer closed?  On a stream socket, 0 is
 * always the end of what the peer sends, and this tells a full close
 * (true) from a half-close (false) unless half counts as well.  On a
 * SOCK_SEQPACKET socket, 0 may also be an empty packet: pass half = true,
 * and false means it was a packet.
 */
bool wsl_hung_up(int fd, bool half);

/*
 * Bind a Unix stream or datagram socket at sun's path with exactly MODE
 * and, unless gid is (gid_t)-1, that group: the file is made 0600 (never
 * wider for a moment, whatever the umask, which threads share), then
 * changed through a descriptor of the file itself, checked to be a socket
 * of ours, so that no path swapped meanwhile is followed.  0, or -1 with
 * errno (a file made here is removed again).
 */
struct sockaddr_un;
int wsl_bind_unix(int fd, const struct sockaddr_un *, mode_t, gid_t);

/* An IPv4 or IPv6 address as text ("127.0.0.1", "::1") and its port;
 * false, with host and port untouched, for any other family. */
struct sockaddr;
bool wsl_format_addr(const struct sockaddr *, char *host, size_t size,
    int *port);

/*
 * Text a peer or a configuration wrote, made fit to show: newline and tab
 * as \n and \t, the other C0 controls and DEL as \xHH, the C1 controls
 * (U+0080..U+009F), the bidi format characters (U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069) and the line and paragraph separators
 * (U+2028, U+2029) as \uHHHH, and every byte that is not part of valid
 * UTF-8 as \xHH; the rest as it is.  So the text stays on one line,
 * drives no terminal, reads in its own order and is valid UTF-8.  A
 * backslash stays as it is, so escaping twice changes nothing more.  Cut
 * to fit size (NUL included), never inside an escape or a character.
 * wsl_escape takes bytes (NULs escaped too) and returns the length out
 * got; an input byte needs at most WSL_ESCAPE_MAX output bytes.
 */
#define WSL_ESCAPE_MAX 4
size_t wsl_escape(const void *in, size_t len, char *out, size_t size);
void wsl_escape_controls(const char *in, char *out, size_t size);

/* The monotonic clock in milliseconds, and milliseconds as a timeval. */
struct timeval;
long long wsl_now_ms(void);

/* proto-near.c: the edit distance of two words of at most WSL_NEAR_MAX
 * bytes, or bound + 1 if it is more than bound (or a word is longer). */
#define WSL_NEAR_MAX 64
int wsl_edit_distance(const char *, const char *, int bound);
struct timeval wsl_ms_to_tv(long long ms);

/* Where the control socket lives unless -s / WSLCTL_SOCKET say otherwise. */
int wsl_default_socket_path(char *, size_t);

/* Listener states by name, shared so that wait and wslctl agree. */
const char *wsl_state_name(int);
int wsl_state_lookup(const char *); /* -1 when unknown */

#endif
