/* SPDX-License-Identifier: ISC */
/*
 * The control socket: newline-delimited JSON requests, answered in order,
 * one at a time per connection, on the control thread's own event loop.
 * A command handler receives a ctl_request and answers it exactly once
 * with ctl_reply(), now or later (open, close, accept and wait answer when
 * their operation finishes, while other connections are served).
 */
#ifndef WSL_CONTROL_H
#define WSL_CONTROL_H

#include <sys/socket.h>

#include <stdbool.h>

#include <jansson.h>

#include "actor.h"
#include "webservices.h"

struct ctl_conn;
struct wsld_listener;

struct ctl_request {
	struct ctl_conn *conn;       /* NULL once the client has gone */
	json_t *root;                /* the decoded request (owns the rest) */
	json_t *id;                  /* borrowed; NULL when absent */
	json_t *args;                /* borrowed; an object */
	int cmd;                     /* enum wsl_cmd */
	actor_t actor;               /* the peer, for logs and the core */
	/* Set by commands that wait: called if the client goes away. */
	void (*cancel)(struct ctl_request *);
	void *data;
};

/* The control thread's loop; listener loops activate events on it. */
extern struct event_base *control_base;

/* The control socket (0660, of group if not NULL), or the read-only one
 * (0666, read commands only). */
int control_listen(struct event_base *, const char *path, const char *group,
    bool read_only);
int control_adopt(struct event_base *, int fd); /* socket activation */
/*
 * Per socket, at most clients connections (more are told
 * WS_E_QUOTA_EXCEEDED and closed; root and wsld's own user always get
 * in), and a request must arrive whole within request_timeout_ms of its
 * first byte.
 */
#define CONTROL_MAX_CLIENTS 256
#define CONTROL_REQUEST_TIMEOUT_MS 10000
void control_set_limits(size_t clients, long long request_timeout_ms);
/* Counts of what happened to control clients (a new object). */
json_t *control_stats(void);
size_t control_connections(void); /* open now (for tests) */
void control_shutdown(void); /* stop accepting, remove the socket file */
void control_free(void);

/* Answer the request (steals args) and finish it. */
void ctl_reply(struct ctl_request *, HRESULT, const char *text, json_t *args);
/* The same, with a descriptor attached to the reply's bytes; the
 * descriptor is the reply's now, and l's counters record its fate. */
void ctl_reply_fd(struct ctl_request *, HRESULT, const char *text,
    json_t *args, int fd, struct wsld_listener *l);
/* The same, with the reply already encoded (wsl_encode's form: one line
 * of JSON and its newline), for a reply too large to be built as a JSON
 * tree first; line is the connection's now.  NULL: no memory, the client
 * is dropped (and counted). */
void ctl_reply_encoded(struct ctl_request *, char *line, size_t len);
/* No memory to say what happened: the client is dropped (and counted)
 * rather than told something incomplete; fd (or -1) counts as a failed
 * hand-off. */
void ctl_reply_lost(struct ctl_request *, int fd, struct wsld_listener *l);

#endif
