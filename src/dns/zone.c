/*
 * zone: see zone.h.
 *
 * Layout, chosen for the lookup: every node sits in one array, found
 * through an open-addressing hash table keyed by the lower-cased wire
 * name. The hash is computed label by label from the root down, so that
 * one pass over a query name yields the hash of each of its suffixes:
 * the walk up to the closest encloser then costs one probe per label,
 * with no allocation. Each node knows its parent, the topmost zone cut
 * above it (if any) and its wildcard child "*" (if any), all computed
 * once at load. Names, record data and sets live in a region freed as a
 * whole, since a loaded zone never changes.
 */
#include "dns/zone.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/random.h"
#include "core/region.h"
#include "core/strutil.h"

/* What the lookup reads comes first, the key last, so that a probe
 * that finds a node mostly touches one cache line. */
struct zone_node {
	const struct zone_node *parent, *cut, *wild;
	const struct zone_rrset **sets;
	const uint8_t *name; /* as first written in the file */
	struct bset *b;	     /* the sets while loading */
	uint16_t nsets, bcap;
	uint8_t keylen, labels;
	uint8_t key[]; /* the name in lower case */
};

/* A set while the zone is being built. */
struct bset {
	uint16_t type;
	uint32_t ttl;
	uint32_t count, cap;
	const struct zone_rdata **rd;
};

struct slot {
	uint32_t hash;
	struct zone_node *node; /* NULL: an empty slot */
};

struct zone {
	uint8_t origin[DNAME_MAX];
	uint8_t origin_key[DNAME_MAX];
	uint8_t origin_len, origin_labels;
	uint32_t origin_hash;
	uint32_t seed;		  /* random: names hash differently in every zone */
	struct zone_node **nodes; /* in the region; this array for zone_node_at */
	size_t nnodes, capnodes;
	struct slot *table;
	uint32_t mask;	   /* table size - 1 */
	struct region mem; /* nodes, names, data: freed together */
	const struct zone_node *apex;
	uint32_t serial;
	size_t records;
};

static void *zalloc(struct zone *z, size_t n)
{
	return region_alloc(&z->mem, n);
}

/* ---- names ---- */

/* FNV-1a over one more label. The hashes a zone keeps are unmixed, as a
 * suffix's extends to its children's: the tables mix them (dname_hash_mix) when
 * they index. With a random seed per zone, a zone file cannot be written
 * to make its names collide. */
static inline uint32_t hash_label(uint32_t h, const uint8_t *label)
{
	for (unsigned i = 0; i <= label[0]; i++)
		h = (h ^ label[i]) * 16777619u;
	return h;
}

/* The key of name (lower case) into out, where each of its labels
 * starts, and its length; returns the number of labels. */
static int name_prepare(const uint8_t *name, uint8_t *out, uint8_t off[DNAME_LABELS_MAX + 1],
			size_t *len)
{
	*len = dname_copy_lower(out, name);
	return dname_label_offsets(out, off);
}

/* The hash of a whole key (labels from the root down). */
static uint32_t name_hash(const struct zone *z, const uint8_t *key)
{
	uint8_t off[DNAME_LABELS_MAX + 1];
	int n = dname_label_offsets(key, off);
	uint32_t h = z->seed;
	while (n > 0)
		h = hash_label(h, key + off[--n]);
	return h;
}

/* ---- table ---- */

static struct zone_node *table_find(const struct zone *z, const uint8_t *key, size_t len,
				    uint32_t h)
{
	for (uint32_t i = dname_hash_mix(h) & z->mask;; i = (i + 1) & z->mask) {
		const struct slot *s = &z->table[i];
		if (s->node == NULL)
			return NULL;
		if (s->hash == h && s->node->keylen == len && memcmp(s->node->key, key, len) == 0)
			return s->node;
	}
}

static int table_grow(struct zone *z)
{
	uint32_t size = z->table ? (z->mask + 1) * 2 : 1024;
	struct slot *t = calloc(size, sizeof(*t));
	if (t == NULL)
		return -1;
	for (uint32_t k = 0; z->table && k <= z->mask; k++) {
		uint32_t i;
		if (z->table[k].node == NULL)
			continue;
		for (i = dname_hash_mix(z->table[k].hash) & (size - 1); t[i].node;
		     i = (i + 1) & (size - 1))
			;
		t[i] = z->table[k];
	}
	free(z->table);
	z->table = t;
	z->mask = size - 1;
	return 0;
}

