/* SPDX-License-Identifier: ISC */
/*
 * Descriptors wsld finds open at start: socket activation and the systemd
 * fd store both pass them as LISTEN_FDS, named by LISTEN_FDNAMES (a socket
 * unit's FileDescriptorName=, or the FDNAME= wsld stored them under).  A
 * listener takes the descriptor of its own name; the control socket is the
 * Unix socket bound at its path.  Whatever nobody takes is closed, and
 * dropped from the fd store.
 */
#ifndef WSL_ACTIVATION_H
#define WSL_ACTIVATION_H

#include <stddef.h>

size_t activation_init(void);            /* how many were passed */
int activation_take(const char *name);   /* the descriptor, or -1 */
int activation_take_unix(const char *path);
void activation_discard_rest(void);

#endif
