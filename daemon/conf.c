/* SPDX-License-Identifier: ISC */
/*
 * Loading and checking the configuration file (see conf.h).  Every
 * top-level key is a row of one table: its type says how the value is
 * checked, what the message says, and where the value goes.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "conf.h"
#include "control.h"
#include "inject.h"
#include "json-memory.h"
#include "pointer.h"
#include "spec.h"

#define CONF_MAX (16 * 1024 * 1024)
/* The longest path a Unix socket address holds. */
#define SOCKET_PATH_MAX ((long long)sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
/* Room for a pointer's fixed segments that may name an absent value
 * ("/properties/transport-url-matching-options"). */
#define POINTER_SLACK 64

enum conf_type {
	CONF_LISTENERS,         /* an object of listener definitions */
	CONF_SOCKET,            /* a socket's absolute path, at most max */
	CONF_PIPE_DIRECTORY,    /* a directory of sockets: "/NAME" must fit */
	CONF_GROUP,             /* a group that exists */
	CONF_ACCESS,            /* levels by group */
	CONF_INTEGER,           /* from min to max */
	CONF_INCLUDE,           /* at most max glob patterns */
};

static const struct conf_key {
	const char *name;
	enum conf_type type;
	long long min, max;
	size_t offset;          /* of the value in struct conf */
} keys[] = {
	{ "listeners", CONF_LISTENERS, 0, 0,
	    offsetof(struct conf, listeners) },
	{ "control-socket", CONF_SOCKET, 1, SOCKET_PATH_MAX,
	    offsetof(struct conf, control_socket) },
	{ "control-socket-group", CONF_GROUP, 0, 0,
	    offsetof(struct conf, control_group) },
	{ "read-only-socket", CONF_SOCKET, 1, SOCKET_PATH_MAX,
	    offsetof(struct conf, read_only_socket) },
	{ "access", CONF_ACCESS, 0, 0, offsetof(struct conf, access) },
	{ "control-max-clients", CONF_INTEGER, 1, 65536,
	    offsetof(struct conf, max_clients) },
	{ "control-request-timeout-ms", CONF_INTEGER, 100, 3600000,
	    offsetof(struct conf, request_timeout_ms) },
	{ "loops", CONF_INTEGER, 0, 256, offsetof(struct conf, loops) },
	/* The shortest socket name is one byte, after a '/'. */
	{ "pipe-directory", CONF_PIPE_DIRECTORY, 1, SOCKET_PATH_MAX - 2,
	    offsetof(struct conf, pipe_directory) },
	{ "include", CONF_INCLUDE, 0, CONF_INCLUDE_PATTERNS_MAX,
	    offsetof(struct conf, include) },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const char *
conf_key_name(size_t i)
{
	return (i < NKEYS ? keys[i].name : NULL);
}

static int
phrase(const struct conf_key *k, char *buf, size_t len)
{
	switch (k->type) {
	case CONF_LISTENERS:
		return (snprintf(buf, len, "an object of listener definitions "
		    "by name"));
	case CONF_SOCKET:
		return (snprintf(buf, len, "an absolute path of at most %lld "
		    "bytes, the most a Unix socket address holds", k->max));
	case CONF_PIPE_DIRECTORY:
		return (snprintf(buf, len, "an absolute path of at most %lld "
		    "bytes, leaving room for \"/NAME\" in the %lld bytes of a "
		    "Unix socket address", k->max, SOCKET_PATH_MAX));
	case CONF_GROUP:
		return (snprintf(buf, len, "the name of a group that exists"));
	case CONF_ACCESS:
		return (snprintf(buf, len, "an object of access levels by "
		    "group"));
	case CONF_INTEGER:
		return (snprintf(buf, len, "an integer from %lld to %lld",
		    k->min, k->max));
	case CONF_INCLUDE:
		return (snprintf(buf, len, "an array of at most %lld glob "
		    "patterns, each a non-empty string", k->max));
	}
	return (snprintf(buf, len, "?"));
}

int
conf_key_phrase(size_t i, char *buf, size_t len)
{
	return (i < NKEYS ? phrase(&keys[i], buf, len) : -1);
}

static const char *
file_kind(mode_t m)
{
	return (S_ISFIFO(m) ? "a FIFO" : S_ISDIR(m) ? "a directory" :
	    S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
	    S_ISSOCK(m) ? "a socket" : "not a regular file");
}

/*
 * Never waits: opened without blocking (a FIFO without a writer would
 * block the open) and refused unless it is a regular file (a FIFO or a
 * device would block or never end the reads).  At most CONF_MAX bytes are
 * read, even from a file that grows meanwhile.
 */
static char *
read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen,
    bool *no_memory)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (NULL);
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return (NULL);
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s, not a regular file: the "
		    "configuration is not read from it", path,
		    file_kind(st.st_mode));
		close(fd);
		return (NULL);
	}
	if ((unsigned long long)st.st_size > max) {
		if (max == CONF_MAX)
			snprintf(err, errlen, "%s: larger than %d bytes", path,
			    CONF_MAX);
		else
			snprintf(err, errlen, "%s: larger than the %zu bytes "
			    "left: a configuration and the files it includes "
			    "hold at most %d bytes together", path, max,
			    CONF_MAX);
		close(fd);
		return (NULL);
	}
	/* One byte more than it says, to see it grow past the limit. */
	if ((buf = inject_realloc(NULL, (size_t)st.st_size + 2)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		*no_memory = true;
		close(fd);
		return (NULL);
	}
	while (n < (size_t)st.st_size + 1) {
		r = read(fd, buf + n, (size_t)st.st_size + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return (NULL);
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (n > (size_t)st.st_size) {
		snprintf(err, errlen, "%s: it changed while being read; try "
		    "again", path);
		free(buf);
		return (NULL);
	}
	buf[n] = '\0';
	*len = n;
	return (buf);
}

/*
 * "FILE:LINE:COLUMN: message", at the value the pointer names, or at the
 * nearest object above it that exists (a missing key is reported at the
 * object that lacks it).
 */
static int
fail_at(const char *path, const char *text, size_t len, char *pointer,
    const char *msg, char *err, size_t errlen)
{
	int line = 1, column = 1;
	char *slash;

	while (pointer_locate(text, len, pointer, &line, &column) < 0 &&
	    (slash = strrchr(pointer, '/')) != NULL)
		*slash = '\0';
	snprintf(err, errlen, "%s:%d:%d: %s", path, line, column, msg);
	return (-1);
}

/* A key as messages show it: at most 64 bytes of it. */
#define SHOWN(k) (int)(strlen(k) > 64 ? 64 : strlen(k)), (k), \
	(strlen(k) > 64 ? "..." : "")

/* {"GROUP": "read" | "operate" | "admin"}; pointer ends at the culprit. */
static int
check_access(const json_t *v, char *pointer, size_t plen, char *msg,
    size_t mlen)
{
	const char *group;
	json_t *level;
	size_t n = strlen(pointer);

	json_object_foreach((json_t *)v, group, level) {
		pointer[n] = '\0';
		(void)pointer_append(pointer, plen, group);
		if (getgrnam(group) == NULL) {
			snprintf(msg, mlen, "access: no group named '%.*s%s'",
			    SHOWN(group));
			return (-1);
		}
		if (!json_is_string(level) ||
		    access_parse_level(json_string_value(level)) < 0) {
			snprintf(msg, mlen, "access.%.*s%s: the level must be "
			    "\"read\", \"operate\" or \"admin\"", SHOWN(group));
			return (-1);
		}
	}
	return (0);
}

/* Does the value fit the key's type?  (Access is checked further on.) */
static bool
fits(const struct conf_key *k, const json_t *v)
{
	const char *s;
	json_int_t i;
	json_t *p;
	size_t n;

	switch (k->type) {
	case CONF_LISTENERS:
	case CONF_ACCESS:
		return (json_is_object(v));
	case CONF_SOCKET:
	case CONF_PIPE_DIRECTORY:
		if (!json_is_string(v))
			return (false);
		s = json_string_value(v);
		return (s[0] == '/' && (long long)strlen(s) <= k->max);
	case CONF_GROUP:
		return (json_is_string(v) &&
		    getgrnam(json_string_value(v)) != NULL);
	case CONF_INTEGER:
		if (!json_is_integer(v))
			return (false);
		i = json_integer_value(v);
		return (i >= k->min && i <= k->max);
	case CONF_INCLUDE:
		if (!json_is_array(v) || json_array_size(v) < (size_t)k->min ||
		    json_array_size(v) > (size_t)k->max)
			return (false);
		json_array_foreach((json_t *)v, n, p)
			if (!json_is_string(p) ||
			    json_string_value(p)[0] == '\0')
				return (false);
		return (true);
	}
	return (false);
}

static void
store(struct conf *c, const struct conf_key *k, json_t *v)
{
	char *dest = (char *)c + k->offset;

	switch (k->type) {
	case CONF_LISTENERS:
	case CONF_ACCESS:
	case CONF_INCLUDE:
		*(json_t **)(void *)dest = v;
		break;
	case CONF_SOCKET:
	case CONF_PIPE_DIRECTORY:
	case CONF_GROUP:
		*(const char **)(void *)dest = json_string_value(v);
		break;
	case CONF_INTEGER:
		*(long long *)(void *)dest = json_integer_value(v);
		break;
	}
}

static const struct conf_key *
find(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return (&keys[i]);
	return (NULL);
}

static void
unknown(const char *key, char *msg, size_t mlen)
{
	size_t i, n;

	n = (size_t)snprintf(msg, mlen, "unknown key '%.*s%s' (expected ",
	    SHOWN(key));
	for (i = 0; i < NKEYS && n < mlen; i++)
		n += (size_t)snprintf(msg + n, mlen - n, "%s%s", keys[i].name,
		    i + 1 < NKEYS ? ", " : ")");
}

/* A net.pipe listener's socket path, in the file's pipe directory. */
static int
check_pipe_path(const struct conf *c, const struct listener_spec *spec,
    char *msg, size_t mlen)
{
	WSL_URL_INFO info;
	char why[8];
	size_t n;

	if (spec->binding != WS_NAMEDPIPE_CHANNEL_BINDING ||
	    c->pipe_directory == NULL ||
	    WslParseUrl(spec->url, &info, why, sizeof(why)) != S_OK)
		return (0);
	n = strlen(c->pipe_directory) + 1 + strlen(info.path);
	if ((long long)n <= SOCKET_PATH_MAX)
		return (0);
	snprintf(msg, mlen, "listeners.%s: the socket path %s/%s would be %zu "
	    "bytes, more than the %lld a Unix socket address holds",
	    spec->name, c->pipe_directory, info.path, n, SOCKET_PATH_MAX);
	return (-1);
}

static int
check_listeners(struct conf *c, json_t *listeners, const char *path,
    const char *text, size_t len, char *pointer, char *where, size_t room,
    char *err, size_t errlen)
{
	struct listener_spec spec;
	struct wsl_err e;
	const char *name;
	char msg[1024];
	json_t *v;
	int r;

	json_object_foreach(listeners, name, v) {
		snprintf(pointer, room, "/listeners");
		(void)pointer_append(pointer, room, name);
		if (spec_parse(name, v, NULL, &spec, &e, where, room) < 0) {
			if (e.hr == WSL_HR_E_OUTOFMEMORY) {
				snprintf(err, errlen, "%s: out of memory", path);
				return (CONF_NO_MEMORY);
			}
			if (strlen(pointer) + strlen(where) < room)
				strcat(pointer, where);
			snprintf(msg, sizeof(msg), "listeners.%.*s%s: %s",
			    SHOWN(name), e.text);
			return (fail_at(path, text, len, pointer, msg, err,
			    errlen));
		}
		r = check_pipe_path(c, &spec, msg, sizeof(msg));
		spec_clear(&spec);
		if (r < 0) {
			(void)pointer_append(pointer, room, "url");
			return (fail_at(path, text, len, pointer, msg, err,
			    errlen));
		}
	}
	return (0);
}

static int
check(struct conf *c, const char *path, const char *text, size_t len,
    char *err, size_t errlen)
{
	const struct conf_key *k;
	char *pointer, *where, msg[1024], what[256];
	const char *key;
	size_t room;
	json_t *v;
	int r = 0;

	/* Room for a pointer to any value of the file, so that each error
	 * is found where it is, whatever the length of its keys. */
	room = pointer_room(c->root, 0) + POINTER_SLACK;
	pointer = inject_realloc(NULL, room);
	where = inject_realloc(NULL, room);
	if (pointer == NULL || where == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		r = CONF_NO_MEMORY;
		goto done;
	}
	json_object_foreach(c->root, key, v) {
		pointer[0] = '\0';
		(void)pointer_append(pointer, room, key);
		if ((k = find(key)) == NULL) {
			unknown(key, msg, sizeof(msg));
			r = fail_at(path, text, len, pointer, msg, err, errlen);
			goto done;
		}
		if (!fits(k, v)) {
			phrase(k, what, sizeof(what));
			snprintf(msg, sizeof(msg), "\"%s\" must be %s", k->name,
			    what);
			r = fail_at(path, text, len, pointer, msg, err, errlen);
			goto done;
		}
		if (k->type == CONF_ACCESS && check_access(v, pointer, room, msg,
		    sizeof(msg)) < 0) {
			r = fail_at(path, text, len, pointer, msg, err, errlen);
			goto done;
		}
		store(c, k, v);
	}
	if (c->listeners != NULL)
		r = check_listeners(c, c->listeners, path, text, len, pointer,
		    where, room, err, errlen);
done:
	free(pointer);
	free(where);
	return (r);
}

/* text parsed into *root: 0, -1 with "FILE:LINE:COLUMN: message", or
 * CONF_NO_MEMORY. */
static int
load_json(const char *path, const char *text, size_t len, json_t **root,
    char *err, size_t errlen)
{
	json_error_t jerr;
	unsigned long failures;

	failures = json_allocation_failures();
	*root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (json_allocation_failures() != failures) {
		/* Even if it parsed: a string may have lost a byte. */
		snprintf(err, errlen, "%s: out of memory", path);
		json_decref(*root);
		*root = NULL;
		return (CONF_NO_MEMORY);
	}
	if (*root == NULL) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line,
		    jerr.column, jerr.text);
		return (-1);
	}
	return (0);
}

