/* policy: see policy.h. One open-addressing hash table holds every key:
 * domains ("example.test"), addresses ("user@example.test") and catch-alls
 * ("@example.test"); strings live in a region freed with the policy.
 *
 * Postmaster (RFC 5321 4.5.1: RCPT TO postmaster at a domain we serve
 * MUST be accepted): after the lists are read, each hosted domain that
 * has no postmaster entry gets an implicit mailbox for it, so that a
 * lookup, and an alias naming it, find it like any other mailbox. */
#include "smtp/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/region.h"
#include "core/strutil.h"
#include "deliver/maildir.h"

enum ekind {
	E_DOMAIN,	/* hosted */
	E_RELAY_DOMAIN, /* backup MX for it */
	E_MAILBOX,
	E_ALIAS,      /* also a catch-all, key "@domain" */
	E_RELAY_RCPT, /* a valid recipient of a relay domain */
};

struct entry {
	const char *key;
	uint64_t hash;
	enum ekind kind;
	int line;
	int listed;   /* E_RELAY_DOMAIN: a recipient list was given */
	int implicit; /* E_MAILBOX: postmaster@domain, not in the mailboxes list */
	/* E_MAILBOX: itself; E_ALIAS: the expansion, once done */
	struct policy_rcpt *rcpts;
	size_t nrcpts;
	/* E_ALIAS while loading */
	char **targets;
	size_t ntargets;
	int state; /* 0 not expanded, 1 expanding, 2 done */
};

struct policy {
	struct entry **slots;
	size_t cap, count;
	struct region mem; /* entries and strings: freed together */
	char *hostname;
	const char *first_domain; /* the first line of the domains list */
	struct policy_stats st;
	struct entry **aliases; /* while loading, for expansion */
	size_t naliases, caliases;
};

/* ---- hash table ---- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

static struct entry *find(const struct policy *p, const char *key)
{
	uint64_t h;
	size_t i;
	if (p->cap == 0)
		return NULL;
	h = hash_str(key);
	for (i = h & (p->cap - 1); p->slots[i]; i = (i + 1) & (p->cap - 1))
		if (p->slots[i]->hash == h && strcmp(p->slots[i]->key, key) == 0)
			return p->slots[i];
	return NULL;
}

static int grow(struct policy *p)
{
	size_t cap = p->cap ? p->cap * 2 : 1024;
	struct entry **slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < p->cap; i++) {
		struct entry *e = p->slots[i];
		size_t j;
		if (e == NULL)
			continue;
		for (j = e->hash & (cap - 1); slots[j]; j = (j + 1) & (cap - 1))
			;
		slots[j] = e;
	}
	free(p->slots);
	p->slots = slots;
	p->cap = cap;
	return 0;
}

/* Adds a new entry (key must not be there yet); NULL when out of memory. */
static struct entry *insert(struct policy *p, const char *key, enum ekind kind, int line)
{
	struct entry *e;
	size_t i;

	if ((p->count + 1) * 2 > p->cap && grow(p) < 0)
		return NULL;
	e = region_alloc(&p->mem, sizeof(*e));
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->key = region_strdup(&p->mem, key);
	if (e->key == NULL)
		return NULL;
	e->hash = hash_str(key);
	e->kind = kind;
	e->line = line;
	for (i = e->hash & (p->cap - 1); p->slots[i]; i = (i + 1) & (p->cap - 1))
		;
	p->slots[i] = e;
	p->count++;
	return e;
}

/* ---- reading list files ---- */

struct reader {
	struct policy *p;
	const char *path;
	int line;
	int joins; /* a line starting with white space continues the entry */
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, r->errlen, "%s:%d: ", r->path, r->line);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < r->errlen)
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Calls fn for each logical line: comments (a line whose first non-blank
 * is '#') and blank lines skipped; with r->joins, a line starting with
 * white space continues the one before, as in Postfix's tables (long
 * alias lists). r->line is the first line of the entry. */
