/* SPDX-License-Identifier: ISC */
/*
 * jansson's memory (see json-memory.h).
 */
#include <stdbool.h>
#include <stdlib.h>

#include <jansson.h>

#include "inject.h"
#include "json-memory.h"
#include "wsl-proto.h"

static _Thread_local unsigned long failures;
static _Thread_local bool parsing;
static _Thread_local unsigned long failures_before;
static void *reserve; /* the parsing thread's only */

unsigned long
json_allocation_failures(void)
{
	return (failures);
}

static void *
json_alloc(size_t n)
{
	void *p;

	if ((p = inject_malloc(n)) != NULL)
		return (p);
	failures++;
	if (!parsing)
		return (NULL);
	/* jansson may not be told no in mid-parse: the reserve makes room
	 * (an injected failure leaves real memory, which serves too). */
	free(reserve);
	reserve = NULL;
	return (malloc(n));
}

/* Read no further once an allocation of this parse has failed. */
static bool
parse_failed(void)
{
	return (parsing && failures != failures_before);
}

void
json_memory_init(void)
{
	json_set_alloc_funcs(json_alloc, free);
	wsl_json_stop_when(parse_failed);
}

bool
json_parse_begin(void)
{
	if (reserve == NULL && (reserve = inject_malloc(JSON_RESERVE)) ==
	    NULL)
		return (false);
	parsing = true;
	failures_before = failures;
	return (true);
}

bool
json_parse_end(void)
{
	parsing = false;
	return (failures != failures_before);
}

char *
json_encode_whole(const json_t *msg, size_t *len)
{
	unsigned long before = failures;
	char *text;

	if ((text = wsl_encode(msg, len)) != NULL && failures != before) {
		free(text);
		text = NULL;
	}
	return (text);
}
