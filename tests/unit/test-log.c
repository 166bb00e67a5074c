/* SPDX-License-Identifier: ISC */
/*
 * The journal entry wsld writes for a message: MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER, and what it is about: the listener, its state and
 * previous state, and an operation's HRESULT by name and by code.
 */
#include <string.h>

#include "harness.h"
#include "log.h"

static char buf[LOG_FIELDS][LOG_FIELD_SIZE];
static struct iovec iov[LOG_FIELDS];

/* The fields, joined by '|', from the iovecs (as journald gets them). */
static const char *
joined(size_t n)
{
	static char out[LOG_FIELDS * LOG_FIELD_SIZE];
	size_t i, off = 0;

	for (i = 0; i < n; i++) {
		memcpy(out + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
		out[off++] = '|';
	}
	out[off > 0 ? off - 1 : 0] = '\0';
	return (out);
}

static void
state_change_carries_listener_states_and_hresult(void **state)
{
	struct log_about about = { "web", WS_LISTENER_STATE_FAULTED,
		WS_LISTENER_STATE_OPEN, true, WS_E_OPERATION_ABORTED };
	size_t n;

	(void)state;
	n = log_journal_fields(6, &about, "listener 'web': OPEN -> FAULTED",
	    buf, iov);
	assert_string_equal(joined(n), "MESSAGE=listener 'web': OPEN -> "
	    "FAULTED|PRIORITY=6|SYSLOG_IDENTIFIER=wsld|WSLD_LISTENER=web|"
	    "WSLD_STATE=FAULTED|WSLD_PREVIOUS_STATE=OPEN|"
	    "WSLD_HRESULT=WS_E_OPERATION_ABORTED|WSLD_HRESULT_CODE=0x803D0004");
}

static void
plain_message_has_only_the_common_fields(void **state)
{
	struct log_about listener_only = { "pipe", -1, -1, false, 0 };
	size_t n;

	(void)state;
	n = log_journal_fields(4, NULL, "ready", buf, iov);
	assert_string_equal(joined(n),
	    "MESSAGE=ready|PRIORITY=4|SYSLOG_IDENTIFIER=wsld");
	n = log_journal_fields(3, &listener_only, "x", buf, iov);
	assert_string_equal(joined(n),
	    "MESSAGE=x|PRIORITY=3|SYSLOG_IDENTIFIER=wsld|WSLD_LISTENER=pipe");
}

static void
unknown_hresult_is_named_by_its_code(void **state)
{
	struct log_about about = { "w", -1, -1, true, (int32_t)0x80004005 };
	size_t n;

	(void)state;
	n = log_journal_fields(4, &about, "m", buf, iov);
	assert_non_null(strstr(joined(n), "WSLD_HRESULT=0x80004005|"
	    "WSLD_HRESULT_CODE=0x80004005"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(state_change_carries_listener_states_and_hresult),
		cmocka_unit_test(plain_message_has_only_the_common_fields),
		cmocka_unit_test(unknown_hresult_is_named_by_its_code),
	};

	return (cmocka_run_group_tests_name("journal fields", tests, NULL,
	    NULL));
}
