/*
 * mxhost route [options] DOMAIN: shows where mail for DOMAIN goes, the
 * way outbound delivery sees it — the exchangers in the order they would
 * be tried, with preference, addresses and flags, the skipped ones with
 * the reason — or the error that would defer or bounce the message.
 *
 * mxhost route -t TYPE [options] NAME: one resolver lookup, shown as the
 * resolver reports it (status, canonical name, TTL, records).
 *
 * Exit status: 0 a route (or records), 1 a permanent failure (or
 * NXDOMAIN/NODATA), 75 a temporary failure, 2 bad usage.
 */
#include <arpa/inet.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/log.h"
#include "core/strutil.h"
#include "dns/rdata.h"
#include "dns/resolver.h"
#include "route/route.h"

#define EXIT_TEMPFAIL 75
#define MAX_LIST      16

static const char usage_text[] =
    "usage: mxhost route [-c FILE] [-s SERVER[:PORT]]... [-H HOSTNAME] [-l ADDR]...\n"
    "                    [-f ipv4,ipv6 | -4 | -6] [-p PORT] [-T MS] [-A N] [-n N] DOMAIN\n"
    "       mxhost route -t TYPE [-s SERVER[:PORT]]... [-T MS] [-A N] [-n N] NAME\n";

struct run {
	struct event_base *base;
	int done;
	int rc;
};

static void print_flags(unsigned flags, const char *canonical)
{
	if (flags & ROUTE_MX_IMPLICIT)
		printf(" [implicit]");
	if (flags & ROUTE_MX_IP)
		printf(" [ip-address]");
	if (flags & ROUTE_MX_CNAME)
		printf(" [cname=%s]", canonical);
	if (flags & ROUTE_MX_SELF)
		printf(" [self]");
	if (flags & ROUTE_MX_PARTIAL)
		printf(" [partial]");
}

static void on_route(void *arg, struct route *r)
{
	struct run *run = arg;
	char ip[INET6_ADDRSTRLEN];

	if (r == NULL) {
		printf("out of memory\n");
		run->rc = EXIT_TEMPFAIL;
	} else {
		if (r->status == ROUTE_OK)
			printf("%s: ok\n", r->domain);
		else
			printf("%s: %s %s: %s\n", r->domain, route_status_text(r->status), r->dsn,
			       r->reason);
		if (r->domain_cname)
			printf("  note: %s is an alias (CNAME); its MX records were used\n",
			       r->domain);
		for (size_t i = 0; i < r->nmx; i++) {
			const struct route_mx *mx = &r->mx[i];
			if (mx->skip == ROUTE_USE) {
				printf("  use %u %s", mx->pref, mx->name);
				for (size_t a = 0; a < mx->naddrs; a++)
					printf(" %s",
					       netaddr_ip((const struct sockaddr *)&mx->addrs[a].ss,
							  ip, sizeof(ip)));
				print_flags(mx->flags, mx->canonical);
				if (mx->reason[0])
					printf(" (%s)", mx->reason);
			} else {
				printf("  skip %u %s: %s", mx->pref, mx->name, mx->reason);
				print_flags(mx->flags, mx->canonical);
			}
			printf("\n");
		}
		run->rc = r->status == ROUTE_OK		? 0
			  : r->status == ROUTE_PERMFAIL ? 1
							: EXIT_TEMPFAIL;
		route_free(r);
	}
	run->done = 1;
	event_base_loopbreak(run->base);
}

static const char *status_name(enum resolver_status s)
{
	switch (s) {
	case RESOLVER_ANSWER: return "ANSWER";
	case RESOLVER_NODATA: return "NODATA";
	case RESOLVER_NXDOMAIN: return "NXDOMAIN";
	case RESOLVER_TEMPFAIL: return "TEMPFAIL";
	}
	return "?";
}

static void on_lookup(void *arg, const struct resolver_result *r)
{
	struct run *run = arg;
	char name[DNAME_TEXT_MAX], type[16], data[DNAME_TEXT_MAX * 4];

	printf("status %s\n", status_name(r->status));
	printf("reason %s\n", r->reason ? r->reason : "");
	if (r->canonical && dname_to_text(r->canonical, name, sizeof(name)) > 0)
		printf("canonical %s\n", name);
	printf("cname %s\n", r->via_cname ? "yes" : "no");
	printf("ttl %u\n", r->ttl);
	printf("cached %s\n", r->cached ? "yes" : "no");
	for (size_t i = 0; i < r->nrrs; i++) {
		const struct dns_rr *rr = r->rrs[i];
		if (dname_to_text(rr->owner, name, sizeof(name)) < 0 ||
		    rdata_to_text(rr->type, rr->rdata, rr->rdlen, data, sizeof(data)) < 0)
			continue;
		printf("record %s %u IN %s %s\n", name, rr->ttl,
		       rr_type_name(rr->type, type, sizeof(type)), data);
	}
	run->rc = r->status == RESOLVER_ANSWER	   ? 0
		  : r->status == RESOLVER_TEMPFAIL ? EXIT_TEMPFAIL
						   : 1;
	run->done = 1;
	event_base_loopbreak(run->base);
}

