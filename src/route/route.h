/*
 * route: where mail for a domain goes, by RFC 5321 section 5.1. The MX
 * records sorted by preference (equal ones shuffled), each exchanger
 * turned into addresses, or the domain's own addresses when it has no MX
 * records (the implicit MX); or a typed error that says whether the
 * message waits (temporary) or bounces (permanent), with its DSN code.
 *
 * Every exchanger considered stays in the result, in order, the skipped
 * ones with the reason, and each with flags for what is odd about it (an
 * IP address or an alias as the MX target, this host), so that delivery
 * can log it and `mxhost check` can explain it.
 */
#ifndef MXHOST_ROUTE_ROUTE_H
#define MXHOST_ROUTE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "core/netaddr.h"
#include "dns/dname.h"
#include "dns/resolver.h"

enum route_status {
	ROUTE_OK,	/* at least one exchanger is usable */
	ROUTE_TEMPFAIL, /* the message waits and is tried again (DSN 4.x.x) */
	ROUTE_PERMFAIL, /* the message bounces (DSN 5.x.x) */
};

/* What is odd about an exchanger; none of these skips it by itself. */
#define ROUTE_MX_IMPLICIT 0x01 /* no MX records: the domain itself, preference 0 */
#define ROUTE_MX_IP	  0x02 /* the MX target is an IP address, used as such (as Postfix) */
#define ROUTE_MX_CNAME	  0x04 /* the MX target is an alias (RFC 2181 10.3), followed */
#define ROUTE_MX_SELF	  0x08 /* this host: its hostname or one of its addresses */
#define ROUTE_MX_PARTIAL  0x10 /* one address family's lookup failed for now */

/* Why an exchanger is not used. */
enum route_skip {
	ROUTE_USE = 0,	     /* used: addrs holds its addresses */
	ROUTE_SKIP_NXDOMAIN, /* its name does not exist */
	ROUTE_SKIP_NOADDR,   /* no address records (of the families allowed) */
	ROUTE_SKIP_TEMPFAIL, /* its address lookup failed for now */
	ROUTE_SKIP_LOOP,     /* this host, or not better than this host (RFC 5321 5.1) */
	ROUTE_SKIP_NULLMX,   /* a null MX target (".") among other MX records */
};

struct route_mx {
	char name[DNAME_TEXT_MAX];	/* as the MX record names it, no final dot */
	char canonical[DNAME_TEXT_MAX]; /* where its CNAME led (ROUTE_MX_CNAME) */
	uint16_t pref;
	unsigned flags;
	enum route_skip skip;
	char reason[256];      /* why skipped, or what went wrong; "" if nothing */
	struct netaddr *addrs; /* in the order of the families asked, port set */
	size_t naddrs;
};

struct route {
	enum route_status status;
	char domain[DNAME_TEXT_MAX]; /* no final dot */
	char dsn[8];		     /* "5.1.10", "4.4.3", ...; "" when ROUTE_OK */
	char reason[512];	     /* the error in words; "" when ROUTE_OK */
	int implicit;		     /* no MX records: mx[0] is the domain itself */
	int null_mx;		     /* a null MX (RFC 7505) */
	int domain_cname;	     /* the domain is an alias; its target's MX were used */
	int literal;		     /* an address literal: mx[0] is the address */
	struct route_mx *mx;	     /* every exchanger considered, best first */
	size_t nmx;
};

struct route_opts {
	const char *hostname;	     /* this host's name; NULL: none */
	const struct netaddr *local; /* this host's addresses (ports ignored) */
	size_t nlocal;
	int families[2]; /* AF_INET, AF_INET6 in order; 0 ends; none: both, IPv4 first */
	uint16_t port;	 /* set on every address; 0: 25 */
};

/* The callback owns r and frees it with route_free. */
typedef void (*route_cb)(void *arg, struct route *r);

struct route_query;

/*
 * Finds the route to domain (text, "example.test" or "[192.0.2.1]" for an
 * address literal). The callback may run before this returns (everything
 * cached, or a bad name), and NULL is returned then. NULL without the
 * callback: out of memory. opts is copied.
 */
struct route_query *route_lookup(struct resolver *res, const char *domain,
				 const struct route_opts *opts, route_cb cb, void *arg);

/* The callback will not be called. */
void route_cancel(struct route_query *q);

void route_free(struct route *r);

/* "ok", "temporary failure", "permanent failure". */
const char *route_status_text(enum route_status s);

/*
 * This host's addresses for route_opts.local, from the addresses it
 * listens on: a wildcard (0.0.0.0, ::) stands for every address of every
 * interface, as Postfix's inet_interfaces = all does. *out is allocated
 * (free it); returns the count, or -1 when out of memory.
 */
int route_local_addrs(const struct netaddr *listen, size_t n, struct netaddr **out);

/* The usable exchangers' count. */
size_t route_usable(const struct route *r);

#endif
