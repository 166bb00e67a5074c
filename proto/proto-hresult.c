/* SPDX-License-Identifier: ISC */
/*
 * HRESULT names, classes and texts, command and state names: the lookup
 * tables generated from hresult.def and commands.def.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wsl-proto.h"

struct hr_info {
	int32_t value;
	const char *name;
	int class;
	const char *text;
};

static const struct hr_info hr_table[] = {
#define WSL_HR(name, value, class, text) { (int32_t)(value), #name, class, text },
#include "hresult.def"
#undef WSL_HR
};

const struct wsl_cmd_info wsl_cmds[WSL_CMD__COUNT] = {
#define WSL_CMD(c, wire, level, args, summary) \
	[WSL_CMD_##c] = { wire, WSL_LEVEL_##level, args, summary },
#include "commands.def"
#undef WSL_CMD
};

static const char *const state_names[] = {
	"CREATED", "OPENING", "OPEN", "FAULTED", "CLOSING", "CLOSED",
};

static const struct hr_info *
hr_find(int32_t hr)
{
	size_t i;

	for (i = 0; i < sizeof(hr_table) / sizeof(hr_table[0]); i++)
		if (hr_table[i].value == hr)
			return (&hr_table[i]);
	return (NULL);
}

const char *
wsl_hr_name(int32_t hr)
{
	const struct hr_info *h = hr_find(hr);

	return (h != NULL ? h->name : NULL);
}

const char *
wsl_hr_text(int32_t hr)
{
	const struct hr_info *h = hr_find(hr);

	return (h != NULL ? h->text : "unknown error");
}

int
wsl_hr_class(int32_t hr)
{
	const struct hr_info *h = hr_find(hr);

	if (h != NULL)
		return (h->class);
	return (wsl_hr_failed(hr) ? 1 : 0);
}

bool
wsl_hr_failed(int32_t hr)
{
	return (hr < 0);
}

void
wsl_hr_format(int32_t hr, char buf[11])
{
	snprintf(buf, 11, "0x%08X", (unsigned int)(uint32_t)hr);
}

/* Exactly "0x" and 8 hex digits: no sign, blank or second prefix. */
bool
wsl_hr_parse(const char *s, int32_t *hr)
{
	int i;

	if (s == NULL || strncmp(s, "0x", 2) != 0 || strlen(s) != 10)
		return (false);
	for (i = 2; i < 10; i++)
		if (!isxdigit((unsigned char)s[i]))
			return (false);
	*hr = (int32_t)(uint32_t)strtoul(s + 2, NULL, 16);
	return (true);
}

int32_t
wsl_err_set(struct wsl_err *e, int32_t hr, const char *fmt, ...)
{
	va_list ap;

	if (e != NULL) {
		e->hr = hr;
		va_start(ap, fmt);
		vsnprintf(e->text, sizeof(e->text), fmt, ap);
		va_end(ap);
	}
	return (hr);
}

int
wsl_cmd_lookup(const char *name)
{
	int i;

	for (i = 0; i < WSL_CMD__COUNT; i++)
		if (strcmp(wsl_cmds[i].name, name) == 0)
			return (i);
	return (-1);
}

const char *
wsl_level_name(enum wsl_level level)
{
	switch (level) {
	case WSL_LEVEL_READ:
		return ("read");
	case WSL_LEVEL_OPERATE:
		return ("operate");
	case WSL_LEVEL_ADMIN:
		return ("admin");
	}
	return ("?");
}

const char *
wsl_state_name(int state)
{
	if (state < 0 || state >= (int)(sizeof(state_names) / sizeof(state_names[0])))
		return ("UNKNOWN");
	return (state_names[state]);
}

int
wsl_state_lookup(const char *name)
{
	int i;

	for (i = 0; i < (int)(sizeof(state_names) / sizeof(state_names[0])); i++)
		if (strcasecmp(state_names[i], name) == 0)
			return (i);
	return (-1);
}
