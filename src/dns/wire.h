/*
 * wire: DNS messages (RFC 1035 section 4) — the header, questions,
 * records, EDNS0 (RFC 6891) — read from and written to byte buffers.
 * Shared by the authoritative server, the resolver and nslookup.
 *
 * Reading never trusts the packet: every length and count is checked,
 * and a malformed message is an error (the server answers FORMERR).
 */
#ifndef MXHOST_DNS_WIRE_H
#define MXHOST_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "dns/dname.h"
#include "dns/rdata.h"

#define DNS_HEADER_LEN 12
#define DNS_UDP_MAX    512   /* without EDNS0 */
#define DNS_MSG_MAX    65535 /* TCP */

/* Header flag bits (the second 16-bit word). */
#define DNS_F_QR	  0x8000
#define DNS_F_OPCODE_MASK 0x7800
#define DNS_F_AA	  0x0400
#define DNS_F_TC	  0x0200
#define DNS_F_RD	  0x0100
#define DNS_F_RA	  0x0080
#define DNS_F_Z		  0x0040
#define DNS_F_AD	  0x0020
#define DNS_F_CD	  0x0010
#define DNS_F_RCODE_MASK  0x000f

#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)

enum dns_opcode {
	DNS_OP_QUERY = 0,
	DNS_OP_IQUERY = 1,
	DNS_OP_STATUS = 2,
	DNS_OP_NOTIFY = 4,
	DNS_OP_UPDATE = 5
};

enum dns_rcode {
	DNS_R_NOERROR = 0,
	DNS_R_FORMERR = 1,
	DNS_R_SERVFAIL = 2,
	DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4,
	DNS_R_REFUSED = 5,
	DNS_R_NOTAUTH = 9,
	DNS_R_BADVERS = 16, /* extended, through EDNS0 */
};

/* EDNS0 flag in the OPT record's TTL field. */
#define DNS_EDNS_DO 0x8000

struct dns_header {
	uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

struct dns_question {
	uint8_t name[DNAME_MAX];
	uint16_t type, qclass;
};

struct dns_edns {
	int present;
	uint16_t udp_size; /* the requester's payload size (class field) */
	uint8_t ext_rcode; /* upper 8 bits of the 12-bit rcode */
	uint8_t version;
	uint16_t flags;	 /* DO */
	uint16_t optlen; /* bytes of options, which mxhost ignores */
};

/* "NOERROR", "NXDOMAIN", ... or "RCODE23". */
const char *dns_rcode_name(unsigned rcode, char *buf, size_t size);

/* Reads the 12-byte header; -1 if the packet is shorter. */
int dns_header_read(const uint8_t *pkt, size_t len, struct dns_header *h);
/* Writes the header over the first 12 bytes of pkt. */
void dns_header_put(uint8_t *pkt, const struct dns_header *h);

/* Reads a question at *pos (advanced). -1 if malformed. */
int dns_question_read(const uint8_t *pkt, size_t len, size_t *pos, struct dns_question *q);

/* A record: owner and rdata uncompressed, pointing into caller storage. */
struct dns_rr {
	const uint8_t *owner;
	uint16_t type, rclass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
};

/*
 * A whole message, parsed and checked: every record's names resolved.
 * rr holds the answer, authority and additional records in that order
 * (OPT excluded; its content is in edns). One allocation: free with
 * dns_msg_free.
 */
struct dns_msg {
	struct dns_header h;
	struct dns_question q; /* valid when h.qdcount == 1 */
	uint16_t nan, nns, nar;
	struct dns_rr *rr;
	struct dns_edns edns;
};

enum dns_parse_err {
	DNS_PARSE_OK = 0,
	DNS_PARSE_SHORT = -1,	  /* shorter than a header */
	DNS_PARSE_MALFORMED = -2, /* a count that lies, a bad name, bad rdata, ... */
	DNS_PARSE_NOMEM = -3,
};

/* Parses pkt; on success *out is set. Questions beyond the first are
 * checked and skipped. More than one OPT, or an OPT not owned by the root
 * or outside the additional section, is malformed (RFC 6891 6.1.1). */
int dns_msg_parse(const uint8_t *pkt, size_t len, struct dns_msg **out);
void dns_msg_free(struct dns_msg *m);

/* The whole rcode: the header's four bits and, with EDNS0, the OPT
 * record's eight above them (RFC 6891 section 6.1.3). */
unsigned dns_msg_rcode(const struct dns_msg *m);

/*
 * Writing. The message is a wbuf whose data starts at the header; ct
 * carries the compression offsets. A mark lets a caller undo a record
 * that did not fit (then set TC, or stop adding optional records).
 */
struct dns_mark {
	size_t len;
	int nct;
};

static inline struct dns_mark dns_mark(const struct wbuf *w, const struct dname_ctab *ct)
{
	struct dns_mark m = {w->len, ct ? ct->n : 0};
	return m;
}

static inline void dns_rewind(struct wbuf *w, struct dname_ctab *ct, struct dns_mark m)
{
	w->len = m.len;
	w->overflow = 0;
	if (ct)
		ct->n = m.nct;
}

int dns_put_question(struct wbuf *w, struct dname_ctab *ct, const uint8_t *name, uint16_t type,
		     uint16_t qclass);

/* Writes one record; data in uncompressed form (rdata_pack compresses). */
int dns_put_rr(struct wbuf *w, struct dname_ctab *ct, const uint8_t *owner, uint16_t type,
	       uint16_t rclass, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);

/* Writes an OPT record; opts holds its options (code, length, data
 * each), optlen bytes of them, NULL and 0 for none. */
int dns_put_opt(struct wbuf *w, uint16_t udp_size, uint8_t ext_rcode, uint8_t version,
		uint16_t flags, const uint8_t *opts, uint16_t optlen);

/* Builds a query; returns its length or -1. edns_size 0: no OPT record. */
int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, uint16_t flags, const uint8_t *name,
		    uint16_t type, uint16_t qclass, uint16_t edns_size);

#endif
