/* SPDX-License-Identifier: ISC */
/*
 * The control socket: newline-delimited JSON requests, answered in order,
 * one at a time per connection (but for detached ones: see
 * ctl_request_detach), on the control thread's own event loop.
 * A command handler receives a ctl_request and answers it exactly once
 * with ctl_reply(), now or later (open, close, accept and wait answer when
 * their operation finishes, while other connections are served).
 */
#ifndef WSL_CONTROL_H
#define WSL_CONTROL_H

#include <sys/queue.h>
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
	bool detached;               /* answered out of turn (see below) */
	TAILQ_ENTRY(ctl_request) detached_entry;
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

/*
 * A request that waits for something outside the client's control (an
 * accept for its connection) may let the connection go on with the next
 * requests meanwhile; its answer then comes when it is ready, with its id,
 * possibly after the answers to later requests.  At most
 * CONTROL_MAX_DETACHED per connection: past that it is answered in turn.
 * False if it was not detached.
 */
#define CONTROL_MAX_DETACHED 64
bool ctl_request_detach(struct ctl_request *);

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
/*
 * A successful reply whose arguments are one array, {key: [...]}, too
 * large to make at once (list of thousands): it is sent as it is made, a
 * slice at a time, each slice at most about CONTROL_SLICE_US of work,
 * between which the control thread serves everyone else; no slice is
 * made while the client has the high-water mark of replies unread.
 * next(arg, &item) says what it did: gave an item (a new reference), did
 * some work towards one (called again), came to the end, or ran out of
 * memory, and then the client is dropped and counted (it never gets a
 * line that ends).  finish(arg) is called once, whatever happened, also
 * when the client has gone.
 */
#define CONTROL_SLICE_US 50
enum ctl_item { CTL_ITEM, CTL_ITEM_NOT_YET, CTL_ITEMS_END, CTL_ITEMS_NO_MEMORY };
typedef enum ctl_item ctl_item_fn(void *arg, json_t **item);
void ctl_reply_items(struct ctl_request *, const char *key, ctl_item_fn *next,
    void (*finish)(void *), void *arg);

#endif
