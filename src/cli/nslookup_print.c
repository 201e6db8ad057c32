/* nslookup_print: what nslookup prints for one answer. See nslookup.h.
 *
 * Records are printed in the order of the packet: BIND parses answers
 * with DNS_MESSAGEPARSE_PRESERVEORDER, so it never groups them by name. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/nslookup.h"
#include "dns/rdata.h"

enum section { SEC_ANSWER, SEC_AUTHORITY, SEC_ADDITIONAL };

/* BIND's rtypetext: what precedes the data of types 0 to 41. */
static const char *const rtypetext[] = {
    "rtype_0 = ",
    "internet address = ",
    "nameserver = ",
    "md = ",
    "mf = ",
    "canonical name = ",
    "soa = ",
    "mb = ",
    "mg = ",
    "mr = ",
    "rtype_10 = ",
    "protocol = ",
    "name = ",
    "hinfo = ",
    "minfo = ",
    "mail exchanger = ",
    "text = ",
    "rp = ",
    "afsdb = ",
    "x25 address = ",
    "isdn address = ",
    "rt = ",
    "nsap = ",
    "nsap_ptr = ",
    "signature = ",
    "key = ",
    "px = ",
    "gpos = ",
    "has AAAA address ",
    "loc = ",
    "next = ",
    "rtype_31 = ",
    "rtype_32 = ",
    "service = ",
    "rtype_34 = ",
    "naptr = ",
    "kx = ",
    "cert = ",
    "v6 address = ",
    "dname = ",
    "rtype_40 = ",
    "optional = ",
};

