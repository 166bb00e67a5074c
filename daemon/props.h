/* SPDX-License-Identifier: ISC */
/*
 * Listener properties on the wire: lower-case dashed names
 * ("listen-backlog") and JSON values, mapped to WS_LISTENER_PROPERTY ids
 * and binary values.
 */
#ifndef WSL_PROPS_H
#define WSL_PROPS_H

#include <stddef.h>

#include <jansson.h>

#include "webservices.h"

/* A property array for WsCreateListener, values stored alongside. */
struct props_set {
	WS_LISTENER_PROPERTY *props;
	ULONG count;
	void *values;
};

/* 0, or -1 with err and where (a JSON pointer below the object) set. */
int props_from_json(const json_t *, struct props_set *, struct wsl_err *,
    char *where, size_t wherelen);
/* What the core says of the values (range, combination): 0 or -1 with
 * err and where set, as WsCreateListener would refuse them. */
int props_check(const struct props_set *, WS_CHANNEL_TYPE, WS_CHANNEL_BINDING,
    struct wsl_err *, char *where, size_t wherelen);
void props_clear(struct props_set *);
/* The properties, in the table's order: the name, and what a value must
 * be, as the messages say it ("an integer from 1 to 2147483647", or
 * "read-only"); NULL past the last. */
const char *props_name(size_t);
int props_phrase(size_t, char *, size_t);
json_t *props_get_all(WS_LISTENER *);
/* 0, or -1 with err set (unknown name). */
int props_get(WS_LISTENER *, const char *, json_t **, struct wsl_err *);
int props_set(WS_LISTENER *, const char *, const json_t *, struct wsl_err *);

#endif
