/* rdata_parse: see rdata_parse.h. Driven by the field lists of rdata.h. */
#include "dns/rdata_parse.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/strutil.h"
#include "dns/rdata.h"

/* What each field is called, for messages; same order as rdata.c. */
static const struct {
	uint16_t type;
	const char *names[8];
} field_names[] = {
    {DNS_T_A, {"address"}},
    {DNS_T_NS, {"name server"}},
    {DNS_T_CNAME, {"target"}},
    {DNS_T_SOA, {"primary server", "mailbox", "serial", "refresh", "retry", "expire", "minimum"}},
    {DNS_T_PTR, {"target"}},
    {DNS_T_HINFO, {"CPU", "OS"}},
    {DNS_T_MX, {"preference", "exchange"}},
    {DNS_T_TXT, {"text"}},
    {DNS_T_RP, {"mailbox", "TXT name"}},
    {DNS_T_AAAA, {"address"}},
    {DNS_T_SRV, {"priority", "weight", "port", "target"}},
    {DNS_T_NAPTR, {"order", "preference", "flags", "services", "regexp", "replacement"}},
    {DNS_T_DNAME, {"target"}},
    {DNS_T_SPF, {"text"}},
    {DNS_T_CAA, {"flags", "tag", "value"}},
};

static const char *field_name(uint16_t type, int i)
{
	for (size_t k = 0; k < sizeof(field_names) / sizeof(field_names[0]); k++)
		if (field_names[k].type == type && field_names[k].names[i])
			return field_names[k].names[i];
	return "field";
}

/* Error reporting: message plus the index of the word at fault. */
struct perr {
	char *buf;
	size_t size;
	size_t *tok;
};

static int fail(struct perr *e, size_t tok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct perr *e, size_t tok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (e->size)
		vsnprintf(e->buf, e->size, fmt, ap);
	va_end(ap);
	*e->tok = tok;
	return -1;
}

const char *rdata_token_show(const struct rdata_token *t, char *buf, size_t size)
{
	size_t n = t->len < 60 ? t->len : 60;
	if (n >= size)
		n = size - 1;
	memcpy(buf, t->s, n);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20)
			buf[i] = '?';
	if (n < t->len && size > n + 4)
		memcpy(buf + n, "...", 4);
	return buf;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A plain decimal number up to max. */
static int number(const struct rdata_token *t, uint32_t max, uint32_t *v)
{
	uint64_t n = 0;
	size_t i = 0;
	if (t->quoted || t->len == 0)
		return -1;
	while (i + 1 < t->len && t->s[i] == '0')
		i++; /* leading zeros (a serial written 000000000001) */
	if (t->len - i > 10)
		return -1;
	for (; i < t->len; i++) {
		if (!is_digit(t->s[i]))
			return -1;
		n = n * 10 + (uint64_t)(t->s[i] - '0');
	}
	if (n > max)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

/* Copies a word into a C string; -1 if it does not fit or holds NUL. */
static int cstr(const struct rdata_token *t, char *buf, size_t size)
{
	if (t->len >= size || memchr(t->s, '\0', t->len))
		return -1;
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	return 0;
}

int rdata_parse_string(const char *s, size_t len, uint8_t *out, size_t outsize)
{
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		unsigned c = (unsigned char)s[i];
		if (c == '\\') {
			if (i + 1 >= len)
				return -1;
			if (is_digit(s[i + 1])) {
				if (i + 3 >= len || !is_digit(s[i + 2]) || !is_digit(s[i + 3]))
					return -1;
				c = (unsigned)(s[i + 1] - '0') * 100 +
				    (unsigned)(s[i + 2] - '0') * 10 + (unsigned)(s[i + 3] - '0');
				if (c > 255)
					return -1;
				i += 4;
			} else {
				c = (unsigned char)s[i + 1];
				i += 2;
			}
		} else {
			i++;
		}
		if (out) {
			if (o >= outsize)
				return -1;
			out[o] = (uint8_t)c;
		}
		o++;
	}
	return (int)o;
}

