/* nslookup_legacy: the classic nslookup format (-legacy), as the BIND 4
 * and 8 nslookup printed it and old manuals show it: "Server:  x" headers,
 * "name<TAB>preference = 0, mail exchanger = mx" records, and the
 * authority and additional sections printed with the answer, so that one
 * MX query shows where mail goes and at which addresses. docs/NSLOOKUP.md
 * defines it. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/nslookup.h"
#include "dns/rdata.h"

/* Names as the old tools wrote them: no final dot, the root "(root)". */
static const char *name_text(const uint8_t *name, char *buf, size_t size)
{
	if (dname_is_root(name)) {
		snprintf(buf, size, "(root)");
		return buf;
	}
	return dname_to_text_nodot(name, buf, size);
}

const char *nsl_legacy_time(uint32_t value, char *buf, size_t size)
{
	static const char *const unit[] = {"day", "hour", "min", "sec"};
	uint32_t part[4];
	size_t len = 0;

	part[3] = value % 60;
	value /= 60;
	part[2] = value % 60;
	value /= 60;
	part[1] = value % 24;
	part[0] = value / 24;
	buf[0] = '\0';
	for (int i = 0; i < 4; i++) {
		/* Seconds are shown when non-zero, or when nothing else is. */
		if (part[i] == 0 && !(i == 3 && len == 0))
			continue;
		int n = snprintf(buf + len, size - len, "%s%u %s%s", len ? " " : "", part[i],
				 unit[i], part[i] == 1 ? "" : "s");
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	return buf;
}

static void print_txt(FILE *out, const uint8_t *p, size_t len)
{
	size_t i = 0;
	fputs("\ttext = ", out);
	while (i < len) {
		size_t n = p[i++];
		fputc('"', out);
		for (; n > 0 && i < len; n--, i++) {
			if (p[i] == '\n' || p[i] == '"' || p[i] == '\\')
				fputc('\\', out);
			fputc(p[i], out);
		}
		fputc('"', out);
		if (i < len)
			fputc(' ', out);
	}
	fputc('\n', out);
}

/* One record, BIND 8's Print_rr without debugging. */
static void print_rr(FILE *out, const struct dns_rr *rr)
{
	char a[DNAME_TEXT_MAX], b[DNAME_TEXT_MAX], t[64];
	const uint8_t *d = rr->rdata;

	fputs(name_text(rr->owner, a, sizeof(a)), out);
	if (rr->type != DNS_T_TXT && rdata_check(rr->type, d, rr->rdlen) < 0) {
		fprintf(out, "\t(%u octets of malformed data)\n", rr->rdlen);
		return;
	}
	switch (rr->type) {
	case DNS_T_A:
		inet_ntop(AF_INET, d, t, sizeof(t));
		fprintf(out, "\tinternet address = %s\n", t);
		break;
	case DNS_T_AAAA:
		inet_ntop(AF_INET6, d, t, sizeof(t));
		fprintf(out, "\tIPv6 address = %s\n", t);
		break;
	case DNS_T_NS: fprintf(out, "\tnameserver = %s\n", name_text(d, b, sizeof(b))); break;
	case DNS_T_CNAME:
		fprintf(out, "\tcanonical name = %s\n", name_text(d, b, sizeof(b)));
		break;
	case DNS_T_PTR: fprintf(out, "\tname = %s\n", name_text(d, b, sizeof(b))); break;
	case DNS_T_DNAME: fprintf(out, "\tdname = %s\n", name_text(d, b, sizeof(b))); break;
	case DNS_T_MX:
		fprintf(out, "\tpreference = %u, mail exchanger = %s\n", buf_get_u16(d),
			name_text(d + 2, b, sizeof(b)));
		break;
	case DNS_T_SRV:
		fprintf(out, "\tpriority = %u, weight = %u, port = %u, host = %s\n", buf_get_u16(d),
			buf_get_u16(d + 2), buf_get_u16(d + 4), name_text(d + 6, b, sizeof(b)));
		break;
	case DNS_T_TXT:
	case DNS_T_SPF: print_txt(out, d, rr->rdlen); break;
	case DNS_T_SOA: {
		size_t l1 = dname_len(d), l2 = dname_len(d + l1);
		const uint8_t *n = d + l1 + l2;
		char p[64];
		fprintf(out, "\n\torigin = %s\n", name_text(d, a, sizeof(a)));
		fprintf(out, "\tmail addr = %s\n", name_text(d + l1, b, sizeof(b)));
		fprintf(out, "\tserial = %u\n", buf_get_u32(n));
		fprintf(out, "\trefresh = %u (%s)\n", buf_get_u32(n + 4),
			nsl_legacy_time(buf_get_u32(n + 4), p, sizeof(p)));
		fprintf(out, "\tretry   = %u (%s)\n", buf_get_u32(n + 8),
			nsl_legacy_time(buf_get_u32(n + 8), p, sizeof(p)));
		fprintf(out, "\texpire  = %u (%s)\n", buf_get_u32(n + 12),
			nsl_legacy_time(buf_get_u32(n + 12), p, sizeof(p)));
		fprintf(out, "\tminimum ttl = %u (%s)\n", buf_get_u32(n + 16),
			nsl_legacy_time(buf_get_u32(n + 16), p, sizeof(p)));
		break;
	}
	default: {
		size_t size = (size_t)rr->rdlen * 4 + 2 * DNAME_TEXT_MAX + 64;
		char *text = malloc(size);
		if (text == NULL || rdata_to_text(rr->type, d, rr->rdlen, text, size) < 0)
			fprintf(out, "\t%s = (%u octets)\n", rr_type_name(rr->type, t, sizeof(t)),
				rr->rdlen);
		else
			fprintf(out, "\t%s = %s\n", rr_type_name(rr->type, t, sizeof(t)), text);
		free(text);
	}
	}
}

void nsl_legacy_error(FILE *out, const char *server, const char *name, unsigned rcode)
{
	static const char *const reason[] = {"No information",	"Format error",
					     "Server failed",	"Non-existent host/domain",
					     "Not implemented", "Query refused"};
	fprintf(out, "*** %s can't find %s: %s\n", server, name,
		rcode < sizeof(reason) / sizeof(reason[0]) ? reason[rcode] : "Unspecified error");
}

static void server_line(FILE *out, const char *title, const struct nsl_settings *s, size_t i)
{
	char addr[80];
	const struct nsl_server *srv = &s->servers[i];

	if (s->port == 53)
		snprintf(addr, sizeof(addr), "%s", srv->addr);
	else
		snprintf(addr, sizeof(addr), "%s#%u", srv->addr, s->port);
	fprintf(out, "%-7s  %s\n", title, srv->name);
	fprintf(out, "Address:  %s\n\n", addr);
}

void nsl_legacy_header(FILE *out, const char *title, const struct nsl_settings *s)
{
	if (s->nservers > 0)
		server_line(out, title, s, 0);
}

void nsl_legacy_print_records(FILE *out, const struct nsl_view *v, const struct dns_msg *m,
			      struct nsl_result *r)
{
	int aa = (m->h.flags & DNS_F_AA) != 0;
	unsigned rcode = dns_msg_rcode(m);
	char name[DNAME_TEXT_MAX];
	size_t extra = (size_t)m->nns + m->nar;

	memset(r, 0, sizeof(*r));
	fprintf(out, "Server:  %s\nAddress:  %s\n\n", v->server_name, v->server_addr);
	dname_to_text_nodot(v->qname, name, sizeof(name));
	if (rcode != DNS_R_NOERROR || m->nan == 0) {
		nsl_legacy_error(out, v->server_name, name, rcode);
		r->rcode_error = rcode != DNS_R_NOERROR;
		return;
	}
	if (!aa)
		fputs("Non-authoritative answer:\n", out);
	for (size_t i = 0; i < m->nan; i++)
		print_rr(out, &m->rr[i]);
	if (!aa && extra > 0)
		fputs("\nAuthoritative answers can be found from:\n", out);
	for (size_t i = m->nan; i < m->nan + extra; i++)
		print_rr(out, &m->rr[i]);
	fputc('\n', out);
}

/* Address and alias lists as PrintHostInfo wrapped them. */
struct host {
	char name[DNAME_TEXT_MAX];
	int naddr, nalias;
	char addr[64][INET6_ADDRSTRLEN];
	char alias[16][DNAME_TEXT_MAX];
};

static void collect(struct host *h, const struct dns_msg *m)
{
	for (size_t i = 0; m && i < m->nan; i++) {
		const struct dns_rr *rr = &m->rr[i];
		if (rr->type == DNS_T_CNAME) {
			if (h->nalias < 16)
				name_text(rr->owner, h->alias[h->nalias++], DNAME_TEXT_MAX);
		} else if ((rr->type == DNS_T_A && rr->rdlen == 4) ||
			   (rr->type == DNS_T_AAAA && rr->rdlen == 16)) {
			if (h->name[0] == '\0')
				name_text(rr->owner, h->name, sizeof(h->name));
			if (h->naddr < 64)
				inet_ntop(rr->type == DNS_T_A ? AF_INET : AF_INET6, rr->rdata,
					  h->addr[h->naddr++], INET6_ADDRSTRLEN);
		}
	}
}

static void print_host(FILE *out, const char *title, const struct host *h)
{
	char comma = ' ';
	int col;

	fprintf(out, "%-7s  %s", title, h->name);
	if (h->naddr > 0) {
		fputs(h->naddr > 1 ? "\nAddresses:" : "\nAddress:", out);
		col = 0;
		for (int i = 0; i < h->naddr; i++) {
			if (++col > 4) {
				fputs("\n\t", out);
				comma = ' ';
				col = 0;
			}
			fprintf(out, "%c %s", comma, h->addr[i]);
			comma = ',';
		}
	}
	if (h->nalias > 0) {
		fputs("\nAliases:", out);
		comma = ' ';
		col = 10;
		for (int i = 0; i < h->nalias; i++) {
			col += (int)strlen(h->alias[i]) + 2;
			if (col > 75) {
				fputs("\n\t", out);
				comma = ' ';
				col = 10;
			}
			fprintf(out, "%c %s", comma, h->alias[i]);
			comma = ',';
		}
	}
	fputs("\n\n", out);
}

void nsl_legacy_print_host(FILE *out, const struct nsl_view *v, const struct dns_msg *a,
			   const struct dns_msg *aaaa, struct nsl_result *r)
{
	const struct dns_msg *first = a ? a : aaaa;
	struct host *h = calloc(1, sizeof(*h));
	char name[DNAME_TEXT_MAX];

	memset(r, 0, sizeof(*r));
	fprintf(out, "Server:  %s\nAddress:  %s\n\n", v->server_name, v->server_addr);
	dname_to_text_nodot(v->qname, name, sizeof(name));
	if (first == NULL || h == NULL) {
		nsl_legacy_error(out, v->server_name, name, DNS_R_NOERROR);
		free(h);
		return;
	}
	if (dns_msg_rcode(first) != DNS_R_NOERROR) {
		nsl_legacy_error(out, v->server_name, name, dns_msg_rcode(first));
		r->rcode_error = 1;
		free(h);
		return;
	}
	collect(h, a);
	collect(h, aaaa);
	if (h->naddr == 0) {
		nsl_legacy_error(out, v->server_name, name, DNS_R_NOERROR);
	} else {
		if ((first->h.flags & DNS_F_AA) == 0)
			fputs("Non-authoritative answer:\n", out);
		print_host(out, "Name:", h);
	}
	free(h);
}

void nsl_legacy_print_ptr(FILE *out, const struct nsl_view *v, const struct dns_msg *m,
			  struct nsl_result *r)
{
	struct host *h = calloc(1, sizeof(*h));
	char name[DNAME_TEXT_MAX];

	memset(r, 0, sizeof(*r));
	fprintf(out, "Server:  %s\nAddress:  %s\n\n", v->server_name, v->server_addr);
	dname_to_text_nodot(v->qname, name, sizeof(name));
	if (h == NULL || dns_msg_rcode(m) != DNS_R_NOERROR) {
		nsl_legacy_error(out, v->server_name, name, dns_msg_rcode(m));
		r->rcode_error = dns_msg_rcode(m) != DNS_R_NOERROR;
		free(h);
		return;
	}
	for (size_t i = 0; i < m->nan; i++) {
		const struct dns_rr *rr = &m->rr[i];
		if (rr->type == DNS_T_PTR && rdata_check(DNS_T_PTR, rr->rdata, rr->rdlen) == 0) {
			name_text(rr->rdata, h->name, sizeof(h->name));
			break;
		}
	}
	if (h->name[0] == '\0') {
		nsl_legacy_error(out, v->server_name, name, DNS_R_NOERROR);
	} else {
		if ((m->h.flags & DNS_F_AA) == 0)
			fputs("Non-authoritative answer:\n", out);
		h->naddr = 1;
		snprintf(h->addr[0], sizeof(h->addr[0]), "%s", v->addr_text);
		print_host(out, "Name:", h);
	}
	free(h);
}
