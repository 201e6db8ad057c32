/* libFuzzer: the DNS message parser (dns_msg_parse), then every record
 * written back (dns_put_rr, with compression) and shown as text. Nothing
 * a packet holds may crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dns/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_MSG_MAX];
	struct dns_msg *m, *again;
	struct dname_ctab ct = {0};
	struct wbuf w;
	char text[DNAME_TEXT_MAX * 4];
	unsigned total;

	if (dns_msg_parse(data, size, &m) != DNS_PARSE_OK)
		return 0;
	total = (unsigned)m->nan + m->nns + m->nar;
	wbuf_init(&w, out, sizeof(out));
	w.len = DNS_HEADER_LEN;
	if (m->h.qdcount)
		dns_put_question(&w, &ct, m->q.name, m->q.type, m->q.qclass);
	for (unsigned i = 0; i < total; i++) {
		const struct dns_rr *rr = &m->rr[i];
		rdata_to_text(rr->type, rr->rdata, rr->rdlen, text, sizeof(text));
		dname_to_text(rr->owner, text, sizeof(text));
		dns_put_rr(&w, &ct, rr->owner, rr->type, rr->rclass, rr->ttl, rr->rdata, rr->rdlen);
	}
	if (!w.overflow) {
		struct dns_header h = m->h;
		h.qdcount = m->h.qdcount ? 1 : 0;
		h.arcount = m->nar;
		dns_header_put(out, &h);
		/* What we write, we must read back. */
		if (dns_msg_parse(out, w.len, &again) != DNS_PARSE_OK)
			abort();
		dns_msg_free(again);
	}
	dns_msg_free(m);
	return 0;
}
