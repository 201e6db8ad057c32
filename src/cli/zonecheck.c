/*
 * mxhost zonecheck [-D] FILE [ORIGIN]: loads a zone with the server's own
 * loader and prints what named-checkzone would: the first error with its
 * file and line, or "zone NAME/IN: loaded serial N" and "OK". Then the
 * checks named-checkzone makes on the names that NS, MX and SRV records
 * point at (see check_target). Everything goes to stdout, as with
 * named-checkzone; the exit status is 0 (loaded) or 1 (errors). With -D,
 * as named-checkzone -D, the zone as loaded is printed too, a record a
 * line in canonical order (the differential tests compare it with BIND's).
 *
 * Without ORIGIN the zone's name comes from the file: its first $ORIGIN
 * line (when it comes before any record), else the file's name without
 * a ".zone" or ".db" ending or a "db." beginning.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "dns/zone.h"
#include "dns/zonelex.h"

/* An NS, MX or SRV record, kept for the checks after the load; its
 * owner and target are in the check's name pool (zones are big). */
struct target {
	const char *file; /* interned */
	unsigned line;
	uint16_t type;
	size_t owner, name; /* offsets into the pool */
};

struct check {
	struct target *t;
	size_t n, cap;
	uint8_t *pool;
	size_t used, size;
	char **files;
	size_t nfiles;
	int errors;
};

/* Copies a name into the pool; returns its offset, or -1. */
static long pool_add(struct check *c, const uint8_t *name)
{
	size_t len = dname_len(name);
	if (c->size - c->used < len) {
		size_t size = c->size ? c->size * 2 : 65536;
		uint8_t *p = realloc(c->pool, size);
		if (p == NULL)
			return -1;
		c->pool = p;
		c->size = size;
	}
	memcpy(c->pool + c->used, name, len);
	c->used += len;
	return (long)(c->used - len);
}

/* "sub.*.example.test" is no wildcard (RFC 4592 2.1.1): named-checkzone
 * warns about it (-W warn), and so do we. */
static void check_owner(const uint8_t *owner, const struct zonefile_pos *pos)
{
	char on[DNAME_TEXT_MAX];
	for (const uint8_t *p = dname_parent(owner); p && *p; p = dname_parent(p))
		if (dname_is_wildcard(p)) {
			printf("%s:%u: warning: owner name '%s' has a '*' label that is not the "
			       "first: it is no wildcard (a non-terminal wildcard)\n",
			       pos->file, pos->line, dname_to_text_nodot(owner, on, sizeof(on)));
			return;
		}
}

static int observe(void *arg, const struct dns_rr *rr, const struct zonefile_pos *pos,
		   struct zonefile_error *err)
{
	struct check *c = arg;
	int off = rdata_target_offset(rr->type);
	struct target *t;
	long o, n;

	check_owner(rr->owner, pos);
	if (rr->type != DNS_T_NS && rr->type != DNS_T_MX && rr->type != DNS_T_SRV)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct target *nt = realloc(c->t, cap * sizeof(*nt));
		if (nt == NULL)
			goto nomem;
		c->t = nt;
		c->cap = cap;
	}
	if (c->nfiles == 0 || strcmp(c->files[c->nfiles - 1], pos->file) != 0) {
		char **nf = realloc(c->files, (c->nfiles + 1) * sizeof(*nf));
		if (nf == NULL)
			goto nomem;
		c->files = nf;
		if ((c->files[c->nfiles] = strdup(pos->file)) == NULL)
			goto nomem;
		c->nfiles++;
	}
	if ((o = pool_add(c, rr->owner)) < 0 || (n = pool_add(c, rr->rdata + off)) < 0)
		goto nomem;
	t = &c->t[c->n++];
	t->file = c->files[c->nfiles - 1];
	t->line = pos->line;
	t->type = rr->type;
	t->owner = (size_t)o;
	t->name = (size_t)n;
	return 0;
nomem:
	snprintf(err->msg, sizeof(err->msg), "out of memory");
	return -1;
}

static void warn(void *arg, const struct zonefile_pos *pos, const char *msg)
{
	(void)arg;
	printf("%s:%u: warning: %s\n", pos->file, pos->line, msg);
}

/* Whether the target, as the user wrote it (relative to the origin when
 * it is below it), is an IPv4 or IPv6 address. */