int
conf_parse(const char *path, const char *text, size_t len, struct conf *c,
    char *err, size_t errlen)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->max_clients = CONTROL_MAX_CLIENTS;
	c->request_timeout_ms = CONTROL_REQUEST_TIMEOUT_MS;
	if ((r = load_json(path, text, len, &c->root, err, errlen)) < 0)
		return (r);
	if (!json_is_object(c->root)) {
		snprintf(err, errlen, "%s:1:1: the configuration must be a JSON "
		    "object, such as {\"listeners\": {}}", path);
		conf_free(c);
		return (-1);
	}
	if ((r = check(c, path, text, len, err, errlen)) < 0) {
		conf_free(c);
		return (r);
	}
	return (0);
}

/*
 * Included files.  Each file read is a source: the main file first, then
 * the included ones in the order read.  Their texts are kept until every
 * file has been merged, so that a listener defined twice can be shown at
 * both of its places.
 */
struct source {
	const char *path;
	const char *text;
	size_t len;
	json_t *root;                 /* new reference, but the main file's */
	json_t *listeners;            /* borrowed from root; NULL: none */
};

struct includes {
	struct conf *c;
	struct source *src;           /* [0]: the main file, not owned */
	size_t n;
	size_t left;                  /* bytes the files may still hold */
};

