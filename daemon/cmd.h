/* SPDX-License-Identifier: ISC */
/*
 * Command handlers: one function per command of proto/commands.def, each
 * answering its request exactly once (see control.h), and the helpers
 * they share for arguments and listener replies.
 */
#ifndef WSL_CMD_H
#define WSL_CMD_H

#include <stdbool.h>

#include <jansson.h>

#include "control.h"
#include "registry.h"

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

/* The listener object every listener reply carries (a new reference). */
json_t *describe_listener(struct wsld_listener *);
/* Answer with the listener object, plus previous-state when given. */
void reply_listener(struct ctl_request *, struct wsld_listener *, HRESULT,
    const char *text, int previous);

#endif
