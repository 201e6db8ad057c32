/* nslookup_opts: nslookup's settings, `set OPTION`, `set all`, servers
 * and reverse names, as BIND 9.18's nslookup does them. See nslookup.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/nslookup.h"
#include "core/strutil.h"
#include "dns/rdata.h"

void nsl_settings_init(struct nsl_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->qtype = DNS_T_A;
	str_copy(s->type_text, "A", sizeof(s->type_text));
	s->qclass = DNS_C_IN;
	str_copy(s->class_text, "IN", sizeof(s->class_text));
	s->default_lookups = 1;
	s->search = 1;
	s->recurse = 1;
	s->tries = 3;
	s->port = 53;
	s->ndots = 1;
	s->check_ra = 1;
}

static int add_address(struct nsl_settings *s, const char *name, const struct sockaddr *sa,
		       socklen_t len)
{
	struct nsl_server *srv;
	const void *addr;

	if (s->nservers >= NSL_SERVERS_MAX || len > sizeof(srv->ss))
		return -1;
	srv = &s->servers[s->nservers];
	memset(srv, 0, sizeof(*srv));
	str_copy(srv->name, name, sizeof(srv->name));
	memcpy(&srv->ss, sa, len);
	srv->len = len;
	if (sa->sa_family == AF_INET)
		addr = &((const struct sockaddr_in *)sa)->sin_addr;
	else
		addr = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	inet_ntop(sa->sa_family, addr, srv->addr, sizeof(srv->addr));
	if (sa->sa_family == AF_INET6 && ((const struct sockaddr_in6 *)sa)->sin6_scope_id) {
		size_t l = strlen(srv->addr);
		snprintf(srv->addr + l, sizeof(srv->addr) - l, "%%%u",
			 ((const struct sockaddr_in6 *)sa)->sin6_scope_id);
	}
	str_copy(srv->servname, srv->addr, sizeof(srv->servname));
	if (strcmp(name, "") == 0)
		str_copy(srv->name, srv->addr, sizeof(srv->name));
	s->nservers++;
	return 0;
}

void nsl_settings_resolv(struct nsl_settings *s, const struct resolv_conf *rc)
{
	s->nservers = 0;
	for (size_t i = 0; i < rc->irs_nservers; i++) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)&rc->irs_servers[i].ss;
		if (add_address(s, "", (const struct sockaddr *)sin6, rc->irs_servers[i].len) < 0)
			continue;
		if (sin6->sin6_family == AF_INET6 && sin6->sin6_scope_id != 0) {
			/* BIND names a scoped server from resolv.conf by its
			 * address with the scope, and then the scope once more:
			 * "fe80::1%2%2" (its Address: line has it once). */
			struct nsl_server *srv = &s->servers[s->nservers - 1];
			char twice[sizeof(srv->servname)];
			snprintf(twice, sizeof(twice), "%s%%%u", srv->addr, sin6->sin6_scope_id);
			str_copy(srv->servname, twice, sizeof(srv->servname));
			str_copy(srv->name, twice, sizeof(srv->name));
		}
	}
	if (s->nservers == 0) {
		/* What BIND falls back to: both loopback addresses, v6 first. */
		struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
					    .sin6_addr = IN6ADDR_LOOPBACK_INIT};
		struct sockaddr_in sin = {.sin_family = AF_INET};
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		add_address(s, "", (struct sockaddr *)&sin6, sizeof(sin6));
		add_address(s, "", (struct sockaddr *)&sin, sizeof(sin));
	}
	s->nsearch = 0;
	for (size_t i = 0; i < rc->nsearch && i < NSL_SEARCH_MAX; i++)
		str_copy(s->search_list[s->nsearch++], rc->search[i], DNAME_TEXT_MAX);
	/* The options as written, not glibc's clamped values with its
	 * defaults: BIND's own defaults are ndots 1, timeout 0 (meaning 5 s
	 * over UDP, 10 s over TCP) and 3 tries, and attempts:0 means 3. */
	s->ndots = rc->ndots_set ? rc->ndots_raw : 1;
	s->timeout = rc->timeout_set ? rc->timeout_raw : 0;
	s->tries = rc->attempts_set && rc->attempts_raw > 0 ? rc->attempts_raw : 3;
}

