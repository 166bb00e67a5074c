/* SPDX-License-Identifier: ISC */
/*
 * How near two words are, for "did you mean" suggestions: the edit
 * distance (insertions, deletions, substitutions), counted only up to a
 * bound, on words of up to WSL_NEAR_MAX bytes.
 */
#include <string.h>

#include "wsl-proto.h"

int
wsl_edit_distance(const char *a, const char *b, int bound)
{
	int prev[WSL_NEAR_MAX + 1], cur[WSL_NEAR_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;
	int best, d;

	if (la > WSL_NEAR_MAX || lb > WSL_NEAR_MAX)
		return (bound + 1);
	for (j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (i = 1; i <= la; i++) {
		cur[0] = (int)i;
		best = cur[0];
		for (j = 1; j <= lb; j++) {
			d = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			cur[j] = d;
			if (d < best)
				best = d;
		}
		if (best > bound)
			return (bound + 1); /* no cell can get nearer */
		memcpy(prev, cur, (lb + 1) * sizeof(prev[0]));
	}
	return (prev[lb] > bound ? bound + 1 : prev[lb]);
}
