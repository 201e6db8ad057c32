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

#include "core/netaddr.h"
#include "dns/wire.h"

struct resolver_opts {
	const struct netaddr *servers; /* none (0): read /etc/resolv.conf */
	size_t nservers;
	uint32_t timeout_ms; /* per try; 0: the default (2000) */
	unsigned attempts;   /* rounds over all servers; 0: the default (2) */
	uint16_t edns_size;  /* advertised payload; 0: the default (1232) */
	int no_edns;	     /* send plain RFC 1035 queries */
	int no_cache;
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
 */
typedef void (*resolver_exchange_cb)(void *arg, int err, const uint8_t *answer, size_t len);
struct resolver_query *resolver_exchange(struct resolver *res, const struct netaddr *server,
					 const uint8_t *query, size_t len, uint32_t timeout_ms,
					 unsigned tries, int use_tcp, resolver_exchange_cb cb,
					 void *arg);

/* Reads nameserver lines of a resolv.conf into out (up to max); returns
 * the count, 0 if none (then 127.0.0.1 is what libc would use). The
 * search/domain list and options are for nslookup's use. */
struct resolv_conf {
	struct netaddr servers[3];
	size_t nservers;
	char search[6][256];
	size_t nsearch;
	unsigned ndots;
	unsigned timeout; /* seconds */
	unsigned attempts;
};
int resolv_conf_read(const char *path, struct resolv_conf *rc);

#endif
