/*
 * zonelex: splits master-file text into entries (one record or
 * directive each) and an entry into words, as RFC 1035 section 5.1 says:
 * parentheses continue an entry over several lines, ';' starts a comment,
 * "quoted strings" are one word, a backslash escapes the next character.
 * Used by zonefile.c only; words point into the text (nothing is copied).
 */
#ifndef MXHOST_DNS_ZONELEX_H
#define MXHOST_DNS_ZONELEX_H

#include <stddef.h>

#include "dns/rdata_parse.h"

struct zonelex {
	const char *p, *end;
	unsigned line;	    /* current line, from 1 */
	int line_blank;	    /* the current line starts with a blank */
	int paren_blank;    /* -1, or line_blank of a '(' that opened the entry */
	int depth;	    /* open parentheses */
	unsigned open_line; /* where the outermost '(' is */

	/* The entry just read. */
	struct rdata_token *tok;
	unsigned *tok_line; /* line of each word */
	size_t ntok, cap;
	int blank;	/* the entry's line starts with a blank: no owner name */
	unsigned start; /* the entry's first line */

	char err[160];	   /* on -1 */
	unsigned err_line; /* on -1 */
};

void zonelex_init(struct zonelex *lx, const char *text, size_t len);
void zonelex_free(struct zonelex *lx);

/* Reads the next entry that has words. 1: one is in tok; 0: end of text;
 * -1: a syntax error (err, err_line). */
int zonelex_next(struct zonelex *lx);

#endif
