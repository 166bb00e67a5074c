/* SPDX-License-Identifier: ISC */
/*
 * Descriptors passed at start (see activation.h).
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "activation.h"
#include "fdstore.h"
#include "log.h"

static char **names;
static int *fds;
static size_t count;

size_t
activation_init(void)
{
	int n, i;

	/* Unset, so that no child of the exec handler believes it is meant. */
	if ((n = sd_listen_fds_with_names(1, &names)) <= 0) {
		if (n < 0)
			log_warnx("socket activation: %s", strerror(-n));
		return (0);
	}
	if ((fds = calloc((size_t)n, sizeof(*fds))) == NULL)
		fatalx("out of memory");
	for (i = 0; i < n; i++) {
		fds[i] = SD_LISTEN_FDS_START + i;
		log_info("descriptor %d passed at start, named '%s'", fds[i],
		    names[i]);
	}
	count = (size_t)n;
	return (count);
}

static int
take(size_t i)
{
	int fd = fds[i];

	fds[i] = -1;
	return (fd);
}

int
activation_take(const char *name)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (fds[i] >= 0 && strcmp(names[i], name) == 0)
			return (take(i));
	return (-1);
}

int
activation_take_unix(const char *path)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (fds[i] >= 0 &&
		    sd_is_socket_unix(fds[i], SOCK_STREAM, 1, path, 0) > 0)
			return (take(i));
	return (-1);
}

void
activation_discard_rest(void)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (fds[i] >= 0) {
			log_warnx("descriptor %d named '%s' belongs to no "
			    "listener; closed", fds[i], names[i]);
			fdstore_remove(names[i]);
			close(fds[i]);
		}
		free(names[i]);
	}
	free(names);
	free(fds);
	names = NULL;
	fds = NULL;
	count = 0;
}
