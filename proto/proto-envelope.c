/* SPDX-License-Identifier: ISC */
/*
 * The request and reply envelopes: the only code that knows the top-level
 * key names of a message.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wsl-proto.h"

/* How deeply the text nests arrays and objects (strings skipped), stopping
 * once past limit: checked before parsing, so that no message makes the
 * parser recurse far. */
static int
depth(const char *buf, size_t len, int limit)
{
	int d = 0, max = 0;
	bool in_string = false;
	size_t i;

	for (i = 0; i < len && max <= limit; i++) {
		if (in_string) {
			if (buf[i] == '\\')
				i++;
			else if (buf[i] == '"')
				in_string = false;
		} else if (buf[i] == '"')
			in_string = true;
		else if (buf[i] == '{' || buf[i] == '[') {
			if (++d > max)
				max = d;
		} else if (buf[i] == '}' || buf[i] == ']')
			d--;
	}
	return (max);
}

static bool (*stop_reading)(void);

void
wsl_json_stop_when(bool (*stop)(void))
{
	stop_reading = stop;
}

struct text {
	const char *p;
	size_t left;
};

/* jansson's reader: the text, ending early once stop_reading says so. */
static size_t
read_text(void *buf, size_t size, void *arg)
{
	struct text *t = arg;
	size_t n = size < t->left ? size : t->left;

	if (stop_reading != NULL && stop_reading())
		return (0);
	memcpy(buf, t->p, n);
	t->p += n;
	t->left -= n;
	return (n);
}

json_t *
wsl_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *jerr)
{
	struct text t = { buf, len };

	return (json_load_callback(read_text, &t, flags, jerr));
}

static json_t *
load(const char *buf, size_t len, struct wsl_err *err)
{
	json_error_t jerr;
	json_t *root;

	if (depth(buf, len, WSL_PROTO_MAX_DEPTH) > WSL_PROTO_MAX_DEPTH) {
		wsl_err_set(err, WSL_HR_WS_E_INVALID_FORMAT, "the message nests "
		    "objects and arrays deeper than %d levels",
		    WSL_PROTO_MAX_DEPTH);
		return (NULL);
	}
	root = wsl_json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		wsl_err_set(err, WSL_HR_WS_E_INVALID_FORMAT,
		    "malformed JSON at line %d column %d: %s", jerr.line,
		    jerr.column, jerr.text);
		return (NULL);
	}
	if (!json_is_object(root)) {
		json_decref(root);
		wsl_err_set(err, WSL_HR_WS_E_INVALID_FORMAT,
		    "a message must be a JSON object");
		return (NULL);
	}
	return (root);
}

/* Decode one request line; on failure req->id is still set when known. */
int32_t
wsl_request_decode(const char *buf, size_t len, struct wsl_request *req,
    struct wsl_err *err)
{
	const char *key;
	json_t *value, *command;

	struct wsl_err local;

	if (err == NULL)
		err = &local;
	memset(req, 0, sizeof(*req));
	req->cmd = -1;
	if ((req->root = load(buf, len, err)) == NULL)
		return (err->hr);
	req->id = json_object_get(req->root, "id");
	json_object_foreach(req->root, key, value) {
		if (strcmp(key, "id") != 0 && strcmp(key, "command") != 0 &&
		    strcmp(key, "arguments") != 0)
			return (wsl_err_set(err, WSL_HR_E_INVALIDARG,
			    "unknown key '%s' in request (expected id, command, arguments)",
			    key));
	}
	command = json_object_get(req->root, "command");
	if (command == NULL)
		return (wsl_err_set(err, WSL_HR_E_INVALIDARG,
		    "request has no \"command\""));
	if (!json_is_string(command))
		return (wsl_err_set(err, WSL_HR_E_INVALIDARG,
		    "\"command\" must be a string"));
	req->command = json_string_value(command);
	value = json_object_get(req->root, "arguments");
	if (value == NULL) {
		req->arguments = json_object();
		if (req->arguments == NULL ||
		    json_object_set_new(req->root, "arguments", req->arguments) != 0)
			return (wsl_err_set(err, WSL_HR_E_OUTOFMEMORY,
			    "out of memory"));
	} else if (!json_is_object(value))
		return (wsl_err_set(err, WSL_HR_E_INVALIDARG,
		    "\"arguments\" must be an object"));
	else
		req->arguments = value;
	if ((req->cmd = wsl_cmd_lookup(req->command)) < 0)
		return (wsl_err_set(err, WSL_HR_E_INVALIDARG,
		    "unknown command '%s' (the command 'commands' lists them)",
		    req->command));
	return (WSL_HR_S_OK);
}