const char *rdata_name_problem(const char *text, size_t len, const uint8_t *origin)
{
	size_t label = 0, wire = 1;
	int labels_empty = 0;

	if (len == 0)
		return "empty name";
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\\') {
			if (i + 1 >= len)
				return "backslash at the end of the name";
			if (is_digit(text[i + 1])) {
				if (i + 3 >= len || !is_digit(text[i + 2]) ||
				    !is_digit(text[i + 3]) ||
				    (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 +
					    (text[i + 3] - '0') >
					255)
					return "bad \\DDD escape (three digits, at most 255)";
				i += 3;
			} else {
				i++;
			}
			label++;
		} else if (text[i] == '.') {
			if (label == 0 && !(len == 1))
				labels_empty = 1;
			wire += label + 1;
			label = 0;
			continue;
		} else {
			label++;
		}
		if (label > DNAME_LABEL_MAX)
			return "label longer than 63 characters";
	}
	if (labels_empty)
		return "empty label (two dots in a row, or a leading dot)";
	wire += label ? label + 1 : 0;
	if (text[len - 1] != '.' && origin)
		wire += dname_len(origin) - 1;
	if (wire > DNAME_MAX)
		return "name longer than 255 octets";
	return "bad name";
}

static int put_name(const struct rdata_token *t, size_t ti, const uint8_t *origin, uint8_t *out,
		    size_t *o, size_t outsize, const char *what, struct perr *e)
{
	uint8_t name[DNAME_MAX];
	char sb[80];
	int n;

	if (t->quoted)
		return fail(e, ti, "%s must be a domain name, not a quoted string", what);
	n = dname_from_text(name, t->s, t->len, origin);
	if (n < 0)
		return fail(e, ti, "bad %s '%s': %s", what, rdata_token_show(t, sb, sizeof(sb)),
			    rdata_name_problem(t->s, t->len, origin));
	if (outsize - *o < (size_t)n)
		return fail(e, ti, "record data longer than 65535 octets");
	memcpy(out + *o, name, (size_t)n);
	*o += (size_t)n;
	return 0;
}