/* What glob(3) could not read (its error callback takes no argument; only
 * the control thread loads a configuration). */
static int glob_errno;
static char glob_errpath[PATH_MAX];

static int
glob_error(const char *epath, int eerrno)
{
	/* A directory that is not there holds nothing to include. */
	if (eerrno == ENOENT || eerrno == ENOTDIR)
		return (0);
	glob_errno = eerrno;
	snprintf(glob_errpath, sizeof(glob_errpath), "%s", epath);
	return (1);
}

/* The pattern, after the including file's directory when it is relative,
 * with glob's special characters in that directory quoted; -1 when it
 * does not fit. */
static int
full_pattern(const char *path, const char *pattern, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n = 0, dirlen, i;

	if (pattern[0] == '/' || slash == NULL)
		return ((size_t)snprintf(out, len, "%s", pattern) < len ? 0 : -1);
	dirlen = slash == path ? 1 : (size_t)(slash - path);
	for (i = 0; i < dirlen; i++) {
		if (n + 2 >= len)
			return (-1);
		if (strchr("\\*?[", path[i]) != NULL)
			out[n++] = '\\';
		out[n++] = path[i];
	}
	if (path[dirlen - 1] != '/')
		out[n++] = '/';
	if (n + strlen(pattern) >= len)
		return (-1);
	memcpy(out + n, pattern, strlen(pattern) + 1);
	return (0);
}

