/* route: see route.h. */
#include "route/route.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/random.h"
#include "core/strutil.h"
#include "dns/rdata.h"

#define ROUTE_MX_MAX 64 /* exchangers considered, the best by preference */

/* One address lookup: an exchanger and a family. */
struct addr_lookup {
	struct route_query *rq;
	size_t mx;
	int fam; /* index into families */
	struct resolver_query *q;
	int done;
	enum resolver_status status;
	int via_cname;
	char canonical[DNAME_TEXT_MAX];
	char reason[160];
	struct netaddr *addrs;
	size_t naddrs;
};

struct route_query {
	struct resolver *res;
	char hostname[DNAME_TEXT_MAX];
	struct netaddr *local;
	size_t nlocal;
	int families[2];
	int nfamilies;
	uint16_t port;
	route_cb cb;
	void *arg;
	struct route *r;
	uint8_t domain[DNAME_MAX];
	struct resolver_query *mxq;
	struct addr_lookup *lk;
	size_t nlk;
	unsigned pending; /* lookups outstanding, plus one while starting them */
	int starting;	  /* inside route_lookup: do not free on finishing */
	int finished;
};

const char *route_status_text(enum route_status s)
{
	switch (s) {
	case ROUTE_OK: return "ok";
	case ROUTE_TEMPFAIL: return "temporary failure";
	case ROUTE_PERMFAIL: return "permanent failure";
	}
	return "?";
}

size_t route_usable(const struct route *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nmx; i++)
		n += r->mx[i].skip == ROUTE_USE;
	return n;
}

void route_free(struct route *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nmx; i++)
		free(r->mx[i].addrs);
	free(r->mx);
	free(r);
}

static int is_wildcard(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr == htonl(INADDR_ANY);
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return 0;
}

static int add_local(struct netaddr **out, size_t *n, const struct sockaddr *sa)
{
	struct netaddr *grown;
	socklen_t len =
	    sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	for (size_t i = 0; i < *n; i++)
		if (netaddr_same_ip((const struct sockaddr *)&(*out)[i].ss, sa))
			return 0;
	grown = realloc(*out, (*n + 1) * sizeof(**out));
	if (grown == NULL)
		return -1;
	*out = grown;
	memset(&grown[*n], 0, sizeof(grown[*n]));
	memcpy(&grown[*n].ss, sa, len);
	grown[*n].len = len;
	(*n)++;
	return 0;
}

int route_local_addrs(const struct netaddr *listen, size_t n, struct netaddr **out)
{
	struct ifaddrs *ifs = NULL;
	size_t count = 0;
	int wild = 0;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&listen[i].ss;
		if (is_wildcard(sa))
			wild = 1;
		else if (add_local(out, &count, sa) < 0)
			goto nomem;
	}
	if (wild && getifaddrs(&ifs) == 0) {
		for (struct ifaddrs *ifa = ifs; ifa; ifa = ifa->ifa_next)
			if (ifa->ifa_addr && (ifa->ifa_addr->sa_family == AF_INET ||
					      ifa->ifa_addr->sa_family == AF_INET6))
				if (add_local(out, &count, ifa->ifa_addr) < 0)
					goto nomem;
		freeifaddrs(ifs);
	}
	return (int)count;
nomem:
	if (ifs)
		freeifaddrs(ifs);
	free(*out);
	*out = NULL;
	return -1;
}

/* A name as text in lower case, without the final dot ("." stays). */
static void name_text(const uint8_t *name, char *buf, size_t size)
{
	uint8_t lower[DNAME_MAX];

	dname_copy_lower(lower, name);
	dname_to_text_nodot(lower, buf, size);
}

static void query_free(struct route_query *rq)
{
	for (size_t i = 0; i < rq->nlk; i++) {
		resolver_cancel(rq->lk[i].q);
		free(rq->lk[i].addrs);
	}
	resolver_cancel(rq->mxq);
	free(rq->lk);
	free(rq->local);
	route_free(rq->r);
	free(rq);
}

