/* SPDX-License-Identifier: ISC */
/*
 * jansson's memory.  Its allocations go through the fault injection and
 * are counted when they fail.  A request is parsed only with a reserve of
 * memory in hand: jansson 2.14 drops a byte that it has no memory to save
 * and parses on (load.c, lex_save), so that a string that loses its
 * closing quote is copied on past the end of its buffer, a crash that an
 * exhausted address space (RLIMIT_AS) brought about.  An allocation that
 * fails during a parse is served from the reserve instead, and the parse
 * is made to end within 1 KiB (wsl_json_stop_when), so that it fails
 * cleanly; its caller answers E_OUTOFMEMORY.
 */
#ifndef WSL_JSON_MEMORY_H
#define WSL_JSON_MEMORY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Enough for what a parse of the largest request can still allocate once
 * it is told to stop: a string's buffer and its copy, and an array's or
 * object's table doubling. */
#define JSON_RESERVE (8 * 1024 * 1024)

void json_memory_init(void);
/*
 * JSON allocations that have failed on this thread (counted whether
 * injected or real).  A parse that met one is not to be trusted even if it
 * "succeeded".
 */
unsigned long json_allocation_failures(void);
/*
 * Around a parse (of the thread that parses requests): false when the
 * reserve is spent and cannot be had again, and the text must not be
 * parsed; then true when an allocation failed during the parse, whose
 * result is not to be trusted.
 */
bool json_parse_begin(void);
bool json_parse_end(void);
/*
 * wsl_encode(), or NULL when an allocation failed on the way: jansson 2.14
 * also ignores a failure to write an object key (dump.c, do_dump), and
 * the text would miss a quote.
 */
char *json_encode_whole(const json_t *, size_t *);

#endif
