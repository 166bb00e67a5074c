/* SPDX-License-Identifier: ISC */
/*
 * The listener transition table, cell by cell: every function in every
 * state, the HRESULT it returns, the state right after the call, and the
 * state once a pending open or close (OPENING, CLOSING) has completed,
 * with the HRESULT of that completion.  A refused call must change nothing.
 * The table in ws-listener.c and in wsl-listener(3) says the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

enum fn { F_OPEN, F_ACCEPT, F_CLOSE, F_ABORT, F_RESET, F_FREE, F_GET_STATE,
	F_SET_STATE, F_SET_BACKLOG, F_CREATE_CHANNEL, F__COUNT };
static const char *const fn_names[] = { "WsOpenListener", "WsAcceptChannel",
	"WsCloseListener", "WsAbortListener", "WsResetListener",
	"WsFreeListener", "WsGetListenerProperty(STATE)",
	"WsSetListenerProperty(STATE)", "WsSetListenerProperty(LISTEN_BACKLOG)",
	"WsCreateChannelForListener" };

#define C WS_LISTENER_STATE_CREATED
#define OG WS_LISTENER_STATE_OPENING
#define O WS_LISTENER_STATE_OPEN
#define F WS_LISTENER_STATE_FAULTED
#define CG WS_LISTENER_STATE_CLOSING
#define CD WS_LISTENER_STATE_CLOSED
#define GONE ((WS_LISTENER_STATE)-1) /* freed */
#define INV WS_E_INVALID_OPERATION

struct cell {
	enum fn fn;
	WS_LISTENER_STATE from;
	HRESULT hr;               /* returned by the call */
	WS_LISTENER_STATE now;    /* right after the call */
	HRESULT pending_hr;       /* completion of the pending open/close */
	WS_LISTENER_STATE settled; /* after that completion */
	char name[96];
};

static struct cell cells[] = {
	/* fn         from hr          now  pending      settled */
	{ F_OPEN,     C,  S_OK,        O,   S_OK,        O },
	{ F_OPEN,     OG, INV,         OG,  S_OK,        O },
	{ F_OPEN,     O,  INV,         O,   S_OK,        O },
	{ F_OPEN,     F,  INV,         F,   S_OK,        F },
	{ F_OPEN,     CG, INV,         CG,  S_OK,        CD },
	{ F_OPEN,     CD, INV,         CD,  S_OK,        CD },
	{ F_ACCEPT,   C,  INV,         C,   S_OK,        C },
	{ F_ACCEPT,   OG, INV,         OG,  S_OK,        O },
	{ F_ACCEPT,   O,  WS_S_ASYNC,  O,   S_OK,        O },
	{ F_ACCEPT,   F,  WS_E_OBJECT_FAULTED, F, S_OK,  F },
	{ F_ACCEPT,   CG, INV,         CG,  S_OK,        CD },
	{ F_ACCEPT,   CD, INV,         CD,  S_OK,        CD },
	{ F_CLOSE,    C,  S_OK,        CD,  S_OK,        CD },
	{ F_CLOSE,    OG, INV,         OG,  S_OK,        O },
	{ F_CLOSE,    O,  S_OK,        CD,  S_OK,        CD },
	{ F_CLOSE,    F,  S_OK,        CD,  S_OK,        CD },
	{ F_CLOSE,    CG, INV,         CG,  S_OK,        CD },
	{ F_CLOSE,    CD, INV,         CD,  S_OK,        CD },
	{ F_ABORT,    C,  S_OK,        C,   S_OK,        C },
	{ F_ABORT,    OG, S_OK,        OG,  WS_E_OPERATION_ABORTED, F },
	{ F_ABORT,    O,  S_OK,        F,   S_OK,        F },
	{ F_ABORT,    F,  S_OK,        F,   S_OK,        F },
	{ F_ABORT,    CG, S_OK,        CG,  WS_E_OPERATION_ABORTED, CD },
	{ F_ABORT,    CD, S_OK,        CD,  S_OK,        CD },
	{ F_RESET,    C,  S_OK,        C,   S_OK,        C },
	{ F_RESET,    OG, INV,         OG,  S_OK,        O },
	{ F_RESET,    O,  INV,         O,   S_OK,        O },
	{ F_RESET,    F,  INV,         F,   S_OK,        F },
	{ F_RESET,    CG, INV,         CG,  S_OK,        CD },
	{ F_RESET,    CD, S_OK,        C,   S_OK,        C },
	{ F_FREE,     C,  S_OK,        GONE, S_OK,       GONE },
	{ F_FREE,     OG, INV,         OG,  S_OK,        O },
	{ F_FREE,     O,  INV,         O,   S_OK,        O },
	{ F_FREE,     F,  INV,         F,   S_OK,        F },
	{ F_FREE,     CG, INV,         CG,  S_OK,        CD },
	{ F_FREE,     CD, S_OK,        GONE, S_OK,       GONE },
#define ANY_STATE(f, hr) \
	{ f, C, hr, C, S_OK, C }, { f, OG, hr, OG, S_OK, O }, \
	{ f, O, hr, O, S_OK, O }, { f, F, hr, F, S_OK, F }, \
	{ f, CG, hr, CG, S_OK, CD }, { f, CD, hr, CD, S_OK, CD }
	ANY_STATE(F_GET_STATE, S_OK),
	ANY_STATE(F_SET_STATE, E_INVALIDARG),
	ANY_STATE(F_SET_BACKLOG, E_INVALIDARG),
	ANY_STATE(F_CREATE_CHANNEL, S_OK),
};

