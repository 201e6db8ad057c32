/*
 * nslookup: `mxhost nslookup`, BIND 9.18's nslookup with its arguments,
 * interactive commands and output, plus a classic (-legacy) format.
 *
 * Four parts, the first three testable without a network:
 *   nslookup_opts.c   the settings and what `set OPTION` and `set all` do;
 *   nslookup_print.c  the output for one answer, as pure functions of a
 *                     parsed message (BIND's printmessage);
 *   nslookup_legacy.c the same for the classic format (-legacy);
 *   nslookup.c        the lookups (search list, servers, retries) on the
 *                     resolver's raw exchange, and the command loop.
 * Where BIND has an odd rule, the comment at that place says which.
 */
#ifndef MXHOST_CLI_NSLOOKUP_H
#define MXHOST_CLI_NSLOOKUP_H

#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "dns/dname.h"
#include "dns/resolver.h"
#include "dns/wire.h"

#define NSL_SERVERS_MAX 20 /* addresses a server name may give (BIND: 20) */
#define NSL_SEARCH_MAX	8  /* search list entries (BIND's libirs: 8) */
#define NSL_TYPE_TEXT	32 /* BIND's MXRD */

struct nsl_server {
	char name[DNAME_TEXT_MAX]; /* as the user gave it ("userarg") */
	char addr[64];		   /* the address alone, as text */
	char servname[80];	   /* how BIND's messages name it (the address) */
	struct sockaddr_storage ss;
	socklen_t len;
};

struct nsl_settings {
	uint16_t qtype;
	char type_text[NSL_TYPE_TEXT]; /* as typed: `set all` shows it */
	uint16_t qclass;
	char class_text[NSL_TYPE_TEXT];
	int default_lookups; /* no type set: A, then AAAA */
	int debug;	     /* set debug: the sections in full */
	int d2;
	int vc, vc_set;
	int search;
	int recurse;
	int fail;	  /* set fail: SERVFAIL ends the lookup */
	int legacy;	  /* the classic output format */
	unsigned timeout; /* seconds per try; 0: the default */
	unsigned tries;	  /* "retry" */
	uint16_t port;
	unsigned ndots;
	int check_ra; /* the servers came from resolv.conf */
	char search_list[NSL_SEARCH_MAX][DNAME_TEXT_MAX];
	size_t nsearch;
	struct nsl_server servers[NSL_SERVERS_MAX];
	size_t nservers;
};

/* BIND's defaults. */
void nsl_settings_init(struct nsl_settings *s);

/* What resolv.conf sets: servers (both loopback addresses when it names
 * none, as BIND falls back), the search list, ndots, timeout, attempts. */
void nsl_settings_resolv(struct nsl_settings *s, const struct resolv_conf *rc);

/*
 * One option, as after `set ` or a leading `-` ("type=mx", "deb",
 * "port=5300"), with BIND's abbreviations and its messages on out
 * ("*** Invalid option: x", "invalid port 'x': out of range").
 */
void nsl_set_option(struct nsl_settings *s, const char *opt, FILE *out);

/* `set all` (full) or what `server` prints (servers only). */
void nsl_show_settings(const struct nsl_settings *s, int servers_only, FILE *out);

/*
 * Replaces the servers by what name gives: an address, or a host name
 * resolved with getaddrinfo as BIND does (so /etc/hosts counts). -1 and a
 * message in err (BIND's "couldn't get address for 'x': not found") when
 * it gives none.
 */
int nsl_set_server(struct nsl_settings *s, const char *name, char *err, size_t errlen);

/* "127.0.0.1#5300": a server's address and the port in use. */
const char *nsl_server_addr(const struct nsl_server *srv, uint16_t port, char *buf, size_t size);

/* The in-addr.arpa. or ip6.arpa name for an address typed as a name, as
 * BIND spells it; -1 when text is no address. */
int nsl_reverse_name(const char *text, char *out, size_t size);

/*
 * Printing one answer (BIND's printmessage). The view says what was
 * asked and of whom; the result says what the caller must do next.
 */
struct nsl_view {
	const char *server_name; /* as the user gave it */
	const char *server_addr; /* "127.0.0.1#5300" */
	const char *textname;	 /* the lookup's name as typed */
	const uint8_t *qname;	 /* the name asked (wire) */
	uint16_t qtype;
	int default_lookups;
	int debug;
	int a_noanswer;	       /* the A lookup before this AAAA one had no answer */
	const char *addr_text; /* -legacy: the address typed, for a PTR lookup */
};

struct nsl_result {
	int rcode_error; /* an rcode other than NOERROR was printed */
	int a_noanswer;	 /* (out) this A answer was empty */
	int want_aaaa;	 /* queue the AAAA lookup of aaaa_name */
	char aaaa_name[DNAME_TEXT_MAX];
};

void nsl_print_message(FILE *out, const struct nsl_view *v, const struct dns_msg *m,
		       struct nsl_result *r);

/* The name the AAAA half of a host lookup asks: qname with the answer's
 * CNAMEs followed (at most as many steps as there are answers). */
void nsl_chase_cname(const struct dns_msg *m, const uint8_t *qname, char *out, size_t size);

/*
 * The classic format (-legacy). Header: "Server:  NAME" / "Address:  ADDR"
 * (or "Default Server:" for the interactive banner). Host lookups print
 * both answers together (a NULL message is one that did not come).
 */
void nsl_legacy_header(FILE *out, const char *title, const struct nsl_settings *s);
void nsl_legacy_print_records(FILE *out, const struct nsl_view *v, const struct dns_msg *m,
			      struct nsl_result *r);
void nsl_legacy_print_host(FILE *out, const struct nsl_view *v, const struct dns_msg *a,
			   const struct dns_msg *aaaa, struct nsl_result *r);
/* A reverse lookup typed as an address: "Name:    host" and the address. */
void nsl_legacy_print_ptr(FILE *out, const struct nsl_view *v, const struct dns_msg *m,
			  struct nsl_result *r);
/* "*** SERVER can't find NAME: Non-existent host/domain" and friends. */
void nsl_legacy_error(FILE *out, const char *server, const char *name, unsigned rcode);
/* BIND 8's p_time: "3 hours", "1 day 2 mins". */
const char *nsl_legacy_time(uint32_t secs, char *buf, size_t size);

#endif