void route_cancel(struct route_query *rq)
{
	if (rq)
		query_free(rq);
}

/* Hands the route over. Inside route_lookup the query is freed there. */
static void finish(struct route_query *rq)
{
	struct route *r = rq->r;

	rq->r = NULL;
	rq->finished = 1;
	rq->cb(rq->arg, r);
	if (!rq->starting)
		query_free(rq);
}

static void fail(struct route_query *rq, enum route_status st, const char *dsn, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));
static void fail(struct route_query *rq, enum route_status st, const char *dsn, const char *fmt,
		 ...)
{
	va_list ap;

	rq->r->status = st;
	str_copy(rq->r->dsn, dsn, sizeof(rq->r->dsn));
	va_start(ap, fmt);
	vsnprintf(rq->r->reason, sizeof(rq->r->reason), fmt, ap);
	va_end(ap);
	finish(rq);
}

static int family_allowed(const struct route_query *rq, int af)
{
	for (int i = 0; i < rq->nfamilies; i++)
		if (rq->families[i] == af)
			return 1;
	return 0;
}

static const char *family_name(int af)
{
	return af == AF_INET6 ? "IPv6" : "IPv4";
}

static int is_self_addr(const struct route_query *rq, const struct netaddr *a)
{
	for (size_t i = 0; i < rq->nlocal; i++)
		if (netaddr_same_ip((const struct sockaddr *)&rq->local[i].ss,
				    (const struct sockaddr *)&a->ss))
			return 1;
	return 0;
}

/* An IP address written as text, into a (port set); 0 or -1. */
static int ip_from_text(const char *text, uint16_t port, struct netaddr *a)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, text, &v4) != 1 && inet_pton(AF_INET6, text, &v6) != 1)
		return -1;
	return netaddr_parse(text, port, a);
}

/* Appends to buf, which keeps what fits. */
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= size - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < size - 1 ? *len + (size_t)n : size - 1;
}

/*
 * All lookups are in: each exchanger gets its addresses or its reason,
 * then the loop rule and the verdict.
 */
