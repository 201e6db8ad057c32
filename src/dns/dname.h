/*
 * dname: domain names in uncompressed wire form — length-prefixed labels
 * ending with the zero-length root label — with the conversions to and
 * from text, comparison, and the compression used in messages.
 *
 * Names inside mxhost are always uncompressed wire form in a buffer of
 * DNAME_MAX bytes (or an exact-length copy). Only dname_unpack and
 * dname_pack see compression.
 */
#ifndef MXHOST_DNS_DNAME_H
#define MXHOST_DNS_DNAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

#define DNAME_MAX	 255 /* wire length, root label included (RFC 1035) */
#define DNAME_LABEL_MAX	 63
#define DNAME_TEXT_MAX	 1024 /* presentation form, \DDD escapes included */
#define DNAME_LABELS_MAX 127  /* labels of one octet each, root not counted */

/* Wire length of a well-formed name (as produced by this module). */
size_t dname_len(const uint8_t *name);

/* Number of labels, not counting the root. */
int dname_labels(const uint8_t *name);

/* Where each label starts: off[i] for label i (0 is the leftmost), off[n]
 * for the root label; returns n, the number of labels. */
static inline int dname_label_offsets(const uint8_t *name, uint8_t off[DNAME_LABELS_MAX + 1])
{
	size_t o = 0;
	int n = 0;
	for (; name[o]; o += (size_t)name[o] + 1)
		off[n++] = (uint8_t)o;
	off[n] = (uint8_t)o;
	return n;
}

/* The name with its first label removed, pointing into name; NULL for
 * the root. */
const uint8_t *dname_parent(const uint8_t *name);

int dname_is_root(const uint8_t *name);

/* Whether the first label is "*". */
int dname_is_wildcard(const uint8_t *name);

/* ASCII lower case of one octet: DNS ignores case in ASCII only. */
static inline uint8_t dname_lower_octet(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Case-insensitive equality (ASCII only, as DNS is). */
int dname_equal(const uint8_t *a, const uint8_t *b);

/* Whether name is parent or below it. */
int dname_is_subdomain(const uint8_t *name, const uint8_t *parent);

/* Canonical DNS order (RFC 4034 section 6.1): <0, 0, >0. */
int dname_compare(const uint8_t *a, const uint8_t *b);

/* ASCII lower case, in place. */
void dname_lower(uint8_t *name);

/* Case-insensitive hash, for tables indexed by its low bits: FNV-1a,
 * then mixed (dname_hash_mix). Unseeded: the same in every process. */
uint32_t dname_hash(const uint8_t *name);

/* MurmurHash3's finalizer. FNV's low bits depend only on the low bits of
 * each octet hashed ("a", "i", "q", "y" share their low three), so a
 * table masking them needs every bit mixed into them first. The zone's
 * own hash (seeded, label by label) ends with it too. */
static inline uint32_t dname_hash_mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Copies name into out (DNAME_MAX bytes); returns its length. */
size_t dname_copy(uint8_t *out, const uint8_t *name);

/* The same in lower case (out may be name). Inline, like
 * dname_label_offsets: the zone lookup runs both for every query. */
static inline size_t dname_copy_lower(uint8_t *out, const uint8_t *name)
{
	size_t len = 0;
	while (name[len])
		len += (size_t)name[len] + 1;
	len++;
	/* Length octets (at most 63) are below 'A': one flat loop does. */
	for (size_t i = 0; i < len; i++)
		out[i] = dname_lower_octet(name[i]);
	return len;
}

/* Builds prefix + suffix into out; -1 if longer than DNAME_MAX. prefix is
 * a name whose root label is dropped (so "www" + "example.test."). */
int dname_concat(uint8_t *out, const uint8_t *prefix, const uint8_t *suffix);

/*
 * Text to wire. Handles \X and \DDD escapes. A name not ending in '.' is
 * relative and gets origin appended; with origin NULL a relative name is
 * taken as absolute (as tools do with names typed by people). "@" is the
 * origin. Returns the wire length, or -1 on a syntax error (empty label,
 * label over 63 octets, bad escape) or a name over 255 octets.
 */
int dname_from_text(uint8_t *out, const char *text, size_t len, const uint8_t *origin);

/* Wire to text, absolute with the trailing dot, "." for the root;
 * special characters escaped as BIND does (\. \\ \" \( \) \; \@ \$ and
 * \DDD for bytes outside printable ASCII). Returns the text length, or -1
 * if size is too small. */
int dname_to_text(const uint8_t *name, char *buf, size_t size);

/* The same without the final dot, as tools print names to people
 * (BIND's dns_name_format); the root stays ".". Returns buf, which holds
 * "" when size is too small. */
const char *dname_to_text_nodot(const uint8_t *name, char *buf, size_t size);

/*
 * Reads a possibly compressed name from a message at *pos into out
 * (uncompressed), advancing *pos past the name as it stands at *pos.
 * Every compression pointer must point strictly before the label that
 * holds it, so that loops cannot exist; the result must fit DNAME_MAX.
 * Returns the wire length, or -1 on any malformation.
 */
int dname_unpack(const uint8_t *msg, size_t msglen, size_t *pos, uint8_t *out);

/*
 * Where names already written into a message stand, for compression: a
 * trie of the labels written, each entry one label at its offset in the
 * message, linked to its parent (the rest of the name) and to its
 * children, so that matching a name costs one label compare per sibling
 * along its path, not a scan of every name written.
 *
 * Only n needs resetting (or a rewind, dns_rewind) between uses: links to
 * entries at or past n are ignored, and every entry's sibling link points
 * to an older entry, so no walk can loop.
 */
#define DNAME_CTAB_MAX	128
#define DNAME_CTAB_NONE 0xffff
struct dname_ctab {
	int n;
	uint16_t root_child;		  /* first top-level label entry */
	uint16_t off[DNAME_CTAB_MAX];	  /* offset of the label in the message */
	uint16_t parent[DNAME_CTAB_MAX];  /* entry of the rest of the name */
	uint16_t child[DNAME_CTAB_MAX];	  /* newest entry below it */
	uint16_t sibling[DNAME_CTAB_MAX]; /* older entry with the same parent */
};

/* Writes name at the end of w, compressed against ct when ct is not NULL
 * (and recording its new suffixes there). The message starts at w->data.
 * -1 on overflow. */
int dname_pack(struct wbuf *w, const uint8_t *name, struct dname_ctab *ct);

#endif
