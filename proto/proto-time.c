/* SPDX-License-Identifier: ISC */
/*
 * Milliseconds, the unit of every timeout in the protocol and the
 * configuration: the monotonic clock in them, and a timeval from them for
 * libevent timers.
 */
#include <sys/time.h>

#include <time.h>

#include "wsl-proto.h"

long long
wsl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

struct timeval
wsl_ms_to_tv(long long ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return (tv);
}
