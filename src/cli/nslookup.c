/*
 * mxhost nslookup: BIND 9.18's nslookup. The lookups follow BIND's
 * dighost: a queue of lookups, each trying the search list and the
 * servers in turn, with BIND's retry rule (the first server gets every
 * try, each next server one), and its messages, all on stdout.
 *
 * One query at a time goes through resolver_exchange() on an event_base
 * that runs while that query is out; the answers are printed by
 * nslookup_print.c (or nslookup_legacy.c for -legacy).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "cli/cli.h"
#include "cli/nslookup.h"
#include "core/log.h"
#include "core/random.h"
#include "core/strutil.h"
#include "dns/rdata.h"
#include "dns/resolver.h"

#ifndef MXHOST_VERSION
#define MXHOST_VERSION "0.1"
#endif

#define RESOLV_CONF  "/etc/resolv.conf"
#define UDP_TIMEOUT  5	    /* seconds, when `timeout` is 0 (BIND's) */
#define TCP_TIMEOUT  10	    /* idem over TCP */
#define LINE_MAX_LEN 0xffff /* BIND's COMMSIZE */

struct lookup {
	char textname[DNAME_TEXT_MAX]; /* as typed (or the AAAA's chased name) */
	uint16_t qtype, qclass;
	int origin;	 /* index in the search list being tried; -1: none */
	int new_search;	 /* a lookup the user asked for, not a follow-up */
	int need_search; /* try the search list after the name as is */
	int done_as_is;
	int tcp;
	unsigned retries;   /* tries left (BIND's l->retries) */
	int legacy_host;    /* -legacy: the AAAA half of a host lookup */
	char addr_text[64]; /* the address typed, for a reverse lookup */
	struct lookup *next;
};

struct nsl {
	struct nsl_settings s;
	struct lookup *head, *tail;
	int query_error; /* no server ever answered (BIND starts at 1) */
	int print_error; /* an answer with an error rcode was printed */
	int a_noanswer;
	struct event_base *base;
	struct resolver *res;
	FILE *out;
	struct dns_msg *legacy_a; /* -legacy: the A answer, waiting for AAAA */
};

/* Lookup queue: BIND appends new lookups and puts a retried one first. */
static struct lookup *lookup_new(void)
{
	struct lookup *l = calloc(1, sizeof(*l));
	if (l == NULL)
		fatal("nslookup: out of memory");
	l->origin = -1;
	return l;
}

static void append(struct nsl *n, struct lookup *l)
{
	l->next = NULL;
	if (n->tail)
		n->tail->next = l;
	else
		n->head = l;
	n->tail = l;
}

static void prepend(struct nsl *n, struct lookup *l)
{
	l->next = n->head;
	n->head = l;
	if (n->tail == NULL)
		n->tail = l;
}

static struct lookup *pop(struct nsl *n)
{
	struct lookup *l = n->head;
	if (l) {
		n->head = l->next;
		if (n->head == NULL)
			n->tail = NULL;
	}
	return l;
}

static struct lookup *clone(const struct lookup *old)
{
	struct lookup *l = lookup_new();
	*l = *old;
	l->new_search = 0;
	l->next = NULL;
	return l;
}

/* addlookup: a name typed, or an address for a reverse lookup. */
static void add_lookup(struct nsl *n, const char *name)
{
	struct lookup *l = lookup_new();
	char rev[DNAME_TEXT_MAX];

	n->a_noanswer = 0;
	if (nsl_reverse_name(name, rev, sizeof(rev)) == 0) {
		str_copy(l->textname, rev, sizeof(l->textname));
		str_copy(l->addr_text, name, sizeof(l->addr_text));
		l->qtype = DNS_T_PTR;
	} else {
		str_copy(l->textname, name, sizeof(l->textname));
		l->qtype = n->s.qtype;
	}
	l->qclass = n->s.qclass;
	l->retries = n->s.tries;
	l->tcp = n->s.vc || (l->qtype == DNS_T_ANY && !n->s.vc_set);
	l->new_search = 1;
	append(n, l);
}

static int count_dots(const char *s)
{
	int i = 0;
	for (; *s; s++)
		i += *s == '.';
	return i;
}

/* Whether text ends in an unescaped dot (an absolute name). */
static int is_absolute(const char *t)
{
	size_t len = strlen(t), bs = 0;
	if (len == 0 || t[len - 1] != '.')
		return 0;
	while (bs + 1 < len && t[len - 2 - bs] == '\\')
		bs++;
	return bs % 2 == 0;
}

