/* SPDX-License-Identifier: ISC */
/*
 * JSON pointers (RFC 6901), which say where in a configuration or a
 * request an error is: "/listeners/web/properties/listen-backlog".  A key
 * is written with '~' as "~0" and '/' as "~1", so that any key, however
 * long or odd, names one place.
 */
#ifndef WSL_POINTER_H
#define WSL_POINTER_H

#include <stddef.h>

#include <jansson.h>

/* Append "/KEY" to the pointer in buf; -1 (and buf unchanged) when it does
 * not fit in len. */
int pointer_append(char *buf, size_t len, const char *key);
/* The room (with the NUL) a pointer needs that names any value of v from
 * a prefix of prefix_len bytes: the longest path of keys and indexes. */
size_t pointer_room(const json_t *v, size_t prefix_len);
/* Line and column (from 1) of the value the pointer names in text, which
 * is valid JSON; -1 when it names nothing. */
int pointer_locate(const char *text, size_t len, const char *pointer,
    int *line, int *column);

#endif
