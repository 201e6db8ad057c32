/*
 * answer: see answer.h. The shape follows NSD's query.c, whose answers the
 * differential test compares ours with: check the query, find the zone,
 * then the name (RFC 1034 4.3.2, RFC 4592), collect the RRsets of the
 * response with the section each goes to, and only then write them, with
 * compression, leaving out what does not fit (RFC 2181 section 9).
 */
#include "dns/answer.h"

#include <string.h>

#include "core/buf.h"
#include "dns/wire.h"
#include "dns/zone.h"
#include "dns/zoneset.h"

/* Sections in writing order. What does not fit in the first two truncates
 * the response (TC); the rest is optional and is left out silently. */
enum section { S_ANSWER, S_AUTHORITY, S_OPT_AUTHORITY, S_ADD_A, S_ADD_AAAA, S_COUNT };

#define MAX_REFS   256 /* RRsets in one response */
#define MAX_CNAMES 32  /* CNAMEs followed in one chain */

/* Optional records stop short of these sizes over UDP, whatever the
 * payload size allows, so that glue never makes a response fragment
 * (NSD's IPV4_ and IPV6_MINIMAL_RESPONSE_SIZE). */
#define OPTIONAL_MAX_V4 1232
#define OPTIONAL_MAX_V6 1220

#define OPT_LEN 11 /* an OPT record without options */

/* Extended DNS errors (RFC 8914) that NSD attaches, and so do we: the
 * option's code, room for the option with our longest text, the info
 * codes. */
#define EDNS_OPT_EDE 15
#define EDE_OPT_MAX  64
enum ede {
	EDE_NONE = -1,
	EDE_NOT_READY = 14,
	EDE_PROHIBITED = 18,
	EDE_NOT_AUTHORITATIVE = 20,
	EDE_NOT_SUPPORTED = 21,
};

struct ref {
	const uint8_t *owner;
	const struct zone_rrset *set;
	uint32_t ttl;
	uint8_t section;
};

/* The query, as far as the answer needs it. */
struct query {
	uint16_t id, flags, qtype, qclass;
	const uint8_t *qname_wire; /* in the packet, as asked (no compression) */
	uint8_t qname[DNAME_MAX];  /* lower case, for lookups */
	int edns;
	uint8_t edns_version;
	uint16_t edns_size, edns_flags;
};

struct ctx {
	const struct zoneset *zs;
	const struct zone *zone; /* of the current step of a CNAME chain */
	uint16_t qtype, qclass;
	int ipv6;
	int aa, rcode, cnames, referral;
	int ede;
	const char *ede_text;
	int nrefs;
	struct ref refs[MAX_REFS];
};

static void lookup(struct ctx *c, const uint8_t *name);

/* ---- collecting the response ---- */

/*
 * Adds an RRset to a section, once: a set already in the response stays
 * where it is, or moves to an earlier section (the apex NS answering a
 * query for NS is not repeated in the authority section). Returns 0 when
 * it was there already, which also stops CNAME loops.
 */
static int add(struct ctx *c, int section, const uint8_t *owner, const struct zone_rrset *set,
	       uint32_t ttl)
{
	for (int i = 0; i < c->nrefs; i++) {
		struct ref *r = &c->refs[i];
		if (r->set == set && dname_equal(r->owner, owner)) {
			if (section < r->section) {
				r->section = (uint8_t)section;
				return 1;
			}
			return 0;
		}
	}
	if (c->nrefs == MAX_REFS)
		return 0;
	c->refs[c->nrefs].owner = owner;
	c->refs[c->nrefs].set = set;
	c->refs[c->nrefs].ttl = ttl;
	c->refs[c->nrefs].section = (uint8_t)section;
	c->nrefs++;
	return 1;
}

/*
 * The node holding a target's address records in the current zone: the
 * name itself, or the wildcard that stands for it (*owner is then the
 * target). Below a zone cut only NS targets get their glue.
 */
static const struct zone_node *additional_node(const struct ctx *c, const uint8_t *target,
					       int allow_glue, const uint8_t **owner)
{
	struct zone_result r;

	if (dname_is_root(target))
		return NULL; /* the null MX */
	zone_lookup(c->zone, target, &r);
	switch (r.match) {
	case ZONE_EXACT: *owner = zone_node_name(r.node); return r.node;
	case ZONE_WILDCARD: *owner = target; return r.node;
	case ZONE_DELEGATION:
		if (!allow_glue)
			return NULL;
		*owner = target;
		return zone_find(c->zone, target);
	default: return NULL;
	}
}

