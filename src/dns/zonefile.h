/*
 * zonefile: RFC 1035 master files as BIND and NSD read them — $ORIGIN,
 * $TTL, $INCLUDE, @, relative names, omitted owner/TTL/class, parentheses
 * across lines, comments, quoted strings with \X and \DDD escapes, TTL
 * units — turned into records one at a time.
 *
 * Contract between the parser (its owner implements it) and its users:
 * the zone loader of the DNS server and `mxhost zonecheck`.
 */
#ifndef MXHOST_DNS_ZONEFILE_H
#define MXHOST_DNS_ZONEFILE_H

#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

/* Where a record (or an error) comes from. */
struct zonefile_pos {
	const char *file; /* the file it is in (an $INCLUDE'd one, maybe) */
	unsigned line;
};

struct zonefile_error {
	char file[512];
	unsigned line;
	char msg[256]; /* "unknown type 'MXX'" */
};

/* Called for each record, in file order; rr's data is in uncompressed
 * form and valid only during the call. A non-zero return stops the parse
 * (the error then comes from the callback: it fills err and returns -1). */
typedef int (*zonefile_rr_fn)(void *arg, const struct dns_rr *rr, const struct zonefile_pos *pos,
			      struct zonefile_error *err);

/* Parses the file at path with origin (the zone's name) as the initial
 * $ORIGIN. Returns 0, or -1 with err filled: the first error stops it. */
int zonefile_parse(const char *path, const uint8_t *origin, zonefile_rr_fn fn, void *arg,
		   struct zonefile_error *err);

/* The same over text in memory (name is used in messages); $INCLUDE
 * is resolved relative to the current folder. For tests and fuzzing. */
int zonefile_parse_text(const char *text, size_t len, const char *name, const uint8_t *origin,
			zonefile_rr_fn fn, void *arg, struct zonefile_error *err);

/*
 * Options for the _opts variants (NULL: the defaults above).
 *
 * Warnings are things BIND and NSD accept but mention: no $TTL (the SOA's
 * MINIMUM becomes the default, as BIND does), a TTL over 2^31-1 (taken as
 * 0, RFC 2181). Without a warn callback they go to log_warnx as
 * "file:line: message".
 *
 * A relative $INCLUDE path is taken relative to the folder of the file
 * that includes it (as Knot does; BIND uses its working folder, so the
 * two agree when the zone's folder is the current one). Text parsed from
 * memory has no folder: its $INCLUDEs are relative to the current one.
 */
typedef void (*zonefile_warn_fn)(void *arg, const struct zonefile_pos *pos, const char *msg);

#define ZONEFILE_INCLUDE_DEPTH 16	     /* nested $INCLUDEs allowed */
#define ZONEFILE_MAX_BYTES     (1024u << 20) /* a larger zone file is refused (1 GiB) */

struct zonefile_opts {
	zonefile_warn_fn warn;
	void *warn_arg;
	int no_include; /* $INCLUDE is an error (untrusted text, fuzzing) */
};

int zonefile_parse_opts(const char *path, const uint8_t *origin, const struct zonefile_opts *opts,
			zonefile_rr_fn fn, void *arg, struct zonefile_error *err);
int zonefile_parse_text_opts(const char *text, size_t len, const char *name, const uint8_t *origin,
			     const struct zonefile_opts *opts, zonefile_rr_fn fn, void *arg,
			     struct zonefile_error *err);

#endif
