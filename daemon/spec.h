/* SPDX-License-Identifier: ISC */
/*
 * A listener's definition, as the `create` command and the config file
 * give it: {url, properties?, handler?, open?} (and name for `create`).
 * Both are checked by the same code, so they accept the same things.
 */
#ifndef WSL_SPEC_H
#define WSL_SPEC_H

#include <stdbool.h>

#include <jansson.h>

#include "props.h"
#include "webservices.h"

#define LISTENER_NAME_MAX 64            /* bytes, spec_name_ok() says */

struct handler_type;

struct listener_spec {
	char name[LISTENER_NAME_MAX + 1];
	const char *url;                 /* borrowed from the object */
	WS_CHANNEL_BINDING binding;
	WS_CHANNEL_TYPE type;
	struct props_set props;
	json_t *properties;              /* borrowed; NULL when absent */
	const json_t *definition;        /* borrowed: the object parsed */
	json_t *handler_conf;            /* new reference */
	const struct handler_type *handler;
	void *handler_state;             /* NULL once taken */
	bool open;
	bool dedicated_loop;             /* "loop": "dedicated" */
	ULONG loops;                     /* "loops": N, 0 for "all" */
};

/*
 * Check obj; extra lists keys the caller allows besides the spec's own
 * (NULL-terminated, e.g. "name" for `create`).  On failure: -1, err set,
 * and where holds the JSON pointer of the offending value below obj.
 */
int spec_parse(const char *name, const json_t *obj, const char *const *extra,
    struct listener_spec *, struct wsl_err *, char *where, size_t wherelen);
void spec_clear(struct listener_spec *);
bool spec_name_ok(const char *);
/* The keys of a definition, in order, and what each value must be as the
 * messages say it ("true or false"); NULL past the last. */
const char *spec_key_name(size_t);
const char *spec_key_phrase(size_t);

#endif
