/* SPDX-License-Identifier: ISC */
/*
 * strmap_scan, the walk that list spreads over turns of the loop: every
 * entry in the map from the first step to the last is visited exactly
 * once, however the map grows (it doubles many times here) and whatever
 * is removed or added between steps; one removed or added meanwhile is
 * visited at most once; and the walk ends.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "strmap.h"

#define KEPT 500      /* there throughout */
#define GONE 300      /* removed part way */
#define ADDED 20000   /* added part way: the map doubles 10 times */

struct seen {
	int kept[KEPT], gone[GONE], added[ADDED];
};

static void
visit(const char *key, void *value, void *arg)
{
	struct seen *s = arg;
	int i = atoi(key + 1);

	(void)value;
	switch (key[0]) {
	case 'k':
		s->kept[i]++;
		break;
	case 'g':
		s->gone[i]++;
		break;
	default:
		s->added[i]++;
		break;
	}
}

static void
put(struct strmap *m, char kind, int i)
{
	char key[16];

	snprintf(key, sizeof(key), "%c%d", kind, i);
	assert_int_equal(strmap_put(m, key, m), 0);
}

/* Steps of the walk, with changes to the map between them. */
static void
scan_while_the_map_changes(void **state)
{
	struct strmap *m = strmap_new();
	struct seen *s = calloc(1, sizeof(*s));
	uint64_t cursor = 0;
	size_t steps = 0;
	char key[16];
	int i, added = 0, removed = 0;

	(void)state;
	assert_non_null(m);
	assert_non_null(s);
	for (i = 0; i < KEPT; i++)
		put(m, 'k', i);
	for (i = 0; i < GONE; i++)
		put(m, 'g', i);
	do {
		cursor = strmap_scan(m, cursor, visit, s);
		/* Grow in bursts, remove one by one. */
		if (steps % 7 == 3)
			for (i = 0; i < 500 && added < ADDED; i++)
				put(m, 'a', added++);
		if (steps % 3 == 1 && removed < GONE) {
			snprintf(key, sizeof(key), "g%d", removed++);
			assert_non_null(strmap_remove(m, key));
		}
		assert_true(++steps < 10 * (KEPT + GONE + ADDED));
	} while (cursor != 0);
	for (i = 0; i < KEPT; i++)
		assert_int_equal(s->kept[i], 1);
	for (i = 0; i < GONE; i++)
		assert_in_range(s->gone[i], 0, 1);
	for (i = 0; i < ADDED; i++)
		assert_in_range(s->added[i], 0, 1);
	assert_true(added > 1000); /* the map did grow under the walk */
	strmap_free(m);
	free(s);
}

/* Without changes: each once; an empty map is walked to the end too. */
static void
scan_of_a_quiet_map(void **state)
{
	struct strmap *m = strmap_new();
	struct seen *s = calloc(1, sizeof(*s));
	uint64_t cursor = 0;
	size_t steps = 0;
	int i;

	(void)state;
	assert_non_null(m);
	assert_non_null(s);
	do
		cursor = strmap_scan(m, cursor, visit, s);
	while (cursor != 0 && ++steps < 1000);
	assert_int_equal(cursor, 0);
	for (i = 0; i < KEPT; i++)
		put(m, 'k', i);
	do
		cursor = strmap_scan(m, cursor, visit, s);
	while (cursor != 0 && ++steps < 10000);
	assert_int_equal(cursor, 0);
	for (i = 0; i < KEPT; i++)
		assert_int_equal(s->kept[i], 1);
	strmap_free(m);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(scan_while_the_map_changes),
		cmocka_unit_test(scan_of_a_quiet_map),
	};

	return (cmocka_run_group_tests_name("strmap_scan", tests, NULL, NULL));
}