/* Adds a node for name (not yet in the table); NULL when out of memory. */
static struct zone_node *node_add(struct zone *z, const uint8_t *name, const uint8_t *key,
				  size_t len, uint32_t h)
{
	struct zone_node *n;
	uint32_t i;

	if (z->nnodes == z->capnodes) {
		size_t cap = z->capnodes ? z->capnodes * 2 : 256;
		struct zone_node **nn = realloc(z->nodes, cap * sizeof(*nn));
		if (nn == NULL)
			return NULL;
		z->nodes = nn;
		z->capnodes = cap;
	}
	if ((z->nnodes + 1) * 2 > (size_t)z->mask + 1 && table_grow(z) < 0)
		return NULL;
	n = zalloc(z, sizeof(*n) + len * 2);
	if (n == NULL)
		return NULL;
	memset(n, 0, sizeof(*n));
	memcpy(n->key, key, len);
	memcpy(n->key + len, name, len);
	n->name = n->key + len;
	n->keylen = (uint8_t)len;
	n->labels = (uint8_t)dname_labels(key);
	for (i = dname_hash_mix(h) & z->mask; z->table[i].node; i = (i + 1) & z->mask)
		;
	z->table[i].hash = h;
	z->table[i].node = n;
	z->nodes[z->nnodes++] = n;
	return n;
}

/* ---- loading ---- */

/* Duplicate finder: one entry per record, keyed by node, type and the
 * record's canonical data. Load time only. */
struct dupent {
	uint32_t hash;
	uint16_t type;
	const struct zone_node *node; /* NULL: an empty slot */
	const struct zone_rdata *rd;
};

struct load {
	struct zone *z;
	const struct zone_load_opts *opts;
	struct dupent *dup;
	uint32_t dupmask;
	size_t ndup;
	uint8_t *canon; /* two records' data in canonical form */
	int have_soa;
};

