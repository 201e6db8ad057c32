/* libFuzzer: nslookup's printing of any answer the parser accepts, in
 * every mode (BIND's short and debug forms, -legacy records, host and
 * PTR), and its option and reverse-name parsing of any text. The first
 * byte picks the mode; the rest is the packet (or the text). Nothing may
 * crash, overrun or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/nslookup.h"
#include "dns/rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t types[] = {DNS_T_A,   DNS_T_AAAA, DNS_T_MX,  DNS_T_NS,
				 DNS_T_SOA, DNS_T_TXT,	DNS_T_PTR, DNS_T_CNAME};

static void options(const uint8_t *data, size_t size, FILE *out)
{
	struct nsl_settings s;
	char *text = malloc(size + 1);
	char rev[DNAME_TEXT_MAX];

	if (text == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	nsl_settings_init(&s);
	nsl_set_option(&s, text, out);
	nsl_show_settings(&s, 0, out);
	nsl_reverse_name(text, rev, sizeof(rev));
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_msg *m;
	struct nsl_result r;
	uint8_t qname[DNAME_MAX];
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	if (size < 1)
		return 0;
	out = open_memstream(&buf, &len);
	if (out == NULL)
		return 0;
	if (data[0] & 0x80) {
		options(data + 1, size - 1, out);
	} else if (dns_msg_parse(data + 1, size - 1, &m) == DNS_PARSE_OK) {
		struct nsl_view v = {"server",
				     "127.0.0.1#53",
				     "name",
				     qname,
				     types[data[0] & 7],
				     (data[0] >> 3) & 1,
				     (data[0] >> 4) & 1,
				     (data[0] >> 5) & 1,
				     "192.0.2.1"};
		if (m->h.qdcount)
			dname_copy(qname, m->q.name);
		else
			qname[0] = 0;
		nsl_print_message(out, &v, m, &r);
		nsl_legacy_print_records(out, &v, m, &r);
		nsl_legacy_print_host(out, &v, m, (data[0] & 0x40) ? m : NULL, &r);
		nsl_legacy_print_ptr(out, &v, m, &r);
		dns_msg_free(m);
	}
	fclose(out);
	free(buf);
	return 0;
}
