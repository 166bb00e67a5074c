/* SPDX-License-Identifier: ISC */
/*
 * The channel transition table, cell by cell: WsCloseChannel,
 * WsResetChannel, WsAbortChannel and WsFreeChannel in every state a
 * listener's channel takes (CREATED, ACCEPTING, OPEN, FAULTED, CLOSED),
 * the HRESULT, the state right after the call, and the state once a
 * pending accept has completed.  A refused call changes nothing.  As on
 * Windows, closing a CLOSED channel is S_OK (Wine's test_WsOpenChannel
 * closes twice and expects it).  wsl-listener(3) says the same.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

enum fn { F_CLOSE, F_RESET, F_ABORT, F_FREE };
static const char *const fn_names[] = { "WsCloseChannel", "WsResetChannel",
	"WsAbortChannel", "WsFreeChannel" };

#define C WS_CHANNEL_STATE_CREATED
#define A WS_CHANNEL_STATE_ACCEPTING
#define O WS_CHANNEL_STATE_OPEN
#define F WS_CHANNEL_STATE_FAULTED
#define CD WS_CHANNEL_STATE_CLOSED
#define GONE ((WS_CHANNEL_STATE)-1) /* freed */
#define INV WS_E_INVALID_OPERATION

struct cell {
	enum fn fn;
	WS_CHANNEL_STATE from;
	HRESULT hr;                /* returned by the call */
	WS_CHANNEL_STATE now;      /* right after the call */
	WS_CHANNEL_STATE settled;  /* once a pending accept has completed */
	char name[64];
};

static struct cell cells[] = {
	/* fn       from hr    now   settled */
	{ F_CLOSE,  C,   S_OK, CD,   CD },
	{ F_CLOSE,  A,   INV,  A,    A },
	{ F_CLOSE,  O,   S_OK, CD,   CD },
	{ F_CLOSE,  F,   S_OK, CD,   CD },
	{ F_CLOSE,  CD,  S_OK, CD,   CD },
	{ F_RESET,  C,   S_OK, C,    C },
	{ F_RESET,  A,   INV,  A,    A },
	{ F_RESET,  O,   INV,  O,    O },
	{ F_RESET,  F,   INV,  F,    F },
	{ F_RESET,  CD,  S_OK, C,    C },
	{ F_ABORT,  C,   S_OK, C,    C },
	{ F_ABORT,  A,   S_OK, A,    C },   /* the accept is aborted */
	{ F_ABORT,  O,   S_OK, F,    F },
	{ F_ABORT,  F,   S_OK, F,    F },
	{ F_ABORT,  CD,  S_OK, CD,   CD },
	{ F_FREE,   C,   S_OK, GONE, GONE },
	{ F_FREE,   A,   INV,  A,    A },
	{ F_FREE,   O,   S_OK, GONE, GONE },
	{ F_FREE,   F,   S_OK, GONE, GONE },
	{ F_FREE,   CD,  S_OK, GONE, GONE },
};

struct fixture {
	WS_LISTENER *l;
	WS_CHANNEL *ch;
	struct done accepted;
	bool accepting;        /* an accept was started */
	int client;
};

/* A channel of an OPEN TCP listener, brought into the state. */
static void
enter(struct fixture *fx, WS_CHANNEL_STATE s)
{
	WS_STRING url = url_of(url_for(WS_TCP_CHANNEL_BINDING));
	WS_ASYNC_CONTEXT ctx;

	memset(fx, 0, sizeof(*fx));
	fx->client = -1;
	fx->l = listener_new(WS_TCP_CHANNEL_BINDING);
	assert_int_equal(WsOpenListener(fx->l, &url, NULL, NULL), S_OK);
	done_init(&fx->accepted, fx->l);
	assert_int_equal(WsCreateChannelForListener(fx->l, NULL, 0, &fx->ch,
	    NULL), S_OK);
	if (s != C) {
		fx->accepting = true;
		ctx = done_ctx(&fx->accepted);
		assert_int_equal(WsAcceptChannel(fx->l, fx->ch, &ctx, NULL),
		    WS_S_ASYNC);
	}
	if (s == O || s == F || s == CD) {
		assert_true((fx->client = connect_to(fx->l)) >= 0);
		assert_int_equal(done_wait(&fx->accepted, 1), S_OK);
	}
	if (s == F)
		assert_int_equal(WsAbortChannel(fx->ch, NULL), S_OK);
	if (s == CD)
		assert_int_equal(WsCloseChannel(fx->ch, NULL, NULL), S_OK);
	assert_int_equal(channel_state_of(fx->ch), s);
}

static HRESULT
call(struct fixture *fx, enum fn fn)
{
	HRESULT hr;

	switch (fn) {
	case F_CLOSE:
		return (WsCloseChannel(fx->ch, NULL, NULL));
	case F_RESET:
		return (WsResetChannel(fx->ch, NULL));
	case F_ABORT:
		return (WsAbortChannel(fx->ch, NULL));
	case F_FREE:
		if ((hr = WsFreeChannel(fx->ch)) == S_OK)
			fx->ch = NULL;
		return (hr);
	}
	fail();
	return (E_UNEXPECTED);
}

static void
leave(struct fixture *fx)
{
	/* Closing the listener aborts an accept still pending. */
	assert_int_equal(WsCloseListener(fx->l, NULL, NULL), S_OK);
	if (fx->accepting)
		(void)done_wait(&fx->accepted, 1);
	if (fx->ch != NULL)
		assert_int_equal(WsFreeChannel(fx->ch), S_OK);
	assert_int_equal(WsFreeListener(fx->l), S_OK);
	done_destroy(&fx->accepted);
	if (fx->client >= 0)
		close(fx->client);
}

static void
test_cell(void **state)
{
	const struct cell *c = *state;
	WS_CHANNEL_STATE now;
	struct fixture fx;
	struct gate gate;
	HRESULT hr;

	enter(&fx, c->from);
	/* The loop is held, so that the state right after the call is
	 * seen before an aborted accept completes; let go before any
	 * assertion, so that a failing cell does not hold it for ever. */
	gate_close(&gate, fx.l);
	hr = call(&fx, c->fn);
	now = fx.ch != NULL ? channel_state_of(fx.ch) : GONE;
	gate_open(&gate);
	assert_int_equal(hr, c->hr);
	assert_int_equal(now, c->now);
	if (c->now == GONE) {
		leave(&fx);
		return;
	}
	if (c->from == A && c->settled != A) {
		assert_int_equal(done_wait(&fx.accepted, 1),
		    WS_E_OPERATION_ABORTED);
		assert_int_equal(fx.accepted.count, 1);
	}
	loop_sync(fx.l);
	assert_int_equal(channel_state_of(fx.ch), c->settled);
	leave(&fx);
}

int
main(void)
{
	static const char *const snames[] = { "CREATED", "OPENING",
		"ACCEPTING", "OPEN", "FAULTED", "CLOSING", "CLOSED" };
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
	r = _cmocka_run_group_tests("channel transition table", tests, n,
	    NULL, NULL);
	free(tests);
	return (r);
}