static int read_lines(struct reader *r, int (*fn)(struct reader *r, char *text))
{
	FILE *f = fopen(r->path, "r");
	char *buf = NULL, *entry = NULL;
	size_t bufcap = 0, elen = 0, ecap = 0;
	ssize_t n;
	int lineno = 0, entry_line = 0, rc = 0;

	if (f == NULL) {
		r->line = 0;
		snprintf(r->err, r->errlen, "%s: %s", r->path, strerror(errno));
		return -1;
	}
	for (;;) {
		const char *s;
		n = getline(&buf, &bufcap, f);
		if (n >= 0) {
			lineno++;
			if (memchr(buf, '\0', (size_t)n)) {
				r->line = lineno;
				rc = fail(r, "NUL character in the file");
				break;
			}
			while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
				buf[--n] = '\0';
			for (s = buf; *s == ' ' || *s == '\t'; s++)
				;
			if (*s == '\0' || *s == '#')
				continue;
			if (s != buf && elen > 0 && r->joins) {
				/* continuation: joined with one space */
				size_t add = strlen(s) + 2;
				if (elen + add > ecap) {
					char *g = realloc(entry, ecap = (elen + add) * 2);
					if (g == NULL) {
						rc = fail(r, "out of memory");
						break;
					}
					entry = g;
				}
				entry[elen++] = ' ';
				memcpy(entry + elen, s, add - 1);
				elen += add - 2;
				continue;
			}
		}
		if (elen > 0) {
			r->line = entry_line;
			if (fn(r, entry) < 0) {
				rc = -1;
				break;
			}
			elen = 0;
		}
		if (n < 0)
			break;
		entry_line = lineno;
		elen = strlen(s);
		if (elen + 1 > ecap) {
			char *g = realloc(entry, ecap = (elen + 1) * 2);
			if (g == NULL) {
				rc = fail(r, "out of memory");
				break;
			}
			entry = g;
		}
		memcpy(entry, s, elen + 1);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(r->err, r->errlen, "%s: read error", r->path);
		rc = -1;
	}
	free(buf);
	free(entry);
	fclose(f);
	return rc;
}

/* Splits "KEY: VALUES" (the colon may be absent); the key may be a quoted
 * local part holding a colon. */
static char *split_key(char *text, char **values)
{
	char *p = text, *colon;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && p[1])
				p++;
	}
	colon = strchr(p, ':');
	*values = NULL;
	if (colon) {
		*colon = '\0';
		*values = colon + 1;
	}
	return str_trim(text);
}

/* Calls fn for each item of a list separated by commas and white space,
 * outside double quotes. */
