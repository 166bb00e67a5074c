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
 * last member of the reply, and the text is escaped into its place in one
 * pass: the text and the line, 42 MB at the peak, the text freed before
 * the line is queued.  The text is ASCII but for what wsl_escape lets
 * through of a URL, which is valid UTF-8, so JSON needs nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "json-memory.h"
#include "inject.h"
#include "metrics.h"

#define TAIL "\"metrics\":\"\"}}\n"  /* how the encoded reply ends */

/* The length of s as the body of a JSON string. */
static size_t
escaped_length(const char *s, size_t len)
{
	size_t n = len, i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\' || ch == '\n')
			n += 1;
		else if (ch < 0x20)
			n += 5; /* \u00XX */
	}
	return (n);
}

static char *
escape_into(char *p, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run;

	for (i = 0; i < len; i += run) {
		unsigned char ch;

		for (run = 0; i + run < len; run++) {
			ch = (unsigned char)s[i + run];
			if (ch == '"' || ch == '\\' || ch < 0x20)
				break;
		}
		memcpy(p, s + i, run);
		p += run;
		if (i + run == len)
			break;
		ch = (unsigned char)s[i + run];
		*p++ = '\\';
		if (ch == '"' || ch == '\\')
			*p++ = (char)ch;
		else if (ch == '\n')
			*p++ = 'n';
		else {
			*p++ = 'u';
			*p++ = '0';
			*p++ = '0';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 0xf];
		}
		run++;
	}
	return (p);
}

void
cmd_metrics(struct ctl_request *req)
{
	struct metrics_text *t;
	json_t *reply, *text;
	char *head, *line, *p;
	size_t hlen, len = 0, keep;

	if (!args_only(req, NULL))
		return;
	if ((t = metrics_render()) == NULL) {
		ctl_reply(req, WSL_HR_E_OUTOFMEMORY, "out of memory: the "
		    "metrics could not be rendered", NULL);
		return;
	}
	reply = wsl_reply_new(req->id, WSL_HR_S_OK, NULL, json_pack("{s:s,s:s}",
	    "content-type", METRICS_CONTENT_TYPE, "metrics", ""));
	head = reply != NULL ? json_encode_whole(reply, &hlen) : NULL;
	json_decref(reply);
	line = NULL;
	if (head != NULL && hlen >= strlen(TAIL) &&
	    strcmp(head + hlen - strlen(TAIL), TAIL) == 0) {
		/* Up to and with "metrics":, then "TEXT"}} and the newline. */
		keep = hlen - strlen("\"\"}}\n");
		len = keep + 1 + escaped_length(t->data, t->len) + 4;
		if ((line = inject_malloc(len + 1)) != NULL) {
			memcpy(line, head, keep);
			p = line + keep;
			*p++ = '"';
			p = escape_into(p, t->data, t->len);
			memcpy(p, "\"}}\n", 5);
		}
	} else if (head != NULL) {
		/* Not the form expected of jansson: the long way. */
		free(head);
		text = json_stringn_nocheck(t->data, t->len);
		metrics_text_unref(t);
		if (text == NULL)
			ctl_reply_lost(req, -1, NULL);
		else
			ctl_reply(req, WSL_HR_S_OK, NULL, json_pack("{s:s,s:o}",
			    "content-type", METRICS_CONTENT_TYPE, "metrics",
			    text));
		return;
	}
	free(head);
	metrics_text_unref(t);
	ctl_reply_encoded(req, line, len); /* NULL: never a part of it */
}