struct fixture {
	WS_LISTENER *l;
	struct gate gate;
	bool gated;
	struct done pending;   /* the open or close held by the gate */
	WS_CHANNEL *ch;        /* of the accept cell */
	struct done accepted;
};

/* Bring a new TCP listener into the state. */
static void
enter(struct fixture *fx, WS_LISTENER_STATE s)
{
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	WS_ASYNC_CONTEXT ctx;

	memset(fx, 0, sizeof(*fx));
	fx->l = listener_new(WS_TCP_CHANNEL_BINDING);
	done_init(&fx->pending, fx->l);
	done_init(&fx->accepted, fx->l);
	ctx = done_ctx(&fx->pending);
	if (s == OG) {
		gate_close(&fx->gate, fx->l);
		fx->gated = true;
		assert_int_equal(WsOpenListener(fx->l, &url, &ctx, NULL),
		    WS_S_ASYNC);
	}
	if (s == O || s == F || s == CG || s == CD)
		assert_int_equal(WsOpenListener(fx->l, &url, NULL, NULL), S_OK);
	if (s == F)
		assert_int_equal(WsAbortListener(fx->l, NULL), S_OK);
	if (s == CG) {
		gate_close(&fx->gate, fx->l);
		fx->gated = true;
		assert_int_equal(WsCloseListener(fx->l, &ctx, NULL), WS_S_ASYNC);
	}
	if (s == CD)
		assert_int_equal(WsCloseListener(fx->l, NULL, NULL), S_OK);
	assert_int_equal(state_of(fx->l), s);
}