static int each_item(struct reader *r, char *s, int (*fn)(struct reader *r, char *item, void *arg),
		     void *arg)
{
	while (*s) {
		char *start, save;
		int quoted = 0, rc;
		while (*s == ',' || *s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		start = s;
		for (; *s && (quoted || (*s != ',' && *s != ' ' && *s != '\t')); s++) {
			if (*s == '\\' && quoted && s[1])
				s++;
			else if (*s == '"')
				quoted = !quoted;
		}
		save = *s;
		*s = '\0';
		rc = fn(r, start, arg);
		*s = save;
		if (rc < 0)
			return -1;
	}
	return 0;
}

static void lower_copy(char *dst, const char *src)
{
	for (; *src; src++)
		*dst++ = (char)(*src >= 'A' && *src <= 'Z' ? *src + 32 : *src);
	*dst = '\0';
}

static int parse_domain(struct reader *r, const char *s, char *out)
{
	if (smtp_domain_parse(s, strlen(s), 1, out) < 0)
		return fail(r, "bad domain name '%s'", s);
	return 0;
}

/* An address of a list: "user@domain" or "<user@domain>", with a domain. */
static int parse_address(struct reader *r, const char *s, struct smtp_addr *a)
{
	if (smtp_addr_parse(s, strlen(s), SMTP_ADDR_ALLOW_BARE, a) < 0 || a->at == a->len)
		return fail(r, "bad address '%s'", s);
	if (a->had_route)
		return fail(r, "source route in '%s'", s);
	return 0;
}

static int on_domain(struct reader *r, char *text)
{
	char dom[SMTP_DOMAIN_MAX + 1];
	struct entry *e;
	str_trim(text);
	if (strpbrk(text, " \t,:"))
		return fail(r, "expected one domain name per line");
	if (parse_domain(r, text, dom) < 0)
		return -1;
	if (find(r->p, dom)) {
		log_warnx("%s:%d: %s is listed twice", r->path, r->line, dom);
		return 0;
	}
	e = insert(r->p, dom, E_DOMAIN, r->line);
	if (e == NULL)
		return fail(r, "out of memory");
	if (r->p->first_domain == NULL)
		r->p->first_domain = e->key;
	r->p->st.domains++;
	return 0;
}

struct relay_ctx {
	const char *domain;
	int n;
};

static int on_relay_rcpt(struct reader *r, char *item, void *arg)
{
	struct relay_ctx *rc = arg;
	struct smtp_addr a;
	char key[SMTP_ADDR_MAX + 1];

	if (parse_address(r, item, &a) < 0)
		return -1;
	if (strcmp(a.addr + a.at + 1, rc->domain) != 0)
		return fail(r, "%s is not in %s", a.addr, rc->domain);
	lower_copy(key, a.addr);
	rc->n++;
	if (find(r->p, key)) {
		log_warnx("%s:%d: %s is listed twice", r->path, r->line, key);
		return 0;
	}
	if (insert(r->p, key, E_RELAY_RCPT, r->line) == NULL)
		return fail(r, "out of memory");
	r->p->st.relay_rcpts++;
	return 0;
}

static int on_relay(struct reader *r, char *text)
{
	char dom[SMTP_DOMAIN_MAX + 1], *values;
	char *key = split_key(text, &values);
	struct relay_ctx rc = {dom, 0};
	struct entry *e;

	if (strpbrk(key, " \t,"))
		return fail(r, "expected DOMAIN or DOMAIN: RECIPIENTS");
	if (parse_domain(r, key, dom) < 0)
		return -1;
	e = find(r->p, dom);
	if (e && e->kind == E_DOMAIN)
		return fail(r, "%s is also a hosted domain (domains list)", dom);
	if (e)
		return fail(r, "%s is listed twice", dom);
	e = insert(r->p, dom, E_RELAY_DOMAIN, r->line);
	if (e == NULL)
		return fail(r, "out of memory");
	r->p->st.relay_domains++;
	if (values) {
		if (each_item(r, values, on_relay_rcpt, &rc) < 0)
			return -1;
		if (rc.n == 0)
			return fail(r, "no recipients after '%s:'", dom);
		e->listed = 1;
	}
	return 0;
}

struct alias_ctx {
	char **targets;
	size_t n, cap;
};

static int on_target(struct reader *r, char *item, void *arg)
{
	struct alias_ctx *ac = arg;
	struct smtp_addr a;

	if (parse_address(r, item, &a) < 0)
		return -1;
	if (a.routing)
		return fail(r, "routing characters (%%, !, @) in '%s'", a.addr);
	if (ac->n == ac->cap) {
		size_t cap = ac->cap ? ac->cap * 2 : 8;
		char **g = realloc(ac->targets, cap * sizeof(*g));
		if (g == NULL)
			return fail(r, "out of memory");
		ac->targets = g;
		ac->cap = cap;
	}
	ac->targets[ac->n] = region_strdup(&r->p->mem, a.addr);
	if (ac->targets[ac->n] == NULL)
		return fail(r, "out of memory");
	ac->n++;
	return 0;
}

static int add_alias(struct reader *r, const char *key, char *values)
{
	struct policy *p = r->p;
	struct alias_ctx ac = {0};
	struct entry *e;

	if (each_item(r, values, on_target, &ac) < 0) {
		free(ac.targets);
		return -1;
	}
	if (ac.n == 0)
		return fail(r, "no targets after '%s:'", key);
	e = insert(p, key, E_ALIAS, r->line);
	if (e)
		e->targets = region_alloc(&p->mem, ac.n * sizeof(char *));
	if (e == NULL || e->targets == NULL) {
		free(ac.targets);
		return fail(r, "out of memory");
	}
	memcpy(e->targets, ac.targets, ac.n * sizeof(char *));
	e->ntargets = ac.n;
	free(ac.targets);
	if (p->naliases == p->caliases) {
		size_t cap = p->caliases ? p->caliases * 2 : 64;
		struct entry **g = realloc(p->aliases, cap * sizeof(*g));
		if (g == NULL)
			return fail(r, "out of memory");
		p->aliases = g;
		p->caliases = cap;
	}
	p->aliases[p->naliases++] = e;
	if (key[0] == '@')
		p->st.catchalls++;
	else
		p->st.aliases++;
	return 0;
}

static int on_mailbox(struct reader *r, char *text)
{
	struct policy *p = r->p;
	char *values, *k = split_key(text, &values);
	char key[SMTP_ADDR_MAX + 2];
	const char *dom;
	struct entry *e, *d;
	struct smtp_addr a;

	if (values)
		str_trim(values);
	if (values && *values == '\0')
		return fail(r, "no targets after '%s:'", k);
	if (k[0] == '@') {
		/* catch-all */
		if (values == NULL)
			return fail(r, "a catch-all needs targets: @domain: user@domain");
		key[0] = '@';
		if (parse_domain(r, k + 1, key + 1) < 0)
			return -1;
		dom = key + 1;
	} else {
		if (strpbrk(k, " \t,") && k[0] != '"')
			return fail(r, "expected ADDRESS or ADDRESS: TARGETS");
		if (parse_address(r, k, &a) < 0)
			return -1;
		if (a.routing)
			return fail(r, "routing characters (%%, !, @) in '%s'", a.addr);
		if (a.literal)
			return fail(r, "address literal in '%s'", a.addr);
		lower_copy(key, a.addr);
		dom = key + a.at + 1;
	}
	d = find(p, dom);
	if (d == NULL || d->kind != E_DOMAIN) {
		log_warnx("%s:%d: %s is not in the domains list; entry ignored", r->path, r->line,
			  dom);
		return 0;
	}
	e = find(p, key);
	if (values)
		return e ? fail(r, "%s is defined twice (line %d)", key, e->line)
			 : add_alias(r, key, values);
	if (e && e->kind == E_MAILBOX) {
		log_warnx("%s:%d: %s is listed twice", r->path, r->line, key);
		return 0;
	}
	if (e)
		return fail(r, "%s is defined twice (line %d)", key, e->line);
	{
		/* Its mail goes to a folder named after it: an address that
		 * cannot name one (a '/', a leading '.') would be accepted and
		 * then never delivered. */
		char folder[SMTP_ADDR_MAX + 2];
		if (maildir_mailbox(key, folder, sizeof(folder)) < 0)
			return fail(r,
				    "%s cannot name a Maildir folder ('/', a leading '.' or a "
				    "control character in it)",
				    key);
	}
	e = insert(p, key, E_MAILBOX, r->line);
	if (e)
		e->rcpts = region_alloc(&p->mem, sizeof(*e->rcpts));
	if (e == NULL || e->rcpts == NULL)
		return fail(r, "out of memory");
	e->rcpts[0] = (struct policy_rcpt){e->key, RCPT_LOCAL};
	e->nrcpts = 1;
	p->st.mailboxes++;
	return 0;
}

/* ---- postmaster ---- */

#define POSTMASTER "postmaster@"

/* Whether key (lower case) is postmaster at some domain. */
static int is_postmaster(const char *key)
{
	return strncmp(key, POSTMASTER, sizeof(POSTMASTER) - 1) == 0;
}

/* Gives every hosted domain without a postmaster entry its implicit
 * mailbox (see the top of the file), before aliases are expanded. */
static int add_postmasters(struct reader *r)
{
	struct policy *p = r->p;
	const char **doms = malloc((p->st.domains ? p->st.domains : 1) * sizeof(*doms));
	size_t n = 0;
	int rc = 0;

	if (doms == NULL)
		return fail(r, "out of memory");
	/* collected first: insert() may grow the table under a walk */
	for (size_t i = 0; i < p->cap; i++)
		if (p->slots[i] && p->slots[i]->kind == E_DOMAIN && n < p->st.domains)
			doms[n++] = p->slots[i]->key;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char key[sizeof(POSTMASTER) + SMTP_DOMAIN_MAX];
		struct entry *e;
		snprintf(key, sizeof(key), POSTMASTER "%s", doms[i]);
		if (find(p, key))
			continue;
		e = insert(p, key, E_MAILBOX, 0);
		if (e)
			e->rcpts = region_alloc(&p->mem, sizeof(*e->rcpts));
		if (e == NULL || e->rcpts == NULL) {
			rc = fail(r, "out of memory");
			break;
		}
		e->rcpts[0] = (struct policy_rcpt){e->key, RCPT_LOCAL};
		e->nrcpts = 1;
		e->implicit = 1;
	}
	free(doms);
	return rc;
}