static int put_string(const struct rdata_token *t, size_t ti, uint8_t *out, size_t *o,
		      size_t outsize, size_t max, int prefix, const char *what, struct perr *e)
{
	char sb[80];
	int n = rdata_parse_string(t->s, t->len, NULL, 0);

	if (n < 0)
		return fail(e, ti, "bad escape in %s '%s' (\\X or \\DDD with DDD at most 255)",
			    what, rdata_token_show(t, sb, sizeof(sb)));
	if ((size_t)n > max)
		return fail(e, ti, "%s longer than %zu characters: '%s'", what, max,
			    rdata_token_show(t, sb, sizeof(sb)));
	if (outsize - *o < (size_t)n + (prefix ? 1 : 0))
		return fail(e, ti, "record data longer than 65535 octets");
	if (prefix)
		out[(*o)++] = (uint8_t)n;
	rdata_parse_string(t->s, t->len, out + *o, outsize - *o);
	*o += (size_t)n;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Whether the type's data is one or more strings (TXT, SPF). */
static int text_type(uint16_t type)
{
	const struct rr_type_info *info = rr_type_info(type);
	return info && info->known && info->fields[0] == RDF_STRS;
}

static size_t digest_size(uint16_t type, const uint8_t *data);

/*
 * The shape of data for types rdata.c keeps opaque (no field list): the
 * fixed part each must have, so that \# data a client cannot parse is
 * refused, as BIND and NSD refuse it. 0 or -1.
 */
static int opaque_check(uint16_t type, const uint8_t *d, size_t len)
{
	int n;

	switch (type) {
	case DNS_T_DS:
	case 59: /* CDS: key tag, algorithm, digest type, digest */
		return len > 4 && (digest_size(type, d) == 0 || len == 4 + digest_size(type, d))
			   ? 0
			   : -1;
	case DNS_T_DNSKEY:
	case 60: /* CDNSKEY: flags, protocol, algorithm, key */ return len > 4 ? 0 : -1;
	case 44: /* SSHFP: algorithm, type, fingerprint */
		return len > 2 && (digest_size(type, d) == 0 || len == 2 + digest_size(type, d))
			   ? 0
			   : -1;
	case 52:
	case 53: /* TLSA, SMIMEA: usage, selector, matching type, data */ return len > 3 ? 0 : -1;
	case DNS_T_NSEC: /* next name, type bitmaps */ return rdata_name_span(d, len) > 0 ? 0 : -1;
	case DNS_T_RRSIG: /* 18 octets of fields, then the signer's name */
		return len > 18 && (n = rdata_name_span(d + 18, len - 18)) > 0 &&
			       (size_t)n < len - 18
			   ? 0
			   : -1;
	case 51: /* NSEC3PARAM: algorithm, flags, iterations, salt length, salt */
		return len >= 5 && len == 5u + d[4] ? 0 : -1;
	case 64:
	case 65: /* SVCB, HTTPS: priority, target name, parameters */
		return len > 2 && rdata_name_span(d + 2, len - 2) > 0 ? 0 : -1;
	case 256: /* URI: priority, weight, target */ return len > 4 ? 0 : -1;
	default: return 0;
	}
}

/* RFC 3597: \# LENGTH HEX..., the hex split into words at will. */
static int parse_generic(uint16_t type, const struct rdata_token *tok, size_t ntok, uint8_t *out,
			 size_t outsize, struct perr *e)
{
	char tn[16], sb[80];
	uint32_t want;
	size_t o = 0;
	int half = -1;

	rr_type_name(type, tn, sizeof(tn));
	if (ntok < 2)
		return fail(e, ntok, "\\# needs the data's length in octets, then the data in hex");
	if (number(&tok[1], 65535, &want) < 0)
		return fail(e, 1, "bad length '%s' after \\#: expected a number from 0 to 65535",
			    rdata_token_show(&tok[1], sb, sizeof(sb)));
	for (size_t i = 2; i < ntok; i++) {
		if (tok[i].quoted)
			return fail(e, i, "\\# data must be hex digits, not a quoted string");
		for (size_t k = 0; k < tok[i].len; k++) {
			int v = hexval(tok[i].s[k]);
			if (v < 0)
				return fail(e, i, "bad hex digit '%c' in \\# data",
					    (unsigned char)tok[i].s[k] >= 0x20 ? tok[i].s[k] : '?');
			if (half < 0) {
				half = v;
				continue;
			}
			if (o >= want || o >= outsize)
				return fail(e, i, "\\# data longer than the %u octets announced",
					    (unsigned)want);
			out[o++] = (uint8_t)(half << 4 | v);
			half = -1;
		}
	}
	if (half >= 0)
		return fail(e, ntok - 1, "odd number of hex digits in \\# data");
	if (o != want)
		return fail(e, ntok, "\\# data has %zu octets, %u announced", o, (unsigned)want);
	/* rdata_check lets a TXT hold no string; RFC 1035 3.3.14 wants one. */
	if (rdata_check(type, out, o) < 0 || (o == 0 && text_type(type)) ||
	    opaque_check(type, out, o) < 0)
		return fail(e, 0, "\\# data is not valid %s data", tn);
	return (int)o;
}

/* "MX exchange", for messages; cheap, since it runs for every field. */
static void join(char *buf, size_t size, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la + 1 + lb >= size)
		lb = la + 1 < size ? size - la - 2 : 0;
	if (la + 1 >= size)
		la = size - 2, lb = 0;
	memcpy(buf, a, la);
	buf[la] = ' ';
	memcpy(buf + la + 1, b, lb);
	buf[la + 1 + lb] = '\0';
}

/*
 * Types rdata.h keeps opaque (their data holds no name to compress) but
 * that zone files commonly write in their own text form: numbers, then
 * hex or base64 to the end. TLSA matters to a mail host (DANE, RFC 7672).
 */
enum { X_END, X_U8, X_U16, X_HEX, X_B64 };

