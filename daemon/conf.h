/* SPDX-License-Identifier: ISC */
/*
 * The configuration file: JSON, {"listeners": {NAME: {url, properties,
 * handler, open}}, "control-socket": PATH, "control-socket-group": GROUP,
 * "read-only-socket": PATH, "access": {GROUP: "read"|"operate"|"admin"},
 * "control-max-clients": N, "control-request-timeout-ms": MS,
 * "pipe-directory": DIR, "include": [PATTERN...]}; "{}" is valid.  One
 * table in conf.c says each key's type, bounds and destination; the
 * messages come from it, and tests/lint/conf-keys.sh checks wsld.conf(5)
 * against it.  Every error names the file, line and column of the
 * offending value, whether JSON syntax or meaning is wrong.  The file must
 * be a regular file of at most 16 MiB: a FIFO or a device is refused
 * without being read, so that a reload never waits on it.
 *
 * "include" names files by glob(3) patterns, a relative one relative to
 * the including file's directory; each file matched ({"listeners": {...}}
 * and nothing else, itself a valid configuration) adds its listeners, in
 * the order of the patterns and, within one, of the names.  A listener
 * defined twice is an error that names both places.  At most
 * CONF_INCLUDE_FILES_MAX files, each checked as the main file is, and all
 * together at most 16 MiB.
 */
#ifndef WSL_CONF_H
#define WSL_CONF_H

#include <stddef.h>

#include <jansson.h>

struct conf {
	json_t *root;
	const char *control_socket;   /* borrowed from root; NULL: absent */
	const char *pipe_directory;
	const char *control_group;    /* the control socket's group */
	const char *read_only_socket;
	json_t *access;               /* borrowed; group name -> level */
	long long max_clients;        /* the defaults when absent */
	long long request_timeout_ms;
	long long loops;              /* 0: one per core */
	json_t *listeners;            /* borrowed; an object, maybe empty:
	                               * with "include", the merged one */
	json_t *include;              /* borrowed; NULL: absent */
	json_t *merged;               /* own: the file's listeners and the
	                               * included ones; NULL: no "include" */
	size_t included;              /* files read for "include" */
};

#define CONF_INCLUDE_PATTERNS_MAX 64
#define CONF_INCLUDE_FILES_MAX 1000

/* 0, or -1 with "FILE:LINE:COLUMN: message" in err, or CONF_NO_MEMORY
 * when there was no memory to read it. */
#define CONF_NO_MEMORY (-2)
int conf_load(const char *path, struct conf *, char *err, size_t);
/* The same for text already read (path only names it in messages),
 * without reading the files that "include" names: conf_load does. */
int conf_parse(const char *path, const char *text, size_t len, struct conf *,
    char *err, size_t);
void conf_free(struct conf *);

/* The top-level keys, in the table's order: the name, and what its value
 * must be, as the messages say it ("an integer from 1 to 65536"); NULL
 * past the last. */
const char *conf_key_name(size_t);
int conf_key_phrase(size_t, char *, size_t);

#endif
