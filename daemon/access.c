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
#include "log.h"

struct grant {
	gid_t gid;
	int level;
};

static struct grant *grants;
static size_t ngrants;

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

void
access_configure(const json_t *access)
{
	struct grant *g;
	struct group *gr;
	const char *name;
	json_t *v;
	size_t n = 0;

	g = calloc(json_object_size(access) + 1, sizeof(*g));
	if (g == NULL)
		fatalx("out of memory");
	json_object_foreach((json_t *)access, name, v) {
		/* Checked with the configuration; a group gone since is
		 * skipped, not guessed. */
		if ((gr = getgrnam(name)) == NULL) {
			log_warnx("access: group '%s' does not exist; ignored",
			    name);
			continue;
		}
		g[n].gid = gr->gr_gid;
		g[n].level = access_parse_level(json_string_value(v));
		n++;
	}
	free(grants);
	grants = g;
	ngrants = n;
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
	int level = ACCESS_NONE;
	size_t i, k;

	if (p->uid == (uid_t)-1)
		return (ACCESS_NONE);
	if (access_operator(p))
		level = WSL_LEVEL_ADMIN;
	for (k = 0; k < ngrants; k++) {
		if (grants[k].level <= level)
			continue;
		if (grants[k].gid == p->gid)
			level = grants[k].level;
		for (i = 0; i < p->ngroups && grants[k].level > level; i++)
			if (grants[k].gid == p->groups[i])
				level = grants[k].level;
	}
	/* The read-only socket is for everyone, and for reading only. */
	if (p->read_only)
		level = WSL_LEVEL_READ;
	return (level);
}
