/*
 * role_smtp: the [smtp] role of `mxhost serve`. Reads the list files into
 * a policy, opens the spool, starts the server on the shared event loop.
 * SIGHUP re-reads the lists (a list that fails keeps the old ones) and
 * applies the new limits; listen addresses and the spool need a restart.
 */
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/roles.h"
#include "core/log.h"
#include "queue/queue.h"
#include "queue/spool.h"
#include "smtp/policy.h"
#include "smtp/server.h"

struct smtp_role {
	struct policy *policy;
	struct spool *spool;
	struct queue *queue;
	struct smtp_server *server;
};

static int smtp_enabled(const struct config *cfg)
{
	return cfg->smtp.enabled;
}

static struct policy *load_lists(const struct config_smtp *c, char *err, size_t errlen)
{
	return policy_load(c->domains, c->mailboxes, c->relay_domains, c->hostname, err, errlen);
}

/* mynetworks: as configured, or, when the key is absent, this host's own
 * addresses (Postfix's mynetworks_style = host). */
static struct cidr *my_networks(const struct config_smtp *c, size_t *n)
{
	struct ifaddrs *ifs, *i;
	struct cidr *out;
	size_t cap = 0;

	*n = 0;
	if (c->mynetworks_set) {
		out = malloc((c->nmynetworks ? c->nmynetworks : 1) * sizeof(*out));
		if (out && c->nmynetworks)
			memcpy(out, c->mynetworks, c->nmynetworks * sizeof(*out));
		*n = c->nmynetworks;
		return out;
	}
	if (getifaddrs(&ifs) < 0) {
		log_warn("smtp: getifaddrs; mynetworks is empty");
		return calloc(1, sizeof(*out));
	}
	for (i = ifs; i; i = i->ifa_next)
		cap++;
	out = calloc(cap ? cap : 1, sizeof(*out));
	for (i = ifs; out && i; i = i->ifa_next) {
		struct cidr *cd = &out[*n];
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			cd->family = AF_INET;
			memcpy(cd->addr, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
			cd->prefix = 32;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			cd->family = AF_INET6;
			memcpy(cd->addr, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
			cd->prefix = 128;
		} else {
			continue;
		}
		(*n)++;
	}
	freeifaddrs(ifs);
	return out;
}

static void log_lists(const struct policy *p)
{
	struct policy_stats st;
	policy_stats(p, &st);
	log_info("smtp: lists: %zu domains, %zu mailboxes, %zu aliases, %zu catch-alls, %zu relay "
		 "domains (%zu listed recipients)",
		 st.domains, st.mailboxes, st.aliases, st.catchalls, st.relay_domains,
		 st.relay_rcpts);
}

static int required(const struct config_smtp *c, char *err, size_t len)
{
	if (c->nlisten == 0)
		snprintf(err, len, "[smtp] needs at least one listen address");
	else if (c->spool == NULL)
		snprintf(err, len, "[smtp] needs spool = DIR");
	else if (c->maildir_root == NULL)
		snprintf(err, len, "[smtp] needs maildir_root = DIR");
	else
		return 0;
	return -1;
}

static int smtp_check(const struct config *cfg)
{
	char err[1024];
	struct policy *p;

	if (required(&cfg->smtp, err, sizeof(err)) < 0) {
		fprintf(stderr, "mxhost configcheck: %s: %s\n", cfg->path, err);
		return 1;
	}
	p = load_lists(&cfg->smtp, err, sizeof(err));
	if (p == NULL) {
		fprintf(stderr, "mxhost configcheck: %s\n", err);
		return 1;
	}
	policy_free(p);
	return 0;
}

static void smtp_stop(void *state)
{
	struct smtp_role *r = state;
	if (r->server)
		smtp_server_stop(r->server);
	queue_stop(r->queue); /* before the spool: its workers use it */
	if (r->spool)
		spool_close(r->spool); /* runs the callbacks of commits in flight */
	smtp_server_free(r->server);
	policy_free(r->policy);
	free(r);
}

static void *smtp_start(struct event_base *base, const struct config *cfg)
{
	const struct config_smtp *c = &cfg->smtp;
	struct smtp_role *r = calloc(1, sizeof(*r));
	char err[1024];
	struct cidr *nets = NULL;
	size_t nnets = 0;

	if (r == NULL)
		fatalx("out of memory");
	if (required(c, err, sizeof(err)) < 0) {
		log_error("%s: %s", cfg->path, err);
		goto fail;
	}
	r->policy = load_lists(c, err, sizeof(err));
	if (r->policy == NULL) {
		log_error("smtp: %s", err);
		goto fail;
	}
	log_lists(r->policy);
	r->spool = spool_open(c->spool, base);
	if (r->spool == NULL)
		goto fail;
	r->queue = queue_start(base, r->spool, c);
	if (r->queue == NULL)
		goto fail;
	nets = my_networks(c, &nnets);
	r->server = nets ? smtp_server_start(base, c, nets, nnets, r->policy, r->spool) : NULL;
	free(nets);
	if (r->server == NULL)
		goto fail;
	return r;
fail:
	smtp_stop(r);
	return NULL;
}

static int smtp_reload(void *state, const struct config *cfg)
{
	struct smtp_role *r = state;
	const struct config_smtp *c = &cfg->smtp;
	char err[1024];
	struct policy *p = load_lists(c, err, sizeof(err));
	struct cidr *nets;
	size_t nnets;
	int rc = 0;

	if (p == NULL) {
		log_warnx("reload: smtp: %s; keeping the lists loaded before", err);
		rc = -1;
	} else {
		log_lists(p);
	}
	nets = my_networks(c, &nnets);
	if (nets == NULL || smtp_server_reload(r->server, c, nets, nnets, p ? p : r->policy) < 0) {
		rc = -1;
		policy_free(p);
	} else if (p) {
		policy_free(r->policy);
		r->policy = p;
	}
	free(nets);
	if (queue_reload(r->queue, c) < 0)
		rc = -1;
	return rc;
}

const struct role role_smtp = {
    .name = "smtp",
    .enabled = smtp_enabled,
    .check = smtp_check,
    .start = smtp_start,
    .reload = smtp_reload,
    .stop = smtp_stop,
};
