/*
 * resolver: an asynchronous stub resolver on the event loop. It asks the
 * configured servers (or /etc/resolv.conf's), matches answers strictly
 * (source address, ID and question), retries across servers, falls back to
 * TCP when an answer is truncated, caches by TTL (negative answers for the
 * SOA-derived time, RFC 2308), and reports results in the classes that
 * decide a message's fate: an answer, NXDOMAIN, NODATA, or a temporary
 * failure.
 *
 * Contract between the resolver (its owner implements it), MX routing
 * (src/route) and the tools (nslookup). Extend, do not break.
 */
#ifndef MXHOST_DNS_RESOLVER_H
#define MXHOST_DNS_RESOLVER_H

#include <event2/event.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/netaddr.h"
#include "dns/wire.h"

/* With no servers given, the resolver takes resolv.conf's servers, and
 * its timeout and attempts too unless given here (glibc's meaning: the
 * seconds one try waits, the rounds over all servers). */
struct resolver_opts {
	const struct netaddr *servers; /* none (0): resolv.conf's */
	size_t nservers;
	uint32_t timeout_ms; /* per try; 0: resolv.conf's, or with servers 2000 */
	unsigned attempts;   /* rounds over all servers; 0: resolv.conf's, or 2 */
	uint16_t edns_size;  /* advertised payload; 0: the default (1232) */
	int no_edns;	     /* send plain RFC 1035 queries */
	int no_cache;
	const char *resolv_conf; /* the file read without servers; NULL: /etc/resolv.conf */
};

struct resolver;

/* NULL after logging why (no servers, no memory). */
struct resolver *resolver_new(struct event_base *base, const struct resolver_opts *opts);
/* Cancels what is in flight (their callbacks are not called) and frees. */
void resolver_free(struct resolver *res);

enum resolver_status {
	RESOLVER_ANSWER,   /* records of the type asked (after CNAMEs) */
	RESOLVER_NODATA,   /* the name exists, no records of that type */
	RESOLVER_NXDOMAIN, /* the name does not exist */
	RESOLVER_TEMPFAIL, /* timeout, SERVFAIL, REFUSED, malformed answer, ... */
};

struct resolver_result {
	enum resolver_status status;
	const char *reason; /* why, in words, for logs: "timed out (127.0.0.1:5300)" */
	/* After following CNAMEs within the answer: the final owner name
	 * and its records of the asked type. */
	const uint8_t *qname;	  /* the name asked */
	const uint8_t *canonical; /* the name the records belong to */
	int via_cname;		  /* a CNAME was followed */
	const struct dns_rr *const *rrs;
	size_t nrrs;
	const struct dns_msg *msg; /* the answer as received (NULL if from cache or failed) */
	uint32_t ttl;		   /* seconds it may be cached: the records' least TTL, or
				      for NXDOMAIN and NODATA the SOA-derived time (RFC
				      2308); 0 when not cacheable */
	int cached;		   /* served from the cache */
};

/* Valid only during the call. */
typedef void (*resolver_cb)(void *arg, const struct resolver_result *r);

struct resolver_query;

/* Resolves name/type (class IN). The callback may come before this
 * returns (a cache hit). Returns a handle for resolver_cancel, or NULL if
 * the callback already ran or the query could not start (then the callback
 * ran with RESOLVER_TEMPFAIL). */
struct resolver_query *resolver_lookup(struct resolver *res, const uint8_t *name, uint16_t type,
				       resolver_cb cb, void *arg);

/* The callback will not be called. */
void resolver_cancel(struct resolver_query *q);

/*
 * One raw exchange for tools: sends the query packet given (its ID is
 * replaced by a random one and restored in the answer) to one server,
 * with tries attempts of timeout_ms each, over UDP (TCP first when
 * use_tcp; TCP again when the UDP answer is truncated). No cache. The
 * callback gets err 0 and the answer packet, or err ETIMEDOUT,
 * ECONNREFUSED, ... and no packet.
 *
 * use_tcp is a set of flags: 1 (RESOLVER_X_TCP) is TCP from the start;
 * RESOLVER_X_NO_FALLBACK hands a truncated UDP answer back as it is (TC
 * set), for a tool that says so and retries over TCP itself.
 */
#define RESOLVER_X_TCP	       1
#define RESOLVER_X_NO_FALLBACK 2
typedef void (*resolver_exchange_cb)(void *arg, int err, const uint8_t *answer, size_t len);
struct resolver_query *resolver_exchange(struct resolver *res, const struct netaddr *server,
					 const uint8_t *query, size_t len, uint32_t timeout_ms,
					 unsigned tries, int use_tcp, resolver_exchange_cb cb,
					 void *arg);

/*
 * Reads a resolv.conf (path NULL: /etc/resolv.conf). The servers and
 * ndots/timeout/attempts are what glibc takes: its defaults (1, 5 s, 2)
 * where the file says nothing, a value past glibc's limit clamped to it
 * (15, 30 s, 5), and timeout and attempts at least 1 (resolv_conf.c says
 * where this parts from glibc). Returns the count of servers, 0 if none
 * (then 127.0.0.1 is what libc would use). A missing file reads as empty.
 *
 * The rest is for nslookup, which must read the file as BIND's libirs
 * does: the servers as libirs takes them (0.0.0.0 as 127.0.0.1, a scope
 * kept), the search list (the last "domain" or "search" line, up to 8
 * names), whether each option was written and its value as written
 * (0..255), and whether libirs refuses the file (then BIND's tools stop:
 * "parse of /etc/resolv.conf failed"). The two readings agree on
 * well-formed files; resolv_conf.c says where they part.
 */
#define RESOLV_SEARCH_MAX 8
struct resolv_conf {
	struct netaddr servers[3];
	size_t nservers;
	char search[RESOLV_SEARCH_MAX][256];
	size_t nsearch;
	unsigned ndots;
	unsigned timeout; /* seconds */
	unsigned attempts;
	/* As libirs reads them; *_set 0 when the option is absent. */
	struct netaddr irs_servers[3];
	size_t irs_nservers;
	int ndots_set, timeout_set, attempts_set;
	unsigned ndots_raw, timeout_raw, attempts_raw;
	int malformed; /* libirs refuses the file (see resolv_conf.c) */
};
int resolv_conf_read(const char *path, struct resolv_conf *rc);
/* The same from an open file, read from its start twice (so seekable). */
int resolv_conf_parse(FILE *f, struct resolv_conf *rc);

/*
 * Test seams. resolver_set_answer_fn makes every exchange ask fn instead
 * of the network: fn gets the query as it would be sent (random ID
 * included) and whether it went over TCP, writes the answer into answer
 * (cap bytes) and returns its length, 0 for no answer (a timeout), or -1
 * for a refused connection. The answer is matched and parsed exactly as
 * one from the network. resolver_set_clock replaces the monotonic clock
 * (seconds) the cache's TTLs count on.
 */
typedef int (*resolver_answer_fn)(void *arg, const struct netaddr *server, int tcp,
				  const uint8_t *query, size_t len, uint8_t *answer, size_t cap);
void resolver_set_answer_fn(struct resolver *res, resolver_answer_fn fn, void *arg);
void resolver_set_clock(struct resolver *res, uint64_t (*now)(void *arg), void *arg);

#endif
