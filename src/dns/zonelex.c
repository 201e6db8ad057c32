/* zonelex: see zonelex.h. */
#include "dns/zonelex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An entry may hold this many words: 65535 octets of data are at most
 * 65535 empty TXT strings, plus owner, TTL, class and type. */
#define ZONELEX_MAX_WORDS 65600

void zonelex_init(struct zonelex *lx, const char *text, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->p = text;
	lx->end = text + len;
	lx->line = 1;
	lx->line_blank = len > 0 && (text[0] == ' ' || text[0] == '\t');
}

void zonelex_free(struct zonelex *lx)
{
	free(lx->tok);
	free(lx->tok_line);
	lx->tok = NULL;
	lx->tok_line = NULL;
}

static int lex_fail(struct zonelex *lx, unsigned line, const char *msg)
{
	snprintf(lx->err, sizeof(lx->err), "%s", msg);
	lx->err_line = line;
	return -1;
}

static int push(struct zonelex *lx, const char *s, size_t len, int quoted)
{
	if (lx->ntok >= ZONELEX_MAX_WORDS)
		return lex_fail(lx, lx->line, "too many words in one record");
	if (lx->ntok == lx->cap) {
		size_t cap = lx->cap ? lx->cap * 2 : 32;
		struct rdata_token *t;
		unsigned *l;
		t = realloc(lx->tok, cap * sizeof(*t));
		if (t == NULL)
			return lex_fail(lx, lx->line, "out of memory");
		lx->tok = t;
		l = realloc(lx->tok_line, cap * sizeof(*l));
		if (l == NULL)
			return lex_fail(lx, lx->line, "out of memory");
		lx->tok_line = l;
		lx->cap = cap;
	}
	if (lx->ntok == 0) {
		/* Whether the owner is omitted is decided by the line the
		 * entry starts on, a '(' before its first word included
		 * (RFC 1035 5.1). */
		lx->blank = lx->paren_blank >= 0 ? lx->paren_blank : lx->line_blank;
		lx->start = lx->line;
	}
	lx->tok[lx->ntok].s = s;
	lx->tok[lx->ntok].len = len;
	lx->tok[lx->ntok].quoted = quoted;
	lx->tok_line[lx->ntok] = lx->line;
	lx->ntok++;
	return 0;
}

static int delimiter(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '(' ||
	       c == ')' || c == '"';
}

int zonelex_next(struct zonelex *lx)
{
	lx->ntok = 0;
	lx->paren_blank = -1;
	while (lx->p < lx->end) {
		char c = *lx->p;
		switch (c) {
		case ' ':
		case '\t':
		case '\r': lx->p++; continue;
		case '\0': return lex_fail(lx, lx->line, "NUL character in the file");
		case ';':
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		case '\n':
			lx->p++;
			lx->line++;
			lx->line_blank = lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t');
			if (lx->depth == 0 && lx->ntok > 0)
				return 1;
			if (lx->depth == 0)
				lx->paren_blank = -1; /* "()" alone: no entry started */
			continue;
		case '(':
			if (lx->depth++ == 0)
				lx->open_line = lx->line;
			if (lx->ntok == 0 && lx->paren_blank < 0)
				lx->paren_blank = lx->line_blank;
			lx->p++;
			continue;
		case ')':
			if (lx->depth == 0)
				return lex_fail(lx, lx->line, "')' without an opening '('");
			lx->depth--;
			lx->p++;
			continue;
		case '"': {
			const char *s = ++lx->p;
			while (lx->p < lx->end && *lx->p != '"') {
				if (*lx->p == '\n')
					return lex_fail(lx, lx->line,
							"missing closing quote (\") before the end "
							"of the line");
				if (*lx->p == '\0')
					return lex_fail(lx, lx->line, "NUL character in the file");
				if (*lx->p == '\\' && lx->p + 1 < lx->end && lx->p[1] != '\n')
					lx->p++;
				lx->p++;
			}
			if (lx->p >= lx->end)
				return lex_fail(lx, lx->line,
						"missing closing quote (\") at the end "
						"of the file");
			if (push(lx, s, (size_t)(lx->p - s), 1) < 0)
				return -1;
			lx->p++;
			continue;
		}
		default: {
			const char *s = lx->p;
			while (lx->p < lx->end && !delimiter(*lx->p)) {
				if (*lx->p == '\0')
					return lex_fail(lx, lx->line, "NUL character in the file");
				if (*lx->p == '\\') {
					if (lx->p + 1 >= lx->end || lx->p[1] == '\n')
						return lex_fail(lx, lx->line,
								"backslash at the end of a line");
					if (lx->p[1] == '\0')
						return lex_fail(lx, lx->line,
								"NUL character in the file");
					lx->p++;
				}
				lx->p++;
			}
			if (push(lx, s, (size_t)(lx->p - s), 0) < 0)
				return -1;
			continue;
		}
		}
	}
	if (lx->depth > 0) {
		char msg[96];
		snprintf(msg, sizeof(msg), "'(' on line %u is never closed", lx->open_line);
		return lex_fail(lx, lx->line, msg);
	}
	return lx->ntok > 0 ? 1 : 0;
}