/* Why dns_name_fromtext refuses a name, in its words. */
static const char *name_error(const char *t)
{
	size_t label = 0, total = 1;
	if (t[0] == '\0')
		return "empty label";
	if (strcmp(t, ".") == 0)
		return NULL;
	for (const char *p = t; *p; p++) {
		if (*p == '\\') {
			if (isdigit((unsigned char)p[1])) {
				/* In the order of BIND's state machine: the end of
				 * the text, a non-digit, then the value. */
				for (int k = 2; k <= 3; k++) {
					if (p[k] == '\0')
						return "unexpected end of input";
					if (!isdigit((unsigned char)p[k]))
						return "bad escape";
				}
				if ((p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0') > 255)
					return "bad escape";
				p += 3;
			} else if (p[1] == '\0') {
				return "unexpected end of input";
			} else {
				p++;
			}
			label++;
		} else if (*p == '.') {
			if (label == 0)
				return "empty label";
			total += label + 1;
			label = 0;
			continue;
		} else {
			label++;
		}
		if (label > DNAME_LABEL_MAX)
			return "label too long";
	}
	total += label ? label + 1 : 0;
	if (total > DNAME_MAX)
		return "ran out of space";
	return "syntax error";
}

static const char *progname = "nslookup";

static void settle(struct nsl *n)
{
	fflush(n->out);
}

/* BIND's fatal(): the message on stderr after what stdout holds, then exit. */
__attribute__((noreturn, format(printf, 3, 4))) static void die(struct nsl *n, int code,
								const char *fmt, ...)
{
	va_list ap;

	settle(n);
	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(code);
}

/*
 * setup_lookup: which name this try asks. 0 and the name, or -1 when the
 * name with this origin is too long (then the next origin is tried).
 */
static int setup_name(struct nsl *n, struct lookup *l, uint8_t *qname)
{
	const struct nsl_settings *s = &n->s;
	uint8_t origin[DNAME_MAX];

	if (l->new_search) {
		if ((unsigned)count_dots(l->textname) >= s->ndots || !s->search) {
			l->origin = -1;
			l->done_as_is = 1;
			l->need_search = s->search;
		} else if (l->origin < 0 && s->search) {
			l->origin = s->nsearch > 0 ? 0 : -1;
			l->need_search = 0;
		}
	}
	if (l->origin >= 0) {
		const char *o = s->search_list[l->origin];
		if (dname_from_text(origin, o, strlen(o), NULL) < 0)
			die(n, 10, "'%s' is not in legal name syntax (%s)", o, name_error(o));
		if (dname_from_text(qname, l->textname, strlen(l->textname),
				    is_absolute(l->textname) ? NULL : origin) < 0) {
			const char *why = name_error(l->textname);
			if (strcmp(why, "syntax error") == 0)
				return -1; /* too long with this origin */
			die(n, 10, "'%s' is not in legal name syntax (%s)", l->textname, why);
		}
		return 0;
	}
	if (dname_from_text(qname, l->textname, strlen(l->textname), NULL) < 0)
		die(n, 10, "'%s' is not a legal name (%s)", l->textname, name_error(l->textname));
	return 0;
}

/* next_origin: queue the lookup with the next search list entry. */
static int next_origin(struct nsl *n, struct lookup *l)
{
	const struct nsl_settings *s = &n->s;
	uint8_t name[DNAME_MAX];
	struct lookup *nl;

	if (!s->search)
		return 0;
	if (is_absolute(l->textname))
		return 0;
	if (dname_from_text(name, l->textname, strlen(l->textname), NULL) > 0 &&
	    (unsigned)dname_labels(name) > s->ndots)
		return 0;
	if (l->origin < 0 && !l->need_search)
		return 0;
	if (l->origin < 0) {
		nl = clone(l);
		nl->origin = s->nsearch > 0 ? 0 : -1;
		nl->need_search = 0;
	} else {
		int next = (size_t)l->origin + 1 < s->nsearch ? l->origin + 1 : -1;
		if (next < 0 && l->done_as_is)
			return 0;
		nl = clone(l);
		nl->origin = next;
	}
	prepend(n, nl);
	return 1;
}

/* One exchange with one server, the event loop running until it ends. */
struct exchange {
	struct event_base *base;
	int done, err, setup; /* setup: it failed before anything was sent */
	uint8_t *answer;
	size_t len;
};

static void exchange_done(void *arg, int err, const uint8_t *answer, size_t len)
{
	struct exchange *x = arg;
	x->done = 1;
	x->err = err;
	if (err == 0 && answer != NULL) {
		x->answer = malloc(len ? len : 1);
		if (x->answer == NULL)
			x->err = ENOMEM;
		else
			memcpy(x->answer, answer, len);
		x->len = len;
	} else if (err == 0) {
		x->err = EPROTO;
	}
	event_base_loopbreak(x->base);
}

static int exchange(struct nsl *n, const struct nsl_server *srv, const uint8_t *q, size_t qlen,
		    int tcp, uint8_t **answer, size_t *len, int *setup)
{
	struct exchange x = {.base = n->base};
	struct netaddr na;
	unsigned secs = n->s.timeout ? n->s.timeout : (tcp ? TCP_TIMEOUT : UDP_TIMEOUT);
	uint32_t ms = secs > UINT32_MAX / 1000 ? UINT32_MAX : secs * 1000;

	memset(&na, 0, sizeof(na));
	memcpy(&na.ss, &srv->ss, srv->len);
	na.len = srv->len;
	if (na.ss.ss_family == AF_INET)
		((struct sockaddr_in *)&na.ss)->sin_port = htons(n->s.port);
	else
		((struct sockaddr_in6 *)&na.ss)->sin6_port = htons(n->s.port);
	/* A truncated UDP answer comes back as it is: BIND says so and asks
	 * again over TCP as a new lookup (run_lookup), not silently. */
	resolver_exchange(n->res, &na, q, qlen, ms, 1,
			  tcp ? RESOLVER_X_TCP : RESOLVER_X_NO_FALLBACK, exchange_done, &x);
	/* An error reported before resolver_exchange returns is one of
	 * socket, connect or send (no route, say): BIND's "setup" failure. */
	x.setup = x.done;
	while (!x.done)
		if (event_base_loop(n->base, EVLOOP_ONCE) < 0)
			break;
	if (!x.done)
		x.err = EIO;
	*answer = x.answer;
	*len = x.len;
	*setup = x.setup && x.err != 0;
	return x.err;
}

/* isc_result_totext for what a socket reports. */
static const char *error_text(int err)
{
	switch (err) {
	case ETIMEDOUT: return "timed out";
	case ECONNREFUSED: return "connection refused";
	case ENETUNREACH: return "network unreachable";
	case EHOSTUNREACH: return "host unreachable";
	case ECONNRESET: return "connection reset";
	case EADDRNOTAVAIL: return "address not available";
	case EADDRINUSE: return "address in use";
	case ECONNABORTED: return "connection aborted";
	case ENOMEM: return "out of memory";
	default: return "unexpected error";
	}
}

static void queue_aaaa(struct nsl *n, const struct lookup *l, const char *name)
{
	struct lookup *nl = clone(l);
	str_copy(nl->textname, name, sizeof(nl->textname));
	nl->qtype = DNS_T_AAAA;
	/* A lookup of its own, with every try; the clones of next_origin and
	 * of the TCP retry go on with the tries left, as BIND's do. */
	nl->retries = n->s.tries;
	nl->origin = -1;
	nl->addr_text[0] = '\0';
	append(n, nl);
}

/* printmessage: the answer of one lookup from one server; takes m. */
static void print_answer(struct nsl *n, struct lookup *l, const struct nsl_server *srv,
			 const uint8_t *qname, struct dns_msg *m)
{
	struct nsl_result r;
	char addr[96];
	struct nsl_view v = {
	    .server_name = srv->name,
	    .server_addr = addr,
	    .textname = l->textname,
	    .qname = qname,
	    .qtype = l->qtype,
	    .default_lookups = n->s.default_lookups,
	    .debug = n->s.debug,
	    .a_noanswer = n->a_noanswer,
	    .addr_text = l->addr_text[0] ? l->addr_text : NULL,
	};

	n->query_error = 0;
	if (!n->s.legacy) {
		nsl_server_addr(srv, n->s.port, addr, sizeof(addr));
		nsl_print_message(n->out, &v, m, &r);
		n->print_error |= r.rcode_error;
		n->a_noanswer = r.a_noanswer;
		if (r.want_aaaa)
			queue_aaaa(n, l, r.aaaa_name);
		dns_msg_free(m);
		return;
	}
	if (n->s.port == 53)
		snprintf(addr, sizeof(addr), "%s", srv->addr);
	else
		nsl_server_addr(srv, n->s.port, addr, sizeof(addr));
	if (l->legacy_host) {
		nsl_legacy_print_host(n->out, &v, n->legacy_a, m, &r);
	} else if (n->s.default_lookups && l->qtype == DNS_T_A) {
		if (dns_msg_rcode(m) != DNS_R_NOERROR) {
			nsl_legacy_print_host(n->out, &v, m, NULL, &r);
		} else {
			/* Kept until the AAAA answer, to print them together. */
			char name[DNAME_TEXT_MAX];
			nsl_chase_cname(m, qname, name, sizeof(name));
			dns_msg_free(n->legacy_a);
			n->legacy_a = m;
			queue_aaaa(n, l, name);
			n->tail->legacy_host = 1;
			return;
		}
	} else if (l->addr_text[0] && n->s.default_lookups) {
		nsl_legacy_print_ptr(n->out, &v, m, &r);
	} else {
		nsl_legacy_print_records(n->out, &v, m, &r);
	}
	n->print_error |= r.rcode_error;
	if (l->legacy_host) {
		dns_msg_free(n->legacy_a);
		n->legacy_a = NULL;
	}
	dns_msg_free(m);
}

/* -legacy: a lookup no server answered. */
static void legacy_failed(struct nsl *n, struct lookup *l, const uint8_t *qname, int err)
{
	char name[DNAME_TEXT_MAX];
	const struct nsl_server *srv = &n->s.servers[0];

	if (l->legacy_host && n->legacy_a) {
		struct nsl_result r;
		struct nsl_view v = {.server_name = srv->name,
				     .server_addr = srv->addr,
				     .textname = l->textname,
				     .qname = qname,
				     .qtype = l->qtype};
		nsl_legacy_print_host(n->out, &v, n->legacy_a, NULL, &r);
		dns_msg_free(n->legacy_a);
		n->legacy_a = NULL;
		return;
	}
	dname_to_text_nodot(qname, name, sizeof(name));
	if (err == ETIMEDOUT)
		fprintf(n->out, "*** Request to %s timed-out\n", srv->name);
	else
		fprintf(n->out, "*** %s can't find %s: No response from server\n", srv->name, name);
}

/* BIND's hex_dump of a packet it could not parse: the bytes, 16 a line,
 * then the printable ones ('!' to '}'). */
static void hex_dump(FILE *out, const uint8_t *p, size_t len)
{
	size_t i, j;

	fprintf(out, "%zu bytes\n", len);
	for (i = 0; i < len; i++) {
		fprintf(out, "%02x ", p[i]);
		if (i % 16 == 15) {
			fputs("         ", out);
			for (j = i - 15; j <= i; j++)
				fputc(p[j] >= '!' && p[j] <= '}' ? p[j] : '.', out);
			fputc('\n', out);
		}
	}
	if (len % 16 != 0) {
		for (i = len; i % 16 != 0; i++)
			fputs("   ", out);
		fputs("         ", out);
		for (j = len & ~(size_t)15; j < len; j++)
			fputc(p[j] >= '!' && p[j] <= '}' ? p[j] : '.', out);
		fputc('\n', out);
	}
}

/* One lookup: its name, then the servers in turn. */
static void run_lookup(struct nsl *n, struct lookup *l)
{
	const struct nsl_settings *s = &n->s;
	uint8_t qname[DNAME_MAX], query[DNS_UDP_MAX];
	size_t srv = 0;
	int qlen, legacy = s->legacy;
	char addr[96];
	uint16_t id;

	if (setup_name(n, l, qname) < 0) {
		next_origin(n, l);
		return;
	}
	/* A random ID of our own, as BIND's: the exchange sends another and
	 * puts this one back, so what a dump shows looks like BIND's. */
	random_bytes(&id, sizeof(id));
	qlen = dns_build_query(query, sizeof(query), id, s->recurse ? DNS_F_RD : 0, qname, l->qtype,
			       l->qclass, 0);
	if (qlen < 0 || s->nservers == 0)
		return;
	while (srv < s->nservers) {
		const struct nsl_server *sv = &s->servers[srv];
		uint8_t *answer = NULL;
		size_t alen = 0;
		struct dns_msg *m = NULL;
		int setup;
		int err = exchange(n, sv, query, (size_t)qlen, l->tcp, &answer, &alen, &setup);

		if (err != 0) {
			/* A TCP connection that failed, or a UDP query that could
			 * not be sent, against an answer that never came. */
			int connect_failed = setup || (l->tcp && err == ECONNREFUSED);

			nsl_server_addr(sv, s->port, addr, sizeof(addr));
			if (legacy) {
				/* the classic format says it once, at the end */
			} else if (connect_failed) {
				/* BIND says "no servers" after each failed connection
				 * that it will try again, and after the last server's,
				 * but not when it moves on to the next server. */
				fprintf(n->out,
					l->tcp ? ";; Connection to %s(%s) for %s failed: %s.\n"
					       : ";; UDP setup with %s(%s) for %s failed: %s.\n",
					addr, sv->servname, l->textname, error_text(err));
				if (l->retries > 1 || srv + 1 >= s->nservers)
					fprintf(n->out, ";; no servers could be reached\n");
			} else {
				fprintf(n->out, ";; communications error to %s: %s\n", addr,
					error_text(err));
			}
			if (l->retries > 1)
				l->retries--;
			else
				srv++;
			if (srv >= s->nservers) {
				if (legacy)
					legacy_failed(n, l, qname, err);
				else if (!connect_failed)
					fprintf(n->out, ";; no servers could be reached\n");
			}
			continue;
		}
		if (dns_msg_parse(answer, alen, &m) != DNS_PARSE_OK) {
			if (!legacy) {
				fprintf(n->out, ";; Got bad packet: %s\n",
					"unexpected end of input");
				hex_dump(n->out, answer, alen);
			}
			free(answer);
			return;
		}
		free(answer);
		if ((m->h.flags & DNS_F_TC) && !l->tcp) {
			struct lookup *nl = clone(l);
			if (!legacy)
				fprintf(n->out, ";; Truncated, retrying in TCP mode.\n");
			nl->tcp = 1;
			prepend(n, nl);
			dns_msg_free(m);
			return;
		}
		if ((dns_msg_rcode(m) == DNS_R_SERVFAIL && !s->fail) ||
		    (s->check_ra && !(m->h.flags & DNS_F_RA) && s->recurse)) {
			const char *what = dns_msg_rcode(m) == DNS_R_SERVFAIL
					       ? "SERVFAIL reply"
					       : "recursion not available";
			if (srv + 1 < s->nservers) {
				if (!legacy)
					fprintf(n->out, ";; Got %s from %s, trying next server\n",
						what, sv->servname);
				dns_msg_free(m);
				srv++;
				continue;
			}
			if (!legacy)
				fprintf(n->out, ";; Got %s from %s\n", what, sv->servname);
		}
		if (dns_msg_rcode(m) == DNS_R_NXDOMAIN && (l->origin >= 0 || l->need_search)) {
			if (!next_origin(n, l) || s->debug)
				print_answer(n, l, sv, qname, m);
			else
				dns_msg_free(m);
		} else {
			print_answer(n, l, sv, qname, m);
		}
		return;
	}
}

static void run_lookups(struct nsl *n)
{
	struct lookup *l;
	while ((l = pop(n)) != NULL) {
		run_lookup(n, l);
		free(l);
		fflush(n->out);
	}
}

static void server_command(struct nsl *n, const char *arg)
{
	char err[DNAME_TEXT_MAX + 64];

	if (arg != NULL && nsl_set_server(&n->s, arg, err, sizeof(err)) < 0)
		die(n, 1, "%s", err);
	n->s.check_ra = 0;
	if (n->s.legacy)
		nsl_legacy_header(n->out, "Default Server:", &n->s);
	else
		nsl_show_settings(&n->s, 1, n->out);
}

/* do_next_command: one line typed. Returns 0 at `exit`. */
static int command(struct nsl *n, char *line)
{
	char *save = NULL;
	char *cmd = strtok_r(line, " \t\r\n", &save);
	char *arg;

	if (cmd == NULL)
		return 1;
	arg = strtok_r(NULL, " \t\r\n", &save);
	if (strcasecmp(cmd, "set") == 0 && arg != NULL) {
		nsl_set_option(&n->s, arg, n->out);
	} else if (strcasecmp(cmd, "server") == 0 || strcasecmp(cmd, "lserver") == 0) {
		server_command(n, arg);
	} else if (strcasecmp(cmd, "exit") == 0) {
		return 0;
	} else if (strcasecmp(cmd, "help") == 0 || strcmp(cmd, "?") == 0) {
		fprintf(n->out, "The '%s' command is not yet implemented.\n", cmd);
	} else if (strcasecmp(cmd, "finger") == 0 || strcasecmp(cmd, "root") == 0 ||
		   strcasecmp(cmd, "ls") == 0 || strcasecmp(cmd, "view") == 0) {
		fprintf(n->out, "The '%s' command is not implemented.\n", cmd);
	} else {
		add_lookup(n, cmd);
	}
	return 1;
}

static void interactive(struct nsl *n)
{
	char *line = malloc(LINE_MAX_LEN);
	int tty = isatty(0);

	if (line == NULL)
		fatal("nslookup: out of memory");
	if (n->s.legacy)
		nsl_legacy_header(n->out, "Default Server:", &n->s);
	for (;;) {
		if (tty) {
			fputs("> ", n->out);
			fflush(n->out);
		}
		if (fgets(line, LINE_MAX_LEN, stdin) == NULL)
			break;
		if (!command(n, line))
			break;
		run_lookups(n);
	}
	free(line);
}

static void usage(void)
{
	fprintf(stderr,
		"Usage:\n"
		"   nslookup [-opt ...]             # interactive mode using default server\n"
		"   nslookup [-opt ...] - server    # interactive mode using 'server'\n"
		"   nslookup [-opt ...] host        # just look up 'host' using default server\n"
		"   nslookup [-opt ...] host server # just look up 'host' using 'server'\n");
	exit(1);
}

/* parse_args: options and lookups in the order given, as BIND. */
static int parse_args(struct nsl *n, int argc, char **argv)
{
	int have_lookup = 0, in_use = 0;
	char err[DNAME_TEXT_MAX + 64];

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			if (strncasecmp(argv[i], "-ver", 4) == 0) {
				printf("nslookup (mxhost) %s\n", MXHOST_VERSION);
				exit(0);
			} else if (argv[i][1] != '\0') {
				nsl_set_option(&n->s, argv[i] + 1, n->out);
			} else {
				have_lookup = 1;
			}
		} else if (!have_lookup) {
			have_lookup = in_use = 1;
			add_lookup(n, argv[i]);
		} else {
			if (i + 1 < argc)
				usage();
			if (nsl_set_server(&n->s, argv[i], err, sizeof(err)) < 0)
				die(n, 1, "%s", err);
			n->s.check_ra = 0;
		}
	}
	return in_use;
}