/* A and AAAA of the in-zone targets of an NS, MX or SRV set. */
static void add_additional(struct ctx *c, const struct zone_rrset *set, int off, int allow_glue,
			   int aaaa_first)
{
	int sa = aaaa_first ? S_ADD_AAAA : S_ADD_A, saaaa = aaaa_first ? S_ADD_A : S_ADD_AAAA;

	for (uint16_t i = 0; i < set->count; i++) {
		const struct zone_rdata *d = set->rdata[i];
		const struct zone_rrset *a, *aaaa;
		const struct zone_node *n;
		const uint8_t *owner;

		if (d->len <= off)
			continue;
		n = additional_node(c, d->data + off, allow_glue, &owner);
		if (n == NULL)
			continue;
		if ((a = zone_node_rrset(n, DNS_T_A)) != NULL)
			add(c, sa, owner, a, a->ttl);
		if ((aaaa = zone_node_rrset(n, DNS_T_AAAA)) != NULL)
			add(c, saaaa, owner, aaaa, aaaa->ttl);
	}
}

/* Adds a set and the additional records its type calls for. */
static int add_rrset(struct ctx *c, int section, const uint8_t *owner, const struct zone_rrset *set)
{
	int added = add(c, section, owner, set, set->ttl);

	switch (set->type) {
	case DNS_T_NS: add_additional(c, set, 0, 1, c->ipv6); break;
	case DNS_T_MX: add_additional(c, set, 2, 0, 0); break;
	case DNS_T_SRV: add_additional(c, set, 6, 0, 0); break;
	default: break;
	}
	return added;
}

/* The zone's SOA in the authority section, its TTL capped at the SOA
 * MINIMUM (RFC 2308 section 3); none for class ANY, as NSD does. */
static void add_soa(struct ctx *c)
{
	const struct zone_rrset *soa = zone_node_rrset(zone_apex(c->zone), DNS_T_SOA);
	uint32_t ttl, minimum;
	struct rbuf r;

	if (c->qclass == DNS_C_ANY || soa == NULL || soa->count == 0)
		return;
	ttl = soa->ttl;
	rbuf_init(&r, soa->rdata[0]->data, soa->rdata[0]->len);
	if (r.len >= 4) {
		r.pos = r.len - 4;
		if (rbuf_u32(&r, &minimum) == 0 && minimum < ttl)
			ttl = minimum;
	}
	add(c, S_AUTHORITY, zone_origin(c->zone), soa, ttl);
}

/* Type ANY: one RRset, as NSD answers it (RFC 8482 section 4.1):
 * the first of A, AAAA, SOA, MX, PTR at the node, else the last set of
 * another type, else the last of DNSKEY, RRSIG, NSEC. */
static const struct zone_rrset *pick_any(const struct zone_node *node)
{
	const struct zone_rrset *const *sets;
	const struct zone_rrset *normal = NULL, *unwanted = NULL;
	size_t n = zone_node_rrsets(node, &sets);

	for (size_t i = 0; i < n; i++) {
		switch (sets[i]->type) {
		case DNS_T_A:
		case DNS_T_AAAA:
		case DNS_T_SOA:
		case DNS_T_MX:
		case DNS_T_PTR: return sets[i];
		case DNS_T_DNSKEY:
		case DNS_T_RRSIG:
		case DNS_T_NSEC: unwanted = sets[i]; break;
		default: normal = sets[i]; break;
		}
	}
	return normal ? normal : unwanted;
}

/* The name exists (node, or the wildcard standing for owner). */
static void answer_node(struct ctx *c, const struct zone_node *node, const uint8_t *owner)
{
	const struct zone_rrset *set, *ns;

	if (c->qtype == DNS_T_ANY) {
		if ((set = pick_any(node)) != NULL)
			add_rrset(c, S_ANSWER, owner, set);
		else
			add_soa(c);
		return; /* no NS in authority for ANY */
	}
	if (c->qtype == DNS_T_NSEC3) {
		/* NSEC3 records live at hashed names, never found by a name
		 * lookup: NODATA, also at a CNAME (as NSD). */
		add_soa(c);
		return;
	}
	if ((set = zone_node_rrset(node, c->qtype)) != NULL) {
		add_rrset(c, S_ANSWER, owner, set);
	} else if ((set = zone_node_rrset(node, DNS_T_CNAME)) != NULL) {
		/* Not added means already there: a loop, stop. */
		if (add_rrset(c, S_ANSWER, owner, set) && set->count > 0 &&
		    c->cnames < MAX_CNAMES) {
			const struct zone *here = c->zone;
			c->cnames++;
			lookup(c, set->rdata[0]->data);
			c->zone = here;
		}
		return;
	} else {
		add_soa(c); /* NODATA */
		return;
	}
	/* The zone's NS set in authority, optional (NSD's default; it leaves
	 * it out for DS and DNSKEY, whose answers are big). */
	if (c->qclass != DNS_C_ANY && c->qtype != DNS_T_DS && c->qtype != DNS_T_DNSKEY &&
	    (ns = zone_node_rrset(zone_apex(c->zone), DNS_T_NS)) != NULL)
		add_rrset(c, S_OPT_AUTHORITY, zone_origin(c->zone), ns);
}