/* ---- alias expansion, at load time ---- */

struct rvec {
	struct policy_rcpt *v;
	size_t n, cap;
};

static int rvec_add(struct rvec *rv, const char *addr, enum rcpt_kind kind)
{
	for (size_t i = 0; i < rv->n; i++)
		if (rv->v[i].addr == addr || strcmp(rv->v[i].addr, addr) == 0)
			return 0; /* already there: deliver once */
	if (rv->n == rv->cap) {
		size_t cap = rv->cap ? rv->cap * 2 : 8;
		struct policy_rcpt *g = realloc(rv->v, cap * sizeof(*g));
		if (g == NULL)
			return -1;
		rv->v = g;
		rv->cap = cap;
	}
	rv->v[rv->n++] = (struct policy_rcpt){addr, kind};
	return 0;
}

static int expand(struct reader *r, struct entry *e, int depth)
{
	struct policy *p = r->p;
	struct rvec rv = {0};
	int rc = 0;

	if (e->state == 2)
		return 0;
	r->line = e->line;
	if (e->state == 1 || depth > 100)
		return fail(r, "alias loop through %s", e->key);
	e->state = 1;
	for (size_t i = 0; i < e->ntargets && rc == 0; i++) {
		const char *t = e->targets[i];
		char key[SMTP_ADDR_MAX + 1];
		const char *dom = strrchr(t, '@') + 1;
		struct entry *d = find(p, dom), *te;

		lower_copy(key, t);
		te = find(p, key);
		if (d && d->kind == E_DOMAIN) {
			/* Where a RCPT to the target goes (lookup_hosted): its
			 * entry, or the domain's catch-all when it has none or
			 * only the implicit postmaster mailbox. */
			if (te && te->kind != E_MAILBOX && te->kind != E_ALIAS)
				te = NULL;
			if (te == NULL || te->implicit) {
				char catchall[SMTP_DOMAIN_MAX + 2];
				struct entry *c;
				catchall[0] = '@';
				str_copy(catchall + 1, strrchr(key, '@') + 1, sizeof(catchall) - 1);
				c = find(p, catchall);
				if (c && c->kind == E_ALIAS)
					te = c;
			}
			if (te && te->kind == E_ALIAS) {
				rc = expand(r, te, depth + 1);
				for (size_t k = 0; rc == 0 && k < te->nrcpts; k++)
					rc = rvec_add(&rv, te->rcpts[k].addr, te->rcpts[k].kind);
			} else if (te && te->kind == E_MAILBOX) {
				rc = rvec_add(&rv, te->key, RCPT_LOCAL);
			} else {
				r->line = e->line;
				rc = fail(r, "alias target %s is not a mailbox", t);
			}
		} else if (d && d->kind == E_RELAY_DOMAIN && d->listed &&
			   (te == NULL || te->kind != E_RELAY_RCPT)) {
			r->line = e->line;
			rc = fail(r, "alias target %s is not a recipient of relay domain %s", t,
				  dom);
		} else {
			rc = rvec_add(&rv, t, RCPT_REMOTE);
		}
		if (rc < 0 && r->err[0] == '\0')
			fail(r, "out of memory");
	}
	if (rc == 0) {
		e->rcpts = region_alloc(&p->mem, rv.n * sizeof(*rv.v));
		if (e->rcpts == NULL) {
			rc = fail(r, "out of memory");
		} else {
			memcpy(e->rcpts, rv.v, rv.n * sizeof(*rv.v));
			e->nrcpts = rv.n;
			e->state = 2;
		}
	}
	free(rv.v);
	return rc;
}

