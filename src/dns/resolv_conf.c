/* resolv_conf: reads resolv.conf(5) as glibc does; see resolver.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/strutil.h"
#include "dns/resolver.h"

#define MAXNS 3 /* glibc's limit: further nameserver lines are ignored */

static void set_search(struct resolv_conf *rc, char *rest)
{
	char *tok, *save = NULL;

	/* The last search or domain line wins, as in glibc. */
	rc->nsearch = 0;
	for (tok = strtok_r(rest, " \t", &save); tok && rc->nsearch < 6;
	     tok = strtok_r(NULL, " \t", &save))
		str_copy(rc->search[rc->nsearch++], tok, sizeof(rc->search[0]));
}

static void set_options(struct resolv_conf *rc, char *rest)
{
	char *tok, *save = NULL;
	unsigned long v;

	for (tok = strtok_r(rest, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (strncmp(tok, "ndots:", 6) == 0 && parse_uint(tok + 6, 0, 15, &v) == 0)
			rc->ndots = (unsigned)v;
		else if (strncmp(tok, "timeout:", 8) == 0 && parse_uint(tok + 8, 1, 30, &v) == 0)
			rc->timeout = (unsigned)v;
		else if (strncmp(tok, "attempts:", 9) == 0 && parse_uint(tok + 9, 1, 5, &v) == 0)
			rc->attempts = (unsigned)v;
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

int resolv_conf_read(const char *path, struct resolv_conf *rc)
{
	char line[1024], *p, *rest;
	FILE *f;

	memset(rc, 0, sizeof(*rc));
	rc->ndots = 1;
	rc->timeout = 5;
	rc->attempts = 2;
	f = fopen(path ? path : "/etc/resolv.conf", "r");
	if (f == NULL)
		return 0;
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
		else if (strcmp(p, "search") == 0 || strcmp(p, "domain") == 0)
			set_search(rc, rest);
		else if (strcmp(p, "options") == 0)
			set_options(rc, rest);
	}
	fclose(f);
	return (int)rc->nservers;
}
