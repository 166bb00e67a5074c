/* SPDX-License-Identifier: ISC */
/*
 * Messages to the service manager (see notify.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "listener.h"
#include "notify.h"

static char last_status[256];
static bool ready;
static bool manager;                /* NOTIFY_SOCKET was set: someone hears */

void
notify_summary(char *buf, size_t size)
{
	static const char *const names[] = { "created", "opening", "open",
		"faulted", "closing", "closed" };
	struct wsld_listener **all;
	size_t n, i, by_state[6] = { 0 };
	const char *sep = ": ";
	int off;

	if ((all = registry_sorted(&n)) == NULL) {
		snprintf(buf, size, "out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		by_state[listener_state(all[i])]++;
	registry_free_sorted(all, n);
	off = snprintf(buf, size, "%zu listener%s", n, n == 1 ? "" : "s");
	for (i = 0; i < 6 && off > 0 && (size_t)off < size; i++)
		if (by_state[i] > 0) {
			off += snprintf(buf + off, size - (size_t)off, "%s%zu %s",
			    sep, by_state[i], names[i]);
			sep = ", ";
		}
}

static void
send_status(const char *prefix)
{
	char status[256], msg[320];

	notify_summary(status, sizeof(status));
	snprintf(last_status, sizeof(last_status), "%s", status);
	snprintf(msg, sizeof(msg), "%sSTATUS=%s", prefix, status);
	(void)sd_notify(0, msg);
}

void
notify_ready(void)
{
	ready = true;
	manager = getenv("NOTIFY_SOCKET") != NULL;
	send_status("READY=1\n");
}

void
notify_status(void)
{
	char status[256];

	if (!ready || !manager)
		return;
	notify_summary(status, sizeof(status));
	if (strcmp(status, last_status) != 0)
		send_status("");
}

void
notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* MONOTONIC_USEC ties the message to this reload (systemd 253+). */
	(void)sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\n"
	    "STATUS=reloading the configuration",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
}

void
notify_reloaded(const char *error)
{
	char msg[600];

	if (error == NULL) {
		send_status("READY=1\n");
		return;
	}
	/* The old configuration still runs: ready, and say why. */
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=reload failed: %.500s",
	    error);
	last_status[0] = '\0';
	(void)sd_notify(0, msg);
}

void
notify_stopping(void)
{
	ready = false;
	(void)sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
