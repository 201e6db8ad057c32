/* zonefile: see zonefile.h. The lexer (zonelex.c) splits entries into
 * words, rdata_parse.c turns a record's words into data; this file does
 * the rest: directives, owner, TTL and class, and $INCLUDE. */
#include "dns/zonefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/strutil.h"
#include "dns/rdata_parse.h"
#include "dns/zonelex.h"

#define TTL_MAX 0x7fffffffu /* RFC 2181 section 8 */

struct zp {
	const struct zonefile_opts *opts;
	zonefile_rr_fn fn;
	void *arg;
	struct zonefile_error *err;

	uint8_t owner[DNAME_MAX]; /* the previous record's owner */
	int have_owner;
	uint32_t default_ttl; /* $TTL, or the SOA's MINIMUM */
	int default_known;
	uint32_t last_ttl; /* the last TTL written on a record (RFC 1035) */
	int last_known;
	int warned_1035;

	int nopen; /* files being read, the outermost first */
	struct {
		dev_t dev;
		ino_t ino;
	} open[ZONEFILE_INCLUDE_DEPTH + 1];
	uint8_t rdata[65535];
};

/* One file (or text) being read. */
struct zf {
	struct zonelex lx;
	const char *name; /* for messages */
	const char *dir;  /* folder for relative $INCLUDE paths, NULL: current */
	uint8_t origin[DNAME_MAX];
};