static const struct {
	uint16_t type;
	uint8_t f[5];
	const char *names[5];
} keyish[] = {
    {DNS_T_DS, {X_U16, X_U8, X_U8, X_HEX}, {"key tag", "algorithm", "digest type", "digest"}},
    {59 /* CDS */, {X_U16, X_U8, X_U8, X_HEX}, {"key tag", "algorithm", "digest type", "digest"}},
    {44 /* SSHFP */, {X_U8, X_U8, X_HEX}, {"algorithm", "type", "fingerprint"}},
    {52 /* TLSA */, {X_U8, X_U8, X_U8, X_HEX}, {"usage", "selector", "matching type", "data"}},
    {53 /* SMIMEA */, {X_U8, X_U8, X_U8, X_HEX}, {"usage", "selector", "matching type", "data"}},
    {DNS_T_DNSKEY, {X_U16, X_U8, X_U8, X_B64}, {"flags", "protocol", "algorithm", "key"}},
    {60 /* CDNSKEY */, {X_U16, X_U8, X_U8, X_B64}, {"flags", "protocol", "algorithm", "key"}},
};

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

static int hexval(char c);

/* Hex or base64 split over words ti.. to the end, appended to out. */
static int put_encoded(int kind, const struct rdata_token *tok, size_t ti, size_t ntok,
		       uint8_t *out, size_t *o, size_t outsize, const char *what, struct perr *e)
{
	unsigned acc = 0, bits = 0, pad = 0;
	size_t start = *o, digits = 0;

	for (size_t i = ti; i < ntok; i++) {
		if (tok[i].quoted)
			return fail(e, i, "%s must not be quoted", what);
		for (size_t k = 0; k < tok[i].len; k++) {
			char c = tok[i].s[k];
			int v = kind == X_HEX ? hexval(c) : b64val(c);
			if (kind == X_B64 && c == '=' && bits >= 2) {
				pad++;
				continue;
			}
			if (v < 0 || pad)
				return fail(e, i, "bad %s: '%c' is not a %s digit", what,
					    (unsigned char)c >= 0x20 ? c : '?',
					    kind == X_HEX ? "hex" : "base64");
			acc = acc << (kind == X_HEX ? 4 : 6) | (unsigned)v;
			bits += kind == X_HEX ? 4 : 6;
			digits++;
			if (bits >= 8) {
				bits -= 8;
				if (*o >= outsize)
					return fail(e, i, "record data longer than 65535 octets");
				out[(*o)++] = (uint8_t)(acc >> bits);
				acc &= (1u << bits) - 1;
			}
		}
	}
	if (*o == start)
		return fail(e, ntok, "record is missing its %s", what);
	if (bits && (kind == X_HEX || acc != 0 || bits == 6))
		return fail(e, ntok - 1, "bad %s: %s", what,
			    kind == X_HEX ? "odd number of hex digits" : "truncated base64");
	/* RFC 4648: base64 comes in groups of four, '=' filling the last,
	 * as BIND and NSD require. */
	if (kind == X_B64 && (digits + pad) % 4 != 0)
		return fail(e, ntok - 1, "bad %s: base64 not padded to a multiple of 4", what);
	return 0;
}

/* The digest length the digest type in data implies (DS: RFC 4509,
 * 6605; SSHFP: RFC 6594), as BIND checks; 0 when not known. */
static size_t digest_size(uint16_t type, const uint8_t *data)
{
	if (type == DNS_T_DS || type == 59)
		switch (data[3]) {
		case 1: return 20;
		case 2: return 32;
		case 4: return 48;
		}
	if (type == 44)
		switch (data[1]) {
		case 1: return 20;
		case 2: return 32;
		}
	return 0;
}

/* DNSSEC algorithm mnemonics (RFC 4034 A.1 and the IANA registry), which
 * DS and DNSKEY records may carry instead of the number (RFC 4034 2.2,
 * 5.3). */