void
wsl_request_clear(struct wsl_request *req)
{
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
	req->cmd = -1;
}

/* Build a request; steals arguments. */
json_t *
wsl_request_new(json_t *id, const char *command, json_t *arguments)
{
	json_t *r;

	if ((r = json_object()) == NULL) {
		json_decref(arguments);
		return (NULL);
	}
	if (id != NULL)
		json_object_set(r, "id", id);
	json_object_set_new(r, "command", json_string(command));
	json_object_set_new(r, "arguments",
	    arguments != NULL ? arguments : json_object());
	return (r);
}

/* The sentence is for people, and any client may show it as it is: what
 * it quotes is escaped here (the arguments stay exact). */
static int
set_text(json_t *r, const char *text)
{
	size_t len = strlen(text), size = len * WSL_ESCAPE_MAX + 1;
	char *safe;
	int bad;

	if ((safe = malloc(size)) == NULL)
		return (-1);
	(void)wsl_escape(text, len, safe, size);
	bad = json_object_set_new(r, "text", json_string(safe));
	free(safe);
	return (bad);
}

/* Build a reply; steals arguments. */
json_t *
wsl_reply_new(json_t *id, int32_t hr, const char *text, json_t *arguments)
{
	char hex[11];
	const char *name;
	json_t *r;
	int bad = 0;

	if ((r = json_object()) == NULL) {
		json_decref(arguments);
		return (NULL);
	}
	/* All of it or nothing: a reply missing a field would be read as
	 * malformed, or worse, as something else. */
	wsl_hr_format(hr, hex);
	bad |= json_object_set(r, "id", id != NULL ? id : json_null());
	bad |= json_object_set_new(r, "result",
	    json_integer(wsl_hr_class(hr)));
	bad |= json_object_set_new(r, "hresult", json_string(hex));
	if (wsl_hr_failed(hr)) {
		name = wsl_hr_name(hr);
		bad |= json_object_set_new(r, "error",
		    json_string(name != NULL ? name : hex));
	}
	bad |= set_text(r, text != NULL ? text : wsl_hr_text(hr));
	bad |= json_object_set_new(r, "arguments",
	    arguments != NULL ? arguments : json_object());
	if (bad) {
		json_decref(r);
		return (NULL);
	}
	return (r);
}

int32_t
wsl_reply_decode(const char *buf, size_t len, struct wsl_reply *rep,
    struct wsl_err *err)
{
	struct wsl_err local;
	json_t *v;

	if (err == NULL)
		err = &local;
	memset(rep, 0, sizeof(*rep));
	if ((rep->root = load(buf, len, err)) == NULL)
		return (err->hr);
	v = json_object_get(rep->root, "result");
	if (!json_is_integer(v))
		return (wsl_err_set(err, WSL_HR_WS_E_INVALID_FORMAT,
		    "reply has no integer \"result\""));
	rep->result = (int)json_integer_value(v);
	if (!wsl_hr_parse(json_string_value(json_object_get(rep->root,
	    "hresult")), &rep->hr))
		return (wsl_err_set(err, WSL_HR_WS_E_INVALID_FORMAT,
		    "reply has no valid \"hresult\""));
	rep->error = json_string_value(json_object_get(rep->root, "error"));
	rep->text = json_string_value(json_object_get(rep->root, "text"));
	if (rep->text == NULL)
		rep->text = "";
	rep->arguments = json_object_get(rep->root, "arguments");
	if (!json_is_object(rep->arguments)) {
		rep->arguments = json_object();
		json_object_set_new(rep->root, "arguments", rep->arguments);
	}
	return (WSL_HR_S_OK);
}

void
wsl_reply_clear(struct wsl_reply *rep)
{
	json_decref(rep->root);
	memset(rep, 0, sizeof(*rep));
}

/* Compact JSON followed by the newline that frames it. */
char *
wsl_encode(const json_t *msg, size_t *len)
{
	char *s, *t;
	size_t n;

	if ((s = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return (NULL);
	n = strlen(s);
	if ((t = realloc(s, n + 2)) == NULL) {
		free(s);
		return (NULL);
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	*len = n + 1;
	return (t);
}
