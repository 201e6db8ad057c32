/* rdata: see rdata.h. One table row per type. */
#include "dns/rdata.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/strutil.h"

#define F(...)                                                                                     \
	{                                                                                          \
		__VA_ARGS__, RDF_END                                                               \
	}

static const struct rr_type_info types[] = {
    {DNS_T_A, "A", F(RDF_A), 1},
    {DNS_T_NS, "NS", F(RDF_CNAME), 1},
    {DNS_T_CNAME, "CNAME", F(RDF_CNAME), 1},
    {DNS_T_SOA, "SOA", F(RDF_CNAME, RDF_CNAME, RDF_U32, RDF_U32, RDF_U32, RDF_U32, RDF_U32), 1},
    {DNS_T_PTR, "PTR", F(RDF_CNAME), 1},
    {DNS_T_HINFO, "HINFO", F(RDF_STR, RDF_STR), 1},
    {DNS_T_MX, "MX", F(RDF_U16, RDF_CNAME), 1},
    {DNS_T_TXT, "TXT", F(RDF_STRS), 1},
    {DNS_T_RP, "RP", F(RDF_NAME, RDF_NAME), 1},
    {DNS_T_AAAA, "AAAA", F(RDF_AAAA), 1},
    {DNS_T_SRV, "SRV", F(RDF_U16, RDF_U16, RDF_U16, RDF_NAME), 1},
    {DNS_T_NAPTR, "NAPTR", F(RDF_U16, RDF_U16, RDF_STR, RDF_STR, RDF_STR, RDF_NAME), 1},
    {DNS_T_DNAME, "DNAME", F(RDF_NAME), 1},
    {DNS_T_SPF, "SPF", F(RDF_STRS), 1},
    {DNS_T_CAA, "CAA", F(RDF_U8, RDF_TAG, RDF_BLOB), 1},
    /* Named, data kept opaque. */
    {10, "NULL", {0}, 0},
    {11, "WKS", {0}, 0},
    {14, "MINFO", {0}, 0},
    {18, "AFSDB", {0}, 0},
    {29, "LOC", {0}, 0},
    {37, "CERT", {0}, 0},
    {DNS_T_OPT, "OPT", {0}, 0},
    {42, "APL", {0}, 0},
    {DNS_T_DS, "DS", {0}, 0},
    {44, "SSHFP", {0}, 0},
    {45, "IPSECKEY", {0}, 0},
    {DNS_T_RRSIG, "RRSIG", {0}, 0},
    {DNS_T_NSEC, "NSEC", {0}, 0},
    {DNS_T_DNSKEY, "DNSKEY", {0}, 0},
    {49, "DHCID", {0}, 0},
    {50, "NSEC3", {0}, 0},
    {51, "NSEC3PARAM", {0}, 0},
    {52, "TLSA", {0}, 0},
    {59, "CDS", {0}, 0},
    {60, "CDNSKEY", {0}, 0},
    {61, "OPENPGPKEY", {0}, 0},
    {64, "SVCB", {0}, 0},
    {65, "HTTPS", {0}, 0},
    {249, "TKEY", {0}, 0},
    {250, "TSIG", {0}, 0},
    {DNS_T_IXFR, "IXFR", {0}, 0},
    {DNS_T_AXFR, "AXFR", {0}, 0},
    {253, "MAILB", {0}, 0},
    {254, "MAILA", {0}, 0},
    {DNS_T_ANY, "ANY", {0}, 0},
    {256, "URI", {0}, 0},
};

