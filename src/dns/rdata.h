/*
 * rdata: what the record types look like — names and numbers of types
 * and classes, the fields of each type's data, and the conversions of
 * record data between message form (compressed names) and the
 * uncompressed form mxhost keeps, plus the presentation form dig prints.
 *
 * Types without a descriptor are opaque (RFC 3597): their data is copied
 * as is and never holds a compressed name.
 */
#ifndef MXHOST_DNS_RDATA_H
#define MXHOST_DNS_RDATA_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "dns/dname.h"

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_HINFO = 13,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_RP = 17,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_NAPTR = 35,
	DNS_T_DNAME = 39,
	DNS_T_OPT = 41,
	DNS_T_DS = 43,
	DNS_T_RRSIG = 46,
	DNS_T_NSEC = 47,
	DNS_T_DNSKEY = 48,
	DNS_T_NSEC3 = 50,
	DNS_T_SPF = 99,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_ANY = 255,
	DNS_T_CAA = 257,
};

enum dns_class { DNS_C_IN = 1, DNS_C_CH = 3, DNS_C_HS = 4, DNS_C_NONE = 254, DNS_C_ANY = 255 };

/* Field kinds of a type's data, in order. */
enum rdf {
	RDF_END = 0,
	RDF_CNAME, /* a domain name that may be compressed (RFC 1035 types) */
	RDF_NAME,  /* a domain name, never compressed when written */
	RDF_U8,
	RDF_U16,
	RDF_U32,
	RDF_A,	  /* 4 octets */
	RDF_AAAA, /* 16 octets */
	RDF_STR,  /* one <character-string> */
	RDF_STRS, /* one or more <character-string>s to the end */
	RDF_TAG,  /* CAA tag: a character-string written without quotes */
	RDF_BLOB, /* the rest, shown quoted (CAA value) */
};

struct rr_type_info {
	uint16_t type;
	const char *name;
	uint8_t fields[8]; /* enum rdf, ended by RDF_END; empty: opaque */
	int known;	   /* the fields describe the data (not just a name) */
};

/* The descriptor of a type; NULL when mxhost knows neither name nor form. */
const struct rr_type_info *rr_type_info(uint16_t type);

/* "MX", or "TYPE65280" for a type without a name. */
const char *rr_type_name(uint16_t type, char *buf, size_t size);
/* "IN", "CH", or "CLASS7". */
const char *rr_class_name(uint16_t rclass, char *buf, size_t size);

/* Case-insensitive "mx", "TYPE65280", "in", "CLASS7". -1 if unknown. */
int rr_type_from_name(const char *s, uint16_t *type);
int rr_class_from_name(const char *s, uint16_t *rclass);

/* Checks that data is well formed for its type (fields in order, names
 * uncompressed and valid, nothing left over). 0 or -1. */
int rdata_check(uint16_t type, const uint8_t *rdata, size_t len);

/* Length of an uncompressed name at p within n bytes, or -1. */
int rdata_name_span(const uint8_t *p, size_t n);

/* Copies len bytes of data into out in canonical form (RFC 4034 section
 * 6.2), the form in which two records are the same record: the names in
 * the types that describe their fields (all of them types whose names
 * RFC 4034 lowers) in lower case. Data malformed for its type is lowered
 * only up to the fault. */
void rdata_canonical(uint16_t type, const uint8_t *rdata, size_t len, uint8_t *out);

/*
 * Reads rdlen bytes of record data at msg[pos], resolving compressed
 * names, into out (uncompressed form). Returns the length written, or -1
 * if the data is malformed for its type or does not fit outsize.
 */
int rdata_unpack(uint16_t type, const uint8_t *msg, size_t msglen, size_t pos, uint16_t rdlen,
		 uint8_t *out, size_t outsize);

/* Writes uncompressed data into a message, compressing the names RFC
 * 3597 allows (RDF_CNAME) against ct. -1 on overflow. */
int rdata_pack(struct wbuf *w, uint16_t type, const uint8_t *rdata, uint16_t rdlen,
	       struct dname_ctab *ct);

/* Presentation form as dig prints it ("10 mx1.example.test.", TXT
 * strings quoted and escaped, unknown types as "\# 4 0A000001").
 * Returns the length or -1 when buf is too small. */
int rdata_to_text(uint16_t type, const uint8_t *rdata, uint16_t rdlen, char *buf, size_t size);

/* One <character-string> in presentation form: quoted, with \" \\ and
 * \DDD escapes. Returns the length or -1 when buf is too small. */
int rdata_string_to_text(const uint8_t *s, size_t len, char *buf, size_t size);

/* Offset of the target name within data of the types whose data names a
 * host (NS, CNAME, PTR, DNAME: 0; MX: 2; SRV: 6); -1 for other types. */
int rdata_target_offset(uint16_t type);

#endif