static const struct {
	const char *name;
	uint8_t number;
} algorithms[] = {
    {"RSAMD5", 1},
    {"DH", 2},
    {"DSA", 3},
    {"RSASHA1", 5},
    {"DSA-NSEC3-SHA1", 6},
    {"RSASHA1-NSEC3-SHA1", 7},
    {"RSASHA256", 8},
    {"RSASHA512", 10},
    {"ECC-GOST", 12},
    {"ECDSAP256SHA256", 13},
    {"ECDSAP384SHA384", 14},
    {"ED25519", 15},
    {"ED448", 16},
    {"INDIRECT", 252},
    {"PRIVATEDNS", 253},
    {"PRIVATEOID", 254},
};

static int algorithm_mnemonic(uint16_t type, const char *field, const struct rdata_token *t,
			      uint32_t *v)
{
	if (t->quoted || strcmp(field, "algorithm") != 0 ||
	    (type != DNS_T_DS && type != 59 && type != DNS_T_DNSKEY && type != 60))
		return -1;
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (strlen(algorithms[i].name) == t->len &&
		    strncasecmp(algorithms[i].name, t->s, t->len) == 0) {
			*v = algorithms[i].number;
			return 0;
		}
	return -1;
}

/* Returns the length, -1 on an error, -2 when type has no text form here. */
static int parse_keyish(uint16_t type, const struct rdata_token *tok, size_t ntok, uint8_t *out,
			size_t outsize, struct perr *e)
{
	char tn[16], full[64], sb[80];
	size_t o = 0, ti = 0, k;

	for (k = 0; k < sizeof(keyish) / sizeof(keyish[0]); k++)
		if (keyish[k].type == type)
			break;
	if (k == sizeof(keyish) / sizeof(keyish[0]))
		return -2;
	rr_type_name(type, tn, sizeof(tn));
	for (int fi = 0; fi < 5 && keyish[k].f[fi] != X_END; fi++) {
		uint8_t f = keyish[k].f[fi];
		uint32_t v;
		snprintf(full, sizeof(full), "%s %s", tn, keyish[k].names[fi]);
		if (f == X_HEX || f == X_B64) {
			size_t start = o, want;
			if (put_encoded(f, tok, ti, ntok, out, &o, outsize, full, e) < 0)
				return -1;
			want = digest_size(type, out);
			if (want && o - start != want)
				return fail(e, ti, "%s has %zu octets; digest type %u has %zu",
					    full, o - start, out[start - 1], want);
			return (int)o;
		}
		if (ti >= ntok)
			return fail(e, ntok, "%s record is missing its %s", tn,
				    keyish[k].names[fi]);
		if (number(&tok[ti], f == X_U8 ? 255 : 65535, &v) < 0 &&
		    algorithm_mnemonic(type, keyish[k].names[fi], &tok[ti], &v) < 0)
			return fail(e, ti, "bad %s '%s': expected a number from 0 to %u", full,
				    rdata_token_show(&tok[ti], sb, sizeof(sb)),
				    f == X_U8 ? 255 : 65535);
		if (outsize - o < 2)
			return fail(e, ti, "record data longer than 65535 octets");
		if (f == X_U16)
			out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
		ti++;
	}
	return (int)o;
}

/* SOA timers take TTL units (2h, 1w), as BIND and NSD allow. */
static int soa_timer(uint16_t type, int field)
{
	return type == DNS_T_SOA && field >= 3;
}