/* ---- the interface ---- */

void policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	region_free(&p->mem);
	free(p->slots);
	free(p->aliases);
	free(p->hostname);
	free(p);
}

struct policy *policy_load(const char *domains, const char *mailboxes, const char *relay_domains,
			   const char *hostname, char *err, size_t errlen)
{
	struct policy *p = calloc(1, sizeof(*p));
	struct reader r = {p, NULL, 0, 0, err, errlen};

	err[0] = '\0';
	if (p == NULL || grow(p) < 0 || (p->hostname = strdup(hostname ? hostname : "")) == NULL) {
		snprintf(err, errlen, "out of memory");
		policy_free(p);
		return NULL;
	}
	str_lower(p->hostname);
	if (domains && (r.path = domains, read_lines(&r, on_domain) < 0))
		goto fail;
	r.joins = 1;
	if (relay_domains && (r.path = relay_domains, read_lines(&r, on_relay) < 0))
		goto fail;
	if (mailboxes) {
		r.path = mailboxes;
		if (read_lines(&r, on_mailbox) < 0)
			goto fail;
	}
	if (add_postmasters(&r) < 0)
		goto fail;
	for (size_t i = 0; i < p->naliases; i++)
		if (expand(&r, p->aliases[i], 0) < 0)
			goto fail;
	free(p->aliases);
	p->aliases = NULL;
	p->naliases = p->caliases = 0;
	return p;
fail:
	policy_free(p);
	return NULL;
}