static int looks_like_address(const uint8_t *name, const uint8_t *origin, char *typed, size_t size)
{
	uint8_t rel[DNAME_MAX];
	unsigned char a[16];
	int drop = dname_labels(name) - dname_labels(origin);

	if (drop > 0 && dname_is_subdomain(name, origin)) {
		size_t o = 0;
		const uint8_t *p = name;
		for (int i = 0; i < drop; i++, p += *p + 1) {
			memcpy(rel + o, p, (size_t)*p + 1);
			o += (size_t)*p + 1;
		}
		rel[o] = 0;
		name = rel;
	}
	dname_to_text_nodot(name, typed, size);
	return inet_pton(AF_INET, typed, a) == 1 || inet_pton(AF_INET6, typed, a) == 1;
}

static int has_address(const struct zone_node *n)
{
	return n && (zone_node_rrset(n, DNS_T_A) || zone_node_rrset(n, DNS_T_AAAA));
}

/*
 * The checks named-checkzone makes with its defaults (-i local, no
 * lookups of names outside the zone):
 *   - a target written as an IP address: warning (MX, NS; SRV too here);
 *   - a target in the zone that is a CNAME, or has no A or AAAA record:
 *     an error for the zone's own NS records, a warning for the others;
 *   - the name servers of a delegation that are below it (or below a
 *     sibling delegation) need glue: warning when it is missing.
 * Targets below a delegation are someone else's data otherwise.
 */
static void check_target(struct check *c, const struct zone *z, const struct target *t)
{
	char on[DNAME_TEXT_MAX], tn[DNAME_TEXT_MAX], typed[DNAME_TEXT_MAX], ty[16];
	const uint8_t *owner_name = c->pool + t->owner, *name = c->pool + t->name;
	const struct zone_node *owner, *n;
	struct zone_result r;
	int apex_ns;

	if (dname_is_root(name))
		return; /* null MX (RFC 7505), "no such service" SRV (RFC 2782) */
	zone_lookup(z, owner_name, &r);
	if (r.match == ZONE_DELEGATION &&
	    !(t->type == DNS_T_NS && dname_equal(zone_node_name(r.node), owner_name)))
		return; /* occluded data below a zone cut */
	owner = r.node;
	apex_ns = t->type == DNS_T_NS && owner == zone_apex(z);
	dname_to_text_nodot(owner_name, on, sizeof(on));
	dname_to_text_nodot(name, tn, sizeof(tn));
	rr_type_name(t->type, ty, sizeof(ty));

	if (looks_like_address(name, zone_origin(z), typed, sizeof(typed)))
		printf("%s:%u: warning: %s/%s '%s' is an address, not a host name\n", t->file,
		       t->line, on, ty, typed);
	zone_lookup(z, name, &r);
	switch (r.match) {
	case ZONE_NOTINZONE: return;
	case ZONE_DELEGATION:
		if (t->type != DNS_T_NS || apex_ns)
			return;
		if (!has_address(zone_find(z, name)))
			printf("%s:%u: warning: %s/NS '%s' has no %s GLUE address records (A or "
			       "AAAA)\n",
			       t->file, t->line, on, tn, r.node == owner ? "REQUIRED" : "SIBLING");
		return;
	case ZONE_NXDOMAIN: n = NULL; break;
	default: n = r.node;
	}
	if (n && zone_node_rrset(n, DNS_T_CNAME)) {
		printf("%s:%u: %s%s/%s '%s' is a CNAME (illegal: it must name a host, RFC 2181 "
		       "section 10.3)\n",
		       t->file, t->line, apex_ns ? "" : "warning: ", on, ty, tn);
	} else if (!has_address(n)) {
		printf("%s:%u: %s%s/%s '%s' has no address records (A or AAAA)\n", t->file, t->line,
		       apex_ns ? "" : "warning: ", on, ty, tn);
	} else {
		return;
	}
	if (apex_ns)
		c->errors++;
}

static int node_order(const void *a, const void *b)
{
	const struct zone_node *const *x = a, *const *y = b;
	return dname_compare(zone_node_name(*x), zone_node_name(*y));
}

