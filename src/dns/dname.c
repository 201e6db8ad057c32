/* dname: see dname.h. */
#include "dns/dname.h"

#include <stdio.h>
#include <string.h>

size_t dname_len(const uint8_t *name)
{
	const uint8_t *p = name;
	while (*p)
		p += *p + 1;
	return (size_t)(p - name) + 1;
}

int dname_labels(const uint8_t *name)
{
	int n = 0;
	for (const uint8_t *p = name; *p; p += *p + 1)
		n++;
	return n;
}

const uint8_t *dname_parent(const uint8_t *name)
{
	return *name ? name + *name + 1 : NULL;
}

int dname_is_root(const uint8_t *name)
{
	return name[0] == 0;
}

int dname_is_wildcard(const uint8_t *name)
{
	return name[0] == 1 && name[1] == '*';
}

int dname_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		uint8_t n = *a;
		if (n != *b)
			return 0;
		if (n == 0)
			return 1;
		a++;
		b++;
		for (uint8_t i = 0; i < n; i++)
			if (a[i] != b[i] && dname_lower_octet(a[i]) != dname_lower_octet(b[i]))
				return 0;
		a += n;
		b += n;
	}
}

int dname_is_subdomain(const uint8_t *name, const uint8_t *parent)
{
	int diff = dname_labels(name) - dname_labels(parent);
	if (diff < 0)
		return 0;
	while (diff-- > 0)
		name += *name + 1;
	return dname_equal(name, parent);
}

