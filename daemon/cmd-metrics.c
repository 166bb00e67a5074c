/* SPDX-License-Identifier: ISC */
/*
 * metrics: the OpenMetrics text exposition (metrics.c) in a reply, the
 * same text the metrics handler serves over HTTP.
 *
 * At 10,000 listeners the text is 21 MB.  Made into a JSON string and
 * dumped by jansson, it was copied four times (the string, the dump's
 * growing buffer, its copy, the line) and escaped a character at a time:
 * about 0.25 s of the control thread and 90 MB at the peak.  So the reply
 * is encoded around an empty "metrics" string, the last member of the
 * last member of the reply, and the text is written, escaped, into its
 * place: one allocation, which goes once the line is sent.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json-memory.h"
#include "metrics.h"

#define TAIL "\"metrics\":\"\"}}\n"  /* how the encoded reply ends */

void
cmd_metrics(struct ctl_request *req)
{
	struct metrics_text *t;
	json_t *reply, *text;
	char *head, *line;
	size_t hlen, len = 0;

	if (!args_only(req, NULL))
		return;
	reply = wsl_reply_new(req->id, WSL_HR_S_OK, NULL, json_pack("{s:s,s:s}",
	    "content-type", METRICS_CONTENT_TYPE, "metrics", ""));
	head = reply != NULL ? json_encode_whole(reply, &hlen) : NULL;
	json_decref(reply);
	if (head == NULL) {
		ctl_reply_lost(req, -1, NULL);
		return;
	}
	if (hlen >= strlen(TAIL) && strcmp(head + hlen - strlen(TAIL),
	    TAIL) == 0) {
		/* Up to and with "metrics":", then the text, "}} and the
		 * newline. */
		line = metrics_render_json(head, hlen - strlen("\"}}\n"),
		    "\"}}\n", &len);
		free(head);
		if (line != NULL)
			ctl_reply_encoded(req, line, len);
		else
			ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory: "
			    "the metrics could not be rendered", NULL);
		return;
	}
	/* Not the form expected of jansson: the long way. */
	free(head);
	if ((t = metrics_render()) == NULL) {
		ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory: the "
		    "metrics could not be rendered", NULL);
		return;
	}
	text = json_stringn_nocheck(t->data, t->len);
	metrics_text_unref(t);
	if (text == NULL)
		ctl_reply_lost(req, -1, NULL);
	else
		ctl_reply(req, WSL_HR_S_OK, NULL, json_pack("{s:s,s:o}",
		    "content-type", METRICS_CONTENT_TYPE, "metrics", text));
}
