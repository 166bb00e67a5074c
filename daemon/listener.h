/* SPDX-License-Identifier: ISC */
/*
 * What the daemon does to a named listener, for commands and for start-up
 * and shutdown alike: create it from a spec, open and close it (the reply
 * comes when the operation has finished, on the control thread), abort,
 * reset and free it.  Every state change is logged with who asked.
 */
#ifndef WSL_LISTENER_H
#define WSL_LISTENER_H

#include <event2/util.h>

#include "registry.h"
#include "spec.h"

typedef void listener_done_fn(struct wsld_listener *, HRESULT,
    const char *text, WS_LISTENER_STATE previous, void *arg);

/*
 * The completion of an asynchronous listener call, as the daemon takes it:
 * on the listener's loop it only records the HRESULT and activates an
 * event, whose callback (fn, arg) then runs on the control thread.
 */
struct completion {
	HRESULT hr;
	struct event *ev;
};
int completion_init(struct completion *, void (*fn)(evutil_socket_t, short,
    void *), void *arg);
WS_ASYNC_CONTEXT completion_context(struct completion *);
void completion_clear(struct completion *);

void listener_set_pipe_dir(const char *);
const char *listener_pipe_dir(void);
/* Takes the handler state out of the spec on success. */
struct wsld_listener *listener_create(struct listener_spec *,
    struct wsl_err *, const char *actor);
/* done (may be NULL) runs exactly once, possibly before these return. */
void listener_open(struct wsld_listener *, listener_done_fn *, void *,
    const char *actor);
void listener_close(struct wsld_listener *, listener_done_fn *, void *,
    const char *actor);
HRESULT listener_abort(struct wsld_listener *, WSL_ABORT_RESULT *,
    const char *actor);
HRESULT listener_reset(struct wsld_listener *, struct wsl_err *,
    const char *actor);
HRESULT listener_free(struct wsld_listener *, struct wsl_err *,
    const char *actor);
WS_LISTENER_STATE listener_state(struct wsld_listener *);

#endif