static void
sources_free(struct includes *inc)
{
	size_t i;

	for (i = 1; i < inc->n; i++) {
		free((char *)inc->src[i].path);
		free((char *)inc->src[i].text);
		json_decref(inc->src[i].root);
	}
	free(inc->src);
	inc->src = NULL;
	inc->n = 0;
}

static char *
copy(const char *s)
{
	char *d;

	if ((d = inject_realloc(NULL, strlen(s) + 1)) != NULL)
		memcpy(d, s, strlen(s) + 1);
	return (d);
}

/* "FILE:LINE:COLUMN" of a listener's definition in a source. */
static void
where_defined(const struct source *s, const char *name, char *out,
    size_t len)
{
	char pointer[16 + 3 * LISTENER_NAME_MAX];
	int line = 1, column = 1;

	snprintf(pointer, sizeof(pointer), "/listeners");
	if (pointer_append(pointer, sizeof(pointer), name) == 0)
		(void)pointer_locate(s->text, s->len, pointer, &line, &column);
	snprintf(out, len, "%s:%d:%d", s->path, line, column);
}

/* The listeners of the last source go into the merged ones. */
static int
merge(struct includes *inc, char *err, size_t errlen)
{
	const struct source *s = &inc->src[inc->n - 1];
	char pointer[16 + 3 * LISTENER_NAME_MAX], first[PATH_MAX + 64],
	    msg[PATH_MAX + 256];
	const char *name;
	json_t *v;
	size_t i;

	json_object_foreach(s->listeners, name, v) {
		if (json_object_get(inc->c->merged, name) != NULL) {
			for (i = 0; i + 1 < inc->n; i++)
				if (inc->src[i].listeners != NULL &&
				    json_object_get(inc->src[i].listeners,
				    name) != NULL)
					break;
			where_defined(&inc->src[i], name, first, sizeof(first));
			snprintf(msg, sizeof(msg), "listeners.%s: defined "
			    "twice: first at %s", name, first);
			snprintf(pointer, sizeof(pointer), "/listeners");
			(void)pointer_append(pointer, sizeof(pointer), name);
			return (fail_at(s->path, s->text, s->len, pointer, msg,
			    err, errlen));
		}
		if (json_object_set(inc->c->merged, name, v) < 0) {
			snprintf(err, errlen, "%s: out of memory", s->path);
			return (CONF_NO_MEMORY);
		}
	}
	return (0);
}