int nsl_set_server(struct nsl_settings *s, const char *name, char *err, size_t errlen)
{
	struct nsl_settings tmp = *s;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	struct addrinfo hints, *res = NULL;
	int rc;

	tmp.nservers = 0;
	if (inet_pton(AF_INET, name, &sin.sin_addr) == 1) {
		add_address(&tmp, name, (struct sockaddr *)&sin, sizeof(sin));
	} else if (inet_pton(AF_INET6, name, &sin6.sin6_addr) == 1) {
		add_address(&tmp, name, (struct sockaddr *)&sin6, sizeof(sin6));
	} else {
		/* As BIND's bind9_getaddresses: the system's resolver, so that
		 * /etc/hosts names and scoped addresses work as with nslookup. */
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		hints.ai_protocol = IPPROTO_UDP;
		hints.ai_flags = AI_ADDRCONFIG;
		rc = getaddrinfo(name, NULL, &hints, &res);
		if (rc != 0) {
			snprintf(err, errlen, "couldn't get address for '%s': %s", name,
				 rc == EAI_NONAME || rc == EAI_NODATA ? "not found" : "failure");
			return -1;
		}
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
			if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
				add_address(&tmp, name, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(res);
	}
	if (tmp.nservers == 0) {
		snprintf(err, errlen, "couldn't get address for '%s': not found", name);
		return -1;
	}
	memcpy(s->servers, tmp.servers, sizeof(s->servers));
	s->nservers = tmp.nservers;
	return 0;
}

const char *nsl_server_addr(const struct nsl_server *srv, uint16_t port, char *buf, size_t size)
{
	snprintf(buf, size, "%s#%u", srv->addr, port);
	return buf;
}

/* isc_parse_uint32 and dighost's parse_uint, with their messages. */
static int parse_number(const char *value, unsigned long max, const char *what, unsigned long *out,
			FILE *o)
{
	char *end;
	unsigned long long v;

	if (!isalnum((unsigned char)value[0])) {
		fprintf(o, "invalid %s '%s': not a valid number\n", what, value);
		return -1;
	}
	errno = 0;
	v = strtoull(value, &end, 10);
	if (*end != '\0') {
		fprintf(o, "invalid %s '%s': not a valid number\n", what, value);
		return -1;
	}
	if (errno == ERANGE || v > UINT32_MAX || v > max) {
		fprintf(o, "invalid %s '%s': out of range\n", what, value);
		return -1;
	}
	*out = (unsigned long)v;
	return 0;
}

/* dns_rdataclass_fromtext knows the long names too. */
static int class_from_text(const char *t, uint16_t *c)
{
	if (strcasecmp(t, "chaos") == 0)
		t = "CH";
	else if (strcasecmp(t, "hesiod") == 0)
		t = "HS";
	return rr_class_from_name(t, c);
}

static void set_type(struct nsl_settings *s, const char *t, FILE *o)
{
	uint16_t type;
	if (rr_type_from_name(t, &type) < 0) {
		fprintf(o, "unknown query type: %s\n", t);
		return;
	}
	s->qtype = type;
	str_copy(s->type_text, t, sizeof(s->type_text));
	s->default_lookups = 0;
}

static void set_class(struct nsl_settings *s, const char *t, FILE *o)
{
	uint16_t c;
	if (class_from_text(t, &c) < 0) {
		fprintf(o, "unknown query class: %s\n", t);
		return;
	}
	s->qclass = c;
	str_copy(s->class_text, t, sizeof(s->class_text));
}

/* A value option: "name=value" where name may be any of the spellings. */
static const char *value_of(const char *opt, const char *const *names)
{
	for (; *names; names++) {
		size_t n = strlen(*names);
		if (strncasecmp(opt, *names, n) == 0)
			return opt + n;
	}
	return NULL;
}

/* BIND's CHECKOPT: opt is a prefix of word, at least min long. */
static int word(const char *opt, const char *w, size_t min)
{
	size_t l = strlen(opt);
	return l >= min && l <= strlen(w) && strncasecmp(opt, w, l) == 0;
}

void nsl_set_option(struct nsl_settings *s, const char *opt, FILE *o)
{
	static const char *const class_n[] = {"class=", "cl=", NULL};
	static const char *const type_n[] = {
	    "type=", "ty=", "querytype=", "query=", "qu=", "q=", NULL};
	static const char *const domain_n[] = {"domain=", "do=", NULL};
	static const char *const port_n[] = {"port=", "po=", NULL};
	static const char *const timeout_n[] = {"timeout=", "t=", NULL};
	static const char *const retry_n[] = {"retry=", "ret=", NULL};
	static const char *const ndots_n[] = {"ndots=", NULL};
	const char *v;
	unsigned long n;

	/* The order is BIND's: "t=" only after "type=" and "timeout=". */
	if (word(opt, "all", 3)) {
		nsl_show_settings(s, 0, o);
	} else if ((v = value_of(opt, class_n))) {
		set_class(s, v, o);
	} else if ((v = value_of(opt, type_n))) {
		set_type(s, v, o);
	} else if ((v = value_of(opt, domain_n))) {
		str_copy(s->search_list[0], v, DNAME_TEXT_MAX);
		s->nsearch = 1;
		s->search = 1;
	} else if ((v = value_of(opt, port_n))) {
		if (parse_number(v, 65535, "port", &n, o) == 0)
			s->port = (uint16_t)n;
	} else if ((v = value_of(opt, timeout_n))) {
		if (parse_number(v, UINT_MAX, "timeout", &n, o) == 0)
			s->timeout = (unsigned)n;
	} else if (word(opt, "recurse", 3)) {
		s->recurse = 1;
	} else if (word(opt, "norecurse", 5)) {
		s->recurse = 0;
	} else if ((v = value_of(opt, retry_n))) {
		if (parse_number(v, INT_MAX, "tries", &n, o) == 0)
			s->tries = (unsigned)n;
	} else if (word(opt, "defname", 3)) {
		s->search = 1;
	} else if (word(opt, "nodefname", 5)) {
		s->search = 0;
	} else if (word(opt, "vc", 2)) {
		s->vc = s->vc_set = 1;
	} else if (word(opt, "novc", 4)) {
		s->vc = 0;
		s->vc_set = 1;
	} else if (word(opt, "debug", 3)) {
		s->debug = 1;
	} else if (word(opt, "nodebug", 5)) {
		s->debug = 0;
	} else if (word(opt, "d2", 2)) {
		s->d2 = 1;
	} else if (word(opt, "nod2", 4)) {
		s->d2 = 0;
	} else if (word(opt, "search", 3)) {
		s->search = 1;
	} else if (word(opt, "nosearch", 5)) {
		s->search = 0;
	} else if (word(opt, "sil", 3)) {
		/* accepted and ignored, as BIND does */
	} else if (word(opt, "fail", 3)) {
		s->fail = 1;
	} else if (word(opt, "nofail", 5)) {
		s->fail = 0;
	} else if ((v = value_of(opt, ndots_n))) {
		if (parse_number(v, 128, "ndots", &n, o) == 0)
			s->ndots = (unsigned)n;
	} else if (word(opt, "legacy", 3)) { /* mxhost's own */
		s->legacy = 1;
	} else if (word(opt, "nolegacy", 5)) {
		s->legacy = 0;
	} else {
		fprintf(o, "*** Invalid option: %s\n", opt);
	}
}

void nsl_show_settings(const struct nsl_settings *s, int servers_only, FILE *o)
{
	char addr[96];

	for (size_t i = 0; i < s->nservers; i++)
		fprintf(o, "Default server: %s\nAddress: %s\n", s->servers[i].name,
			nsl_server_addr(&s->servers[i], s->port, addr, sizeof(addr)));
	if (servers_only)
		return;
	fprintf(o, "\nSet options:\n");
	fprintf(o, "  %s\t\t\t%s\t\t%s\n", s->vc ? "vc" : "novc", s->debug ? "debug" : "nodebug",
		s->d2 ? "d2" : "nod2");
	fprintf(o, "  %s\t\t%s\n", s->search ? "search" : "nosearch",
		s->recurse ? "recurse" : "norecurse");
	fprintf(o, "  timeout = %u\t\tretry = %u\tport = %u\tndots = %u\n", s->timeout, s->tries,
		s->port, s->ndots);
	fprintf(o, "  querytype = %-8s\tclass = %s\n", s->type_text, s->class_text);
	fprintf(o, "  srchlist = ");
	for (size_t i = 0; i < s->nsearch; i++)
		fprintf(o, "%s%s", s->search_list[i], i + 1 < s->nsearch ? "/" : "");
	fprintf(o, "\n");
	if (s->legacy)
		fprintf(o, "  legacy\n");
}

int nsl_reverse_name(const char *text, char *out, size_t size)
{
	struct in6_addr a6;
	struct in_addr a4;
	size_t len = 0;

	if (inet_pton(AF_INET6, text, &a6) == 1) {
		/* dns_byaddr_createptrname, then dns_name_format: no final dot. */
		for (int i = 15; i >= 0; i--) {
			int n = snprintf(out + len, size - len, "%x.%x.", a6.s6_addr[i] & 0xf,
					 a6.s6_addr[i] >> 4);
			if (n < 0 || (size_t)n >= size - len)
				return -1;
			len += (size_t)n;
		}
		return snprintf(out + len, size - len, "ip6.arpa") < (int)(size - len) ? 0 : -1;
	}
	if (inet_pton(AF_INET, text, &a4) != 1)
		return -1;
	/* The octets as typed, reversed, with the final dot BIND keeps. */
	const char *end = text + strlen(text);
	while (end > text) {
		const char *dot = end;
		while (dot > text && dot[-1] != '.')
			dot--;
		int n = snprintf(out + len, size - len, "%.*s.", (int)(end - dot), dot);
		if (n < 0 || (size_t)n >= size - len)
			return -1;
		len += (size_t)n;
		end = dot > text ? dot - 1 : text;
	}
	return snprintf(out + len, size - len, "in-addr.arpa.") < (int)(size - len) ? 0 : -1;
}
