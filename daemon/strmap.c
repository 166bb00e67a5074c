/* SPDX-License-Identifier: ISC */
/*
 * Separate-chaining hash map with FNV-1a hashing, doubling at load 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "ws-internal.h"

struct entry {
	struct entry *next;
	void *value;
	char key[];
};

struct strmap {
	struct entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
};

static uint64_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return (h);
}

struct strmap *
strmap_new(void)
{
	struct strmap *m;

	if ((m = ws_calloc(1, sizeof(*m))) == NULL)
		return (NULL);
	m->nbuckets = 16;
	if ((m->buckets = ws_calloc(m->nbuckets, sizeof(*m->buckets))) == NULL) {
		ws_free(m);
		return (NULL);
	}
	return (m);
}

void
strmap_free(struct strmap *m)
{
	struct entry *e, *next;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			ws_free(e);
		}
	ws_free(m->buckets);
	ws_free(m);
}

static struct entry **
slot(const struct strmap *m, const char *key)
{
	struct entry **p;

	p = &m->buckets[hash(key) & (m->nbuckets - 1)];
	while (*p != NULL && strcmp((*p)->key, key) != 0)
		p = &(*p)->next;
	return (p);
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	struct entry *e = *slot(m, key);

	return (e != NULL ? e->value : NULL);
}

static void
grow(struct strmap *m)
{
	struct entry **nb, *e, *next;
	size_t i, n = m->nbuckets * 2;

	if ((nb = ws_calloc(n, sizeof(*nb))) == NULL)
		return; /* keep working with longer chains */
	for (i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[hash(e->key) & (n - 1)];
			nb[hash(e->key) & (n - 1)] = e;
		}
	ws_free(m->buckets);
	m->buckets = nb;
	m->nbuckets = n;
}

int
strmap_put(struct strmap *m, const char *key, void *value)
{
	struct entry **p, *e;
	size_t len = strlen(key);

	p = slot(m, key);
	if (*p != NULL)
		return (-EEXIST);
	if ((e = ws_malloc(sizeof(*e) + len + 1)) == NULL)
		return (-ENOMEM);
	memcpy(e->key, key, len + 1);
	e->value = value;
	e->next = NULL;
	*p = e;
	if (++m->count > m->nbuckets)
		grow(m);
	return (0);
}

void *
strmap_remove(struct strmap *m, const char *key)
{
	struct entry **p, *e;
	void *value;

	p = slot(m, key);
	if ((e = *p) == NULL)
		return (NULL);
	*p = e->next;
	value = e->value;
	ws_free(e);
	m->count--;
	return (value);
}

void *
strmap_set(struct strmap *m, const char *key, void *value)
{
	struct entry *e = *slot(m, key);
	void *old;

	if (e == NULL)
		return (NULL);
	old = e->value;
	e->value = value;
	return (old);
}

size_t
strmap_count(const struct strmap *m)
{
	return (m->count);
}

void
strmap_foreach(const struct strmap *m,
    void (*fn)(const char *, void *, void *), void *arg)
{
	struct entry *e;
	size_t i;

	for (i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e != NULL; e = e->next)
			fn(e->key, e->value, arg);
}

/* v with its bits in the reverse order. */
static uint64_t
reverse(uint64_t v)
{
	v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
	v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
	v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
	v = ((v >> 8) & 0x00ff00ff00ff00ffull) | ((v & 0x00ff00ff00ff00ffull) << 8);
	v = ((v >> 16) & 0x0000ffff0000ffffull) | ((v & 0x0000ffff0000ffffull) << 16);
	return ((v >> 32) | (v << 32));
}

/*
 * The cursor counts through the buckets with its bits reversed: when the
 * table doubles, bucket i splits into i and i + n, which in that order come
 * right after each other, so the buckets already visited stay behind the
 * cursor in the larger table too (Redis's SCAN does the same).
 */
uint64_t
strmap_scan(const struct strmap *m, uint64_t cursor,
    void (*fn)(const char *, void *, void *), void *arg)
{
	uint64_t mask = m->nbuckets - 1;
	struct entry *e;

	for (e = m->buckets[cursor & mask]; e != NULL; e = e->next)
		fn(e->key, e->value, arg);
	return (reverse(reverse(cursor | ~mask) + 1));
}
