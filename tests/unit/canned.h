/*
 * canned: a table of DNS answers for the resolver's test seam
 * (resolver_set_answer_fn), so that the resolver and MX routing can be
 * tested with real packets and no network. Each entry answers one
 * name/type (optionally only from one server port); what is not in the
 * table is answered REFUSED. Entries can also misbehave: stay silent,
 * refuse the connection, answer with a wrong ID or question, truncate
 * over UDP, or send garbage.
 */
#ifndef MXHOST_TESTS_CANNED_H
#define MXHOST_TESTS_CANNED_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/resolver.h"
#include "dns/wire.h"

struct crec {
	const char *owner;
	uint16_t type;
	uint32_t ttl;
	const char
	    *data; /* A "1.2.3.4", MX "10 mx.test.", SOA "m r serial refresh retry expire min" */
};

enum cmode {
	C_ANSWER = 0,
	C_SILENT,      /* no answer: a timeout */
	C_REFUSE_CONN, /* connection refused */
	C_WRONG_ID,    /* the answer with another ID only */
	C_WRONG_QNAME, /* the answer to another question only */
	C_TRUNCATE,    /* TC over UDP, the records over TCP */
	C_GARBAGE,     /* right header and question, then nonsense */
	C_NO_EDNS,     /* FORMERR to a query with EDNS0, the answer without */
};

struct canswer {
	const char *qname;
	uint16_t qtype;
	uint16_t port; /* only this server port; 0: any */
	enum cmode mode;
	unsigned rcode;
	int aa;
	struct crec an[8];
	struct crec ns[4];
	/* filled in as queries come */
	int asked, asked_tcp, asked_edns;
};

struct ctable {
	struct canswer *e;
	size_t n;
	int total; /* queries seen */
	uint8_t last_query[512];
	size_t last_len;
};

static inline int canned_rdata(uint16_t type, const char *text, uint8_t *out)
{
	char buf[512], *tok[8], *save = NULL;
	int n = 0, len;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *t = strtok_r(buf, " ", &save); t && n < 8; t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	switch (type) {
	case DNS_T_A: return inet_pton(AF_INET, tok[0], out) == 1 ? 4 : -1;
	case DNS_T_AAAA: return inet_pton(AF_INET6, tok[0], out) == 1 ? 16 : -1;
	case DNS_T_MX: {
		unsigned pref = (unsigned)atoi(tok[0]);
		out[0] = (uint8_t)(pref >> 8);
		out[1] = (uint8_t)pref;
		len = dname_from_text(out + 2, tok[1], strlen(tok[1]), NULL);
		return len < 0 ? -1 : len + 2;
	}
	case DNS_T_CNAME:
	case DNS_T_NS:
	case DNS_T_PTR: return dname_from_text(out, tok[0], strlen(tok[0]), NULL);
	case DNS_T_SOA: {
		int a = dname_from_text(out, tok[0], strlen(tok[0]), NULL);
		int b = dname_from_text(out + a, tok[1], strlen(tok[1]), NULL);
		uint8_t *p = out + a + b;
		for (int i = 2; i < 7; i++) {
			uint32_t v = (uint32_t)strtoul(tok[i], NULL, 10);
			*p++ = (uint8_t)(v >> 24);
			*p++ = (uint8_t)(v >> 16);
			*p++ = (uint8_t)(v >> 8);
			*p++ = (uint8_t)v;
		}
		return a + b + 20;
	}
	case DNS_T_TXT:
		len = (int)strlen(text);
		out[0] = (uint8_t)len;
		memcpy(out + 1, text, (size_t)len);
		return len + 1;
	}
	return -1;
}

static inline int canned_put(struct wbuf *w, struct dname_ctab *ct, const struct crec *r)
{
	uint8_t owner[DNAME_MAX], data[1024];
	int dl;

	if (dname_from_text(owner, r->owner, strlen(r->owner), NULL) < 0)
		return -1;
	dl = canned_rdata(r->type, r->data, data);
	if (dl < 0)
		return -1;
	return dns_put_rr(w, ct, owner, r->type, DNS_C_IN, r->ttl, data, (uint16_t)dl);
}

