/* wire: see wire.h. */
#include "dns/wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"

const char *dns_rcode_name(unsigned rcode, char *buf, size_t size)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};
	if (rcode < sizeof(names) / sizeof(names[0]))
		str_copy(buf, names[rcode], size);
	else if (rcode == DNS_R_BADVERS)
		str_copy(buf, "BADVERS", size);
	else
		snprintf(buf, size, "RCODE%u", rcode);
	return buf;
}

int dns_header_read(const uint8_t *pkt, size_t len, struct dns_header *h)
{
	struct rbuf r;
	rbuf_init(&r, pkt, len);
	if (rbuf_u16(&r, &h->id) < 0 || rbuf_u16(&r, &h->flags) < 0 ||
	    rbuf_u16(&r, &h->qdcount) < 0 || rbuf_u16(&r, &h->ancount) < 0 ||
	    rbuf_u16(&r, &h->nscount) < 0 || rbuf_u16(&r, &h->arcount) < 0)
		return -1;
	return 0;
}

void dns_header_put(uint8_t *pkt, const struct dns_header *h)
{
	const uint16_t v[6] = {h->id, h->flags, h->qdcount, h->ancount, h->nscount, h->arcount};
	for (int i = 0; i < 6; i++) {
		pkt[2 * i] = (uint8_t)(v[i] >> 8);
		pkt[2 * i + 1] = (uint8_t)v[i];
	}
}

int dns_question_read(const uint8_t *pkt, size_t len, size_t *pos, struct dns_question *q)
{
	struct rbuf r;
	if (dname_unpack(pkt, len, pos, q->name) < 0)
		return -1;
	rbuf_init(&r, pkt, len);
	r.pos = *pos;
	if (rbuf_u16(&r, &q->type) < 0 || rbuf_u16(&r, &q->qclass) < 0)
		return -1;
	*pos = r.pos;
	return 0;
}

/*
 * Reads the record at *pos. With store NULL only measures: *need grows by
 * the bytes the owner and data take uncompressed. With store, copies them
 * there (advancing it) and fills rr.
 */
static int read_rr(const uint8_t *pkt, size_t len, size_t *pos, struct dns_rr *rr, uint8_t **store,
		   size_t *need)
{
	uint8_t owner[DNAME_MAX], data[DNS_MSG_MAX];
	struct rbuf r;
	int ol, dl;

	ol = dname_unpack(pkt, len, pos, owner);
	if (ol < 0)
		return -1;
	rbuf_init(&r, pkt, len);
	r.pos = *pos;
	if (rbuf_u16(&r, &rr->type) < 0 || rbuf_u16(&r, &rr->rclass) < 0 ||
	    rbuf_u32(&r, &rr->ttl) < 0 || rbuf_u16(&r, &rr->rdlen) < 0 || rbuf_left(&r) < rr->rdlen)
		return -1;
	dl = rdata_unpack(rr->type, pkt, len, r.pos, rr->rdlen, data, sizeof(data));
	if (dl < 0)
		return -1;
	*pos = r.pos + rr->rdlen;
	rr->rdlen = (uint16_t)dl;
	if (store == NULL) {
		*need += (size_t)ol + (size_t)dl;
		return 0;
	}
	memcpy(*store, owner, (size_t)ol);
	rr->owner = *store;
	*store += ol;
	memcpy(*store, data, (size_t)dl);
	rr->rdata = *store;
	*store += dl;
	return 0;
}

/* One pass over the records: measuring (store NULL) or filling. */
static int walk(const uint8_t *pkt, size_t len, struct dns_msg *m, uint8_t *store, size_t *need)
{
	const struct dns_header *h = &m->h;
	unsigned total = (unsigned)h->ancount + h->nscount + h->arcount, kept = 0;
	size_t pos = DNS_HEADER_LEN;
	int have_opt = 0;

	for (unsigned i = 0; i < h->qdcount; i++) {
		struct dns_question q;
		if (dns_question_read(pkt, len, &pos, i == 0 ? &m->q : &q) < 0)
			return -1;
	}
	for (unsigned i = 0; i < total; i++) {
		struct dns_rr rr, *dst = store ? &m->rr[kept] : &rr;
		if (read_rr(pkt, len, &pos, dst, store ? &store : NULL, need) < 0)
			return -1;
		if (dst->type != DNS_T_OPT) {
			kept++;
			continue;
		}
		/* OPT: once, in the additional section, owned by the root. */
		if (have_opt || i < (unsigned)h->ancount + h->nscount)
			return -1;
		if (store && !dname_is_root(dst->owner))
			return -1;
		have_opt = 1;
		m->edns.present = 1;
		m->edns.udp_size = dst->rclass;
		m->edns.ext_rcode = (uint8_t)(dst->ttl >> 24);
		m->edns.version = (uint8_t)(dst->ttl >> 16);
		m->edns.flags = (uint16_t)dst->ttl;
		m->edns.optlen = dst->rdlen;
	}
	/* Trailing bytes after the last record: tolerated, as BIND does. */
	return 0;
}