static int parse_families(const char *s, int fam[2])
{
	char tmp[64], *tok, *save = NULL;
	int n = 0;

	str_copy(tmp, s, sizeof(tmp));
	fam[0] = fam[1] = 0;
	for (tok = strtok_r(tmp, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		int af = strcasecmp(tok, "ipv4") == 0	? AF_INET
			 : strcasecmp(tok, "ipv6") == 0 ? AF_INET6
							: -1;
		if (af < 0 || n == 2)
			return -1;
		fam[n++] = af;
	}
	return n ? 0 : -1;
}

int cmd_route(int argc, char **argv)
{
	struct netaddr servers[MAX_LIST], local[MAX_LIST], *listen_local = NULL;
	size_t nservers = 0, nlocal = 0;
	struct resolver_opts ro = {0};
	struct route_opts opts = {0};
	struct config cfg;
	int have_cfg = 0, repeat = 1, c, rc = 0;
	uint16_t qtype = 0;
	const char *hostname = NULL, *cfg_path = NULL;
	unsigned long v;
	char err[1024];
	uint8_t name[DNAME_MAX];
	struct resolver *res;
	struct event_base *base;

	memset(&cfg, 0, sizeof(cfg));
	while ((c = getopt(argc, argv, "c:s:H:l:f:46p:T:A:t:n:")) != -1) {
		switch (c) {
		case 'c': cfg_path = optarg; break;
		case 's':
			if (nservers == MAX_LIST ||
			    netaddr_parse(optarg, 53, &servers[nservers]) < 0) {
				fprintf(stderr, "mxhost route: bad server %s\n", optarg);
				return 2;
			}
			nservers++;
			break;
		case 'H': hostname = optarg; break;
		case 'l':
			if (nlocal == MAX_LIST || netaddr_parse(optarg, 25, &local[nlocal]) < 0) {
				fprintf(stderr, "mxhost route: bad address %s\n", optarg);
				return 2;
			}
			nlocal++;
			break;
		case 'f':
			if (parse_families(optarg, opts.families) < 0) {
				fprintf(stderr, "mxhost route: -f wants ipv4, ipv6 or both\n");
				return 2;
			}
			break;
		case '4': opts.families[0] = AF_INET, opts.families[1] = 0; break;
		case '6': opts.families[0] = AF_INET6, opts.families[1] = 0; break;
		case 'p':
		case 'T':
		case 'A':
		case 'n':
			if (parse_uint(optarg, 1,
				       c == 'p'	  ? 65535
				       : c == 'T' ? 600000
						  : 100,
				       &v) < 0) {
				fprintf(stderr, "mxhost route: bad number for -%c: %s\n", c,
					optarg);
				return 2;
			}
			if (c == 'p')
				opts.port = (uint16_t)v;
			else if (c == 'T')
				ro.timeout_ms = (uint32_t)v;
			else if (c == 'A')
				ro.attempts = (unsigned)v;
			else
				repeat = (int)v;
			break;
		case 't':
			if (rr_type_from_name(optarg, &qtype) < 0) {
				fprintf(stderr, "mxhost route: unknown type %s\n", optarg);
				return 2;
			}
			break;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (cfg_path) {
		if (config_load(cfg_path, &cfg, err, sizeof(err)) < 0) {
			fprintf(stderr, "mxhost route: %s\n", err);
			config_free(&cfg);
			return 2;
		}
		have_cfg = 1;
		/* Command-line options win over the config's. */
		if (nservers == 0 && cfg.smtp.ndns_servers) {
			ro.servers = cfg.smtp.dns_servers;
			ro.nservers = cfg.smtp.ndns_servers;
		}
		if (!hostname)
			hostname = cfg.smtp.hostname;
		if (nlocal == 0 && cfg.smtp.nlisten) {
			int n = route_local_addrs(cfg.smtp.listen, cfg.smtp.nlisten, &listen_local);
			if (n > 0) {
				opts.local = listen_local;
				opts.nlocal = (size_t)n;
			}
		}
		if (!opts.port)
			opts.port = (uint16_t)cfg.smtp.remote_port;
		if (!opts.families[0])
			for (int i = 0; i < 2; i++)
				opts.families[i] =
				    cfg.smtp.families[i] == CONFIG_FAMILY_IPV4	 ? AF_INET
				    : cfg.smtp.families[i] == CONFIG_FAMILY_IPV6 ? AF_INET6
										 : 0;
	}
	if (nservers) {
		ro.servers = servers;
		ro.nservers = nservers;
	}
	if (nlocal) {
		opts.local = local;
		opts.nlocal = nlocal;
	}
	opts.hostname = hostname;
	if (qtype && dname_from_text(name, argv[optind], strlen(argv[optind]), NULL) < 0) {
		fprintf(stderr, "mxhost route: bad name %s\n", argv[optind]);
		rc = 2;
		goto out;
	}
	base = event_base_new();
	if (base == NULL || (res = resolver_new(base, &ro)) == NULL) {
		fprintf(stderr, "mxhost route: cannot start the resolver\n");
		if (base)
			event_base_free(base);
		rc = EXIT_TEMPFAIL;
		goto out;
	}
	for (int i = 0; i < repeat; i++) {
		struct run run = {base, 0, 0};
		if (i)
			printf("\n");
		if (qtype)
			resolver_lookup(res, name, qtype, on_lookup, &run);
		else if (route_lookup(res, argv[optind], &opts, on_route, &run) == NULL &&
			 !run.done)
			on_route(&run, NULL);
		if (!run.done)
			event_base_dispatch(base);
		rc = run.rc;
	}
	resolver_free(res);
	event_base_free(base);
out:
	free(listen_local);
	if (have_cfg)
		config_free(&cfg);
	return rc;
}
