/* SPDX-License-Identifier: ISC */
/*
 * The stop (see shutdown.h).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config-apply.h"
#include "control.h"
#include "fdstore.h"
#include "lifecycle.h"
#include "log.h"
#include "notify.h"
#include "saved-state.h"
#include "shutdown.h"
#include "watchdog.h"

static bool stopping;
static actor_t actor;
static struct event *grace_ev;
static json_t *saved;      /* the state stored as the stop began */

bool
shutdown_started(void)
{
	return (stopping);
}

/*
 * Its socket outlives wsld: the queue stays for the next holder.  Only a
 * socket that is held elsewhere (a socket unit's, or one the fd store
 * took at the sync just before): a listener that became OPEN after the
 * sync was not stored, and is closed with its queue drained and counted
 * rather than handed to no one.
 */
static void
hand_over(struct wsld_listener *l, void *arg)
{
	(void)arg;
	if (listener_state(l) == WS_LISTENER_STATE_OPEN &&
	    (l->fdstore.stored || l->given.keep))
		(void)WslHandOverListener(l->ws);
}

/* A listener a reload is changing is saved in the state it is to have. */
static void
save(struct wsld_listener *l, void *doc)
{
	if (l->life.bound)
		saved_state_add(doc, l, l->life.holder != NULL &&
		    l->conf.intended >= 0 ? (WS_LISTENER_STATE)l->conf.intended :
		    listener_state(l));
}

/*
 * Stored at once, so that a stop cut short (the grace, a kill) still
 * leaves the state; stored again at the end with the counters of what
 * the listeners served meanwhile (channels in flight at the start).
 */
static void
save_state(void)
{
	if ((saved = saved_state_new()) == NULL) {
		log_warnx("fd store: no memory to save the listeners' state");
		return;
	}
	lifecycle_foreach(save, saved);
	if (fdstore_put_state(saved, false) == 0)
		log_info("fd store: the state of %zu listeners saved for the "
		    "next start", json_object_size(json_object_get(saved,
		    "listeners")));
}

static void
finish_if_done(void)
{
	if (lifecycle_alive() > 0)
		return;
	if (saved != NULL && fdstore_put_state(saved, true) < 0)
		log_warnx("fd store: the final counters were not saved; the "
		    "state saved as the stop began stays");
	json_decref(saved);
	saved = NULL;
	event_base_loopbreak(control_base);
}

/* Closed and idle: its counters are final; it may go. */
static void
free_closed(struct wsld_listener *l)
{
	if (saved != NULL && l->life.bound)
		saved_state_final(saved, l);
	lifecycle_free_later(l, actor);
}

/* Close it as a close command would; free it once it can be. */
static void
stop_one(struct wsld_listener *l, void *arg)
{
	struct listener_op *op;
	WSL_ABORT_RESULT r;

	(void)arg;
	switch (listener_state(l)) {
	case WS_LISTENER_STATE_OPENING:
		(void)listener_abort(l, &r, actor); /* then FAULTED: closed */
		break;
	case WS_LISTENER_STATE_OPEN:
	case WS_LISTENER_STATE_FAULTED:
		/* The close made with the listener: no memory needed. */
		if ((op = lifecycle_take_stop_close(l)) != NULL)
			listener_op_start(op, NULL, NULL, actor);
		else
			listener_close(l, NULL, NULL, actor);
		break;
	default:
		if (lifecycle_freeable(l))
			free_closed(l);
		break;
	}
}

/* wsld exits with l still there: its socket unit's socket listens all the
 * same. */
static void
let_go(struct wsld_listener *l, void *arg)
{
	(void)arg;
	listener_let_go_socket(l);
}

static void
hurry(struct wsld_listener *l, void *arg)
{
	(void)arg;
	if (l->handler->hurry != NULL)
		l->handler->hurry(l);
}

/*
 * The grace is over: the channels closes still wait for are cut now, as
 * their close timeouts would; if even that does not end the stop (a loop
 * that no longer answers), wsld exits 1 (what outlives it is saved).
 */
static void
grace_expired(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = wsl_ms_to_tv(SHUTDOWN_HURRY_MS);

	(void)fd;
	(void)what;
	if (arg == NULL) {
		log_warnx("shutdown: %zu listeners still closing after %d ms; "
		    "their channels are cut now", lifecycle_alive(),
		    SHUTDOWN_GRACE_MS);
		lifecycle_foreach(hurry, NULL);
		evtimer_assign(grace_ev, control_base, grace_expired,
		    grace_ev);
		evtimer_add(grace_ev, &tv);
		return;
	}
	log_warnx("shutdown: %zu listeners did not close; exiting",
	    lifecycle_alive());
	lifecycle_foreach(let_go, NULL);
	exit(1);
}

void
shutdown_start(int sig)
{
	struct timeval tv = wsl_ms_to_tv(SHUTDOWN_GRACE_MS);

	if (stopping)
		return;
	stopping = true;
	actor = actor_signal(ACTOR_SHUTDOWN, sig);
	log_info("%s: closing every listener", strsignal(sig));
	if (fdstore_enabled())
		fdstore_hand_over();
	lifecycle_foreach(hand_over, NULL);
	if (fdstore_enabled())
		save_state();
	notify_stopping();
	watchdog_stop();
	control_shutdown();
	config_apply_interrupt();
	if ((grace_ev = evtimer_new(control_base, grace_expired, NULL)) !=
	    NULL)
		evtimer_add(grace_ev, &tv);
	lifecycle_foreach(stop_one, NULL);
	finish_if_done();
}

void
shutdown_changed(struct wsld_listener *l, const WSL_TRANSITION *t)
{
	(void)t;
	if (stopping)
		stop_one(l, NULL);
}

/* Its last operation answered: close it if it still needs closing (an
 * abort of its open may have left it FAULTED), or free it. */
void
shutdown_idle(struct wsld_listener *l)
{
	if (stopping)
		stop_one(l, NULL);
}

void
shutdown_freed(struct wsld_listener *l)
{
	(void)l;
	if (stopping)
		finish_if_done();
}

void
shutdown_end(void)
{
	if (grace_ev != NULL)
		event_free(grace_ev);
	grace_ev = NULL;
}