static void conclude(struct route_query *rq)
{
	struct route *r = rq->r;
	int self = 0, any_temp = 0;
	uint16_t self_pref = 0;
	char why[512] = "";
	size_t wlen = 0;

	for (size_t i = 0; i < rq->nlk; i++) {
		struct addr_lookup *lk = &rq->lk[i];
		struct route_mx *mx = &r->mx[lk->mx];
		struct netaddr *grown;

		if (lk->via_cname) {
			mx->flags |= ROUTE_MX_CNAME;
			str_copy(mx->canonical, lk->canonical, sizeof(mx->canonical));
		}
		if (lk->naddrs == 0)
			continue;
		grown = realloc(mx->addrs, (mx->naddrs + lk->naddrs) * sizeof(*grown));
		if (grown == NULL) {
			/* Out of memory is temporary: never a reason to bounce. */
			lk->status = RESOLVER_TEMPFAIL;
			snprintf(lk->reason, sizeof(lk->reason), "out of memory");
			continue;
		}
		memcpy(grown + mx->naddrs, lk->addrs, lk->naddrs * sizeof(*grown));
		mx->addrs = grown;
		mx->naddrs += lk->naddrs;
	}
	/* Verdict per exchanger, from its lookups (in family order). */
	for (size_t m = 0; m < r->nmx; m++) {
		struct route_mx *mx = &r->mx[m];
		int nx = 0, temp = 0, asked = 0;
		const char *temp_reason = NULL, *nx_reason = NULL;

		if (mx->skip != ROUTE_USE)
			continue;
		for (size_t i = 0; i < rq->nlk; i++) {
			struct addr_lookup *lk = &rq->lk[i];
			if (lk->mx != m)
				continue;
			asked++;
			if (lk->status == RESOLVER_TEMPFAIL) {
				temp++;
				temp_reason = lk->reason;
			} else if (lk->status == RESOLVER_NXDOMAIN) {
				nx++;
				nx_reason = lk->reason;
			}
		}
		for (size_t a = 0; a < mx->naddrs; a++)
			if (is_self_addr(rq, &mx->addrs[a]))
				mx->flags |= ROUTE_MX_SELF;
		if (mx->naddrs > 0) {
			if (temp) {
				mx->flags |= ROUTE_MX_PARTIAL;
				snprintf(mx->reason, sizeof(mx->reason),
					 "address lookup failed: %s", temp_reason);
			}
			continue;
		}
		if (!asked) {
			/* an IP address that could not be stored */
			mx->skip = ROUTE_SKIP_TEMPFAIL;
			snprintf(mx->reason, sizeof(mx->reason), "out of memory");
			continue;
		}
		if (temp) {
			mx->skip = ROUTE_SKIP_TEMPFAIL;
			snprintf(mx->reason, sizeof(mx->reason), "address lookup failed: %s",
				 temp_reason);
		} else if (nx == asked) {
			mx->skip = ROUTE_SKIP_NXDOMAIN;
			snprintf(mx->reason, sizeof(mx->reason), "does not exist (%s)", nx_reason);
		} else {
			mx->skip = ROUTE_SKIP_NOADDR;
			if (rq->nfamilies == 1)
				snprintf(mx->reason, sizeof(mx->reason), "has no %s address",
					 family_name(rq->families[0]));
			else
				snprintf(mx->reason, sizeof(mx->reason), "has no address records");
		}
	}
	/* RFC 5321 section 5.1: if this host is an exchanger, only better
	 * ones may be used; the list is sorted, so the first is the best. */
	for (size_t m = 0; m < r->nmx; m++)
		if (r->mx[m].flags & ROUTE_MX_SELF) {
			self = 1;
			self_pref = r->mx[m].pref;
			break;
		}
	if (self)
		for (size_t m = 0; m < r->nmx; m++) {
			struct route_mx *mx = &r->mx[m];
			if (mx->pref < self_pref)
				continue;
			mx->skip = ROUTE_SKIP_LOOP;
			if (mx->flags & ROUTE_MX_SELF)
				snprintf(mx->reason, sizeof(mx->reason), "this host");
			else
				snprintf(mx->reason, sizeof(mx->reason),
					 "preference %u is not better than this host's (%u)",
					 mx->pref, self_pref);
		}
	if (route_usable(r) > 0) {
		r->status = ROUTE_OK;
		finish(rq);
		return;
	}
	if (self) {
		if (r->nmx == 0 || r->mx[0].pref >= self_pref)
			fail(rq, ROUTE_PERMFAIL, "5.4.6", "mail for %s loops back to myself",
			     r->domain);
		else
			fail(rq, ROUTE_TEMPFAIL, "4.4.4",
			     "unable to find primary relay for %s: this host is a backup "
			     "exchanger and no better one has a usable address",
			     r->domain);
		return;
	}
	for (size_t m = 0; m < r->nmx; m++) {
		struct route_mx *mx = &r->mx[m];
		if (mx->skip == ROUTE_SKIP_TEMPFAIL)
			any_temp = 1;
		append(why, sizeof(why), &wlen, "%s%s: %s", wlen ? "; " : "", mx->name, mx->reason);
	}
	if (r->implicit) {
		if (any_temp)
			fail(rq, ROUTE_TEMPFAIL, "4.4.3", "DNS lookup of %s failed: %s", r->domain,
			     why);
		else
			fail(rq, ROUTE_PERMFAIL, "5.4.4",
			     "domain %s has no MX and no address records", r->domain);
		return;
	}
	if (any_temp)
		fail(rq, ROUTE_TEMPFAIL, "4.4.3", "no exchanger of %s could be resolved: %s",
		     r->domain, why);
	else
		fail(rq, ROUTE_PERMFAIL, "5.4.4", "no exchanger of %s has an address: %s",
		     r->domain, why);
}

