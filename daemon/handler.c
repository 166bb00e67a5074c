/* SPDX-License-Identifier: ISC */
/*
 * The table of handler types, and the "accept" handler, which has no loop
 * of its own: its channels go to `accept` requests only.
 */
#include <stdio.h>
#include <string.h>

#include "handler-loop.h"
#include "handler.h"

static int
accept_configure(const json_t *conf, WS_CHANNEL_BINDING binding,
    void **state, struct wsl_err *err, char *where, size_t wherelen)
{
	(void)binding;
	*state = NULL;
	return (handler_check_keys(conf, &handler_accept, err, where,
	    wherelen));
}

static void
nothing(struct wsld_listener *l)
{
	(void)l;
}

static void
nothing_to_free(void *state)
{
	(void)state;
}

static const struct handler_key accept_keys[] = { { NULL, NULL } };

const struct handler_type handler_accept = {
	.name = "accept",
	.keys = accept_keys,
	.serves_accept_requests = true,
	.configure = accept_configure,
	.start = nothing,
	.release = nothing,
	.destroy = nothing_to_free,
};

static const struct handler_type *const handlers[] = {
	&handler_accept,
	&handler_echo,
	&handler_forward,
	&handler_exec,
	&handler_metrics,
};

const struct handler_type *
handler_at(size_t i)
{
	return (i < sizeof(handlers) / sizeof(handlers[0]) ? handlers[i] :
	    NULL);
}

const struct handler_type *
handler_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		if (strcmp(handlers[i]->name, name) == 0)
			return (handlers[i]);
	return (NULL);
}

/* "accept, echo": for error messages. */
const char *
handler_names(void)
{
	static char names[128];
	size_t i, n = 0;

	if (names[0] != '\0')
		return (names);
	for (i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
		    i > 0 ? ", " : "", handlers[i]->name);
	return (names);
}
