/*
 * resolv_conf: reads resolv.conf(5) twice over, as the two readers whose
 * results matter: glibc's (the servers and options the resolver uses) and
 * BIND's libirs (what nslookup must reproduce). They agree on well-formed
 * files and part on the rest: libirs refuses a nameserver or domain line
 * with a second word, a keyword with nothing after it, an option value
 * that is no number in 0..255, or a bad sortlist, where glibc skips the
 * line or clamps the value. See resolver.h.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/strutil.h"
#include "dns/resolver.h"

#define MAXNS 3 /* glibc's limit: further nameserver lines are ignored */

/* ---- glibc's reading: the servers and the options it clamps ---- */

/*
 * An option's number as glibc's res_setoptions reads it: atoi (so "",
 * "x" and "-0" are 0, "3x" is 3), and a value past glibc's limit is the
 * limit (RES_MAXNDOTS 15, RES_MAXRETRANS 30, RES_MAXRETRY 5). Below, we
 * part from glibc: a negative value is the least, and timeout and
 * attempts are at least 1, where glibc waits its minimum of a second
 * for a timeout of 0 and sends nothing at all with attempts:0.
 */
static unsigned option_value(const char *s, unsigned least, unsigned most)
{
	long v = strtol(s, NULL, 10);
	return v < (long)least ? least : v > (long)most ? most : (unsigned)v;
}

static void set_options(struct resolv_conf *rc, char *rest)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(rest, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (strncmp(tok, "ndots:", 6) == 0)
			rc->ndots = option_value(tok + 6, 0, 15);
		else if (strncmp(tok, "timeout:", 8) == 0)
			rc->timeout = option_value(tok + 8, 1, 30);
		else if (strncmp(tok, "attempts:", 9) == 0)
			rc->attempts = option_value(tok + 9, 1, 5);
	}
}

static void add_server(struct resolv_conf *rc, char *rest)
{
	char *tok, *save = NULL, *pct;

	tok = strtok_r(rest, " \t", &save);
	if (tok == NULL || rc->nservers >= MAXNS)
		return;
	/* A scope ("fe80::1%eth0") is dropped: link-local servers need it,
	 * loopback and global ones do not. */
	if ((pct = strchr(tok, '%')) != NULL)
		*pct = '\0';
	if (strchr(tok, '[') || strchr(tok, ']'))
		return;
	if (netaddr_parse(tok, 53, &rc->servers[rc->nservers]) == 0 &&
	    (strchr(tok, ':') == NULL || strchr(tok, ':') != strrchr(tok, ':')))
		rc->nservers++;
}

static void read_glibc(FILE *f, struct resolv_conf *rc)
{
	char line[1024], *p, *rest;

	while (fgets(line, sizeof(line), f)) {
		p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == ';')
			continue;
		rest = p;
		while (*rest && !isspace((unsigned char)*rest))
			rest++;
		if (*rest)
			*rest++ = '\0';
		rest = str_trim(rest);
		if (strcmp(p, "nameserver") == 0)
			add_server(rc, rest);
		else if (strcmp(p, "options") == 0)
			set_options(rc, rest);
	}
}

/*
 * ---- libirs' reading (BIND 9.18, lib/irs/resconf.c) ----
 *
 * A stream of words, not of lines: a keyword alone on its line takes its
 * word from the next line ("search\nexample.test" is a search list), a
 * word starting with '#' or ';' ends the line, and a nameserver or domain
 * line must end right after its word (a '\r' there is junk). Each rule
 * below is libirs' own, so that nslookup stops where BIND's does.
 */

#define IRS_WORD     256 /* RESCONFMAXLINELEN */
#define IRS_SORTLIST 10

static int irs_eatline(FILE *f)
{
	int ch;
	while ((ch = fgetc(f)) != '\n' && ch != EOF)
		;
	return ch;
}

/* Skips blanks up to a newline; a comment counts as blank. */
static int irs_eatwhite(FILE *f)
{
	int ch = fgetc(f);
	while (ch != '\n' && ch != EOF && isspace(ch))
		ch = fgetc(f);
	if (ch == ';' || ch == '#')
		ch = irs_eatline(f);
	return ch;
}

/* The next word into buf ("" at the end of a line); returns the character
 * that ended it, or EOF (also when the word fills buf, as libirs does). */
static int irs_getword(FILE *f, char *buf, size_t size)
{
	char *p = buf;
	int ch = irs_eatwhite(f);

	*p = '\0';
	if (ch == EOF)
		return EOF;
	for (;;) {
		*p = '\0';
		if (ch == EOF || isspace(ch))
			break;
		if ((size_t)(p - buf) == size - 1)
			return EOF;
		*p++ = (char)ch;
		ch = fgetc(f);
	}
	return ch;
}

/* A line that must hold one word: -1 when empty or followed by more. */
static int irs_one_word(FILE *f, char *word)
{
	int cp = irs_getword(f, word, IRS_WORD);
	if (word[0] == '\0')
		return -1;
	if (cp == ' ' || cp == '\t')
		cp = irs_eatwhite(f);
	return cp == EOF || cp == '\n' ? 0 : -1;
}