/* A referral: the cut's NS set in authority, glue in additional; AA is
 * set only when a CNAME of ours led here. */
static void referral(struct ctx *c, const struct zone_node *cut)
{
	const struct zone_rrset *ns = zone_node_rrset(cut, DNS_T_NS);

	c->aa = c->cnames > 0;
	c->referral = 1;
	if (ns)
		add_rrset(c, S_AUTHORITY, zone_node_name(cut), ns);
}

/* The name is in no zone of ours, or in one that is configured but has
 * not loaded. Past a CNAME the chain just ends there; for the query name
 * itself the response says so, as NSD says it. */
static void not_served(struct ctx *c, int configured)
{
	if (c->cnames > 0)
		return;
	if (configured) {
		c->rcode = DNS_R_SERVFAIL;
		c->ede = EDE_NOT_READY;
		c->ede_text = "Zone is configured but not loaded";
	} else {
		c->rcode = DNS_R_REFUSED;
		c->ede = EDE_NOT_AUTHORITATIVE;
	}
}

/* A zone transfer request: no transfers yet, so REFUSED for a zone of
 * ours, and NOTAUTH for any other name (RFC 5936 section 2.2.1), as NSD
 * answers without transfers configured. */
static void transfer(struct ctx *c, const uint8_t *name)
{
	const struct zoneset_entry *e = zoneset_find(c->zs, name);

	if (e != NULL && dname_equal(name, e->origin)) {
		c->rcode = DNS_R_REFUSED;
		c->ede = EDE_PROHIBITED;
	} else {
		c->rcode = DNS_R_NOTAUTH;
	}
}

/* Answers for name (the query name, or a CNAME target). */
static void lookup(struct ctx *c, const uint8_t *name)
{
	const struct zoneset_entry *e = zoneset_find(c->zs, name);
	struct zone_result r;
	int ds_parent = 0;

	if (e == NULL || e->zone == NULL) {
		not_served(c, e != NULL);
		return;
	}
	c->zone = e->zone;
	if (c->qtype == DNS_T_DS && dname_equal(name, e->origin)) {
		/* DS lives in the parent (RFC 4035 3.1.4.1): answer from the
		 * parent zone when it is served here too. */
		const struct zoneset_entry *p =
		    dname_is_root(name) ? NULL : zoneset_find(c->zs, dname_parent(name));
		if (p == NULL) {
			c->aa = c->qclass != DNS_C_ANY;
			add_soa(c);
			return;
		}
		if (p->zone == NULL) {
			not_served(c, 1);
			return;
		}
		c->zone = p->zone;
		ds_parent = 1;
	}
	zone_lookup(c->zone, name, &r);
	if (ds_parent && (r.match == ZONE_NXDOMAIN || r.match == ZONE_WILDCARD)) {
		/* The parent has no delegation here, yet the name exists (it
		 * is a zone of ours): NODATA from the parent, as NSD. */
		c->aa = c->qclass != DNS_C_ANY;
		add_soa(c);
		return;
	}
	if (r.match == ZONE_DELEGATION) {
		/* At the cut itself, DS is the parent's data. */
		if (!(c->qtype == DNS_T_DS && dname_equal(zone_node_name(r.node), name))) {
			referral(c, r.node);
			return;
		}
		r.match = ZONE_EXACT;
	}
	c->aa = c->qclass != DNS_C_ANY;
	switch (r.match) {
	case ZONE_EXACT: answer_node(c, r.node, zone_node_name(r.node)); break;
	case ZONE_WILDCARD: answer_node(c, r.node, name); break;
	case ZONE_NXDOMAIN:
		/* Also at the end of a CNAME chain (RFC 6604). */
		c->rcode = DNS_R_NXDOMAIN;
		add_soa(c);
		break;
	default: not_served(c, 0); break;
	}
}

