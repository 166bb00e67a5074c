/* SPDX-License-Identifier: ISC */
/*
 * Access levels on the control socket (see access.h).
 */
#include <sys/socket.h>

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
	gid_t groups[ACCESS_MAX_GROUPS];
	size_t i;

	memset(p, 0, sizeof(*p));
	p->uid = (uid_t)-1;
	p->pid = -1;
	p->read_only = read_only;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return; /* unknown: no level at all */
	p->uid = cred.uid;
	p->pid = cred.pid;
	p->groups[p->ngroups++] = cred.gid;
	len = sizeof(groups);
	/* More groups than we keep: the rest give nothing (fail closed). */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return;
	for (i = 0; i < len / sizeof(gid_t) &&
	    p->ngroups < ACCESS_MAX_GROUPS; i++)
		p->groups[p->ngroups++] = groups[i];
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
	for (i = 0; i < p->ngroups && level < WSL_LEVEL_ADMIN; i++)
		for (k = 0; k < ngrants; k++)
			if (grants[k].gid == p->groups[i] &&
			    grants[k].level > level)
				level = grants[k].level;
	/* The read-only socket is for everyone, and for reading only. */
	if (p->read_only)
		level = WSL_LEVEL_READ;
	return (level);
}