static inline int canned_answer(void *arg, const struct netaddr *server, int tcp,
				const uint8_t *query, size_t len, uint8_t *answer, size_t cap)
{
	struct ctable *t = arg;
	struct dns_msg *q;
	struct dns_header h = {0};
	struct dname_ctab ct = {0};
	struct wbuf w;
	struct canswer *e = NULL;
	uint8_t qname[DNAME_MAX];
	char qtext[DNAME_TEXT_MAX];
	uint16_t port = netaddr_port((const struct sockaddr *)&server->ss);
	int edns;

	t->total++;
	if (len <= sizeof(t->last_query)) {
		memcpy(t->last_query, query, len);
		t->last_len = len;
	}
	if (dns_msg_parse(query, len, &q) != DNS_PARSE_OK)
		return 0;
	dname_to_text(q->q.name, qtext, sizeof(qtext));
	for (size_t i = 0; i < t->n && !e; i++) {
		uint8_t n[DNAME_MAX];
		dname_from_text(n, t->e[i].qname, strlen(t->e[i].qname), NULL);
		if (dname_equal(n, q->q.name) && t->e[i].qtype == q->q.type &&
		    (t->e[i].port == 0 || t->e[i].port == port))
			e = &t->e[i];
	}
	edns = q->edns.present;
	dname_copy(qname, q->q.name);
	h.id = q->h.id;
	h.flags = DNS_F_QR | DNS_F_RD | DNS_F_RA;
	h.qdcount = 1;
	wbuf_init(&w, answer, cap);
	w.len = DNS_HEADER_LEN;
	if (e) {
		e->asked++;
		e->asked_tcp += tcp;
		e->asked_edns += edns;
	}
	if (e == NULL) {
		h.flags |= DNS_R_REFUSED;
	} else if (e->mode == C_SILENT) {
		dns_msg_free(q);
		return 0;
	} else if (e->mode == C_REFUSE_CONN) {
		dns_msg_free(q);
		return -1;
	} else {
		h.flags |= (uint16_t)(e->rcode | (e->aa ? DNS_F_AA : 0));
		if (e->mode == C_WRONG_ID)
			h.id ^= 0x5555;
		if (e->mode == C_WRONG_QNAME)
			dname_from_text(qname, "other.test.", 11, NULL);
		if (e->mode == C_NO_EDNS && edns)
			h.flags = (uint16_t)((h.flags & ~DNS_F_RCODE_MASK) | DNS_R_FORMERR);
	}
	dns_put_question(&w, &ct, qname, q->q.type, q->q.qclass);
	if (e && e->mode == C_GARBAGE) {
		h.ancount = 3;
		wbuf_bytes(&w, "\xc0\xff\x00\x01", 4);
	} else if (e && e->mode == C_TRUNCATE && !tcp) {
		h.flags |= DNS_F_TC;
	} else if (e && !(e->mode == C_NO_EDNS && edns)) {
		for (int i = 0; i < 8 && e->an[i].owner; i++, h.ancount++)
			canned_put(&w, &ct, &e->an[i]);
		for (int i = 0; i < 4 && e->ns[i].owner; i++, h.nscount++)
			canned_put(&w, &ct, &e->ns[i]);
	}
	if (edns && !(e && e->mode == C_NO_EDNS)) {
		dns_put_opt(&w, 1232, 0, 0, 0, NULL, 0);
		h.arcount = 1;
	}
	dns_header_put(answer, &h);
	dns_msg_free(q);
	return w.overflow ? 0 : (int)w.len;
}

static inline struct canswer *canned_find(struct ctable *t, const char *qname, uint16_t qtype)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcasecmp(t->e[i].qname, qname) == 0 && t->e[i].qtype == qtype)
			return &t->e[i];
	return NULL;
}

#define SOA_REC(zone, ttl, min)                                                                    \
	{                                                                                          \
		zone, DNS_T_SOA, ttl, "ns." zone " admin." zone " 1 3600 600 86400 " #min          \
	}

#endif