/* ---- reading the query ---- */

enum check { C_OK, C_DROP, C_FORMERR, C_FORMERR_NOFLAGS, C_NOTIMP };

/* The question name, uncompressed: NSD refuses pointers there too. */
static int read_qname(const uint8_t *pkt, size_t len, size_t *pos, struct query *q)
{
	size_t p = *pos, n = 0;

	for (;;) {
		uint8_t l;
		if (p >= len)
			return -1;
		l = pkt[p];
		if (l & 0xc0)
			return -1;
		if (n + l + 1 > DNAME_MAX || p + l + 1 > len)
			return -1;
		memcpy(q->qname + n, pkt + p, (size_t)l + 1);
		n += (size_t)l + 1;
		p += (size_t)l + 1;
		if (l == 0)
			break;
	}
	q->qname_wire = pkt + *pos;
	dname_lower(q->qname);
	*pos = p;
	return 0;
}

/* Skips one record (the SOA an IXFR query carries in authority). */
static int skip_rr(const uint8_t *pkt, size_t len, size_t *pos)
{
	uint8_t name[DNAME_MAX];
	uint16_t rdlen;
	struct rbuf r;

	if (dname_unpack(pkt, len, pos, name) < 0)
		return -1;
	rbuf_init(&r, pkt, len);
	r.pos = *pos;
	if (rbuf_skip(&r, 8) < 0 || rbuf_u16(&r, &rdlen) < 0 || rbuf_skip(&r, rdlen) < 0)
		return -1;
	*pos = r.pos;
	return 0;
}

/* The OPT record at *pos: 1 read, 0 not an OPT, -1 malformed. Its
 * owner must be the root, and its options must fill its data exactly. */
static int read_opt(const uint8_t *pkt, size_t len, size_t *pos, struct query *q)
{
	struct rbuf r;
	uint16_t type, rdlen, olen;
	uint8_t owner, ext;
	size_t end;

	rbuf_init(&r, pkt, len);
	r.pos = *pos;
	if (rbuf_u8(&r, &owner) < 0 || rbuf_u16(&r, &type) < 0)
		return -1;
	if (owner != 0 || type != DNS_T_OPT)
		return 0;
	if (rbuf_u16(&r, &q->edns_size) < 0 || rbuf_u8(&r, &ext) < 0 ||
	    rbuf_u8(&r, &q->edns_version) < 0 || rbuf_u16(&r, &q->edns_flags) < 0 ||
	    rbuf_u16(&r, &rdlen) < 0 || rbuf_left(&r) < rdlen)
		return -1;
	end = r.pos + rdlen;
	while (r.pos < end) {
		if (end - r.pos < 4)
			return -1;
		r.pos += 2;
		if (rbuf_u16(&r, &olen) < 0 || end - r.pos < olen)
			return -1;
		r.pos += olen;
	}
	q->edns = 1;
	*pos = r.pos;
	return 1;
}

/* Checks the query as NSD does, in its order. */
static enum check read_query(const uint8_t *pkt, size_t len, struct query *q)
{
	struct dns_header h;
	size_t pos = DNS_HEADER_LEN;
	struct rbuf r;

	if (dns_header_read(pkt, len, &h) < 0)
		return C_DROP;
	q->id = h.id;
	q->flags = h.flags;
	if (h.flags & DNS_F_QR)
		return C_DROP; /* a response: answering could loop */
	if (DNS_OPCODE(h.flags) != DNS_OP_QUERY)
		return C_NOTIMP;
	/* NSD reads the question before it looks at the count. */
	if (h.flags & DNS_F_RCODE_MASK || read_qname(pkt, len, &pos, q) < 0)
		return C_FORMERR;
	rbuf_init(&r, pkt, len);
	r.pos = pos;
	if (rbuf_u16(&r, &q->qtype) < 0 || rbuf_u16(&r, &q->qclass) < 0)
		return C_FORMERR;
	pos = r.pos;
	if (h.qdcount != 1)
		return C_FORMERR_NOFLAGS;
	/* Queries carry no answers; only IXFR carries its SOA in authority. */
	if (h.ancount != 0 || (h.nscount != 0 && q->qtype != DNS_T_IXFR) || h.nscount > 64)
		return C_FORMERR;
	for (unsigned i = 0; i < h.nscount; i++)
		if (skip_rr(pkt, len, &pos) < 0)
			return C_FORMERR;
	/* The additional section holds at most our OPT: nothing else (no
	 * TSIG: mxhost has no keys) is understood. */
	if (h.arcount > 1)
		return C_FORMERR;
	if (h.arcount == 1 && read_opt(pkt, len, &pos, q) != 1)
		return C_FORMERR;
	/* Bytes after the last record are ignored, as NSD and BIND do. */
	return C_OK;
}