/* An included file: {"listeners": {...}}, or {}. */
static int
include_one(struct includes *inc, const char *path, char *err, size_t errlen)
{
	const struct conf_key *lk = find("listeners");
	char *pointer = NULL, *where = NULL, what[256], msg[1024];
	struct source *s, *grown;
	bool no_memory = false;
	const char *key;
	size_t room;
	json_t *v;
	int r;

	if ((grown = inject_realloc(inc->src, (inc->n + 1) *
	    sizeof(*inc->src))) == NULL)
		goto nomem;
	inc->src = grown;
	s = &inc->src[inc->n++];
	memset(s, 0, sizeof(*s));
	if ((s->path = copy(path)) == NULL)
		goto nomem;
	if ((s->text = read_file(path, inc->left, &s->len, err, errlen,
	    &no_memory)) == NULL)
		return (no_memory ? CONF_NO_MEMORY : -1);
	inc->left -= s->len;
	if ((r = load_json(path, s->text, s->len, &s->root, err, errlen)) < 0)
		return (r);
	if (!json_is_object(s->root)) {
		snprintf(err, errlen, "%s:1:1: an included file must be a JSON "
		    "object, such as {\"listeners\": {}}", path);
		return (-1);
	}
	room = pointer_room(s->root, 0) + POINTER_SLACK;
	if ((pointer = inject_realloc(NULL, room)) == NULL ||
	    (where = inject_realloc(NULL, room)) == NULL)
		goto nomem;
	json_object_foreach(s->root, key, v) {
		pointer[0] = '\0';
		(void)pointer_append(pointer, room, key);
		if (strcmp(key, "listeners") != 0) {
			snprintf(msg, sizeof(msg), "unknown key '%.*s%s' (an "
			    "included file holds \"listeners\" only)",
			    SHOWN(key));
			r = fail_at(path, s->text, s->len, pointer, msg, err,
			    errlen);
			goto done;
		}
		if (!fits(lk, v)) {
			phrase(lk, what, sizeof(what));
			snprintf(msg, sizeof(msg), "\"%s\" must be %s", lk->name,
			    what);
			r = fail_at(path, s->text, s->len, pointer, msg, err,
			    errlen);
			goto done;
		}
		s->listeners = v;
	}
	r = 0;
	if (s->listeners != NULL &&
	    (r = check_listeners(inc->c, s->listeners, path, s->text, s->len,
	    pointer, where, room, err, errlen)) == 0)
		r = merge(inc, err, errlen);
done:
	free(pointer);
	free(where);
	return (r);
nomem:
	free(pointer);
	free(where);
	snprintf(err, errlen, "%s: out of memory", path);
	return (CONF_NO_MEMORY);
}

