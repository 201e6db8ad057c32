/* resolver: see resolver.h. */
#include "dns/resolver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/strutil.h"
#include "dns/cache.h"
#include "dns/outcome.h"
#include "dns/transport.h"

#define DEFAULT_TIMEOUT_MS 2000
#define DEFAULT_ATTEMPTS   2
#define DEFAULT_EDNS	   1232
#define CACHE_MAX	   10000
#define RESTART_MAX	   4  /* new queries for a CNAME chain's target */
#define HOPS_MAX	   16 /* CNAMEs followed in all */
#define WHY_MAX		   96 /* one server's last failure, in words */

struct resolver {
	struct event_base *base;
	struct netaddr *servers;
	size_t nservers;
	uint32_t timeout_ms;
	unsigned attempts;
	uint16_t edns_size;  /* 0: no EDNS0 */
	struct cache *cache; /* NULL: no cache */
	struct transport_hook hook;
	uint64_t (*clock)(void *arg);
	void *clock_arg;
	struct resolver_query *inflight;
};

enum query_kind { Q_LOOKUP, Q_EXCHANGE };

struct resolver_query {
	struct resolver *res;
	struct resolver_query *prev, *next;
	enum query_kind kind;
	struct transport *t;
	void *arg;
	/* lookup */
	resolver_cb cb;
	uint8_t qname[DNAME_MAX];
	uint8_t cur[DNAME_MAX]; /* the name asked now: qname, or a CNAME target */
	uint16_t type;
	unsigned hops, restarts;
	uint32_t chain_ttl; /* least TTL of the CNAMEs followed in earlier answers */
	unsigned round;
	size_t next_server, server; /* the next to try; the one being tried */
	int no_edns;
	uint8_t *bad;	      /* per server: answered in a way asking again won't fix */
	char (*why)[WHY_MAX]; /* per server: its last failure */
	char reason[512];
	/* exchange */
	resolver_exchange_cb xcb;
	struct netaddr xserver;
	uint8_t *query;
	size_t qlen;
	uint32_t timeout_ms;
	unsigned tries;
	unsigned xflags; /* TRANSPORT_* */
};

