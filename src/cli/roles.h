/*
 * roles: what `mxhost serve` runs, one entry per config section ([dns],
 * [smtp]). serve and configcheck walk this table; a role copies what it
 * needs from the config, which is freed after start and reload.
 */
#ifndef MXHOST_CLI_ROLES_H
#define MXHOST_CLI_ROLES_H

#include <event2/event.h>

#include "core/config.h"

struct role {
	const char *name;
	int (*enabled)(const struct config *cfg);
	/* Deep validation for configcheck (zone files parse, list files
	 * read); prints what is wrong to stderr. Returns 0 when all is well. */
	int (*check)(const struct config *cfg);
	/* Binds, loads and starts on base; NULL after logging why. */
	void *(*start)(struct event_base *base, const struct config *cfg);
	/* Applies a new config (SIGHUP). On failure the role logs why and
	 * keeps running on what it had; returns -1. */
	int (*reload)(void *state, const struct config *cfg);
	/* Stops listening, finishes what is in flight, frees. */
	void (*stop)(void *state);
};

extern const struct role *const roles[];

#endif