/* ---- writing the response ---- */

static size_t header_only(uint8_t *out, uint16_t id, uint16_t flags)
{
	struct dns_header h = {id, flags, 0, 0, 0, 0};
	dns_header_put(out, &h);
	return DNS_HEADER_LEN;
}

/* The Extended DNS Error option (RFC 8914) for ede and its text into
 * opt; returns its length, 0 for none (or no room in size). */
static uint16_t ede_option(uint8_t *opt, size_t size, int ede, const char *text)
{
	struct wbuf w;
	size_t tlen = text ? strlen(text) : 0;

	if (ede == EDE_NONE)
		return 0;
	wbuf_init(&w, opt, size);
	wbuf_u16(&w, EDNS_OPT_EDE);
	wbuf_u16(&w, (uint16_t)(2 + tlen));
	wbuf_u16(&w, (uint16_t)ede);
	wbuf_bytes(&w, text, tlen);
	return w.overflow ? 0 : (uint16_t)w.len;
}

/*
 * Writes the collected RRsets. In the answer and authority sections a
 * set that does not fit is left out whole and TC set; an optional set
 * (authority NS, additional) that does not fit is left out whole, the
 * sets after it still go in when they fit, and TC stays clear (RFC 2181
 * section 9), as NSD does — except that a referral none of whose glue
 * fits is truncated, so that the resolver asks again over TCP. Over TCP,
 * optional sets are written as far as they fit.
 */
static void write_sets(const struct ctx *c, struct wbuf *w, struct dname_ctab *ct, int tcp,
		       size_t optional_max, uint16_t count[S_COUNT], int *tc)
{
	int skipped = 0;

	for (int s = S_ANSWER; s < S_COUNT && !*tc; s++) {
		int optional = s >= S_OPT_AUTHORITY;
		for (int i = 0; i < c->nrefs && !*tc; i++) {
			const struct ref *r = &c->refs[i];
			struct dns_mark set_mark;
			uint16_t k;

			if (r->section != s)
				continue;
			set_mark = dns_mark(w, ct);
			for (k = 0; k < r->set->count; k++) {
				const struct zone_rdata *d = r->set->rdata[k];
				struct dns_mark rr_mark = dns_mark(w, ct);
				if (dns_put_rr(w, ct, r->owner, r->set->type, DNS_C_IN, r->ttl,
					       d->data, d->len) < 0 ||
				    (optional && !tcp && w->len > optional_max)) {
					dns_rewind(w, ct, rr_mark);
					break;
				}
			}
			if (k == r->set->count) {
				count[s] += k;
			} else if (!optional) {
				dns_rewind(w, ct, set_mark);
				*tc = 1;
			} else if (!tcp) {
				dns_rewind(w, ct, set_mark);
				skipped = 1;
			} else {
				count[s] += k;
			}
		}
		if (skipped && s == S_ADD_A && count[S_ADD_A] == 0 && c->referral)
			*tc = 1;
	}
}

/* Whether a CH query asks for the server's name or version (which we
 * do not tell: Prohibited), or for anything else (Not Supported). */
static int chaos_ede(const struct query *q)
{
	static const uint8_t *const names[] = {
	    (const uint8_t *)"\002id\006server", (const uint8_t *)"\010hostname\004bind",
	    (const uint8_t *)"\007version\006server", (const uint8_t *)"\007version\004bind"};

	if (q->qtype == DNS_T_TXT || q->qtype == DNS_T_ANY)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (dname_equal(q->qname, names[i]))
				return EDE_PROHIBITED;
	return EDE_NOT_SUPPORTED;
}