static void lookup_settled(struct route_query *rq)
{
	if (--rq->pending == 0)
		conclude(rq);
}

static void on_addr(void *arg, const struct resolver_result *res)
{
	struct addr_lookup *lk = arg;
	struct route_query *rq = lk->rq;
	int af = rq->families[lk->fam];

	lk->q = NULL;
	lk->done = 1;
	lk->status = res->status;
	if (res->via_cname) {
		lk->via_cname = 1;
		name_text(res->canonical, lk->canonical, sizeof(lk->canonical));
	}
	snprintf(lk->reason, sizeof(lk->reason), "%s", res->reason ? res->reason : "");
	if (res->status == RESOLVER_ANSWER && res->nrrs > 0 &&
	    (lk->addrs = calloc(res->nrrs, sizeof(*lk->addrs))) == NULL) {
		/* Out of memory is temporary: never a reason to bounce. */
		lk->status = RESOLVER_TEMPFAIL;
		snprintf(lk->reason, sizeof(lk->reason), "out of memory");
	} else if (res->status == RESOLVER_ANSWER && res->nrrs > 0) {
		for (size_t i = 0; i < res->nrrs; i++) {
			const struct dns_rr *rr = res->rrs[i];
			struct netaddr *a = &lk->addrs[lk->naddrs];
			memset(a, 0, sizeof(*a));
			if (af == AF_INET && rr->rdlen == 4) {
				struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
				sin->sin_family = AF_INET;
				sin->sin_port = htons(rq->port);
				memcpy(&sin->sin_addr, rr->rdata, 4);
				a->len = sizeof(*sin);
				lk->naddrs++;
			} else if (af == AF_INET6 && rr->rdlen == 16) {
				struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
				sin6->sin6_family = AF_INET6;
				sin6->sin6_port = htons(rq->port);
				memcpy(&sin6->sin6_addr, rr->rdata, 16);
				a->len = sizeof(*sin6);
				lk->naddrs++;
			}
		}
	}
	lookup_settled(rq);
}

/* Starts the address lookups of every exchanger still in play. */
static void resolve_exchangers(struct route_query *rq)
{
	struct route *r = rq->r;
	uint8_t name[DNAME_MAX];

	rq->lk = calloc(r->nmx * (size_t)rq->nfamilies + 1, sizeof(*rq->lk));
	if (rq->lk == NULL) {
		fail(rq, ROUTE_TEMPFAIL, "4.3.0", "out of memory");
		return;
	}
	rq->pending = 1; /* held until every lookup has started */
	for (size_t m = 0; m < r->nmx; m++) {
		struct route_mx *mx = &r->mx[m];
		struct netaddr ip;

		if (mx->skip != ROUTE_USE)
			continue;
		if (rq->hostname[0] && strcasecmp(mx->name, rq->hostname) == 0)
			mx->flags |= ROUTE_MX_SELF;
		if (!(mx->flags & ROUTE_MX_IMPLICIT) &&
		    ip_from_text(mx->name, rq->port, &ip) == 0) {
			/* Not allowed (RFC 5321: a domain name), but Postfix
			 * uses it, and so do we, flagged. */
			mx->flags |= ROUTE_MX_IP;
			if (!family_allowed(rq, ip.ss.ss_family)) {
				mx->skip = ROUTE_SKIP_NOADDR;
				snprintf(mx->reason, sizeof(mx->reason),
					 "%s address, and only %s is allowed",
					 family_name(ip.ss.ss_family),
					 family_name(rq->families[0]));
				continue;
			}
			mx->addrs = malloc(sizeof(ip));
			if (mx->addrs) {
				mx->addrs[0] = ip;
				mx->naddrs = 1;
			}
			continue;
		}
		if (dname_from_text(name, mx->name, strlen(mx->name), NULL) < 0) {
			mx->skip = ROUTE_SKIP_NOADDR;
			snprintf(mx->reason, sizeof(mx->reason), "bad host name");
			continue;
		}
		for (int f = 0; f < rq->nfamilies; f++) {
			struct addr_lookup *lk = &rq->lk[rq->nlk++];
			lk->rq = rq;
			lk->mx = m;
			lk->fam = f;
			rq->pending++;
			lk->q = resolver_lookup(rq->res, name,
						rq->families[f] == AF_INET6 ? DNS_T_AAAA : DNS_T_A,
						on_addr, lk);
		}
	}
	lookup_settled(rq);
}