int rdata_parse(uint16_t type, const struct rdata_token *tok, size_t ntok, const uint8_t *origin,
		uint8_t *out, size_t outsize, char *err, size_t errsize, size_t *errtok)
{
	const struct rr_type_info *info = rr_type_info(type);
	struct perr e = {err, errsize, errtok};
	size_t o = 0, ti = 0;
	char tn[16], sb[80], tmp[INET6_ADDRSTRLEN + 8];

	if (errsize)
		err[0] = '\0';
	*errtok = 0;
	if (outsize > 65535)
		outsize = 65535;
	rr_type_name(type, tn, sizeof(tn));
	if (ntok > 0 && !tok[0].quoted && tok[0].len == 2 && memcmp(tok[0].s, "\\#", 2) == 0)
		return parse_generic(type, tok, ntok, out, outsize, &e);
	if (info == NULL || !info->known) {
		int r = parse_keyish(type, tok, ntok, out, outsize, &e);
		if (r != -2)
			return r;
		return fail(&e, 0,
			    "%s data can only be written in the generic form \\# LENGTH HEX "
			    "(RFC 3597)",
			    tn);
	}

	for (int fi = 0; info->fields[fi] != 0; fi++) {
		uint8_t f = info->fields[fi];
		const char *what = field_name(type, fi);
		const struct rdata_token *t = ti < ntok ? &tok[ti] : NULL;
		char full[64];
		uint32_t v;

		join(full, sizeof(full), tn, what);
		if (t == NULL)
			return fail(&e, ntok, "%s record is missing its %s", tn, what);
		switch (f) {
		case RDF_CNAME:
		case RDF_NAME:
			if (put_name(t, ti, origin, out, &o, outsize, full, &e) < 0)
				return -1;
			ti++;
			break;
		case RDF_U8:
		case RDF_U16:
		case RDF_U32: {
			uint32_t max = f == RDF_U8 ? 255 : f == RDF_U16 ? 65535 : UINT32_MAX;
			int bad;
			if (soa_timer(type, fi))
				bad = cstr(t, tmp, sizeof(tmp)) < 0 || t->quoted ||
				      parse_duration(tmp, &v) < 0;
			else
				bad = number(t, max, &v) < 0;
			if (bad)
				return fail(&e, ti, "bad %s '%s': expected %s from 0 to %lu", full,
					    rdata_token_show(t, sb, sizeof(sb)),
					    soa_timer(type, fi) ? "a duration (seconds, or 1h30m)"
								: "a number",
					    (unsigned long)max);
			if (outsize - o < 4)
				return fail(&e, ti, "record data longer than 65535 octets");
			if (f == RDF_U32)
				out[o++] = (uint8_t)(v >> 24), out[o++] = (uint8_t)(v >> 16);
			if (f != RDF_U8)
				out[o++] = (uint8_t)(v >> 8);
			out[o++] = (uint8_t)v;
			ti++;
			break;
		}
		case RDF_A:
		case RDF_AAAA: {
			int af = f == RDF_A ? AF_INET : AF_INET6;
			size_t n = f == RDF_A ? 4 : 16;
			if (outsize - o < n)
				return fail(&e, ti, "record data longer than 65535 octets");
			if (t->quoted || cstr(t, tmp, sizeof(tmp)) < 0 ||
			    inet_pton(af, tmp, out + o) != 1)
				return fail(&e, ti, "bad %s address '%s'",
					    f == RDF_A ? "IPv4" : "IPv6",
					    rdata_token_show(t, sb, sizeof(sb)));
			o += n;
			ti++;
			break;
		}
		case RDF_STR:
			if (put_string(t, ti, out, &o, outsize, 255, 1, full, &e) < 0)
				return -1;
			ti++;
			break;
		case RDF_STRS:
			join(full, sizeof(full), tn, "string");
			for (; ti < ntok; ti++)
				if (put_string(&tok[ti], ti, out, &o, outsize, 255, 1, full, &e) <
				    0)
					return -1;
			break;
		case RDF_TAG: {
			size_t start = o;
			if (t->quoted)
				return fail(&e, ti, "%s must not be quoted", full);
			if (put_string(t, ti, out, &o, outsize, 255, 1, full, &e) < 0)
				return -1;
			if (o - start == 1)
				return fail(&e, ti, "%s is empty", full);
			for (size_t k = start + 1; k < o; k++) {
				uint8_t c = out[k];
				if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9')))
					return fail(&e, ti, "bad %s '%s': letters and digits only",
						    full, rdata_token_show(t, sb, sizeof(sb)));
			}
			ti++;
			break;
		}
		case RDF_BLOB:
			if (put_string(t, ti, out, &o, outsize, 65535, 0, full, &e) < 0)
				return -1;
			ti++;
			break;
		}
	}
	if (ti < ntok)
		return fail(&e, ti, "extra text after the %s record's data: '%s'", tn,
			    rdata_token_show(&tok[ti], sb, sizeof(sb)));
	return (int)o;
}
