/* SPDX-License-Identifier: ISC */
/*
 * version and commands: what this daemon is and what it understands.
 */
#include <event2/event.h>

#include "cmd.h"
#include "descriptors.h"
#include "notify-send.h"

void
cmd_version(struct ctl_request *req)
{
	if (!args_only(req, NULL))
		return;
	ctl_reply(req, WSL_HR_S_OK, "wsld " PACKAGE_VERSION, json_pack(
	    "{s:s,s:i,s:s,s:s,s:o,s:o,s:o}", "version", PACKAGE_VERSION,
	    "protocol", WSL_PROTO_VERSION, "libevent", event_get_version(),
	    "jansson", JANSSON_VERSION, "control", control_stats(),
	    "descriptors", descriptors_describe(),
	    "service-manager", notify_send_stats()));
}

void
cmd_commands(struct ctl_request *req)
{
	json_t *arr;
	int i;

	if (!args_only(req, NULL))
		return;
	arr = json_array();
	for (i = 0; i < WSL_CMD__COUNT; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s}",
		    "name", wsl_cmds[i].name,
		    "level", wsl_level_name(wsl_cmds[i].level),
		    "arguments", wsl_cmds[i].arguments,
		    "summary", wsl_cmds[i].summary));
	ctl_reply(req, WSL_HR_S_OK, NULL, json_pack("{s:o}", "commands", arr));
}
