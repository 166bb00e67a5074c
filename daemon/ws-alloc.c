/* SPDX-License-Identifier: ISC */
/*
 * Every allocation of the listener core goes through one replaceable
 * allocator, so that tests can prove which paths never allocate.
 */
#include <stdlib.h>
#include <string.h>

#include "ws-internal.h"

static const WSL_ALLOCATOR libc_allocator = { malloc, calloc, realloc, free };
static const WSL_ALLOCATOR *allocator = &libc_allocator;

void
WslSetAllocator(const WSL_ALLOCATOR *a)
{
	allocator = a != NULL ? a : &libc_allocator;
}

void *
ws_malloc(size_t n)
{
	return (allocator->malloc(n));
}

void *
ws_calloc(size_t n, size_t size)
{
	return (allocator->calloc(n, size));
}

void *
ws_realloc(void *p, size_t n)
{
	return (allocator->realloc(p, n));
}

void
ws_free(void *p)
{
	allocator->free(p);
}

char *
ws_strndup(const char *s, size_t n)
{
	char *p;

	if ((p = ws_malloc(n + 1)) == NULL)
		return (NULL);
	if (n > 0) /* s may be NULL for an empty string */
		memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}