int dname_compare(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[DNAME_LABELS_MAX + 1], ob[DNAME_LABELS_MAX + 1];
	int na = dname_label_offsets(a, oa), nb = dname_label_offsets(b, ob);

	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
		uint8_t n = la[0] < lb[0] ? la[0] : lb[0];
		for (uint8_t i = 1; i <= n; i++) {
			uint8_t ca = dname_lower_octet(la[i]), cb = dname_lower_octet(lb[i]);
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return na == nb ? 0 : (na < nb ? -1 : 1);
}

void dname_lower(uint8_t *name)
{
	dname_copy_lower(name, name);
}

uint32_t dname_hash(const uint8_t *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t len = dname_len(name);
	for (size_t i = 0; i < len; i++) {
		h ^= dname_lower_octet(name[i]);
		h *= 16777619u;
	}
	return dname_hash_mix(h);
}

size_t dname_copy(uint8_t *out, const uint8_t *name)
{
	size_t n = dname_len(name);
	memmove(out, name, n);
	return n;
}

int dname_concat(uint8_t *out, const uint8_t *prefix, const uint8_t *suffix)
{
	size_t pl = dname_len(prefix) - 1, sl = dname_len(suffix);
	if (pl + sl > DNAME_MAX)
		return -1;
	memmove(out + pl, suffix, sl);
	memmove(out, prefix, pl);
	return (int)(pl + sl);
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads one character of a label at text[*i], resolving \X and \DDD.
 * Returns the byte, or -1 on a bad escape. */
static int text_char(const char *text, size_t len, size_t *i)
{
	size_t k = *i;
	int v;

	if (text[k] != '\\') {
		*i = k + 1;
		return (uint8_t)text[k];
	}
	if (k + 1 >= len)
		return -1;
	if (!digit(text[k + 1])) {
		*i = k + 2;
		return (uint8_t)text[k + 1];
	}
	if (k + 3 >= len || !digit(text[k + 2]) || !digit(text[k + 3]))
		return -1;
	v = (text[k + 1] - '0') * 100 + (text[k + 2] - '0') * 10 + (text[k + 3] - '0');
	if (v > 255)
		return -1;
	*i = k + 4;
	return v;
}

int dname_from_text(uint8_t *out, const char *text, size_t len, const uint8_t *origin)
{
	size_t o = 0, i = 0;

	if (len == 0)
		return -1;
	if (len == 1 && text[0] == '@')
		return origin ? (int)dname_copy(out, origin) : -1;
	if (len == 1 && text[0] == '.') {
		out[0] = 0;
		return 1;
	}
	while (i < len) {
		/* one label: out[o] is its length byte */
		size_t lab = o;
		out[lab] = 0;
		o++;
		while (i < len && text[i] != '.') {
			int c = text_char(text, len, &i);
			if (c < 0 || out[lab] == DNAME_LABEL_MAX || o >= DNAME_MAX - 1)
				return -1;
			out[o++] = (uint8_t)c;
			out[lab]++;
		}
		if (out[lab] == 0)
			return -1; /* empty label: "a..b", ".a", or "" */
		if (i < len) {
			i++; /* the dot */
			if (i == len) {
				out[o++] = 0; /* absolute */
				return (int)o;
			}
		}
	}
	if (origin == NULL) {
		out[o++] = 0;
		return (int)o;
	}
	{
		size_t ol = dname_len(origin);
		if (o + ol > DNAME_MAX)
			return -1;
		memcpy(out + o, origin, ol);
		return (int)(o + ol);
	}
}

static int special(uint8_t c)
{
	return c == '.' || c == ';' || c == '\\' || c == '"' || c == '(' || c == ')' || c == '@' ||
	       c == '$';
}

int dname_to_text(const uint8_t *name, char *buf, size_t size)
{
	size_t o = 0;

	if (size < 2)
		return -1;
	if (*name == 0) {
		buf[0] = '.';
		buf[1] = '\0';
		return 1;
	}
	for (const uint8_t *p = name; *p; p += *p + 1) {
		for (uint8_t i = 1; i <= *p; i++) {
			uint8_t c = p[i];
			if (c <= 0x20 || c >= 0x7f) {
				if (o + 4 >= size)
					return -1;
				snprintf(buf + o, 5, "\\%03u", c);
				o += 4;
			} else if (special(c)) {
				if (o + 2 >= size)
					return -1;
				buf[o++] = '\\';
				buf[o++] = (char)c;
			} else {
				if (o + 1 >= size)
					return -1;
				buf[o++] = (char)c;
			}
		}
		if (o + 1 >= size)
			return -1;
		buf[o++] = '.';
	}
	buf[o] = '\0';
	return (int)o;
}

const char *dname_to_text_nodot(const uint8_t *name, char *buf, size_t size)
{
	int n = dname_to_text(name, buf, size);
	if (n < 0) {
		if (size)
			buf[0] = '\0';
	} else if (n > 1) {
		buf[n - 1] = '\0'; /* every name but the root ends in the dot */
	}
	return buf;
}

int dname_unpack(const uint8_t *msg, size_t msglen, size_t *pos, uint8_t *out)
{
	size_t p = *pos, o = 0, end = 0;
	int jumped = 0;

	for (;;) {
		uint8_t n;
		if (p >= msglen)
			return -1;
		n = msg[p];
		if ((n & 0xc0) == 0xc0) {
			size_t target;
			if (p + 1 >= msglen)
				return -1;
			target = (size_t)(n & 0x3f) << 8 | msg[p + 1];
			/* Only backwards: every jump goes to a smaller offset,
			 * so the walk ends (a name may still repeat itself,
			 * and then it ends by outgrowing DNAME_MAX). */
			if (target >= p)
				return -1;
			if (!jumped)
				end = p + 2;
			jumped = 1;
			p = target;
			continue;
		}
		if (n & 0xc0)
			return -1; /* 0x40 and 0x80: extended label types, not supported */
		if (o + 1 + n > DNAME_MAX || p + 1 + n > msglen)
			return -1;
		memcpy(out + o, msg + p, (size_t)n + 1);
		o += (size_t)n + 1;
		p += (size_t)n + 1;
		if (n == 0)
			break;
	}
	*pos = jumped ? end : p;
	return (int)o;
}

/* Case-insensitive equality of two labels, each starting at its length. */
static int label_equal(const uint8_t *a, const uint8_t *b)
{
	if (a[0] != b[0])
		return 0;
	/* Names mostly repeat in the same case: compare bytes first. */
	for (uint8_t i = 1; i <= a[0]; i++)
		if (a[i] != b[i] && dname_lower_octet(a[i]) != dname_lower_octet(b[i]))
			return 0;
	return 1;
}

/* The head of the children of entry e (DNAME_CTAB_NONE: the root). */
static uint16_t *child_head(struct dname_ctab *ct, uint16_t e)
{
	return e == DNAME_CTAB_NONE ? &ct->root_child : &ct->child[e];
}

/* The entry below parent whose label equals label, or DNAME_CTAB_NONE. */
static uint16_t ctab_find(struct dname_ctab *ct, const uint8_t *msg, uint16_t parent,
			  const uint8_t *label)
{
	uint16_t i = *child_head(ct, parent);
	/* Siblings only get older (smaller), so the walk ends. */
	while (i < ct->n) {
		if (ct->parent[i] == parent && label_equal(msg + ct->off[i], label))
			return i;
		if (ct->sibling[i] >= i)
			break;
		i = ct->sibling[i];
	}
	return DNAME_CTAB_NONE;
}

static void ctab_add(struct dname_ctab *ct, uint16_t off, uint16_t parent)
{
	uint16_t i = (uint16_t)ct->n++, *head = child_head(ct, parent);
	ct->off[i] = off;
	ct->parent[i] = parent;
	ct->child[i] = DNAME_CTAB_NONE;
	ct->sibling[i] = *head < i ? *head : DNAME_CTAB_NONE;
	*head = i;
}

int dname_pack(struct wbuf *w, const uint8_t *name, struct dname_ctab *ct)
{
	const uint8_t *labels[128];
	uint16_t match = DNAME_CTAB_NONE, offs[128];
	int nl = 0, keep;

	for (const uint8_t *p = name; *p; p += *p + 1)
		labels[nl++] = p;
	/* The longest suffix already written: from the last label up. */
	keep = nl;
	while (ct && keep > 0) {
		uint16_t e = ctab_find(ct, w->data, match, labels[keep - 1]);
		if (e == DNAME_CTAB_NONE)
			break;
		match = e;
		keep--;
	}
	/* The labels before it, then a pointer to it or the root. */
	for (int i = 0; i < keep; i++) {
		offs[i] = (uint16_t)w->len;
		if (wbuf_bytes(w, labels[i], (size_t)labels[i][0] + 1) < 0)
			return -1;
	}
	if (match != DNAME_CTAB_NONE) {
		if (wbuf_u16(w, (uint16_t)(0xc000 | ct->off[match])) < 0)
			return -1;
	} else if (wbuf_u8(w, 0) < 0) {
		return -1;
	}
	/* Record the new labels, last first, each the parent of the one
	 * before; only offsets a pointer can reach, while there is room. */
	for (int i = keep - 1; ct && i >= 0; i--) {
		if (ct->n >= DNAME_CTAB_MAX || offs[i] >= 0x4000)
			break;
		ctab_add(ct, offs[i], match);
		match = (uint16_t)(ct->n - 1);
	}
	return 0;
}