static const char *const rcodetext[] = {
    "NOERROR",	  "FORMERR",	"SERVFAIL",   "NXDOMAIN",   "NOTIMP",  "REFUSED",
    "YXDOMAIN",	  "YXRRSET",	"NXRRSET",    "NOTAUTH",    "NOTZONE", "RESERVED11",
    "RESERVED12", "RESERVED13", "RESERVED14", "RESERVED15", "BADVERS",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct dns_rr *section_rr(const struct dns_msg *m, enum section sec, size_t *n)
{
	switch (sec) {
	case SEC_ANSWER: *n = m->nan; return m->rr;
	case SEC_AUTHORITY: *n = m->nns; return m->rr + m->nan;
	default: *n = m->nar; return m->rr + m->nan + m->nns;
	}
}

/* The data of a record as dns_rdata_totext writes it (names absolute). */
static void data_text(const struct dns_rr *rr, char *buf, size_t size)
{
	if (rdata_to_text(rr->type, rr->rdata, rr->rdlen, buf, size) < 0)
		snprintf(buf, size, "<%u octets>", rr->rdlen);
}

static void print_rdata(FILE *out, const struct dns_rr *rr)
{
	/* Room for the worst case: every octet written as \DDD. */
	size_t size = (size_t)rr->rdlen * 4 + 2 * DNAME_TEXT_MAX + 64;
	char *text = malloc(size);

	if (rr->type < NELEM(rtypetext))
		fputs(rtypetext[rr->type], out);
	else
		fprintf(out, "rdata_%u = ", rr->type);
	if (text == NULL) {
		fprintf(out, "<%u octets>\n", rr->rdlen);
		return;
	}
	data_text(rr, text, size);
	fprintf(out, "%s\n", text);
	free(text);
}

/* An SOA record's data, one field per line; -1 if it is not well formed. */
static int print_soa(FILE *out, const struct dns_rr *rr)
{
	char a[DNAME_TEXT_MAX], b[DNAME_TEXT_MAX];
	size_t l1, l2;

	if (rdata_check(DNS_T_SOA, rr->rdata, rr->rdlen) < 0)
		return -1;
	l1 = dname_len(rr->rdata);
	l2 = dname_len(rr->rdata + l1);
	const uint8_t *n = rr->rdata + l1 + l2;
	fprintf(out, "\torigin = %s\n", dname_to_text_nodot(rr->rdata, a, sizeof(a)));
	fprintf(out, "\tmail addr = %s\n", dname_to_text_nodot(rr->rdata + l1, b, sizeof(b)));
	fprintf(out, "\tserial = %u\n", buf_get_u32(n));
	fprintf(out, "\trefresh = %u\n", buf_get_u32(n + 4));
	fprintf(out, "\tretry = %u\n", buf_get_u32(n + 8));
	fprintf(out, "\texpire = %u\n", buf_get_u32(n + 12));
	fprintf(out, "\tminimum = %u\n", buf_get_u32(n + 16));
	return 0;
}

/* BIND's printsection: the short form of one section. */
static void print_section(FILE *out, const struct dns_msg *m, enum section sec)
{
	size_t n;
	const struct dns_rr *rr = section_rr(m, sec, &n);
	char name[DNAME_TEXT_MAX], text[64];

	for (size_t i = 0; i < n; i++, rr++) {
		dname_to_text_nodot(rr->owner, name, sizeof(name));
		if ((rr->type == DNS_T_A || rr->type == DNS_T_AAAA) && sec == SEC_ANSWER) {
			data_text(rr, text, sizeof(text));
			fprintf(out, "Name:\t%s\nAddress: %s\n", name, text);
		} else if (rr->type == DNS_T_SOA &&
			   rdata_check(DNS_T_SOA, rr->rdata, rr->rdlen) == 0) {
			fprintf(out, "%s\n", name);
			print_soa(out, rr);
		} else {
			fprintf(out, "%s\t", name);
			print_rdata(out, rr);
		}
	}
}

/* BIND's detailsection: the debug form, with headings and TTLs. */
static void detail_section(FILE *out, const struct dns_msg *m, enum section sec)
{
	static const char *const heading[] = {
	    "    ANSWERS:", "    AUTHORITY RECORDS:", "    ADDITIONAL RECORDS:"};
	size_t n;
	const struct dns_rr *rr = section_rr(m, sec, &n);
	char name[DNAME_TEXT_MAX];

	fprintf(out, "%s\n", heading[sec]);
	for (size_t i = 0; i < n; i++, rr++) {
		fprintf(out, "    ->  %s\n", dname_to_text_nodot(rr->owner, name, sizeof(name)));
		if (rr->type != DNS_T_SOA || print_soa(out, rr) < 0) {
			fputc('\t', out);
			print_rdata(out, rr);
		}
		fprintf(out, "\tttl = %u\n", rr->ttl);
	}
}

static void detail(FILE *out, const struct dns_msg *m)
{
	char name[DNAME_TEXT_MAX], type[32], cls[32];

	fputs("------------\n    QUESTIONS:\n", out);
	if (m->h.qdcount > 0)
		fprintf(out, "\t%s, type = %s, class = %s\n",
			dname_to_text_nodot(m->q.name, name, sizeof(name)),
			rr_type_name(m->q.type, type, sizeof(type)),
			rr_class_name(m->q.qclass, cls, sizeof(cls)));
	detail_section(out, m, SEC_ANSWER);
	detail_section(out, m, SEC_AUTHORITY);
	detail_section(out, m, SEC_ADDITIONAL);
	fputs("------------\n", out);
}

static const char *rcode_text(unsigned rcode, char *buf, size_t size)
{
	if (rcode < NELEM(rcodetext))
		return rcodetext[rcode];
	snprintf(buf, size, "?%u", rcode);
	return buf;
}

void nsl_chase_cname(const struct dns_msg *m, const uint8_t *qname, char *out, size_t size)
{
	uint8_t name[DNAME_MAX];

	dname_copy(name, qname);
	for (unsigned steps = m->nan; steps > 0; steps--) {
		const struct dns_rr *hit = NULL;
		for (size_t i = 0; i < m->nan; i++)
			if (dname_equal(m->rr[i].owner, name)) {
				hit = &m->rr[i];
				break;
			}
		/* The first record of that name decides, as dns_message_findname
		 * finds the first name and looks for a CNAME only there. */
		if (hit == NULL || hit->type != DNS_T_CNAME ||
		    rdata_check(DNS_T_CNAME, hit->rdata, hit->rdlen) < 0)
			break;
		dname_copy(name, hit->rdata);
	}
	dname_to_text_nodot(name, out, size);
}

void nsl_print_message(FILE *out, const struct nsl_view *v, const struct dns_msg *m,
		       struct nsl_result *r)
{
	int is_a = v->qtype == DNS_T_A;
	int aa = (m->h.flags & DNS_F_AA) != 0;
	unsigned rcode = dns_msg_rcode(m);
	char buf[DNAME_TEXT_MAX];

	memset(r, 0, sizeof(*r));
	r->a_noanswer = v->a_noanswer;
	if (!v->default_lookups || is_a)
		fprintf(out, "Server:\t\t%s\nAddress:\t%s\n\n", v->server_name, v->server_addr);
	if (v->debug)
		detail(out, m);
	if (rcode != DNS_R_NOERROR) {
		char rbuf[16];
		fprintf(out, "** server can't find %s: %s\n",
			dname_to_text_nodot(v->qname, buf, sizeof(buf)),
			rcode_text(rcode, rbuf, sizeof(rbuf)));
		r->rcode_error = 1;
		return;
	}
	if (v->default_lookups && is_a) {
		r->want_aaaa = 1;
		nsl_chase_cname(m, v->qname, r->aaaa_name, sizeof(r->aaaa_name));
	}
	if (!aa && (!v->default_lookups || is_a))
		fputs("Non-authoritative answer:\n", out);
	if (m->nan > 0) {
		print_section(out, m, SEC_ANSWER);
	} else if (v->default_lookups && is_a) {
		r->a_noanswer = 1;
	} else if (!v->default_lookups || (v->qtype == DNS_T_AAAA && v->a_noanswer)) {
		fprintf(out, "*** Can't find %s: No answer\n", v->textname);
	}
	if (!aa && !is_a && v->qtype != DNS_T_AAAA) {
		fputs("\nAuthoritative answers can be found from:\n", out);
		print_section(out, m, SEC_AUTHORITY);
		print_section(out, m, SEC_ADDITIONAL);
	}
}