/* Every record, "owner TTL IN TYPE data", nodes in canonical order. */
static int dump(const struct zone *z)
{
	size_t n = zone_node_count(z);
	const struct zone_node **nodes = malloc(n * sizeof(*nodes) + 1);
	char *data = malloc(65535 * 4 + 64), owner[DNAME_TEXT_MAX], type[16];

	if (nodes == NULL || data == NULL) {
		free(nodes);
		free(data);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		nodes[i] = zone_node_at(z, i);
	qsort(nodes, n, sizeof(*nodes), node_order);
	for (size_t i = 0; i < n; i++) {
		const struct zone_rrset *const *sets;
		size_t k = zone_node_rrsets(nodes[i], &sets);
		dname_to_text(zone_node_name(nodes[i]), owner, sizeof(owner));
		for (size_t j = 0; j < k; j++) {
			rr_type_name(sets[j]->type, type, sizeof(type));
			for (unsigned r = 0; r < sets[j]->count; r++) {
				const struct zone_rdata *rd = sets[j]->rdata[r];
				rdata_to_text(sets[j]->type, rd->data, rd->len, data,
					      65535 * 4 + 64);
				printf("%s\t%lu\tIN\t%s\t%s\n", owner, (unsigned long)sets[j]->ttl,
				       type, data);
			}
		}
	}
	free(nodes);
	free(data);
	return 0;
}

/* The zone's name when the user gave none (see the top of the file). */
static int guess_origin(const char *path, uint8_t *origin)
{
	FILE *f = fopen(path, "r");
	const char *base = strrchr(path, '/');
	char buf[8192], name[1024];
	size_t len, n;
	struct zonelex lx;

	if (f) {
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		zonelex_init(&lx, buf, len);
		while (zonelex_next(&lx) > 0 && !lx.blank && lx.tok[0].len &&
		       lx.tok[0].s[0] == '$') {
			const struct rdata_token *t = lx.tok;
			if (lx.ntok == 2 && t[0].len == 7 &&
			    strncasecmp(t[0].s, "$ORIGIN", 7) == 0 && t[1].len > 1 &&
			    t[1].s[t[1].len - 1] == '.' &&
			    dname_from_text(origin, t[1].s, t[1].len, NULL) > 0) {
				zonelex_free(&lx);
				return 0;
			}
			if (t[0].len != 4 || strncasecmp(t[0].s, "$TTL", 4) != 0)
				break;
		}
		zonelex_free(&lx);
	}
	base = base ? base + 1 : path;
	n = strlen(base);
	if (n >= sizeof(name))
		return -1;
	memcpy(name, base, n + 1);
	if (n > 5 && strcmp(name + n - 5, ".zone") == 0)
		name[n - 5] = '\0';
	else if (n > 3 && strcmp(name + n - 3, ".db") == 0)
		name[n - 3] = '\0';
	else if (n > 3 && strncmp(name, "db.", 3) == 0)
		memmove(name, name + 3, n - 2);
	else
		return -1;
	return dname_from_text(origin, name, strlen(name), NULL) > 0 ? 0 : -1;
}

int cmd_zonecheck(int argc, char **argv)
{
	struct check c = {0};
	struct zone_load_opts opts = {warn, NULL, observe, &c, 0};
	struct zonefile_error err;
	uint8_t origin[DNAME_MAX];
	char zn[DNAME_TEXT_MAX];
	struct zone *z;
	const char *path;
	int dumping = 0;

	if (argc > 1 && strcmp(argv[1], "-D") == 0) {
		dumping = 1;
		argc--;
		argv++;
	}
	if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: mxhost zonecheck [-D] FILE [ORIGIN]\n");
		return 2;
	}
	path = argv[1];
	if (argc == 3) {
		if (dname_from_text(origin, argv[2], strlen(argv[2]), NULL) < 0) {
			fprintf(stderr, "mxhost zonecheck: bad zone name '%s'\n", argv[2]);
			return 2;
		}
	} else if (guess_origin(path, origin) < 0) {
		fprintf(stderr,
			"mxhost zonecheck: cannot tell the zone's name from %s (no $ORIGIN at "
			"the top, and the file name does not end in .zone): give it as ORIGIN\n",
			path);
		return 2;
	}
	dname_to_text_nodot(origin, zn, sizeof(zn));
	z = zone_load_with(path, origin, &opts, &err);
	if (z == NULL) {
		if (err.line)
			printf("%s:%u: %s\n", err.file, err.line, err.msg);
		else
			printf("%s: %s\n", err.file, err.msg);
		c.errors++;
	} else {
		for (size_t i = 0; i < c.n; i++)
			check_target(&c, z, &c.t[i]);
		if (dumping && c.errors == 0 && dump(z) < 0) {
			printf("out of memory\n");
			c.errors++;
		}
	}
	if (c.errors)
		printf("zone %s/IN: not loaded due to errors.\n", zn);
	else
		printf("zone %s/IN: loaded serial %lu\nOK\n", zn, (unsigned long)zone_serial(z));
	zone_free(z);
	for (size_t i = 0; i < c.nfiles; i++)
		free(c.files[i]);
	free(c.files);
	free(c.t);
	free(c.pool);
	return c.errors ? 1 : 0;
}