static uint64_t monotonic_seconds(void *arg)
{
	struct timespec ts;
	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

static uint64_t now(const struct resolver *res)
{
	return res->clock(res->clock_arg);
}

struct resolver *resolver_new(struct event_base *base, const struct resolver_opts *opts)
{
	struct resolver *res = calloc(1, sizeof(*res));
	struct resolv_conf rc;
	const struct netaddr *servers = opts->servers;
	size_t n = opts->nservers;
	uint32_t timeout_ms = DEFAULT_TIMEOUT_MS;
	unsigned attempts = DEFAULT_ATTEMPTS;

	if (res == NULL) {
		log_warn("resolver");
		return NULL;
	}
	if (n == 0) {
		/* The system's servers, with the system's patience. */
		n = (size_t)resolv_conf_read(opts->resolv_conf, &rc);
		servers = rc.servers;
		if (n == 0) {
			/* What libc does without a nameserver line. */
			netaddr_parse("127.0.0.1", 53, &rc.servers[0]);
			n = 1;
		}
		timeout_ms = rc.timeout * 1000u;
		attempts = rc.attempts;
	}
	res->servers = calloc(n, sizeof(*res->servers));
	if (res->servers == NULL) {
		log_warn("resolver");
		free(res);
		return NULL;
	}
	memcpy(res->servers, servers, n * sizeof(*servers));
	res->nservers = n;
	res->base = base;
	res->timeout_ms = opts->timeout_ms ? opts->timeout_ms : timeout_ms;
	res->attempts = opts->attempts ? opts->attempts : attempts;
	res->edns_size = opts->no_edns ? 0 : opts->edns_size ? opts->edns_size : DEFAULT_EDNS;
	if (res->edns_size && res->edns_size < DNS_UDP_MAX)
		res->edns_size = DNS_UDP_MAX;
	res->clock = monotonic_seconds;
	if (!opts->no_cache && (res->cache = cache_new(CACHE_MAX)) == NULL) {
		log_warn("resolver");
		free(res->servers);
		free(res);
		return NULL;
	}
	return res;
}

static void query_unlink(struct resolver_query *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else if (q->res->inflight == q)
		q->res->inflight = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

static void query_free(struct resolver_query *q)
{
	transport_cancel(q->t);
	free(q->bad);
	free(q->why);
	free(q->query);
	free(q);
}

void resolver_cancel(struct resolver_query *q)
{
	if (q == NULL)
		return;
	query_unlink(q);
	query_free(q);
}

void resolver_free(struct resolver *res)
{
	if (res == NULL)
		return;
	while (res->inflight)
		resolver_cancel(res->inflight);
	cache_free(res->cache);
	free(res->servers);
	free(res);
}

void resolver_set_answer_fn(struct resolver *res, resolver_answer_fn fn, void *arg)
{
	res->hook.fn = fn;
	res->hook.arg = arg;
}

void resolver_set_clock(struct resolver *res, uint64_t (*clock)(void *arg), void *arg)
{
	res->clock = clock ? clock : monotonic_seconds;
	res->clock_arg = arg;
}

static struct resolver_query *query_new(struct resolver *res, enum query_kind kind, void *arg)
{
	struct resolver_query *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return NULL;
	q->res = res;
	q->kind = kind;
	q->arg = arg;
	q->next = res->inflight;
	if (q->next)
		q->next->prev = q;
	res->inflight = q;
	return q;
}

static const char *server_text(const struct netaddr *a, char *buf, size_t size)
{
	return netaddr_format((const struct sockaddr *)&a->ss, buf, size);
}

/* ---- lookups ---- */

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/*
 * Ends a lookup: caches what may be cached, unlinks, calls back, frees.
 * Nothing of res is touched after the callback, which may free it.
 */
static void lookup_done(struct resolver_query *q, struct resolver_result *r, struct dns_msg *m,
			const struct dns_rr **rrs)
{
	struct resolver *res = q->res;

	r->msg = m;
	if (r->status == RESOLVER_TEMPFAIL)
		r->ttl = 0;
	if (res->cache && cache_put(res->cache, q->qname, q->type, r, r->ttl, now(res)) == 0 &&
	    r->ttl && m == NULL && r->status != RESOLVER_TEMPFAIL) {
		/* r came from another cache entry, which storing this one
		 * may have evicted: point at the copy just stored. */
		int via = r->via_cname;
		cache_get(res->cache, q->qname, q->type, now(res), r);
		r->via_cname = via;
		r->cached = 0;
	}
	r->qname = q->qname;
	r->reason = q->reason;
	query_unlink(q);
	q->cb(q->arg, r);
	dns_msg_free(m);
	free(rrs);
	query_free(q);
}

static void lookup_fail(struct resolver_query *q, const char *why)
{
	struct resolver_result r = {0};
	size_t len = 0;

	r.status = RESOLVER_TEMPFAIL;
	r.canonical = q->cur;
	r.via_cname = q->hops > 0;
	if (why) {
		str_copy(q->reason, why, sizeof(q->reason));
	} else {
		/* Every server's last failure, in the order asked. */
		q->reason[0] = '\0';
		for (size_t i = 0; i < q->res->nservers && len < sizeof(q->reason); i++) {
			if (q->why[i][0] == '\0')
				continue;
			len += (size_t)snprintf(q->reason + len, sizeof(q->reason) - len, "%s%s",
						len ? ", " : "", q->why[i]);
		}
		if (q->reason[0] == '\0')
			str_copy(q->reason, "no server could be asked", sizeof(q->reason));
	}
	lookup_done(q, &r, NULL, NULL);
}

static void on_lookup_answer(void *arg, int err, const uint8_t *pkt, size_t len);

/* Starts a try with server i; -1 (and the reason noted) if it could not. */
static int lookup_send(struct resolver_query *q, size_t i)
{
	struct resolver *res = q->res;
	uint8_t buf[DNS_UDP_MAX];
	char sbuf[NETADDR_STRLEN];
	int n;

	n = dns_build_query(buf, sizeof(buf), 0, DNS_F_RD, q->cur, q->type, DNS_C_IN,
			    q->no_edns ? 0 : res->edns_size);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	q->server = i;
	q->t = transport_start(res->base, &res->hook, &res->servers[i], buf, (size_t)n,
			       res->timeout_ms, 0, on_lookup_answer, q);
	if (q->t == NULL) {
		snprintf(q->why[i], WHY_MAX, "%s (%s)", strerror(errno),
			 server_text(&res->servers[i], sbuf, sizeof(sbuf)));
		q->bad[i] = 1;
		return -1;
	}
	return 0;
}

/* Starts the next try, round after round over the servers; 1 when none
 * is left and the lookup has ended (q is gone). */
static int lookup_next(struct resolver_query *q)
{
	struct resolver *res = q->res;

	while (q->round < res->attempts) {
		while (q->next_server < res->nservers) {
			size_t i = q->next_server++;
			if (!q->bad[i] && lookup_send(q, i) == 0)
				return 0;
		}
		q->next_server = 0;
		q->round++;
	}
	lookup_fail(q, NULL);
	return 1;
}

/* Asks afresh for q->cur: from the cache when it holds it, or the servers
 * from the first, with a clean slate. 1 when the lookup has ended. */
static int lookup_restart(struct resolver_query *q)
{
	struct resolver *res = q->res;
	struct resolver_result r = {0};

	if (res->cache && cache_get(res->cache, q->cur, q->type, now(res), &r) == 0) {
		str_copy(q->reason, "cached", sizeof(q->reason));
		r.via_cname = r.via_cname || q->hops > 0;
		r.ttl = min_u32(r.ttl, q->chain_ttl);
		r.cached = 0; /* partly: the chain to here came from a server */
		lookup_done(q, &r, NULL, NULL);
		return 1;
	}
	q->round = 0;
	q->next_server = 0;
	memset(q->bad, 0, res->nservers);
	memset(q->why, 0, res->nservers * WHY_MAX);
	return lookup_next(q);
}

static void on_lookup_answer(void *arg, int err, const uint8_t *pkt, size_t len)
{
	struct resolver_query *q = arg;
	struct resolver *res = q->res;
	struct resolver_result r = {0};
	struct dns_msg *m = NULL;
	const struct dns_rr **rrs = NULL;
	struct outcome a;
	char sbuf[NETADDR_STRLEN];
	size_t i = q->server;
	unsigned rcode;

	q->t = NULL;
	server_text(&res->servers[i], sbuf, sizeof(sbuf));
	if (err) {
		snprintf(q->why[i], WHY_MAX, "%s (%s)",
			 err == ETIMEDOUT ? "timed out" : strerror(err), sbuf);
		/* A timeout may be a lost packet: that server gets another
		 * round. Anything else (refused, reset) would repeat. */
		if (err != ETIMEDOUT)
			q->bad[i] = 1;
		lookup_next(q);
		return;
	}
	if (dns_msg_parse(pkt, len, &m) != DNS_PARSE_OK) {
		snprintf(q->why[i], WHY_MAX, "malformed answer (%s)", sbuf);
		q->bad[i] = 1;
		lookup_next(q);
		return;
	}
	rcode = dns_msg_rcode(m);
	if (!q->no_edns && res->edns_size && !m->edns.present &&
	    (rcode == DNS_R_FORMERR || rcode == DNS_R_NOTIMP)) {
		/* A server from before EDNS0 (RFC 6891 section 7): the same
		 * server again, plain. */
		dns_msg_free(m);
		q->no_edns = 1;
		if (lookup_send(q, i) < 0)
			lookup_next(q);
		return;
	}
	if (m->nan && (rrs = calloc(m->nan, sizeof(*rrs))) == NULL) {
		dns_msg_free(m);
		lookup_fail(q, "out of memory");
		return;
	}
	outcome_read(m, q->cur, q->type, &a, rrs, m->nan);
	switch (a.kind) {
	case OUTCOME_FAIL:
		snprintf(q->why[i], WHY_MAX, "%s (%s)", a.why, sbuf);
		q->bad[i] = 1;
		dns_msg_free(m);
		free(rrs);
		lookup_next(q);
		return;
	case OUTCOME_REQUERY:
		q->hops += a.hops;
		q->chain_ttl = min_u32(q->chain_ttl, a.ttl);
		dns_msg_free(m);
		free(rrs);
		if (++q->restarts > RESTART_MAX || q->hops > HOPS_MAX) {
			lookup_fail(q, "CNAME chain too long");
			return;
		}
		dname_copy(q->cur, a.canonical);
		lookup_restart(q);
		return;
	case OUTCOME_RECORDS:
		r.status = RESOLVER_ANSWER;
		snprintf(q->reason, sizeof(q->reason), "answer from %s", sbuf);
		break;
	case OUTCOME_NODATA:
		r.status = RESOLVER_NODATA;
		snprintf(q->reason, sizeof(q->reason), "NODATA from %s", sbuf);
		break;
	case OUTCOME_NXDOMAIN:
		r.status = RESOLVER_NXDOMAIN;
		snprintf(q->reason, sizeof(q->reason), "NXDOMAIN from %s", sbuf);
		break;
	}
	q->hops += a.hops;
	dname_copy(q->cur, a.canonical);
	r.canonical = q->cur;
	r.via_cname = q->hops > 0;
	r.rrs = rrs;
	r.nrrs = a.nrrs;
	r.ttl = min_u32(a.ttl, q->chain_ttl);
	lookup_done(q, &r, m, rrs);
}

struct resolver_query *resolver_lookup(struct resolver *res, const uint8_t *name, uint16_t type,
				       resolver_cb cb, void *arg)
{
	struct resolver_result r = {0};
	struct resolver_query *q;

	if (res->cache && cache_get(res->cache, name, type, now(res), &r) == 0) {
		r.qname = name;
		r.reason = "cached";
		cb(arg, &r);
		return NULL;
	}
	q = query_new(res, Q_LOOKUP, arg);
	if (q == NULL || (q->bad = calloc(res->nservers, 1)) == NULL ||
	    (q->why = calloc(res->nservers, WHY_MAX)) == NULL) {
		if (q)
			resolver_cancel(q);
		r.status = RESOLVER_TEMPFAIL;
		r.qname = r.canonical = name;
		r.reason = "out of memory";
		cb(arg, &r);
		return NULL;
	}
	q->cb = cb;
	q->type = type;
	q->chain_ttl = UINT32_MAX;
	dname_copy(q->qname, name);
	dname_copy(q->cur, name);
	return lookup_next(q) ? NULL : q;
}

/* ---- raw exchanges, for tools ---- */

static void on_exchange_answer(void *arg, int err, const uint8_t *pkt, size_t len);

static int exchange_send(struct resolver_query *q)
{
	q->t = transport_start(q->res->base, &q->res->hook, &q->xserver, q->query, q->qlen,
			       q->timeout_ms, q->xflags, on_exchange_answer, q);
	return q->t ? 0 : -1;
}

static void exchange_done(struct resolver_query *q, int err, const uint8_t *pkt, size_t len)
{
	query_unlink(q);
	q->xcb(q->arg, err, pkt, len);
	query_free(q);
}

static void on_exchange_answer(void *arg, int err, const uint8_t *pkt, size_t len)
{
	struct resolver_query *q = arg;
	uint8_t *copy;

	q->t = NULL;
	if (err) {
		if (--q->tries > 0 && exchange_send(q) == 0)
			return;
		exchange_done(q, q->tries > 0 ? errno : err, NULL, 0);
		return;
	}
	/* The caller's ID back in place of the random one. */
	copy = malloc(len);
	if (copy == NULL) {
		exchange_done(q, ENOMEM, NULL, 0);
		return;
	}
	memcpy(copy, pkt, len);
	copy[0] = q->query[0];
	copy[1] = q->query[1];
	exchange_done(q, 0, copy, len);
	free(copy);
}

struct resolver_query *resolver_exchange(struct resolver *res, const struct netaddr *server,
					 const uint8_t *query, size_t len, uint32_t timeout_ms,
					 unsigned tries, int use_tcp, resolver_exchange_cb cb,
					 void *arg)
{
	struct resolver_query *q;

	if (len < DNS_HEADER_LEN || len > DNS_MSG_MAX) {
		cb(arg, EINVAL, NULL, 0);
		return NULL;
	}
	q = query_new(res, Q_EXCHANGE, arg);
	if (q == NULL || (q->query = malloc(len)) == NULL) {
		if (q)
			resolver_cancel(q);
		cb(arg, ENOMEM, NULL, 0);
		return NULL;
	}
	memcpy(q->query, query, len);
	q->qlen = len;
	q->xcb = cb;
	q->xserver = *server;
	q->timeout_ms = timeout_ms ? timeout_ms : res->timeout_ms;
	q->tries = tries ? tries : 1;
	q->xflags = ((use_tcp & RESOLVER_X_TCP) ? TRANSPORT_TCP : 0) |
		    ((use_tcp & RESOLVER_X_NO_FALLBACK) ? TRANSPORT_NO_FALLBACK : 0);
	if (exchange_send(q) < 0) {
		exchange_done(q, errno ? errno : EIO, NULL, 0);
		return NULL;
	}
	return q;
}