static int load_fail(struct zonefile_error *err, const struct zonefile_pos *pos, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));
static int load_fail(struct zonefile_error *err, const struct zonefile_pos *pos, const char *fmt,
		     ...)
{
	va_list ap;
	if (pos) {
		str_copy(err->file, pos->file, sizeof(err->file));
		err->line = pos->line;
	}
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void load_warn(struct load *ld, const struct zonefile_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void load_warn(struct load *ld, const struct zonefile_pos *pos, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ld->opts && ld->opts->warn)
		ld->opts->warn(ld->opts->warn_arg, pos, msg);
	else
		log_warnx("%s:%u: %s", pos->file, pos->line, msg);
}

static int dup_grow(struct load *ld)
{
	uint32_t size = ld->dup ? (ld->dupmask + 1) * 2 : 1024;
	struct dupent *t = calloc(size, sizeof(*t));
	if (t == NULL)
		return -1;
	for (uint32_t k = 0; ld->dup && k <= ld->dupmask; k++) {
		uint32_t i;
		if (ld->dup[k].node == NULL)
			continue;
		for (i = dname_hash_mix(ld->dup[k].hash) & (size - 1); t[i].node;
		     i = (i + 1) & (size - 1))
			;
		t[i] = ld->dup[k];
	}
	free(ld->dup);
	ld->dup = t;
	ld->dupmask = size - 1;
	return 0;
}

/* Whether the record is there already; if not, remembers it. -1: no memory. */
static int dup_check(struct load *ld, const struct zone_node *node, uint16_t type,
		     const struct zone_rdata *rd)
{
	uint8_t *canon = ld->canon, *other = ld->canon + 65535;
	uint32_t h = ld->z->seed ^ (uint32_t)((uintptr_t)node >> 3) ^ ((uint32_t)type << 20), i;

	rdata_canonical(type, rd->data, rd->len, canon);
	for (size_t k = 0; k < rd->len; k++)
		h = (h ^ canon[k]) * 16777619u;
	for (i = dname_hash_mix(h) & ld->dupmask; ld->dup[i].node; i = (i + 1) & ld->dupmask) {
		const struct dupent *d = &ld->dup[i];
		if (d->hash != h || d->node != node || d->type != type || d->rd->len != rd->len)
			continue;
		if (memcmp(d->rd->data, rd->data, rd->len) == 0)
			return 1;
		rdata_canonical(type, d->rd->data, d->rd->len, other);
		if (memcmp(canon, other, rd->len) == 0)
			return 1;
	}
	ld->dup[i].hash = h;
	ld->dup[i].node = node;
	ld->dup[i].type = type;
	ld->dup[i].rd = rd;
	if (++ld->ndup * 2 > (size_t)ld->dupmask + 1 && dup_grow(ld) < 0)
		return -1;
	return 0;
}

/* Types that may share a name with a CNAME (RFC 4035 2.5). */
static int cname_companion(uint16_t type)
{
	return type == DNS_T_RRSIG || type == DNS_T_NSEC;
}

/* The owner and type of a record as text, for a message. */
static void rr_names(const struct dns_rr *rr, char *on, size_t onsize, char *tn, size_t tnsize)
{
	dname_to_text(rr->owner, on, onsize);
	rr_type_name(rr->type, tn, tnsize);
}

static int load_rr(void *arg, const struct dns_rr *rr, const struct zonefile_pos *pos,
		   struct zonefile_error *err)
{
	struct load *ld = arg;
	struct zone *z = ld->z;
	uint8_t key[DNAME_MAX], off[DNAME_LABELS_MAX + 1];
	char on[DNAME_TEXT_MAX], tn[16];
	size_t len;
	uint32_t h;
	struct zone_node *n;
	struct bset *set = NULL;
	struct zone_rdata *rd;
	int labels;

	if (rr->rclass != DNS_C_IN) {
		char cn[16];
		return load_fail(err, pos, "class %s differs from the zone's class IN",
				 rr_class_name(rr->rclass, cn, sizeof(cn)));
	}
	labels = name_prepare(rr->owner, key, off, &len);
	/* Names for messages, made only when one is needed. */
#define NAMES() rr_names(rr, on, sizeof(on), tn, sizeof(tn))
	if (labels < z->origin_labels || len - off[labels - z->origin_labels] != z->origin_len ||
	    memcmp(key + off[labels - z->origin_labels], z->origin_key, z->origin_len) != 0) {
		char zn[DNAME_TEXT_MAX];
		NAMES();
		dname_to_text(z->origin, zn, sizeof(zn));
		return load_fail(err, pos, "%s is outside the zone %s (out-of-zone data)", on, zn);
	}
	if (rr->type == DNS_T_SOA && labels != z->origin_labels)
		return NAMES(),
		       load_fail(err, pos, "SOA record not at the top of the zone (%s)", on);
	if (rr->type == DNS_T_CNAME && labels == z->origin_labels)
		return NAMES(), load_fail(err, pos,
					  "CNAME at the top of the zone (%s): the apex must keep "
					  "its SOA and NS records",
					  on);

	h = name_hash(z, key);
	n = table_find(z, key, len, h);
	if (n == NULL && (n = node_add(z, rr->owner, key, len, h)) == NULL)
		return load_fail(err, pos, "out of memory");
	for (unsigned i = 0; i < n->nsets; i++) {
		uint16_t t = n->b[i].type;
		if (t == rr->type)
			set = &n->b[i];
		else if ((rr->type == DNS_T_CNAME && !cname_companion(t)) ||
			 (t == DNS_T_CNAME && !cname_companion(rr->type)))
			return NAMES(), load_fail(err, pos,
						  "CNAME and other data at %s (a name with a "
						  "CNAME can have no other records)",
						  on);
	}

	rd = zalloc(z, sizeof(*rd) + rr->rdlen);
	if (rd == NULL)
		return load_fail(err, pos, "out of memory");
	rd->len = rr->rdlen;
	memcpy(rd->data, rr->rdata, rr->rdlen);
	switch (dup_check(ld, n, rr->type, rd)) {
	case 1: return 0; /* the same record again: kept once, as BIND and NSD do */
	case -1: return load_fail(err, pos, "out of memory");
	}
	if (set && (rr->type == DNS_T_SOA || rr->type == DNS_T_CNAME))
		return NAMES(),
		       load_fail(err, pos, "more than one %s record at %s (only one is allowed)",
				 tn, on);
	if (set == NULL) {
		if (n->nsets == n->bcap) {
			uint16_t cap = n->bcap ? (uint16_t)(n->bcap * 2) : 2;
			struct bset *b;
			if (n->bcap >= 32768)
				return NAMES(), load_fail(err, pos, "too many types at %s", on);
			b = realloc(n->b, cap * sizeof(*b));
			if (b == NULL)
				return load_fail(err, pos, "out of memory");
			n->b = b;
			n->bcap = cap;
		}
		set = &n->b[n->nsets++];
		memset(set, 0, sizeof(*set));
		set->type = rr->type;
		set->ttl = rr->ttl;
	} else if (set->ttl != rr->ttl) {
		/* One TTL per set: the lowest, as a resolver would take it
		 * (RFC 2181 section 5.2), so that no record is cached longer
		 * than written. NSD serves each record's own, to the same end. */
		uint32_t low = rr->ttl < set->ttl ? rr->ttl : set->ttl;
		NAMES();
		load_warn(
		    ld, pos, "%s %s TTL %lu differs from the set's TTL %lu: using %lu (the lowest)",
		    on, tn, (unsigned long)rr->ttl, (unsigned long)set->ttl, (unsigned long)low);
		set->ttl = low;
	}
	if (set->count == set->cap) {
		uint32_t cap = set->cap ? set->cap * 2 : 1;
		const struct zone_rdata **v;
		if (set->count >= 65535)
			return NAMES(),
			       load_fail(err, pos, "more than 65535 %s records at %s", tn, on);
		v = realloc(set->rd, cap * sizeof(*v));
		if (v == NULL)
			return load_fail(err, pos, "out of memory");
		set->rd = v;
		set->cap = cap;
	}
	set->rd[set->count++] = rd;
	z->records++;
	if (rr->type == DNS_T_SOA) {
		const uint8_t *p = rr->rdata;
		p += dname_len(p);
		p += dname_len(p);
		z->serial = buf_get_u32(p);
		ld->have_soa = 1;
	}
	if (ld->opts && ld->opts->observe)
		return ld->opts->observe(ld->opts->observe_arg, rr, pos, err);
	return 0;
#undef NAMES
}

/* Adds the empty non-terminals and links each node to its parent. */
static int link_parents(struct zone *z)
{
	/* The loop also reaches the nodes it adds, and links them in turn. */
	for (size_t k = 0; k < z->nnodes; k++) {
		struct zone_node *n = z->nodes[k], *p;
		const uint8_t *pk;
		size_t plen;
		uint32_t h;

		if (n->labels == z->origin_labels)
			continue; /* the apex */
		pk = n->key + n->key[0] + 1;
		plen = n->keylen - n->key[0] - 1u;
		h = name_hash(z, pk);
		p = table_find(z, pk, plen, h);
		/* An empty non-terminal's name is its key: the case of a
		 * label nobody wrote alone does not matter. */
		if (p == NULL && (p = node_add(z, pk, pk, plen, h)) == NULL)
			return -1;
		n->parent = p;
	}
	return 0;
}

/* Moves the sets into the region; sets zone cut and wildcard links. */
static int finish_nodes(struct zone *z)
{
	struct zone_node **order;
	size_t count[129] = {0};

	order = malloc(z->nnodes * sizeof(*order) + 1);
	if (order == NULL)
		return -1;
	/* Counting sort by label count: parents come before children. */
	for (size_t k = 0; k < z->nnodes; k++)
		count[z->nodes[k]->labels + 1]++;
	for (int i = 1; i < 129; i++)
		count[i] += count[i - 1];
	for (size_t k = 0; k < z->nnodes; k++)
		order[count[z->nodes[k]->labels]++] = z->nodes[k];

	for (size_t j = 0; j < z->nnodes; j++) {
		struct zone_node *n = order[j];
		int has_ns = 0;
		if (n->nsets) {
			const struct zone_rrset **sets = zalloc(z, n->nsets * sizeof(*sets));
			if (sets == NULL)
				goto fail;
			for (unsigned i = 0; i < n->nsets; i++) {
				struct bset *b = &n->b[i];
				struct zone_rrset *s = zalloc(z, sizeof(*s));
				const struct zone_rdata **rd = zalloc(z, b->count * sizeof(*rd));
				if (s == NULL || rd == NULL)
					goto fail;
				memcpy(rd, b->rd, b->count * sizeof(*rd));
				s->type = b->type;
				s->count = (uint16_t)b->count;
				s->ttl = b->ttl;
				s->rdata = rd;
				sets[i] = s;
				has_ns |= b->type == DNS_T_NS;
				free(b->rd);
				b->rd = NULL; /* free_build may see this node again */
			}
			n->sets = sets;
			free(n->b);
			n->b = NULL;
			n->bcap = 0;
		}
		if (n->parent == NULL) {
			z->apex = n;
		} else {
			n->cut = n->parent->cut ? n->parent->cut : has_ns ? n : NULL;
			if (dname_is_wildcard(n->key))
				((struct zone_node *)n->parent)->wild = n;
		}
	}
	free(order);
	return 0;
fail:
	free(order);
	return -1;
}

/* The DNAME above n, if any: RFC 6672 2.3 allows no data below one (its
 * names are all rewritten), and BIND and NSD refuse such a zone. */
static const struct zone_node *below_dname(const struct zone_node *n)
{
	for (const struct zone_node *p = n->parent; p; p = p->parent)
		for (unsigned i = 0; i < p->nsets; i++)
			if (p->sets[i]->type == DNS_T_DNAME)
				return p;
	return NULL;
}

static void free_build(struct zone *z)
{
	for (size_t k = 0; k < z->nnodes; k++) {
		struct zone_node *n = z->nodes[k];
		for (unsigned i = 0; n->b && i < n->nsets; i++)
			free(n->b[i].rd);
		free(n->b);
		n->b = NULL;
	}
}

static struct zone *zone_new(const uint8_t *origin)
{
	struct zone *z = calloc(1, sizeof(*z));
	uint8_t off[DNAME_LABELS_MAX + 1];
	size_t len;
	if (z == NULL)
		return NULL;
	z->mem.chunk_size = 1 << 20; /* zones are big: few, large chunks */
	dname_copy(z->origin, origin);
	z->origin_labels = (uint8_t)name_prepare(origin, z->origin_key, off, &len);
	z->origin_len = (uint8_t)len;
	random_bytes(&z->seed, sizeof(z->seed));
	z->origin_hash = name_hash(z, z->origin_key);
	if (table_grow(z) < 0) {
		free(z);
		return NULL;
	}
	return z;
}

static struct zone *load(const char *path, const char *text, size_t len, const char *name,
			 const uint8_t *origin, const struct zone_load_opts *opts,
			 struct zonefile_error *err)
{
	struct zonefile_opts zo = {0};
	struct load ld = {0};
	struct zone *z;
	char zn[DNAME_TEXT_MAX];
	int r;

	memset(err, 0, sizeof(*err));
	str_copy(err->file, path ? path : name, sizeof(err->file));
	z = zone_new(origin);
	ld.canon = malloc(2 * 65535);
	if (z == NULL || ld.canon == NULL || dup_grow(&ld) < 0) {
		str_copy(err->msg, "out of memory", sizeof(err->msg));
		goto fail;
	}
	ld.z = z;
	ld.opts = opts;
	if (opts) {
		zo.warn = opts->warn;
		zo.warn_arg = opts->warn_arg;
		zo.no_include = opts->no_include;
	}
	if (path)
		r = zonefile_parse_opts(path, origin, &zo, load_rr, &ld, err);
	else
		r = zonefile_parse_text_opts(text, len, name, origin, &zo, load_rr, &ld, err);
	free(ld.dup);
	free(ld.canon);
	ld.dup = NULL;
	ld.canon = NULL;
	if (r < 0)
		goto fail;
	dname_to_text(origin, zn, sizeof(zn));
	str_copy(err->file, path ? path : name, sizeof(err->file));
	err->line = 0;
	if (!ld.have_soa) {
		load_fail(err, NULL, "no SOA record at the top of the zone (%s)", zn);
		goto fail;
	}
	/* The SOA made the apex node; an NS set there is what is checked. */
	{
		const struct zone_node *apex =
		    table_find(z, z->origin_key, z->origin_len, z->origin_hash);
		int ns = 0;
		for (unsigned i = 0; apex && i < apex->nsets; i++)
			ns |= apex->b[i].type == DNS_T_NS;
		if (!ns) {
			load_fail(err, NULL, "no NS records at the top of the zone (%s)", zn);
			goto fail;
		}
	}
	if (link_parents(z) < 0 || finish_nodes(z) < 0) {
		load_fail(err, NULL, "out of memory");
		goto fail;
	}
	for (size_t k = 0; k < z->nnodes; k++) {
		const struct zone_node *n = z->nodes[k], *d;
		if (n->nsets && (d = below_dname(n)) != NULL) {
			char below[DNAME_TEXT_MAX], at[DNAME_TEXT_MAX];
			dname_to_text(n->name, below, sizeof(below));
			dname_to_text(d->name, at, sizeof(at));
			load_fail(err, NULL, "%s has data below the DNAME at %s (RFC 6672 2.3)",
				  below, at);
			goto fail;
		}
	}
	memset(err, 0, sizeof(*err));
	return z;
fail:
	free(ld.dup);
	free(ld.canon);
	zone_free(z);
	return NULL;
}

struct zone *zone_load(const char *path, const uint8_t *origin, struct zonefile_error *err)
{
	return load(path, NULL, 0, NULL, origin, NULL, err);
}

struct zone *zone_load_with(const char *path, const uint8_t *origin,
			    const struct zone_load_opts *opts, struct zonefile_error *err)
{
	return load(path, NULL, 0, NULL, origin, opts, err);
}

struct zone *zone_load_text(const char *text, size_t len, const char *name, const uint8_t *origin,
			    const struct zone_load_opts *opts, struct zonefile_error *err)
{
	return load(NULL, text, len, name, origin, opts, err);
}

void zone_free(struct zone *z)
{
	if (z == NULL)
		return;
	free_build(z);
	region_free(&z->mem);
	free(z->nodes);
	free(z->table);
	free(z);
}

/* ---- access ---- */

const uint8_t *zone_origin(const struct zone *z)
{
	return z->origin;
}

const struct zone_node *zone_apex(const struct zone *z)
{
	return z->apex;
}

uint32_t zone_serial(const struct zone *z)
{
	return z->serial;
}

size_t zone_record_count(const struct zone *z)
{
	return z->records;
}

size_t zone_node_count(const struct zone *z)
{
	return z->nnodes;
}

const struct zone_node *zone_node_at(const struct zone *z, size_t i)
{
	return i < z->nnodes ? z->nodes[i] : NULL;
}

const uint8_t *zone_node_name(const struct zone_node *n)
{
	return n->name;
}

const struct zone_node *zone_node_parent(const struct zone_node *n)
{
	return n->parent;
}

const struct zone_rrset *zone_node_rrset(const struct zone_node *n, uint16_t type)
{
	for (unsigned i = 0; i < n->nsets; i++)
		if (n->sets[i]->type == type)
			return n->sets[i];
	return NULL;
}

size_t zone_node_rrsets(const struct zone_node *n, const struct zone_rrset *const **sets)
{
	*sets = (const struct zone_rrset *const *)n->sets;
	return n->nsets;
}

/* ---- lookup ---- */

const struct zone_node *zone_find(const struct zone *z, const uint8_t *name)
{
	uint8_t key[DNAME_MAX];
	size_t len = dname_copy_lower(key, name);
	return table_find(z, key, len, name_hash(z, key));
}

void zone_lookup(const struct zone *z, const uint8_t *qname, struct zone_result *r)
{
	uint8_t key[DNAME_MAX], off[DNAME_LABELS_MAX + 1];
	uint32_t hs[DNAME_LABELS_MAX + 1];
	size_t len;
	int n = name_prepare(qname, key, off, &len), top, i;
	const struct zone_node *node = NULL;

	r->node = r->closest = NULL;
	top = n - z->origin_labels; /* the label index where the origin starts */
	if (top < 0 || len - off[top] != z->origin_len ||
	    memcmp(key + off[top], z->origin_key, z->origin_len) != 0) {
		r->match = ZONE_NOTINZONE;
		return;
	}
	/* Hashes of the suffixes below the origin, from the origin's down. */
	hs[top] = z->origin_hash;
	for (i = top - 1; i >= 0; i--)
		hs[i] = hash_label(hs[i + 1], key + off[i]);
	/* Bottom up: qname, then each parent, until a node exists (the apex
	 * always does). */
	for (i = 0; i < top; i++) {
		node = table_find(z, key + off[i], len - off[i], hs[i]);
		if (node)
			break;
	}
	if (i == top)
		node = z->apex;
	r->closest = node;
	if (node->cut) {
		r->match = ZONE_DELEGATION;
		r->node = node->cut;
	} else if (i == 0) {
		r->match = ZONE_EXACT;
		r->node = node;
	} else if (node->wild) {
		r->match = ZONE_WILDCARD;
		r->node = node->wild;
	} else {
		r->match = ZONE_NXDOMAIN;
	}
}
