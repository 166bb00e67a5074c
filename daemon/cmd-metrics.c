/* SPDX-License-Identifier: ISC */
/*
 * metrics: the OpenMetrics text exposition (metrics.c) in a reply, the
 * same text the metrics handler serves over HTTP.
 */
#include "cmd.h"
#include "metrics.h"

void
cmd_metrics(struct ctl_request *req)
{
	struct metrics_text *t;
	json_t *text;

	if (!args_only(req, NULL))
		return;
	if ((t = metrics_render()) == NULL) {
		ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory: the "
		    "metrics could not be rendered", NULL);
		return;
	}
	/* The text is ASCII but for what wsl_escape lets through of a URL,
	 * which is valid UTF-8: no need to check it again. */
	text = json_stringn_nocheck(t->data, t->len);
	metrics_text_unref(t);
	if (text == NULL) {
		ctl_reply_lost(req, -1, NULL); /* never part of it */
		return;
	}
	ctl_reply(req, WSL_HR_S_OK, NULL, json_pack("{s:s,s:o}",
	    "content-type", METRICS_CONTENT_TYPE, "metrics", text));
}