static int zp_fail(struct zp *zp, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int zp_fail(struct zp *zp, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	str_copy(zp->err->file, file, sizeof(zp->err->file));
	zp->err->line = line;
	va_start(ap, fmt);
	vsnprintf(zp->err->msg, sizeof(zp->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void zp_warn(struct zp *zp, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void zp_warn(struct zp *zp, const char *file, unsigned line, const char *fmt, ...)
{
	struct zonefile_pos pos = {file, line};
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (zp->opts && zp->opts->warn)
		zp->opts->warn(zp->opts->warn_arg, &pos, msg);
	else
		log_warnx("%s:%u: %s", file, line, msg);
}

/* A short word as a C string (keywords, numbers); "" when too long. */
static const char *word(const struct rdata_token *t, char *buf, size_t size)
{
	if (t->quoted || t->len >= size || memchr(t->s, '\0', t->len)) {
		buf[0] = '\0';
		return buf;
	}
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	return buf;
}

static int name_of(struct zp *zp, struct zf *f, size_t i, uint8_t *out, const char *what)
{
	const struct rdata_token *t = &f->lx.tok[i];
	char sb[80];
	if (t->quoted)
		return zp_fail(zp, f->name, f->lx.tok_line[i], "%s must not be quoted", what);
	if (dname_from_text(out, t->s, t->len, f->origin) < 0)
		return zp_fail(zp, f->name, f->lx.tok_line[i], "bad %s '%s': %s", what,
			       rdata_token_show(t, sb, sizeof(sb)),
			       rdata_name_problem(t->s, t->len, f->origin));
	return 0;
}

/* A TTL, with units; over 2^31-1 it becomes 0, as RFC 2181 says. */
static int ttl_of(struct zp *zp, struct zf *f, size_t i, uint32_t *ttl, const char *what)
{
	char w[40], sb[80];
	if (parse_duration(word(&f->lx.tok[i], w, sizeof(w)), ttl) < 0)
		return zp_fail(zp, f->name, f->lx.tok_line[i],
			       "bad %s '%s': expected seconds, or units as in 1h30m or 2w", what,
			       rdata_token_show(&f->lx.tok[i], sb, sizeof(sb)));
	if (*ttl > TTL_MAX) {
		zp_warn(zp, f->name, f->lx.tok_line[i],
			"%s %lu is over the maximum 2147483647 (RFC 2181): using 0", what,
			(unsigned long)*ttl);
		*ttl = 0;
	}
	return 0;
}

static int parse_text(struct zp *zp, const char *text, size_t len, const char *name,
		      const char *dir, const uint8_t *origin);

/* The whole of a zone file, NUL-terminated. Only a regular file of at
 * most ZONEFILE_MAX_BYTES: a FIFO would block the reload thread for
 * good (so the open does not wait for a writer), and /dev/zero or the
 * like would grow the buffer until memory ran out. */
static char *read_all(const char *path, size_t *len, struct stat *st, char *why, size_t whysize)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (fd < 0 || fstat(fd, st) < 0) {
		snprintf(why, whysize, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st->st_mode) || (uint64_t)st->st_size > ZONEFILE_MAX_BYTES) {
		if (S_ISDIR(st->st_mode))
			snprintf(why, whysize, "%s", strerror(EISDIR));
		else if (!S_ISREG(st->st_mode))
			snprintf(why, whysize, "not a regular file");
		else
			snprintf(why, whysize, "larger than %u MiB", ZONEFILE_MAX_BYTES >> 20);
		close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t r;
		if (cap - n < 65536) {
			size_t ncap = cap ? cap * 2 : (size_t)st->st_size + 65536;
			char *nb;
			if (n > ZONEFILE_MAX_BYTES) {
				/* grew while read */
				snprintf(why, whysize, "larger than %u MiB",
					 ZONEFILE_MAX_BYTES >> 20);
				goto fail;
			}
			nb = realloc(buf, ncap + 1);
			if (nb == NULL) {
				snprintf(why, whysize, "out of memory");
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, whysize, "%s", strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/* Parses the file at path, nested in what is open already. */
static int parse_file(struct zp *zp, const char *path, const uint8_t *origin, const char *from_file,
		      unsigned from_line)
{
	struct stat st;
	char why[128], *text, *dir, *slash;
	size_t len;
	int r;

	text = read_all(path, &len, &st, why, sizeof(why));
	if (text == NULL) {
		if (from_file)
			return zp_fail(zp, from_file, from_line, "cannot read $INCLUDE file %s: %s",
				       path, why);
		return zp_fail(zp, path, 0, "cannot read %s: %s", path, why);
	}
	for (int i = 0; i < zp->nopen; i++)
		if (zp->open[i].dev == st.st_dev && zp->open[i].ino == st.st_ino) {
			free(text);
			return zp_fail(zp, from_file, from_line,
				       "$INCLUDE loop: %s is already being read", path);
		}
	if (zp->nopen > ZONEFILE_INCLUDE_DEPTH) {
		free(text);
		return zp_fail(zp, from_file, from_line,
			       "$INCLUDE nested more than %d deep (a loop?)",
			       ZONEFILE_INCLUDE_DEPTH);
	}
	dir = strdup(path);
	if (dir == NULL) {
		free(text);
		return zp_fail(zp, path, 0, "out of memory");
	}
	slash = strrchr(dir, '/');
	if (slash)
		slash[1] = '\0';
	zp->open[zp->nopen].dev = st.st_dev;
	zp->open[zp->nopen].ino = st.st_ino;
	zp->nopen++;
	r = parse_text(zp, text, len, path, slash ? dir : NULL, origin);
	zp->nopen--;
	free(dir);
	free(text);
	return r;
}

static int directive(struct zp *zp, struct zf *f)
{
	struct zonelex *lx = &f->lx;
	char d[16], sb[80];
	unsigned line = lx->start;

	word(&lx->tok[0], d, sizeof(d));
	if (strcasecmp(d, "$ORIGIN") == 0) {
		uint8_t o[DNAME_MAX];
		if (lx->ntok != 2)
			return zp_fail(zp, f->name, line,
				       lx->ntok < 2 ? "$ORIGIN needs a domain name"
						    : "extra text after $ORIGIN's name");
		if (name_of(zp, f, 1, o, "$ORIGIN name") < 0)
			return -1;
		dname_copy(f->origin, o);
		return 0;
	}
	if (strcasecmp(d, "$TTL") == 0) {
		if (lx->ntok != 2)
			return zp_fail(zp, f->name, line,
				       lx->ntok < 2 ? "$TTL needs a value"
						    : "extra text after $TTL's value");
		if (ttl_of(zp, f, 1, &zp->default_ttl, "$TTL") < 0)
			return -1;
		zp->default_known = 1;
		return 0;
	}
	if (strcasecmp(d, "$INCLUDE") == 0) {
		uint8_t o[DNAME_MAX], saved_owner[DNAME_MAX];
		char path[4096];
		int saved_have = zp->have_owner, r;
		const struct rdata_token *t = &lx->tok[1];

		if (zp->opts && zp->opts->no_include)
			return zp_fail(zp, f->name, line, "$INCLUDE is not allowed here");
		if (lx->ntok < 2 || lx->ntok > 3)
			return zp_fail(zp, f->name, line,
				       lx->ntok < 2
					   ? "$INCLUDE needs a file name"
					   : "extra text after $INCLUDE's file and origin");
		if (t->len == 0 || memchr(t->s, '\0', t->len))
			return zp_fail(zp, f->name, line, "bad $INCLUDE file name");
		if (t->s[0] != '/' && f->dir) {
			if ((size_t)snprintf(path, sizeof(path), "%s%.*s", f->dir, (int)t->len,
					     t->s) >= sizeof(path))
				return zp_fail(zp, f->name, line, "$INCLUDE file name too long");
		} else {
			if (t->len >= sizeof(path))
				return zp_fail(zp, f->name, line, "$INCLUDE file name too long");
			memcpy(path, t->s, t->len);
			path[t->len] = '\0';
		}
		if (lx->ntok == 3) {
			if (name_of(zp, f, 2, o, "$INCLUDE origin") < 0)
				return -1;
		} else {
			dname_copy(o, f->origin);
		}
		/* RFC 1035 5.1: the included file does not change the
		 * including file's origin; nor does it change its owner. */
		dname_copy(saved_owner, zp->owner);
		r = parse_file(zp, path, o, f->name, line);
		dname_copy(zp->owner, saved_owner);
		zp->have_owner = saved_have;
		return r;
	}
	if (strcasecmp(d, "$GENERATE") == 0)
		return zp_fail(zp, f->name, line,
			       "$GENERATE is a BIND extension that mxhost does not support");
	return zp_fail(zp, f->name, line, "unknown directive '%s'",
		       rdata_token_show(&lx->tok[0], sb, sizeof(sb)));
}

/* Types that only exist in queries or messages, never in a zone. */
static int meta_type(uint16_t t)
{
	return t == 0 || t == DNS_T_OPT || (t >= 128 && t <= 255);
}

static int record(struct zp *zp, struct zf *f)
{
	struct zonelex *lx = &f->lx;
	const struct rdata_token *tok = lx->tok;
	size_t i = 0, errtok;
	uint32_t ttl = 0;
	uint16_t rclass = DNS_C_IN, type = 0;
	int explicit_ttl = 0, have_class = 0, rdlen;
	char w[40], sb[80], tn[16], msg[200];

	if (lx->blank) {
		if (!zp->have_owner)
			return zp_fail(zp, f->name, lx->start,
				       "no owner name: the line starts with a blank, which means "
				       "\"same owner as the record before\", but there is none");
	} else {
		if (name_of(zp, f, 0, zp->owner, "owner name") < 0)
			return -1;
		zp->have_owner = 1;
		i = 1;
	}
	/* [TTL] [class] type, or [class] [TTL] type. */
	for (;; i++) {
		if (i >= lx->ntok)
			return zp_fail(zp, f->name, lx->tok_line[lx->ntok - 1],
				       "record has no type");
		word(&tok[i], w, sizeof(w));
		if (w[0] >= '0' && w[0] <= '9') {
			if (explicit_ttl)
				return zp_fail(zp, f->name, lx->tok_line[i],
					       "two TTLs in one record");
			if (ttl_of(zp, f, i, &ttl, "TTL") < 0)
				return -1;
			explicit_ttl = 1;
			continue;
		}
		if (w[0] && rr_type_from_name(w, &type) == 0)
			break;
		if (w[0] && rr_class_from_name(w, &rclass) == 0) {
			if (have_class)
				return zp_fail(zp, f->name, lx->tok_line[i],
					       "two classes in one record");
			have_class = 1;
			continue;
		}
		return zp_fail(zp, f->name, lx->tok_line[i], "unknown type '%s'",
			       rdata_token_show(&tok[i], sb, sizeof(sb)));
	}
	rr_type_name(type, tn, sizeof(tn));
	if (meta_type(type))
		return zp_fail(zp, f->name, lx->tok_line[i],
			       "type %s cannot be in a zone file (it only exists in queries)", tn);
	i++;
	rdlen = rdata_parse(type, tok + i, lx->ntok - i, f->origin, zp->rdata, sizeof(zp->rdata),
			    msg, sizeof(msg), &errtok);
	if (rdlen < 0)
		return zp_fail(zp, f->name,
			       lx->tok_line[i + errtok < lx->ntok ? i + errtok : lx->ntok - 1],
			       "%s", msg);

	/* The TTL, as BIND decides it. */
	if (explicit_ttl) {
		zp->last_ttl = ttl;
		zp->last_known = 1;
	} else if (zp->default_known) {
		ttl = zp->default_ttl;
	} else if (zp->last_known) {
		ttl = zp->last_ttl;
		if (!zp->warned_1035)
			zp_warn(zp, f->name, lx->start,
				"no $TTL: using the TTL of the record before (RFC 1035)");
		zp->warned_1035 = 1;
	} else if (type == DNS_T_SOA && rdlen >= 4) {
		ttl = buf_get_u32(zp->rdata + rdlen - 4);
		if (ttl > TTL_MAX)
			ttl = 0;
		zp_warn(zp, f->name, lx->start,
			"no TTL and no $TTL: using the SOA's minimum (%lu) as the default, as "
			"BIND does",
			(unsigned long)ttl);
		zp->default_ttl = ttl;
		zp->default_known = 1;
	} else {
		return zp_fail(zp, f->name, lx->start,
			       "no TTL: give one on this record or a $TTL line before it");
	}

	{
		struct dns_rr rr = {zp->owner, type, rclass, ttl, (uint16_t)rdlen, zp->rdata};
		struct zonefile_pos pos = {f->name, lx->start};
		zp->err->msg[0] = '\0';
		str_copy(zp->err->file, f->name, sizeof(zp->err->file));
		zp->err->line = lx->start;
		if (zp->fn(zp->arg, &rr, &pos, zp->err) != 0) {
			if (zp->err->msg[0] == '\0')
				str_copy(zp->err->msg, "record rejected", sizeof(zp->err->msg));
			return -1;
		}
	}
	return 0;
}

static int parse_text(struct zp *zp, const char *text, size_t len, const char *name,
		      const char *dir, const uint8_t *origin)
{
	struct zf f;
	int r;

	zonelex_init(&f.lx, text, len);
	f.name = name;
	f.dir = dir;
	dname_copy(f.origin, origin);
	while ((r = zonelex_next(&f.lx)) > 0) {
		const struct rdata_token *t0 = &f.lx.tok[0];
		if (!t0->quoted && t0->len > 0 && t0->s[0] == '$' && !f.lx.blank)
			r = directive(zp, &f);
		else
			r = record(zp, &f);
		if (r < 0)
			break;
	}
	if (r < 0 && f.lx.err[0] && zp->err->msg[0] == '\0')
		zp_fail(zp, name, f.lx.err_line, "%s", f.lx.err);
	zonelex_free(&f.lx);
	return r < 0 ? -1 : 0;
}

static struct zp *zp_new(const uint8_t *origin, const struct zonefile_opts *opts, zonefile_rr_fn fn,
			 void *arg, struct zonefile_error *err, const char *name)
{
	struct zp *zp;

	memset(err, 0, sizeof(*err));
	if (origin == NULL) {
		str_copy(err->file, name, sizeof(err->file));
		str_copy(err->msg, "no origin given", sizeof(err->msg));
		return NULL;
	}
	zp = calloc(1, sizeof(*zp));
	if (zp == NULL) {
		str_copy(err->file, name, sizeof(err->file));
		str_copy(err->msg, "out of memory", sizeof(err->msg));
		return NULL;
	}
	zp->opts = opts;
	zp->fn = fn;
	zp->arg = arg;
	zp->err = err;
	return zp;
}

int zonefile_parse_opts(const char *path, const uint8_t *origin, const struct zonefile_opts *opts,
			zonefile_rr_fn fn, void *arg, struct zonefile_error *err)
{
	struct zp *zp = zp_new(origin, opts, fn, arg, err, path);
	int r;
	if (zp == NULL)
		return -1;
	r = parse_file(zp, path, origin, NULL, 0);
	free(zp);
	return r;
}

int zonefile_parse_text_opts(const char *text, size_t len, const char *name, const uint8_t *origin,
			     const struct zonefile_opts *opts, zonefile_rr_fn fn, void *arg,
			     struct zonefile_error *err)
{
	struct zp *zp = zp_new(origin, opts, fn, arg, err, name);
	int r;
	if (zp == NULL)
		return -1;
	r = parse_text(zp, text, len, name, NULL, origin);
	free(zp);
	return r;
}

int zonefile_parse(const char *path, const uint8_t *origin, zonefile_rr_fn fn, void *arg,
		   struct zonefile_error *err)
{
	return zonefile_parse_opts(path, origin, NULL, fn, arg, err);
}

int zonefile_parse_text(const char *text, size_t len, const char *name, const uint8_t *origin,
			zonefile_rr_fn fn, void *arg, struct zonefile_error *err)
{
	return zonefile_parse_text_opts(text, len, name, origin, NULL, fn, arg, err);
}