static HRESULT
call(struct fixture *fx, enum fn fn)
{
	WS_LISTENER_STATE state, value = WS_LISTENER_STATE_CREATED;
	WS_ASYNC_CONTEXT ctx;
	WS_CHANNEL_TYPE type = 0;
	WS_CHANNEL *ch = NULL;
	WS_CHANNEL_STATE cs = (WS_CHANNEL_STATE)-1;
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	ULONG backlog = 16;
	HRESULT hr;

	switch (fn) {
	case F_OPEN:
		return (WsOpenListener(fx->l, &url, NULL, NULL));
	case F_ACCEPT:
		assert_int_equal(WsCreateChannelForListener(fx->l, NULL, 0,
		    &fx->ch, NULL), S_OK);
		ctx = done_ctx(&fx->accepted);
		return (WsAcceptChannel(fx->l, fx->ch, &ctx, NULL));
	case F_CLOSE:
		return (WsCloseListener(fx->l, NULL, NULL));
	case F_ABORT:
		return (WsAbortListener(fx->l, NULL));
	case F_RESET:
		return (WsResetListener(fx->l, NULL));
	case F_FREE:
		if ((hr = WsFreeListener(fx->l)) == S_OK)
			fx->l = NULL;
		return (hr);
	case F_GET_STATE:
		state = (WS_LISTENER_STATE)-1;
		hr = WsGetListenerProperty(fx->l, WS_LISTENER_PROPERTY_STATE,
		    &state, sizeof(state), NULL);
		assert_int_equal(state, state_of(fx->l));
		return (hr);
	case F_SET_STATE:
		return (WsSetListenerProperty(fx->l, WS_LISTENER_PROPERTY_STATE,
		    &value, sizeof(value), NULL));
	case F_SET_BACKLOG:
		return (WsSetListenerProperty(fx->l,
		    WS_LISTENER_PROPERTY_LISTEN_BACKLOG, &backlog,
		    sizeof(backlog), NULL));
	case F_CREATE_CHANNEL:
		hr = WsCreateChannelForListener(fx->l, NULL, 0, &ch, NULL);
		assert_non_null(ch);
		assert_int_equal(WsGetChannelProperty(ch,
		    WS_CHANNEL_PROPERTY_STATE, &cs, sizeof(cs), NULL), S_OK);
		assert_int_equal(cs, WS_CHANNEL_STATE_CREATED);
		assert_int_equal(WsGetChannelProperty(ch,
		    WS_CHANNEL_PROPERTY_CHANNEL_TYPE, &type, sizeof(type), NULL),
		    S_OK);
		assert_int_equal(type, WS_CHANNEL_TYPE_DUPLEX_SESSION);
		assert_int_equal(WsFreeChannel(ch), S_OK);
		return (hr);
	case F__COUNT:
		break;
	}
	fail();
	return (E_UNEXPECTED);
}

/* Close and free whatever the cell left, checking the pending accept. */
static void
leave(struct fixture *fx, const struct cell *c)
{
	if (fx->l != NULL) {
		switch (state_of(fx->l)) {
		case O:
		case F:
			assert_int_equal(WsCloseListener(fx->l, NULL, NULL), S_OK);
			break;
		default:
			break;
		}
		if (fx->ch != NULL && c->hr == WS_S_ASYNC) {
			/* Closing aborted the pending accept, exactly once. */
			assert_int_equal(done_wait(&fx->accepted, 1),
			    WS_E_OPERATION_ABORTED);
			assert_int_equal(fx->accepted.count, 1);
			assert_true(fx->accepted.on_loop);
		}
		assert_int_equal(WsFreeListener(fx->l), S_OK);
	}
	if (fx->ch != NULL)
		assert_int_equal(WsFreeChannel(fx->ch), S_OK);
	done_destroy(&fx->pending);
	done_destroy(&fx->accepted);
}

static void
test_cell(void **state)
{
	const struct cell *c = *state;
	struct fixture fx;
	HRESULT hr;

	enter(&fx, c->from);
	hr = call(&fx, c->fn);
	assert_int_equal(hr, c->hr);
	if (c->now == GONE)
		assert_null(fx.l);
	else
		assert_int_equal(state_of(fx.l), c->now);
	if (fx.gated) {
		gate_open(&fx.gate);
		assert_int_equal(done_wait(&fx.pending, 1), c->pending_hr);
		assert_true(fx.pending.on_loop);
	}
	if (c->settled != GONE) {
		loop_sync(fx.l);
		assert_int_equal(state_of(fx.l), c->settled);
	}
	leave(&fx, c);
}

int
main(void)
{
	static const char *const snames[] = { "CREATED", "OPENING", "OPEN",
		"FAULTED", "CLOSING", "CLOSED" };
	size_t n = sizeof(cells) / sizeof(cells[0]), i;
	struct CMUnitTest *tests;
	int r;

	tests = calloc(n, sizeof(*tests));
	for (i = 0; i < n; i++) {
		snprintf(cells[i].name, sizeof(cells[i].name), "%s in %s",
		    fn_names[cells[i].fn], snames[cells[i].from]);
		tests[i].name = cells[i].name;
		tests[i].test_func = test_cell;
		tests[i].initial_state = &cells[i];
	}
	r = _cmocka_run_group_tests("listener transition table", tests, n,
	    NULL, NULL);
	free(tests);
	return (r);
}
