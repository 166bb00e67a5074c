/* SPDX-License-Identifier: ISC */
/*
 * Who may do what on the control socket.  Every command has a level
 * (proto/commands.def): read (list, status, get, wait, version, commands),
 * operate (open, close, abort, reset, accept), admin (create, free, set,
 * reload, inject).  A peer, known by SO_PEERCRED and SO_PEERGROUPS, has
 * admin when it is root or wsld's own user, else the highest level the
 * configuration's "access" object gives to one of its groups (primary or
 * supplementary), else none.  On the read-only socket nobody has more
 * than read.
 */
#ifndef WSL_ACCESS_H
#define WSL_ACCESS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "wsl-proto.h"

#define ACCESS_NONE (-1)

struct peer {
	uid_t uid;
	pid_t pid;
	gid_t gid;                       /* the primary group */
	gid_t *groups;                   /* the supplementary ones, all */
	size_t ngroups;
	bool read_only;                  /* came in on the read-only socket */
};

/* The "access" object, checked already (NULL: nobody but root and us),
 * made ready (NULL when out of memory), then put in force or dropped: a
 * reload that fails for another reason leaves the old one in force. */
struct access_table;
struct access_table *access_prepare(const json_t *);
void access_commit(struct access_table *);
void access_discard(struct access_table *);
/* The peer of a connected socket; access_peer_free() when done. */
void access_peer(int fd, bool read_only, struct peer *);
void access_peer_free(struct peer *);
int access_level(const struct peer *);   /* a wsl_level or ACCESS_NONE */
bool access_operator(const struct peer *); /* root or wsld's own user */
const char *access_level_name(int);
/* For the configuration check: the level a string names, or -1. */
int access_parse_level(const char *);

#endif