int policy_hosted(const struct policy *p, const char *domain)
{
	const struct entry *e = find(p, domain);
	return e && e->kind == E_DOMAIN;
}

int policy_relayed(const struct policy *p, const char *domain)
{
	const struct entry *e = find(p, domain);
	return e && e->kind == E_RELAY_DOMAIN;
}

/* A hosted domain: the mailbox or alias, else the catch-all, else (for
 * postmaster) the implicit mailbox. A catch-all goes before the implicit
 * postmaster because it is the operator's word for every name there;
 * the implicit mailbox is only what RFC 5321 asks when there is none. */
static void lookup_hosted(const struct policy *p, const char *key, const char *domain,
			  struct policy_result *res)
{
	const struct entry *e = find(p, key), *c;
	char catchall[SMTP_DOMAIN_MAX + 2];

	if (e && e->kind != E_MAILBOX && e->kind != E_ALIAS)
		e = NULL;
	if (e == NULL || e->implicit) {
		catchall[0] = '@';
		str_copy(catchall + 1, domain, sizeof(catchall) - 1);
		c = find(p, catchall);
		if (c && c->kind == E_ALIAS)
			e = c;
	}
	if (e == NULL) {
		res->verdict = POLICY_UNKNOWN_USER;
		return;
	}
	res->verdict = POLICY_ACCEPT;
	res->rcpts = e->rcpts;
	res->nrcpts = e->nrcpts;
}

void policy_lookup(const struct policy *p, const struct smtp_addr *a, int trusted,
		   struct policy_result *res)
{
	char key[SMTP_ADDR_MAX + 1];
	const char *domain;
	const struct entry *d;

	res->verdict = POLICY_UNKNOWN_USER;
	res->rcpts = NULL;
	res->nrcpts = 0;
	if (a->at >= a->len) {
		/* <postmaster>: at the host's name, then at each parent domain
		 * of it, then at the first hosted domain; nothing hosted, 550 */
		const char *dom = p->hostname;
		while (dom && *dom && !policy_hosted(p, dom))
			if ((dom = strchr(dom, '.')) != NULL)
				dom++;
		if (dom == NULL || *dom == '\0')
			dom = p->first_domain;
		if (dom) {
			snprintf(key, sizeof(key), POSTMASTER "%s", dom);
			lookup_hosted(p, key, dom, res);
		}
		return;
	}
	if (a->routing && !trusted) {
		res->verdict = POLICY_ROUTING_DENIED;
		return;
	}
	lower_copy(key, a->addr);
	domain = key + a->at + 1;
	d = find(p, domain);
	if (d && d->kind == E_DOMAIN) {
		lookup_hosted(p, key, domain, res);
		return;
	}
	if (d && d->kind == E_RELAY_DOMAIN) {
		/* a recipient list holds the primary's users; its postmaster
		 * is accepted anyway, as on the primary (RFC 5321 4.5.1) */
		const struct entry *e = d->listed ? find(p, key) : NULL;
		if (d->listed && (e == NULL || e->kind != E_RELAY_RCPT) && !is_postmaster(key))
			return; /* POLICY_UNKNOWN_USER */
	} else if (!trusted) {
		res->verdict = POLICY_RELAY_DENIED;
		return;
	}
	res->verdict = POLICY_ACCEPT;
	res->one = (struct policy_rcpt){a->addr, RCPT_REMOTE};
	res->rcpts = &res->one;
	res->nrcpts = 1;
}

void policy_stats(const struct policy *p, struct policy_stats *st)
{
	*st = p->st;
}
