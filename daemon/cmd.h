/* SPDX-License-Identifier: ISC */
/*
 * Command handlers: one function per command of proto/commands.def, each
 * answering its request exactly once (see control.h), and the helpers
 * they share for arguments and listener replies.
 */
#ifndef WSL_CMD_H
#define WSL_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "control.h"
#include "lifecycle.h"

typedef void cmd_fn(struct ctl_request *);
#define WSL_CMD(c, wire, level, args, summary) cmd_fn cmd_##c;
#include "commands.def"
#undef WSL_CMD

void cmd_dispatch(struct ctl_request *);

/*
 * Argument helpers: each returns false after answering the request with
 * E_INVALIDARG (or ERROR_NOT_FOUND), so a handler just returns.
 */
bool args_only(struct ctl_request *, ...); /* allowed keys, NULL-ended */
bool args_string(struct ctl_request *, const char *, bool required,
    const char **);
bool args_ms(struct ctl_request *, const char *, long long *); /* -1: absent */
struct wsld_listener *args_listener(struct ctl_request *);

/* `wait` hears of a listener's life (lifecycle.h): a change to the state
 * it waits for answers it, a freed listener ends it (ERROR_NOT_FOUND), a
 * replaced one hands its waiters to its successor. */
void waiters_changed(struct wsld_listener *, const WSL_TRANSITION *);
void waiters_replaced(struct wsld_listener *, struct wsld_listener *);
void waiters_freed(struct wsld_listener *);
size_t waiters_count(const struct wsld_listener *); /* pending `wait`s */

/* The listener object every listener reply carries (a new reference). */
json_t *describe_listener(struct wsld_listener *);
/* Some of its fields, in a given order (list's "fields"). */
#define DESCRIBE_FIELDS_MAX 32
struct describe_fields {
	uint32_t mask;
	size_t count;
	unsigned char order[DESCRIBE_FIELDS_MAX];
};
/* From an array of field names; -1 after saying why (E_INVALIDARG). */
int describe_fields_parse(const json_t *, struct describe_fields *,
    char *why, size_t);
const char *describe_field_list(void); /* "name, url, ..." */
/* Only those fields (NULL: all); NULL when out of memory. */
json_t *describe_listener_fields(struct wsld_listener *,
    const struct describe_fields *);
/* The names of the counters' breakdowns, as status and metrics show
 * them: failed-by-reason and accept-errors-by-errno. */
extern const char *const describe_failure_names[WSL_FAIL__COUNT];
extern const char *const describe_accept_error_names[WSL_ACCEPT__COUNT];
/* Answer with the listener object, plus previous-state when given. */
void reply_listener(struct ctl_request *, struct wsld_listener *, HRESULT,
    const char *text, int previous);

#endif