static int by_pref(const void *a, const void *b)
{
	const struct route_mx *x = a, *y = b;
	return (int)x->pref - (int)y->pref;
}

/* Sorted by preference, and each run of equal preferences shuffled
 * (Fisher-Yates), so that senders spread over equal exchangers. */
static void order(struct route_mx *mx, size_t n)
{
	qsort(mx, n, sizeof(*mx), by_pref);
	for (size_t start = 0, end; start < n; start = end) {
		for (end = start + 1; end < n && mx[end].pref == mx[start].pref; end++)
			;
		for (size_t i = end - start; i > 1; i--) {
			size_t j = random_uniform((uint32_t)i);
			struct route_mx t = mx[start + i - 1];
			mx[start + i - 1] = mx[start + j];
			mx[start + j] = t;
		}
	}
}

static void on_mx(void *arg, const struct resolver_result *res)
{
	struct route_query *rq = arg;
	struct route *r = rq->r;
	size_t n = 0;

	rq->mxq = NULL;
	switch (res->status) {
	case RESOLVER_TEMPFAIL:
		fail(rq, ROUTE_TEMPFAIL, "4.4.3", "DNS lookup of MX records for %s failed: %s",
		     r->domain, res->reason);
		return;
	case RESOLVER_NXDOMAIN:
		fail(rq, ROUTE_PERMFAIL, "5.1.2", "domain %s does not exist (%s)", r->domain,
		     res->reason);
		return;
	case RESOLVER_NODATA:
		/* RFC 5321 5.1: the domain itself, as an MX of preference 0. */
		r->implicit = 1;
		r->mx = calloc(1, sizeof(*r->mx));
		if (r->mx == NULL) {
			fail(rq, ROUTE_TEMPFAIL, "4.3.0", "out of memory");
			return;
		}
		r->nmx = 1;
		str_copy(r->mx[0].name, r->domain, sizeof(r->mx[0].name));
		r->mx[0].flags = ROUTE_MX_IMPLICIT;
		resolve_exchangers(rq);
		return;
	case RESOLVER_ANSWER: break;
	}
	r->domain_cname = res->via_cname;
	r->mx = calloc(res->nrrs + 1, sizeof(*r->mx));
	if (r->mx == NULL) {
		fail(rq, ROUTE_TEMPFAIL, "4.3.0", "out of memory");
		return;
	}
	for (size_t i = 0; i < res->nrrs; i++) {
		const struct dns_rr *rr = res->rrs[i];
		struct route_mx *mx = &r->mx[n];
		if (rr->rdlen < 3)
			continue;
		mx->pref = buf_get_u16(rr->rdata);
		name_text(rr->rdata + 2, mx->name, sizeof(mx->name));
		if (dname_is_root(rr->rdata + 2)) {
			mx->skip = ROUTE_SKIP_NULLMX;
			snprintf(mx->reason, sizeof(mx->reason),
				 "null MX (\".\") among other MX records (RFC 7505 forbids it)");
		}
		n++;
	}
	r->nmx = n;
	if (n == 1 && r->mx[0].skip == ROUTE_SKIP_NULLMX) {
		r->null_mx = 1;
		snprintf(r->mx[0].reason, sizeof(r->mx[0].reason), "null MX (RFC 7505)");
		fail(rq, ROUTE_PERMFAIL, "5.1.10", "domain %s does not accept mail (null MX)",
		     r->domain);
		return;
	}
	/* Every record sorted, then the best ROUTE_MX_MAX kept: a long set
	 * must not hide its best exchanger (or this host) past the cut. */
	order(r->mx, n);
	if (n > ROUTE_MX_MAX)
		r->nmx = ROUTE_MX_MAX;
	resolve_exchangers(rq);
}

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]": no DNS, the address itself. */
static int address_literal(struct route_query *rq, const char *domain)
{
	struct route *r = rq->r;
	char ip[INET6_ADDRSTRLEN + 8];
	size_t len = strlen(domain);
	const char *p = domain + 1;

	if (len < 3 || domain[0] != '[' || domain[len - 1] != ']')
		return 0;
	if (strncasecmp(p, "IPv6:", 5) == 0)
		p += 5;
	len = (size_t)(domain + len - 1 - p);
	if (len >= sizeof(ip))
		len = sizeof(ip) - 1;
	memcpy(ip, p, len);
	ip[len] = '\0';
	r->mx = calloc(1, sizeof(*r->mx));
	if (r->mx == NULL)
		return -1;
	r->nmx = 1;
	r->literal = 1;
	str_copy(r->mx[0].name, ip, sizeof(r->mx[0].name));
	if (ip_from_text(ip, rq->port, &(struct netaddr){0}) < 0) {
		fail(rq, ROUTE_PERMFAIL, "5.1.2", "bad address literal %s", domain);
		return 1;
	}
	/* An exchanger named by an address: resolve_exchangers takes it
	 * as is, and the loop rule still applies. */
	resolve_exchangers(rq);
	return 1;
}