/* Every file the patterns of "include" match, in their order, each
 * pattern's files in the order of their names. */
static int
include_all(struct conf *c, const char *path, const char *text, size_t len,
    char *err, size_t errlen)
{
	struct includes inc = { .c = c };
	char full[PATH_MAX], pointer[64], msg[PATH_MAX * 2 + 256];
	json_t *pattern;
	glob_t gl;
	size_t i, j;
	int g, r = 0;

	if ((c->merged = json_object()) == NULL ||
	    (c->listeners != NULL &&
	    json_object_update(c->merged, c->listeners) < 0) ||
	    (inc.src = inject_realloc(NULL, sizeof(*inc.src))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return (CONF_NO_MEMORY);
	}
	inc.src[0] = (struct source){ .path = path, .text = text, .len = len,
		.root = c->root, .listeners = c->listeners };
	inc.n = 1;
	inc.left = CONF_MAX - len;
	json_array_foreach(c->include, i, pattern) {
		snprintf(pointer, sizeof(pointer), "/include/%zu", i);
		if (full_pattern(path, json_string_value(pattern), full,
		    sizeof(full)) < 0) {
			snprintf(msg, sizeof(msg), "include: the pattern '%.64s"
			    "...' is longer than a path", json_string_value(
			    pattern));
			r = fail_at(path, text, len, pointer, msg, err, errlen);
			break;
		}
		glob_errno = 0;
		memset(&gl, 0, sizeof(gl));
		g = glob(full, 0, glob_error, &gl);
		if (g == GLOB_NOSPACE) {
			globfree(&gl);
			snprintf(err, errlen, "%s: out of memory", path);
			r = CONF_NO_MEMORY;
			break;
		}
		if (g == GLOB_ABORTED) {
			globfree(&gl);
			snprintf(msg, sizeof(msg), "include: %s: %s",
			    glob_errpath, strerror(glob_errno));
			r = fail_at(path, text, len, pointer, msg, err, errlen);
			break;
		}
		for (j = 0; g == 0 && j < gl.gl_pathc && r == 0; j++) {
			if (inc.n > CONF_INCLUDE_FILES_MAX) {
				snprintf(msg, sizeof(msg), "include: more than "
				    "%d files match; a configuration includes "
				    "at most %d", CONF_INCLUDE_FILES_MAX,
				    CONF_INCLUDE_FILES_MAX);
				snprintf(pointer, sizeof(pointer), "/include");
				r = fail_at(path, text, len, pointer, msg, err,
				    errlen);
			} else
				r = include_one(&inc, gl.gl_pathv[j], err,
				    errlen);
		}
		globfree(&gl);
		if (r < 0)
			break;
	}
	c->included = inc.n - 1;
	sources_free(&inc);
	if (r == 0)
		c->listeners = c->merged;
	return (r);
}

int
conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	bool no_memory = false;
	size_t len;
	char *text;
	int r;

	memset(c, 0, sizeof(*c));
	if ((text = read_file(path, CONF_MAX, &len, err, errlen,
	    &no_memory)) == NULL)
		return (no_memory ? CONF_NO_MEMORY : -1);
	r = conf_parse(path, text, len, c, err, errlen);
	if (r == 0 && c->include != NULL &&
	    (r = include_all(c, path, text, len, err, errlen)) < 0)
		conf_free(c);
	free(text);
	return (r);
}

void
conf_free(struct conf *c)
{
	json_decref(c->merged);
	json_decref(c->root);
	memset(c, 0, sizeof(*c));
}
