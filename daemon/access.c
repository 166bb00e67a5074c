/* SPDX-License-Identifier: ISC */
/*
 * Access levels on the control socket (see access.h).
 */
#include <sys/socket.h>

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "inject.h"
#include "log.h"

struct grant {
	gid_t gid;
	int level;
};

/* The "access" object, groups resolved. */
struct access_table {
	struct grant *grants;
	size_t n;
};

static struct access_table *table;

int
access_parse_level(const char *s)
{
	if (strcmp(s, "read") == 0)
		return (WSL_LEVEL_READ);
	if (strcmp(s, "operate") == 0)
		return (WSL_LEVEL_OPERATE);
	if (strcmp(s, "admin") == 0)
		return (WSL_LEVEL_ADMIN);
	return (-1);
}

const char *
access_level_name(int level)
{
	return (level == ACCESS_NONE ? "none" :
	    wsl_level_name((enum wsl_level)level));
}

struct access_table *
access_prepare(const json_t *access)
{
	struct access_table *t;
	struct group *gr;
	const char *name;
	json_t *v;

	if ((t = inject_calloc(1, sizeof(*t))) == NULL ||
	    (t->grants = inject_calloc(json_object_size(access) + 1,
	    sizeof(*t->grants))) == NULL) {
		free(t);
		return (NULL);
	}
	json_object_foreach((json_t *)access, name, v) {
		/* Checked with the configuration; a group gone since is
		 * skipped, not guessed. */
		if ((gr = getgrnam(name)) == NULL) {
			log_warnx("access: group '%s' does not exist; ignored",
			    name);
			continue;
		}
		t->grants[t->n].gid = gr->gr_gid;
		t->grants[t->n].level = access_parse_level(json_string_value(v));
		t->n++;
	}
	return (t);
}

void
access_discard(struct access_table *t)
{
	if (t != NULL)
		free(t->grants);
	free(t);
}

void
access_commit(struct access_table *t)
{
	access_discard(table);
	table = t;
}

void
access_peer(int fd, bool read_only, struct peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t *groups;
	int tries;

	memset(p, 0, sizeof(*p));
	p->uid = (uid_t)-1;
	p->pid = -1;
	p->gid = (gid_t)-1;
	p->read_only = read_only;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return; /* unknown: no level at all */
	p->uid = cred.uid;
	p->pid = cred.pid;
	p->gid = cred.gid;
	/* Room for a usual list first; for a longer one the kernel says how
	 * much it needs (ERANGE).  Without memory only the primary group
	 * counts (fail closed). */
	len = 32 * sizeof(gid_t);
	for (tries = 0; tries < 2; tries++) {
		if ((groups = malloc(len > 0 ? len : 1)) == NULL)
			return;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups,
		    &len) == 0) {
			p->groups = groups;
			p->ngroups = len / sizeof(gid_t);
			return;
		}
		free(groups);
		if (errno != ERANGE)
			return;
	}
}

void
access_peer_free(struct peer *p)
{
	free(p->groups);
	p->groups = NULL;
	p->ngroups = 0;
}

bool
access_operator(const struct peer *p)
{
	return (p->uid != (uid_t)-1 && (p->uid == 0 || p->uid == geteuid()));
}

int
access_level(const struct peer *p)
{
	const struct grant *g;
	int level = ACCESS_NONE;
	size_t i, k;

	if (p->uid == (uid_t)-1)
		return (ACCESS_NONE);
	if (access_operator(p))
		level = WSL_LEVEL_ADMIN;
	for (k = 0; table != NULL && k < table->n; k++) {
		g = &table->grants[k];
		if (g->level <= level)
			continue;
		if (g->gid == p->gid)
			level = g->level;
		for (i = 0; i < p->ngroups && g->level > level; i++)
			if (g->gid == p->groups[i])
				level = g->level;
	}
	/* The read-only socket is for everyone, and for reading only. */
	if (p->read_only)
		level = WSL_LEVEL_READ;
	return (level);
}