struct route_query *route_lookup(struct resolver *res, const char *domain,
				 const struct route_opts *opts, route_cb cb, void *arg)
{
	struct route_query *rq = calloc(1, sizeof(*rq));
	struct route *r = calloc(1, sizeof(*r));
	int lit;

	if (rq == NULL || r == NULL) {
		free(rq);
		free(r);
		return NULL;
	}
	rq->res = res;
	rq->r = r;
	rq->cb = cb;
	rq->arg = arg;
	rq->port = opts && opts->port ? opts->port : 25;
	if (opts && opts->hostname) {
		str_copy(rq->hostname, opts->hostname, sizeof(rq->hostname));
		size_t hl = strlen(rq->hostname);
		if (hl > 1 && rq->hostname[hl - 1] == '.')
			rq->hostname[hl - 1] = '\0';
	}
	if (opts && opts->nlocal) {
		rq->local = calloc(opts->nlocal, sizeof(*rq->local));
		if (rq->local == NULL) {
			query_free(rq);
			return NULL;
		}
		memcpy(rq->local, opts->local, opts->nlocal * sizeof(*rq->local));
		rq->nlocal = opts->nlocal;
	}
	for (int i = 0; opts && i < 2; i++)
		if ((opts->families[i] == AF_INET || opts->families[i] == AF_INET6) &&
		    !family_allowed(rq, opts->families[i]))
			rq->families[rq->nfamilies++] = opts->families[i];
	if (rq->nfamilies == 0) {
		rq->families[0] = AF_INET;
		rq->families[1] = AF_INET6;
		rq->nfamilies = 2;
	}
	rq->starting = 1;
	str_copy(r->domain, domain, sizeof(r->domain));
	lit = address_literal(rq, domain);
	if (lit < 0) {
		query_free(rq);
		return NULL;
	}
	if (lit == 0) {
		size_t dl = strlen(r->domain);
		if (dl > 1 && r->domain[dl - 1] == '.')
			r->domain[dl - 1] = '\0';
		if (dname_from_text(rq->domain, domain, strlen(domain), NULL) < 0)
			fail(rq, ROUTE_PERMFAIL, "5.1.2", "bad domain name %s", domain);
		else
			rq->mxq = resolver_lookup(res, rq->domain, DNS_T_MX, on_mx, rq);
	}
	rq->starting = 0;
	if (rq->finished) {
		query_free(rq);
		return NULL;
	}
	return rq;
}