static int irs_nameserver(FILE *f, struct resolv_conf *rc)
{
	char word[IRS_WORD];
	struct addrinfo hints, *res = NULL;
	struct netaddr *na;

	if (irs_one_word(f, word) < 0)
		return -1;
	if (rc->irs_nservers == MAXNS)
		return 0; /* checked, then ignored */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(word, "53", &hints, &res) != 0)
		return -1;
	if (res->ai_addrlen > sizeof(na->ss)) {
		freeaddrinfo(res);
		return -1;
	}
	na = &rc->irs_servers[rc->irs_nservers++];
	memcpy(&na->ss, res->ai_addr, res->ai_addrlen);
	na->len = res->ai_addrlen;
	freeaddrinfo(res);
	if (na->ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&na->ss;
		if (sin->sin_addr.s_addr == htonl(INADDR_ANY))
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	return 0;
}

static int irs_search(FILE *f, struct resolv_conf *rc)
{
	char word[IRS_WORD];
	int delim = irs_getword(f, word, sizeof(word));

	rc->nsearch = 0;
	if (word[0] == '\0')
		return -1;
	while (word[0] != '\0') {
		if (rc->nsearch < RESOLV_SEARCH_MAX)
			str_copy(rc->search[rc->nsearch++], word, sizeof(rc->search[0]));
		if (delim == EOF || delim == '\n')
			break;
		delim = irs_getword(f, word, sizeof(word));
	}
	return 0;
}

static int irs_addr(const char *s)
{
	struct in6_addr a;
	return inet_pton(AF_INET, s, &a) == 1 || inet_pton(AF_INET6, s, &a) == 1 ? 0 : -1;
}

/* n counts the entries of every sortlist line so far, as libirs does. */
static int irs_sortlist(FILE *f, unsigned *n)
{
	char word[IRS_WORD], *mask;
	int delim = irs_getword(f, word, sizeof(word));

	if (word[0] == '\0')
		return -1;
	while (word[0] != '\0') {
		if ((*n)++ == IRS_SORTLIST)
			return -1;
		if ((mask = strchr(word, '/')) != NULL)
			*mask++ = '\0';
		if (irs_addr(word) < 0 || (mask && irs_addr(mask) < 0))
			return -1;
		if (delim == EOF || delim == '\n')
			break;
		delim = irs_getword(f, word, sizeof(word));
	}
	return 0;
}

/* strtol's whole-word number in 0..255 (resconf_optionnumber). */
static int irs_number(const char *s, unsigned *out, int *set)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*end != '\0' || n < 0 || n > 0xff)
		return -1;
	*out = (unsigned)n;
	*set = 1;
	return 0;
}

static int irs_options(FILE *f, struct resolv_conf *rc)
{
	char word[IRS_WORD];
	int delim = irs_getword(f, word, sizeof(word));

	if (word[0] == '\0')
		return -1;
	while (word[0] != '\0') {
		int r = 0;
		if (strncmp(word, "ndots:", 6) == 0)
			r = irs_number(word + 6, &rc->ndots_raw, &rc->ndots_set);
		else if (strncmp(word, "attempts:", 9) == 0)
			r = irs_number(word + 9, &rc->attempts_raw, &rc->attempts_set);
		else if (strncmp(word, "timeout:", 8) == 0)
			r = irs_number(word + 8, &rc->timeout_raw, &rc->timeout_set);
		if (r < 0)
			return -1; /* the rest of the line is not read */
		if (delim == EOF || delim == '\n')
			break;
		delim = irs_getword(f, word, sizeof(word));
	}
	return 0;
}

static void read_libirs(FILE *f, struct resolv_conf *rc)
{
	char word[IRS_WORD];
	unsigned nsort = 0;
	int r;

	for (;;) {
		if (irs_getword(f, word, sizeof(word)) == EOF)
			break;
		if (word[0] == '\0')
			continue;
		if (strcmp(word, "nameserver") == 0) {
			r = irs_nameserver(f, rc);
		} else if (strcmp(word, "domain") == 0) {
			/* A search list of one, replacing any before. */
			r = irs_one_word(f, word);
			if (r == 0) {
				str_copy(rc->search[0], word, sizeof(rc->search[0]));
				rc->nsearch = 1;
			}
		} else if (strcmp(word, "search") == 0) {
			r = irs_search(f, rc);
		} else if (strcmp(word, "sortlist") == 0) {
			r = irs_sortlist(f, &nsort);
		} else if (strcmp(word, "options") == 0) {
			r = irs_options(f, rc);
		} else {
			r = 0;
			if (irs_eatline(f) == EOF)
				break;
		}
		if (r < 0)
			rc->malformed = 1; /* libirs reads on, and fails at the end */
	}
}

/* glibc's defaults; libirs' own are nslookup's business. */
static void defaults(struct resolv_conf *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->ndots = 1;
	rc->timeout = 5;
	rc->attempts = 2;
}

int resolv_conf_parse(FILE *f, struct resolv_conf *rc)
{
	defaults(rc);
	rewind(f);
	read_glibc(f, rc);
	rewind(f);
	read_libirs(f, rc);
	return (int)rc->nservers;
}

int resolv_conf_read(const char *path, struct resolv_conf *rc)
{
	FILE *f = fopen(path ? path : "/etc/resolv.conf", "r");
	int n;

	if (f == NULL) {
		int err = errno;
		defaults(rc);
		/* No file is an empty one; one that cannot be read is not. */
		rc->malformed = err != ENOENT;
		return 0;
	}
	n = resolv_conf_parse(f, rc);
	fclose(f);
	return n;
}
