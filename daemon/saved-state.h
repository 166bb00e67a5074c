/* SPDX-License-Identifier: ISC */
/*
 * What one wsld leaves to the next across a restart (through the fd store,
 * fdstore.h): every listener's definition, state and counters, as a JSON
 * document {"wsld-state": 1, "listeners": {NAME: {"definition": {...},
 * "from-config": bool, "state": "OPEN", "stored": bool, "counters": {...}}}}.
 */
#ifndef WSL_SAVED_STATE_H
#define WSL_SAVED_STATE_H

#include <stdbool.h>

#include <jansson.h>

#include "webservices.h"

#define SAVED_STATE_VERSION 1

struct wsld_listener;

json_t *saved_state_new(void);
/* Add l, in the state given (the one it had when the stop began). */
void saved_state_add(json_t *, struct wsld_listener *, WS_LISTENER_STATE);
/* l's counters once it has closed: what it served after the stop began
 * counts too (its state stays the one it had then). */
void saved_state_final(json_t *, struct wsld_listener *);
/* The entry for name, or NULL (also for a document of another version). */
const json_t *saved_state_find(const json_t *, const char *name);
/* An entry's state (-1 if missing or transient) and counters. */
int saved_state_state(const json_t *entry);
bool saved_state_counters(const json_t *entry, WSL_LISTENER_COUNTERS *);

#endif