static const struct {
	uint16_t rclass;
	const char *name;
} classes[] = {
    {DNS_C_IN, "IN"}, {DNS_C_CH, "CH"}, {DNS_C_HS, "HS"}, {DNS_C_NONE, "NONE"}, {DNS_C_ANY, "ANY"},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const struct rr_type_info *rr_type_info(uint16_t type)
{
	for (size_t i = 0; i < NELEM(types); i++)
		if (types[i].type == type)
			return &types[i];
	return NULL;
}

const char *rr_type_name(uint16_t type, char *buf, size_t size)
{
	const struct rr_type_info *t = rr_type_info(type);
	if (t)
		str_copy(buf, t->name, size);
	else
		snprintf(buf, size, "TYPE%u", type);
	return buf;
}

const char *rr_class_name(uint16_t rclass, char *buf, size_t size)
{
	for (size_t i = 0; i < NELEM(classes); i++)
		if (classes[i].rclass == rclass) {
			str_copy(buf, classes[i].name, size);
			return buf;
		}
	snprintf(buf, size, "CLASS%u", rclass);
	return buf;
}

/* "TYPE123" / "CLASS7" forms (RFC 3597). */
static int generic_number(const char *s, const char *prefix, uint16_t *out)
{
	size_t n = strlen(prefix);
	unsigned long v;
	if (strncasecmp(s, prefix, n) != 0 || parse_uint(s + n, 0, 65535, &v) < 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int rr_type_from_name(const char *s, uint16_t *type)
{
	for (size_t i = 0; i < NELEM(types); i++)
		if (strcasecmp(types[i].name, s) == 0) {
			*type = types[i].type;
			return 0;
		}
	return generic_number(s, "TYPE", type);
}

int rr_class_from_name(const char *s, uint16_t *rclass)
{
	for (size_t i = 0; i < NELEM(classes); i++)
		if (strcasecmp(classes[i].name, s) == 0) {
			*rclass = classes[i].rclass;
			return 0;
		}
	return generic_number(s, "CLASS", rclass);
}

static const uint8_t *fields_of(uint16_t type)
{
	const struct rr_type_info *t = rr_type_info(type);
	return t && t->known ? t->fields : NULL;
}

/* Size of a fixed-size field, 0 for the others. */
static size_t fixed_size(uint8_t f)
{
	switch (f) {
	case RDF_U8: return 1;
	case RDF_U16: return 2;
	case RDF_U32: return 4;
	case RDF_A: return 4;
	case RDF_AAAA: return 16;
	default: return 0;
	}
}

int rdata_name_span(const uint8_t *p, size_t n)
{
	size_t o = 0;
	for (;;) {
		if (o >= n)
			return -1;
		if (p[o] & 0xc0)
			return -1;
		if (p[o] == 0)
			return o + 1 > DNAME_MAX ? -1 : (int)(o + 1);
		o += (size_t)p[o] + 1;
	}
}

/* Walks data field by field; calls back for none, just checks spans.
 * Returns 0 when the fields cover exactly len bytes. */
int rdata_check(uint16_t type, const uint8_t *rdata, size_t len)
{
	const uint8_t *f = fields_of(type);
	size_t o = 0;

	if (f == NULL)
		return 0;
	for (; *f != RDF_END; f++) {
		size_t fs = fixed_size(*f);
		if (fs) {
			if (len - o < fs)
				return -1;
			o += fs;
			continue;
		}
		switch (*f) {
		case RDF_CNAME:
		case RDF_NAME: {
			int n = rdata_name_span(rdata + o, len - o);
			if (n < 0)
				return -1;
			o += (size_t)n;
			break;
		}
		case RDF_STR:
		case RDF_TAG:
			if (o >= len || len - o - 1 < rdata[o])
				return -1;
			o += (size_t)rdata[o] + 1;
			break;
		case RDF_STRS:
			while (o < len) {
				if (len - o - 1 < rdata[o])
					return -1;
				o += (size_t)rdata[o] + 1;
			}
			break;
		case RDF_BLOB: o = len; break;
		}
	}
	return o == len ? 0 : -1;
}

void rdata_canonical(uint16_t type, const uint8_t *rdata, size_t len, uint8_t *out)
{
	const uint8_t *f = fields_of(type);
	size_t o = 0;

	if (len)
		memcpy(out, rdata, len);
	for (; f && *f != RDF_END && o < len; f++) {
		int n;
		switch (*f) {
		case RDF_CNAME:
		case RDF_NAME:
			if ((n = rdata_name_span(out + o, len - o)) < 0)
				return;
			dname_lower(out + o);
			o += (size_t)n;
			break;
		case RDF_STR:
		case RDF_TAG: o += (size_t)out[o] + 1; break;
		case RDF_STRS:
		case RDF_BLOB: return; /* to the end, and no names */
		default: o += fixed_size(*f);
		}
	}
}

int rdata_unpack(uint16_t type, const uint8_t *msg, size_t msglen, size_t pos, uint16_t rdlen,
		 uint8_t *out, size_t outsize)
{
	const uint8_t *f = fields_of(type);
	size_t end = pos + rdlen, o = 0;

	if (end > msglen)
		return -1;
	if (f == NULL) {
		if (rdlen > outsize)
			return -1;
		memcpy(out, msg + pos, rdlen);
		return rdlen;
	}
	for (; *f != RDF_END; f++) {
		size_t fs = fixed_size(*f), n;
		switch (*f) {
		case RDF_CNAME:
		case RDF_NAME: {
			uint8_t name[DNAME_MAX];
			int nl = dname_unpack(msg, end, &pos, name);
			if (nl < 0 || outsize - o < (size_t)nl)
				return -1;
			memcpy(out + o, name, (size_t)nl);
			o += (size_t)nl;
			continue;
		}
		case RDF_STR:
		case RDF_TAG:
			if (pos >= end)
				return -1;
			n = (size_t)msg[pos] + 1;
			break;
		case RDF_STRS:
		case RDF_BLOB:
			n = end - pos;
			if (*f == RDF_STRS && rdata_check(DNS_T_TXT, msg + pos, n) < 0)
				return -1;
			break;
		default: n = fs;
		}
		if (end - pos < n || outsize - o < n)
			return -1;
		memcpy(out + o, msg + pos, n);
		o += n;
		pos += n;
	}
	return pos == end ? (int)o : -1;
}

int rdata_pack(struct wbuf *w, uint16_t type, const uint8_t *rdata, uint16_t rdlen,
	       struct dname_ctab *ct)
{
	const uint8_t *f = fields_of(type);
	size_t o = 0;

	if (f == NULL)
		return wbuf_bytes(w, rdata, rdlen);
	for (; *f != RDF_END && o < rdlen; f++) {
		size_t fs = fixed_size(*f), n;
		switch (*f) {
		case RDF_CNAME:
		case RDF_NAME:
			if (dname_pack(w, rdata + o, *f == RDF_CNAME ? ct : NULL) < 0)
				return -1;
			o += dname_len(rdata + o);
			continue;
		case RDF_STR:
		case RDF_TAG: n = (size_t)rdata[o] + 1; break;
		case RDF_STRS:
		case RDF_BLOB: n = rdlen - o; break;
		default: n = fs;
		}
		if (wbuf_bytes(w, rdata + o, n) < 0)
			return -1;
		o += n;
	}
	return w->overflow ? -1 : 0;
}

int rdata_target_offset(uint16_t type)
{
	switch (type) {
	case DNS_T_NS:
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_DNAME: return 0;
	case DNS_T_MX: return 2;
	case DNS_T_SRV: return 6;
	default: return -1;
	}
}

/* Text output with a running length; fails once when out of room. */
struct out {
	char *buf;
	size_t size, len;
	int full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len)
		o->full = 1;
	else
		o->len += (size_t)n;
}

static void put_string(struct out *o, const uint8_t *s, size_t len, int quote)
{
	if (quote)
		put(o, "\"");
	for (size_t i = 0; i < len; i++) {
		uint8_t c = s[i];
		if (c < 0x20 || c >= 0x7f)
			put(o, "\\%03u", c);
		else if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else
			put(o, "%c", c);
	}
	if (quote)
		put(o, "\"");
}

int rdata_string_to_text(const uint8_t *s, size_t len, char *buf, size_t size)
{
	struct out o = {buf, size, 0, 0};
	if (size)
		buf[0] = '\0';
	put_string(&o, s, len, 1);
	return o.full ? -1 : (int)o.len;
}

static void put_generic(struct out *o, const uint8_t *rdata, uint16_t rdlen)
{
	put(o, "\\# %u", rdlen);
	if (rdlen)
		put(o, " ");
	for (uint16_t i = 0; i < rdlen; i++)
		put(o, "%02X", rdata[i]);
}

int rdata_to_text(uint16_t type, const uint8_t *rdata, uint16_t rdlen, char *buf, size_t size)
{
	const uint8_t *f = fields_of(type);
	struct out o = {buf, size, 0, 0};
	size_t p = 0;

	if (size)
		buf[0] = '\0';
	if (f == NULL || rdata_check(type, rdata, rdlen) < 0) {
		put_generic(&o, rdata, rdlen);
		return o.full ? -1 : (int)o.len;
	}
	for (; *f != RDF_END; f++) {
		char tmp[DNAME_TEXT_MAX];
		if (o.len)
			put(&o, " ");
		switch (*f) {
		case RDF_CNAME:
		case RDF_NAME:
			dname_to_text(rdata + p, tmp, sizeof(tmp));
			put(&o, "%s", tmp);
			p += dname_len(rdata + p);
			break;
		case RDF_U8:
			put(&o, "%u", rdata[p]);
			p += 1;
			break;
		case RDF_U16:
			put(&o, "%u", (unsigned)buf_get_u16(rdata + p));
			p += 2;
			break;
		case RDF_U32:
			put(&o, "%lu", (unsigned long)buf_get_u32(rdata + p));
			p += 4;
			break;
		case RDF_A:
			inet_ntop(AF_INET, rdata + p, tmp, sizeof(tmp));
			put(&o, "%s", tmp);
			p += 4;
			break;
		case RDF_AAAA:
			inet_ntop(AF_INET6, rdata + p, tmp, sizeof(tmp));
			put(&o, "%s", tmp);
			p += 16;
			break;
		case RDF_STR:
			put_string(&o, rdata + p + 1, rdata[p], 1);
			p += (size_t)rdata[p] + 1;
			break;
		case RDF_TAG:
			put_string(&o, rdata + p + 1, rdata[p], 0);
			p += (size_t)rdata[p] + 1;
			break;
		case RDF_STRS:
			for (int first = 1; p < rdlen; first = 0) {
				if (!first)
					put(&o, " ");
				put_string(&o, rdata + p + 1, rdata[p], 1);
				p += (size_t)rdata[p] + 1;
			}
			break;
		case RDF_BLOB:
			put_string(&o, rdata + p, rdlen - p, 1);
			p = rdlen;
			break;
		}
	}
	return o.full ? -1 : (int)o.len;
}
