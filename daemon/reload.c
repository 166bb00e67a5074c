/* SPDX-License-Identifier: ISC */
/*
 * Reload (see reload.h), and the command that asks for it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cmd.h"
#include "conf.h"
#include "config-apply.h"
#include "control.h"
#include "descriptors.h"
#include "inject.h"
#include "log.h"
#include "notify.h"
#include "reload.h"

static char config_path[PATH_MAX];
static char control_socket[PATH_MAX];
static char pipe_dir[PATH_MAX];

struct reload {
	struct conf conf;
	json_t *none;                   /* the listeners of a file without */
	reload_done_fn *done;
	void *arg;
	char notes[400];
	char who[ACTOR_TEXT];           /* who asked, for the one log line */
};

static struct reload *running;

void
reload_init(const char *config, const char *sock, const char *dir)
{
	snprintf(config_path, sizeof(config_path), "%s",
	    config != NULL ? config : "");
	snprintf(control_socket, sizeof(control_socket), "%s", sock);
	snprintf(pipe_dir, sizeof(pipe_dir), "%s", dir);
}

static void
count(json_t *outcomes, json_t *result)
{
	static const char *const actions[] = { "added", "removed", "changed",
		"unchanged" };
	json_t *o;
	size_t i, k, n;

	for (k = 0; k < 4; k++) {
		n = 0;
		json_array_foreach(outcomes, i, o)
			if (strcmp(json_string_value(json_object_get(o,
			    "action")), actions[k]) == 0)
				n++;
		json_object_set_new(result, actions[k],
		    json_integer((json_int_t)n));
	}
}

static void
applied(HRESULT hr, const char *text, json_t *outcomes, void *arg)
{
	struct reload *r = arg;
	json_t *result = NULL;
	char summary[700];
	char line[800];

	if (outcomes != NULL &&
	    (result = json_pack("{s:s,s:O}", "config", config_path,
	    "listeners", outcomes)) != NULL) {
		count(outcomes, result);
		if (r->notes[0] != '\0')
			json_object_set_new(result, "notes",
			    json_string(r->notes));
	}
	if (SUCCEEDED(hr) && result == NULL)
		snprintf(summary, sizeof(summary), "reloaded %.200s (no memory "
		    "to count what changed)", config_path);
	else if (SUCCEEDED(hr))
		snprintf(summary, sizeof(summary), "reloaded %.200s: %lld added, "
		    "%lld removed, %lld changed, %lld unchanged%s%.400s", config_path,
		    json_integer_value(json_object_get(result, "added")),
		    json_integer_value(json_object_get(result, "removed")),
		    json_integer_value(json_object_get(result, "changed")),
		    json_integer_value(json_object_get(result, "unchanged")),
		    r->notes[0] != '\0' ? "; " : "", r->notes);
	else if (hr == WSL_HR_WS_E_OPERATION_ABORTED)
		snprintf(summary, sizeof(summary), "reload of %.200s: %.400s",
		    config_path, text);
	else
		snprintf(summary, sizeof(summary), "reload of %.200s applied, but "
		    "not everywhere: %.400s", config_path, text);
	/* One line per reload, with who asked: the start is not logged. */
	snprintf(line, sizeof(line), "%s (%s)", summary, r->who);
	if (SUCCEEDED(hr))
		log_info("%s", line);
	else
		log_warnx("%s", line);
	notify_reloaded(SUCCEEDED(hr) ? NULL : summary);
	conf_free(&r->conf);
	json_decref(r->none);
	running = NULL;
	if (r->done != NULL)
		r->done(hr, summary, result, r->arg);
	json_decref(result);
	free(r);
}

/* What the file changes that only a restart applies. */
static void
notes(struct reload *r)
{
	const char *sock = r->conf.control_socket, *dir = r->conf.pipe_directory;

	if (sock != NULL && strcmp(sock, control_socket) != 0)
		snprintf(r->notes, sizeof(r->notes), "control-socket %s takes "
		    "effect at the next start", sock);
	if (dir != NULL && strcmp(dir, pipe_dir) != 0)
		snprintf(r->notes + strlen(r->notes), sizeof(r->notes) -
		    strlen(r->notes), "%spipe-directory %s takes effect at the "
		    "next start", r->notes[0] != '\0' ? "; " : "", dir);
}

/* Nothing changed: say why, to the log, the service manager, the caller. */
static int
refuse(struct reload *r, actor_t actor, struct wsl_err *err)
{
	char who[ACTOR_TEXT], why[sizeof(err->text)];

	snprintf(why, sizeof(why), "%s", err->text);
	wsl_err_set(err, err->hr, "%s; nothing changed", why);
	log_warnx("reload (%s): %s", actor_format(actor, who), err->text);
	notify_reloaded(err->text);
	if (r != NULL) {
		conf_free(&r->conf);
		json_decref(r->none);
		free(r);
	}
	return (-1);
}

int
reload_start(actor_t actor, reload_done_fn *done, void *arg,
    struct wsl_err *err)
{
	struct access_table *access;
	struct reload *r;
	struct plan *plan;
	char why[1024], who[ACTOR_TEXT];
	bool refused;
	int c;

	refused = true;
	if (running != NULL)
		wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION,
		    "a reload is in progress already");
	else if (config_path[0] == '\0')
		wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION, "wsld was "
		    "started without a configuration file: nothing to reload");
	else if (config_apply_busy())
		wsl_err_set(err, WSL_HR_WS_E_INVALID_OPERATION, "the "
		    "configuration is still being applied at start; try again "
		    "once wsld is ready");
	else
		refused = false;
	if (refused) {
		/* Not begun: the service manager heard of nothing. */
		log_warnx("reload (%s): %s", actor_format(actor, who),
		    err->text);
		return (-1);
	}
	notify_reloading();
	if ((r = inject_calloc(1, sizeof(*r))) == NULL) {
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (refuse(NULL, actor, err));
	}
	if ((c = conf_load(config_path, &r->conf, why, sizeof(why))) < 0) {
		wsl_err_set(err, c == CONF_NO_MEMORY ? WSL_HR_E_OUTOFMEMORY :
		    WSL_HR_WS_E_INVALID_FORMAT, "%s", why);
		return (refuse(r, actor, err));
	}
	/* Everything is made ready before anything changes. */
	if ((access = access_prepare(r->conf.access)) == NULL ||
	    (r->none = json_object()) == NULL) {
		access_discard(access);
		wsl_err_set(err, WSL_HR_E_OUTOFMEMORY, "out of memory");
		return (refuse(r, actor, err));
	}
	if ((plan = config_apply_prepare(r->conf.listeners != NULL ?
	    r->conf.listeners : r->none, NULL,
	    actor_on_behalf(ACTOR_RELOAD, actor), err)) == NULL) {
		access_discard(access);
		return (refuse(r, actor, err));
	}
	snprintf(r->who, sizeof(r->who), "%s", actor_format(actor, who));
	access_commit(access); /* takes effect at once */
	descriptors_set_control((size_t)r->conf.max_clients);
	control_set_limits((size_t)r->conf.max_clients,
	    r->conf.request_timeout_ms);
	r->done = done;
	r->arg = arg;
	notes(r);
	running = r;
	config_apply_start(plan, applied, r);
	return (0);
}

static void
answer(HRESULT hr, const char *text, json_t *result, void *arg)
{
	ctl_reply(arg, hr, text, json_incref(result));
}

void
cmd_reload(struct ctl_request *req)
{
	struct wsl_err err;

	if (!args_only(req, NULL))
		return;
	if (reload_start(req->actor, answer, req, &err) < 0)
		ctl_reply(req, err.hr, err.text, NULL);
}
