/* SPDX-License-Identifier: ISC */
/*
 * A hash map from NUL-terminated strings to pointers: listener names in the
 * daemon, peer addresses of UDP channels in the core.  Lookups cost O(1)
 * whatever the number of entries.  Not thread-safe: each map has one owner.
 * Memory comes from the core's allocator (WslSetAllocator).
 */
#ifndef WSL_STRMAP_H
#define WSL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap;

struct strmap *strmap_new(void);
void strmap_free(struct strmap *); /* values are not freed */
void *strmap_get(const struct strmap *, const char *);
int strmap_put(struct strmap *, const char *, void *); /* -ENOMEM, -EEXIST */
void *strmap_remove(struct strmap *, const char *);
/* A new value for a key that is there (no allocation); the old value, or
 * NULL (and nothing done) when the key is not there. */
void *strmap_set(struct strmap *, const char *, void *);
size_t strmap_count(const struct strmap *);
/* Calls fn for each entry; fn may not modify the map. */
void strmap_foreach(const struct strmap *, void (*)(const char *, void *, void *),
    void *);
/*
 * The same a bucket at a time, the map free to change between calls: fn
 * for the entries of the bucket at cursor (0 to begin), and the cursor of
 * the next (0: all visited).  Every entry in the map from the first call
 * to the last is visited once, however the map grew meanwhile; one added
 * or removed meanwhile, at most once.
 */
uint64_t strmap_scan(const struct strmap *, uint64_t cursor,
    void (*)(const char *, void *, void *), void *);

#endif
