/* SPDX-License-Identifier: ISC */
/*
 * The per-uid limit on what control peers make wsld log: the first lines
 * in full, the rest counted and summed up exactly, once a second and at
 * exit; a quiet uid is logged in full again; the table is fixed, the uids
 * past it share one count; each kind counts on its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "harness.h"
#include "control.h"
#include "log-limit.h"
#include "wsl-proto.h"

static char logged[65536];

/* What the logger writes to stderr while fn runs. */
static const char *
capture(void (*fn)(void))
{
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(f);
	fflush(stderr);
	assert_int_not_equal(dup2(fileno(f), 2), -1);
	fn();
	fflush(stderr);
	assert_int_not_equal(dup2(saved, 2), -1);
	close(saved);
	rewind(f);
	n = fread(logged, 1, sizeof(logged) - 1, f);
	logged[n] = '\0';
	fclose(f);
	return (logged);
}

/* The count a summary line says for WHO ("uid 7", "other uids"). */
static unsigned long long
said(const char *text, const char *kind, const char *who)
{
	char tail[128];
	const char *p;

	snprintf(tail, sizeof(tail), " more %s from %s\n", kind, who);
	if ((p = strstr(text, tail)) == NULL)
		return (0);
	while (p > text && p[-1] != ' ') /* back to the number */
		p--;
	return (strtoull(p, NULL, 10));
}

static int
setup(void **state)
{
	(void)state;
	control_base = event_base_new();
	return (control_base == NULL);
}

static int
teardown(void **state)
{
	(void)state;
	log_limit_flush();
	event_base_free(control_base);
	control_base = NULL;
	return (0);
}

static void
flush(void)
{
	log_limit_flush();
}

static void
run_loop(void)
{
	/* Returns once the timer has nothing left to track. */
	event_base_dispatch(control_base);
}

static void
burst_then_counted_then_summed_up_at_exit(void **state)
{
	unsigned int full = 0;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		full += log_limit(LOG_LIMIT_DENIED, 7);
	assert_int_equal(full, LOG_LIMIT_BURST);
	capture(flush);
	assert_int_equal(said(logged, "denied", "uid 7"),
	    1000 - LOG_LIMIT_BURST);
	assert_non_null(strstr(logged, "wsld: control: 995 more denied from "
	    "uid 7\n"));
	/* Forgotten: in full again. */
	assert_true(log_limit(LOG_LIMIT_DENIED, 7));
}

static void
uids_past_the_table_share_one_count(void **state)
{
	unsigned long long total = 0;
	unsigned int full = 0;
	uid_t uid;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		for (uid = 1000; uid < 1000 + LOG_LIMIT_PEERS + 36; uid++)
			full += log_limit(LOG_LIMIT_DENIED, uid);
	/* BURST for each uid with a place, BURST for all the others. */
	assert_int_equal(full, (LOG_LIMIT_PEERS + 1) * LOG_LIMIT_BURST);
	capture(flush);
	for (uid = 1000; uid < 1000 + LOG_LIMIT_PEERS; uid++) {
		char who[32];

		snprintf(who, sizeof(who), "uid %u", (unsigned int)uid);
		total += said(logged, "denied", who);
	}
	total += said(logged, "denied", "other uids");
	assert_int_equal(said(logged, "denied", "other uids"),
	    36 * 10 - LOG_LIMIT_BURST);
	/* Exact: every one is either in full or counted. */
	assert_int_equal(full + total, 10 * (LOG_LIMIT_PEERS + 36));
}

static void
kinds_count_apart(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < LOG_LIMIT_BURST; i++)
		assert_true(log_limit(LOG_LIMIT_DENIED, 5));
	assert_false(log_limit(LOG_LIMIT_DENIED, 5));
	assert_true(log_limit(LOG_LIMIT_TURNED_AWAY, 5));
	assert_true(log_limit(LOG_LIMIT_BAD_REQUEST, 5));
	capture(flush);
	assert_int_equal(said(logged, "denied", "uid 5"), 1);
	assert_null(strstr(logged, "turned away"));
}

/* The timer says the count within a second, then forgets the quiet uid
 * and stops (the loop returns: nothing is left to wait for). */
static void
summed_up_once_a_second_then_forgotten(void **state)
{
	long long start = wsl_now_ms(), took;
	int i;

	(void)state;
	for (i = 0; i < 100; i++)
		(void)log_limit(LOG_LIMIT_TURNED_AWAY, 9);
	capture(run_loop);
	took = wsl_now_ms() - start;
	assert_int_equal(said(logged, "turned away", "uid 9"),
	    100 - LOG_LIMIT_BURST);
	/* (libevent's clock may be a little coarser than ours) */
	assert_true(took >= LOG_LIMIT_PERIOD_MS);
	assert_true(took < HARNESS_DEADLINE_S * 1000);
	assert_true(log_limit(LOG_LIMIT_TURNED_AWAY, 9));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    burst_then_counted_then_summed_up_at_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    uids_past_the_table_share_one_count, setup, teardown),
		cmocka_unit_test_setup_teardown(kinds_count_apart, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    summed_up_once_a_second_then_forgotten, setup, teardown),
	};

	return (cmocka_run_group_tests_name("per-uid log limit", tests, NULL,
	    NULL));
}