int dns_msg_parse(const uint8_t *pkt, size_t len, struct dns_msg **out)
{
	struct dns_msg probe = {0}, *m;
	size_t need = 0, nrec;

	*out = NULL;
	if (dns_header_read(pkt, len, &probe.h) < 0)
		return DNS_PARSE_SHORT;
	/* A record takes at least 11 bytes, a question 5: counts cannot lie
	 * past the packet without failing below, but reject the obvious
	 * before measuring. */
	if ((size_t)probe.h.qdcount * 5 +
		((size_t)probe.h.ancount + probe.h.nscount + probe.h.arcount) * 11 >
	    len - DNS_HEADER_LEN)
		return DNS_PARSE_MALFORMED;
	if (walk(pkt, len, &probe, NULL, &need) < 0)
		return DNS_PARSE_MALFORMED;
	nrec = (size_t)probe.h.ancount + probe.h.nscount + probe.h.arcount;
	m = calloc(1, sizeof(*m) + nrec * sizeof(struct dns_rr) + need);
	if (m == NULL)
		return DNS_PARSE_NOMEM;
	m->h = probe.h;
	m->rr = (struct dns_rr *)(m + 1);
	if (walk(pkt, len, m, (uint8_t *)(m->rr + nrec), &need) < 0) {
		free(m);
		return DNS_PARSE_MALFORMED;
	}
	m->nan = m->h.ancount;
	m->nns = m->h.nscount;
	m->nar = (uint16_t)(m->h.arcount - (m->edns.present ? 1 : 0));
	*out = m;
	return DNS_PARSE_OK;
}

void dns_msg_free(struct dns_msg *m)
{
	free(m);
}

unsigned dns_msg_rcode(const struct dns_msg *m)
{
	unsigned rcode = m->h.flags & DNS_F_RCODE_MASK;
	if (m->edns.present)
		rcode |= (unsigned)m->edns.ext_rcode << 4;
	return rcode;
}

int dns_put_question(struct wbuf *w, struct dname_ctab *ct, const uint8_t *name, uint16_t type,
		     uint16_t qclass)
{
	if (dname_pack(w, name, ct) < 0 || wbuf_u16(w, type) < 0 || wbuf_u16(w, qclass) < 0)
		return -1;
	return 0;
}

int dns_put_rr(struct wbuf *w, struct dname_ctab *ct, const uint8_t *owner, uint16_t type,
	       uint16_t rclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
	size_t at;

	if (dname_pack(w, owner, ct) < 0 || wbuf_u16(w, type) < 0 || wbuf_u16(w, rclass) < 0 ||
	    wbuf_u32(w, ttl) < 0 || wbuf_u16(w, 0) < 0)
		return -1;
	at = w->len;
	if (rdata_pack(w, type, rdata, rdlen, ct) < 0)
		return -1;
	wbuf_patch_u16(w, at - 2, (uint16_t)(w->len - at));
	return 0;
}

int dns_put_opt(struct wbuf *w, uint16_t udp_size, uint8_t ext_rcode, uint8_t version,
		uint16_t flags, const uint8_t *opts, uint16_t optlen)
{
	if (wbuf_u8(w, 0) < 0 || wbuf_u16(w, DNS_T_OPT) < 0 || wbuf_u16(w, udp_size) < 0 ||
	    wbuf_u8(w, ext_rcode) < 0 || wbuf_u8(w, version) < 0 || wbuf_u16(w, flags) < 0 ||
	    wbuf_u16(w, optlen) < 0 || wbuf_bytes(w, opts, optlen) < 0)
		return -1;
	return 0;
}

int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, uint16_t flags, const uint8_t *name,
		    uint16_t type, uint16_t qclass, uint16_t edns_size)
{
	struct dns_header h = {id, flags, 1, 0, 0, edns_size ? 1 : 0};
	struct wbuf w;

	wbuf_init(&w, buf, cap);
	if (cap < DNS_HEADER_LEN)
		return -1;
	w.len = DNS_HEADER_LEN;
	if (dns_put_question(&w, NULL, name, type, qclass) < 0)
		return -1;
	if (edns_size && dns_put_opt(&w, edns_size, 0, 0, 0, NULL, 0) < 0)
		return -1;
	dns_header_put(buf, &h);
	return (int)w.len;
}