int cmd_nslookup(int argc, char **argv)
{
	struct nsl n;
	struct resolv_conf rc;
	struct resolver_opts ro;
	struct netaddr first;
	int in_use;

	memset(&n, 0, sizeof(n));
	progname = argv[0];
	n.out = stdout;
	n.query_error = 1;
	nsl_settings_init(&n.s);
	resolv_conf_read(RESOLV_CONF, &rc);
	if (rc.malformed) /* BIND reads it first, before even -version */
		die(&n, 1, "parse of %s failed", RESOLV_CONF);
	nsl_settings_resolv(&n.s, &rc);
	in_use = parse_args(&n, argc, argv);

	n.base = event_base_new();
	if (n.base == NULL)
		fatalx("nslookup: cannot create an event loop");
	memset(&ro, 0, sizeof(ro));
	memset(&first, 0, sizeof(first));
	memcpy(&first.ss, &n.s.servers[0].ss, n.s.servers[0].len);
	first.len = n.s.servers[0].len;
	ro.servers = &first;
	ro.nservers = 1;
	ro.no_edns = 1;
	ro.no_cache = 1;
	n.res = resolver_new(n.base, &ro);
	if (n.res == NULL)
		fatalx("nslookup: cannot start the resolver");

	if (in_use)
		run_lookups(&n);
	else
		interactive(&n);
	fputs("\n", n.out);
	fflush(n.out);
	dns_msg_free(n.legacy_a);
	resolver_free(n.res);
	event_base_free(n.base);
	return n.query_error | n.print_error;
}