size_t answer_query(const struct zoneset *zs, const uint8_t *pkt, size_t len, uint8_t *out,
		    size_t cap, const struct answer_params *p)
{
	struct query q;
	struct ctx c;
	struct dname_ctab ct;
	struct wbuf w;
	struct dns_header h;
	uint16_t count[S_COUNT] = {0};
	size_t limit, optional_max;
	int tc = 0, question = 1;
	uint16_t rd;

	if (cap < ANSWER_MIN_CAP)
		return 0;
	q.id = q.flags = 0;
	q.edns = 0;
	switch (read_query(pkt, len, &q)) {
	case C_DROP: return 0;
	case C_NOTIMP:
		return header_only(out, q.id,
				   DNS_F_QR | (q.flags & (DNS_F_OPCODE_MASK | DNS_F_RD)) |
				       DNS_R_NOTIMP);
	case C_FORMERR:
		return header_only(out, q.id, DNS_F_QR | (q.flags & DNS_F_RD) | DNS_R_FORMERR);
	case C_FORMERR_NOFLAGS: return header_only(out, q.id, DNS_F_QR | DNS_R_FORMERR);
	case C_OK: break;
	}
	rd = q.flags & DNS_F_RD;

	/* How big the response may be. */
	if (p->tcp)
		limit = DNS_MSG_MAX;
	else if (!q.edns || q.edns_size <= DNS_UDP_MAX)
		limit = DNS_UDP_MAX;
	else
		limit = q.edns_size < p->edns_payload ? q.edns_size : p->edns_payload;
	if (limit < DNS_UDP_MAX)
		limit = DNS_UDP_MAX; /* an edns_payload below 512 means 512 */
	if (limit > cap)
		limit = cap;
	optional_max = p->ipv6 ? OPTIONAL_MAX_V6 : OPTIONAL_MAX_V4;

	/* Field by field: the whole ctx (its RRset list) is 6 KiB. */
	ct.n = 0;
	c.zs = zs;
	c.zone = NULL;
	c.aa = c.rcode = c.cnames = c.referral = c.nrefs = 0;
	c.ede_text = NULL;
	c.qtype = q.qtype;
	c.qclass = q.qclass;
	c.ipv6 = p->ipv6;
	c.ede = EDE_NONE;

	if (q.edns && q.edns_version != 0) {
		c.rcode = DNS_R_BADVERS;
	} else if (q.qclass != DNS_C_IN && q.qclass != DNS_C_ANY) {
		c.rcode = DNS_R_REFUSED;
		c.ede = q.qclass == DNS_C_CH ? chaos_ede(&q) : EDE_NOT_SUPPORTED;
		question = q.qclass == DNS_C_CH; /* NSD drops it for other classes */
	} else if (q.qtype == DNS_T_AXFR && !p->tcp) {
		c.rcode = DNS_R_NOTIMP; /* transfers need TCP */
	} else if (q.qtype == DNS_T_AXFR || q.qtype == DNS_T_IXFR) {
		transfer(&c, q.qname);
	} else {
		lookup(&c, q.qname);
	}

	/* Room for the OPT record is kept back until the sets are written. */
	wbuf_init(&w, out, limit - (q.edns ? OPT_LEN : 0));
	w.len = DNS_HEADER_LEN;
	if (question && dns_put_question(&w, &ct, q.qname_wire, q.qtype, q.qclass) < 0)
		return header_only(out, q.id, DNS_F_QR | rd | DNS_R_SERVFAIL); /* cannot be */
	write_sets(&c, &w, &ct, p->tcp, optional_max, count, &tc);
	if (q.edns) {
		/* DO is echoed (RFC 3225), except with BADVERS, as NSD does. */
		uint16_t eflags = c.rcode == DNS_R_BADVERS ? 0 : q.edns_flags & DNS_EDNS_DO;
		uint8_t opt[EDE_OPT_MAX];
		uint16_t optlen = ede_option(opt, sizeof(opt), c.ede, c.ede_text);
		size_t at = w.len;
		w.cap = limit;
		w.overflow = 0;
		if (dns_put_opt(&w, p->edns_payload, (uint8_t)(c.rcode >> 4), 0, eflags, opt,
				optlen) < 0) {
			w.len = at; /* the error text did not fit: the OPT alone does */
			w.overflow = 0;
			dns_put_opt(&w, p->edns_payload, (uint8_t)(c.rcode >> 4), 0, eflags, NULL,
				    0);
		}
	}
	h.id = q.id;
	h.flags = (uint16_t)(DNS_F_QR | rd | (c.aa ? DNS_F_AA : 0) | (tc ? DNS_F_TC : 0) |
			     (c.rcode & DNS_F_RCODE_MASK));
	h.qdcount = question ? 1 : 0;
	h.ancount = count[S_ANSWER];
	h.nscount = (uint16_t)(count[S_AUTHORITY] + count[S_OPT_AUTHORITY]);
	h.arcount = (uint16_t)(count[S_ADD_A] + count[S_ADD_AAAA] + (q.edns ? 1 : 0));
	dns_header_put(out, &h);
	return w.len;
}
