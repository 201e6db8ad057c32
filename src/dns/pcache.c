/* pcache: see pcache.h. A direct-mapped table: a new answer takes its
 * slot over, so the cache holds the names asked most recently. */
#include "dns/pcache.h"

#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "dns/wire.h"

/* What decides an answer, besides the zones: flags (2), the question's
 * type and class (4), the OPT record's presence, payload size and TTL
 * field (7), the family (1), then the name lower-cased. */
#define KEY_FIXED 14
#define KEY_MAX	  (KEY_FIXED + DNAME_MAX)

struct slot {
	uint32_t hash;
	uint16_t keylen; /* 0: empty */
	uint16_t len;	 /* of the answer */
	uint8_t key[KEY_MAX];
	uint8_t *resp;
};

struct pcache {
	struct slot *slots;
	size_t mask;
	size_t resp_max;
	uint8_t *mem;
};

struct pcache *pcache_new(size_t nslots, size_t resp_max)
{
	struct pcache *pc = calloc(1, sizeof(*pc));
	size_t n = 1;

	while (n < nslots)
		n <<= 1;
	if (pc == NULL)
		return NULL;
	pc->slots = calloc(n, sizeof(*pc->slots));
	pc->mem = malloc(n * resp_max);
	if (pc->slots == NULL || pc->mem == NULL) {
		pcache_free(pc);
		return NULL;
	}
	pc->mask = n - 1;
	pc->resp_max = resp_max;
	for (size_t i = 0; i < n; i++)
		pc->slots[i].resp = pc->mem + i * resp_max;
	return pc;
}

void pcache_free(struct pcache *pc)
{
	if (pc == NULL)
		return;
	free(pc->slots);
	free(pc->mem);
	free(pc);
}

void pcache_clear(struct pcache *pc)
{
	for (size_t i = 0; i <= pc->mask; i++)
		pc->slots[i].keylen = 0;
}

/*
 * The key of a query of the plain form, and the length of its question
 * section; -1 for any other query (those are answered afresh each time).
 */
static int key_of(const uint8_t *q, size_t qlen, int ipv6, uint8_t *key, size_t *keylen,
		  size_t *qsec)
{
	size_t pos = DNS_HEADER_LEN, name_at = pos, nlen;
	uint16_t flags, arcount;

	if (qlen < DNS_HEADER_LEN)
		return -1;
	flags = buf_get_u16(q + 2);
	arcount = buf_get_u16(q + 10);
	if ((flags & (DNS_F_QR | DNS_F_OPCODE_MASK)) != 0 || buf_get_u16(q + 4) != 1 ||
	    buf_get_u16(q + 6) != 0 || buf_get_u16(q + 8) != 0 || arcount > 1)
		return -1;
	/* The name: plain labels only, no compression. */
	while (pos < qlen && q[pos] != 0) {
		if (q[pos] > DNAME_LABEL_MAX)
			return -1;
		pos += (size_t)q[pos] + 1;
	}
	if (pos >= qlen)
		return -1;
	nlen = pos + 1 - name_at;
	if (nlen > DNAME_MAX || qlen - (pos + 1) < 4)
		return -1;
	pos += 1 + 4;
	*qsec = pos - DNS_HEADER_LEN;

	memset(key, 0, KEY_FIXED);
	memcpy(key, q + 2, 2);		 /* flags */
	memcpy(key + 2, q + pos - 4, 4); /* type, class */
	if (arcount == 1) {
		/* root owner, type OPT, class = payload, TTL, no options */
		if (qlen - pos != 11 || q[pos] != 0 || buf_get_u16(q + pos + 1) != DNS_T_OPT ||
		    buf_get_u16(q + pos + 9) != 0)
			return -1;
		key[6] = 1;
		memcpy(key + 7, q + pos + 3, 6); /* payload size, TTL */
		pos += 11;
	}
	if (pos != qlen)
		return -1;
	key[13] = (uint8_t)(ipv6 != 0);
	dname_copy_lower(key + KEY_FIXED, q + name_at);
	*keylen = KEY_FIXED + nlen;
	return 0;
}

static uint32_t hash_key(const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a, then mixed for the mask */
	for (size_t i = 0; i < len; i++) {
		h ^= key[i];
		h *= 16777619u;
	}
	return dname_hash_mix(h);
}

size_t pcache_answer(struct pcache *pc, const uint8_t *q, size_t qlen, int ipv6, uint8_t *out,
		     size_t cap)
{
	uint8_t key[KEY_MAX];
	size_t keylen, qsec;
	uint32_t h;
	struct slot *s;

	if (key_of(q, qlen, ipv6, key, &keylen, &qsec) < 0)
		return 0;
	h = hash_key(key, keylen);
	s = &pc->slots[h & pc->mask];
	if (s->keylen != keylen || s->hash != h || s->len > cap || memcmp(s->key, key, keylen) != 0)
		return 0;
	memcpy(out, s->resp, s->len);
	memcpy(out, q, 2);					/* the ID */
	memcpy(out + DNS_HEADER_LEN, q + DNS_HEADER_LEN, qsec); /* as asked */
	return s->len;
}

void pcache_store(struct pcache *pc, const uint8_t *q, size_t qlen, int ipv6, const uint8_t *resp,
		  size_t rlen)
{
	uint8_t key[KEY_MAX];
	size_t keylen, qsec;
	uint32_t h;
	struct slot *s;

	if (rlen > pc->resp_max || key_of(q, qlen, ipv6, key, &keylen, &qsec) < 0)
		return;
	/* Only an answer that echoes the question where the query has it:
	 * then what follows points into it by offset, whatever its case. */
	if (rlen < DNS_HEADER_LEN + qsec || buf_get_u16(resp + 4) != 1 ||
	    memcmp(resp + DNS_HEADER_LEN, q + DNS_HEADER_LEN, qsec) != 0)
		return;
	h = hash_key(key, keylen);
	s = &pc->slots[h & pc->mask];
	s->hash = h;
	s->keylen = (uint16_t)keylen;
	s->len = (uint16_t)rlen;
	memcpy(s->key, key, keylen);
	memcpy(s->resp, resp, rlen);
}
