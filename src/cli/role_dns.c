/*
 * role_dns: the [dns] role of `mxhost serve` — the authoritative server.
 *
 * Start loads every zone, then binds. SIGHUP loads the zones again on the
 * thread of a one-thread workpool while the loop keeps answering from the
 * current set; the job's done() switches the server to the new set on the
 * loop's thread and hands the old set back to the pool to be freed. A
 * zone whose file no longer loads keeps its data (zoneset_load says why
 * in the log). One reload runs at a time; a SIGHUP meanwhile is
 * remembered and runs next, with the newest config.
 *
 * The pool's one thread runs its jobs in order, so a set is freed only
 * after every job before it is over: the free of the set before it
 * (which reads it, for the zones both hold) and the load that read it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/roles.h"
#include "core/config.h"
#include "core/log.h"
#include "dns/server.h"
#include "dns/zone.h"
#include "dns/zoneset.h"
#include "queue/workpool.h"

/* One reload: the zones of the config to load, copied out of it; then,
 * the same job, the set it replaced to free. */
struct job {
	struct workpool_job wj; /* first: the pool hands this back */
	struct dns_role *r;
	struct zoneset_spec *specs;
	char **paths;
	size_t n;
	struct zoneset *old;	/* the set serving when the load started */
	struct zoneset *result; /* the set loaded */
	size_t failed;
};

struct dns_role {
	struct event_base *base;
	struct dns_server *srv;
	struct zoneset *zones;
	struct netaddr *listen;
	size_t nlisten;

	struct workpool *pool; /* one thread: loads, then frees */
	struct job *job;       /* being loaded */
	struct job *pending;   /* asked for meanwhile */
	int stopping;	       /* in dns_stop: nothing more to submit */
};

static void job_free(struct job *j)
{
	if (j == NULL)
		return;
	for (size_t i = 0; i < j->n; i++)
		free(j->paths[i]);
	free(j->paths);
	free(j->specs);
	free(j);
}

/* The zones of the config as specs; NULL (after saying why to err, or to
 * the log when err is NULL) for a bad zone name or no memory. */
static struct job *job_new(const struct config_dns *cfg, FILE *err)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		goto nomem;
	j->specs = calloc(cfg->nzones ? cfg->nzones : 1, sizeof(*j->specs));
	j->paths = calloc(cfg->nzones ? cfg->nzones : 1, sizeof(*j->paths));
	if (j->specs == NULL || j->paths == NULL)
		goto nomem;
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct config_zone *z = &cfg->zones[i];
		if (dname_from_text(j->specs[i].origin, z->name, strlen(z->name), NULL) < 0) {
			if (err)
				fprintf(err, "mxhost configcheck: [dns] zone: bad zone name '%s'\n",
					z->name);
			else
				log_error("dns: bad zone name '%s'", z->name);
			job_free(j);
			return NULL;
		}
		j->paths[i] = strdup(z->file);
		if (j->paths[i] == NULL)
			goto nomem;
		j->specs[i].path = j->paths[i];
		j->n++;
	}
	return j;
nomem:
	log_error("dns: out of memory");
	job_free(j);
	return NULL;
}

static void params_from(const struct config_dns *cfg, struct dns_server_params *p)
{
	p->edns_payload = (uint16_t)cfg->edns_payload;
	p->tcp_idle_timeout = cfg->tcp_idle_timeout;
	p->tcp_max_connections = cfg->tcp_max_connections;
}

static void loaded(struct workpool_job *wj);

/* Pool thread: the old set, but for the zones the set this job loaded
 * took over from it (a newer set can only have them from that one). */
static void free_old(struct workpool_job *wj)
{
	struct job *j = (struct job *)wj;
	zoneset_free(j->old, j->result);
}

static void freed(struct workpool_job *wj)
{
	job_free((struct job *)wj);
}

/* Pool thread. */
static void load(struct workpool_job *wj)
{
	struct job *j = (struct job *)wj;
	j->result = zoneset_load(j->specs, j->n, j->old, &j->failed);
}

static void start_job(struct dns_role *r, struct job *j)
{
	r->job = j;
	j->r = r;
	j->old = r->zones;
	j->wj.work = load;
	j->wj.done = loaded;
	workpool_submit(r->pool, &j->wj);
}

/* Loop thread: the load is over. */
static void loaded(struct workpool_job *wj)
{
	struct job *j = (struct job *)wj;
	struct dns_role *r = j->r;

	r->job = NULL;
	if (r->stopping) {
		zoneset_free(j->result, r->zones);
		job_free(j);
		return;
	}
	if (j->result == NULL) {
		log_error("dns: reload failed; keeping the zones");
		job_free(j);
	} else {
		dns_server_swap_zones(r->srv, j->result);
		r->zones = j->result;
		log_info("dns: zones reloaded: %zu served, %zu failed to load",
			 zoneset_count(r->zones), j->failed);
		j->wj.work = free_old;
		j->wj.done = freed;
		workpool_submit(r->pool, &j->wj);
	}
	if (r->pending) {
		j = r->pending;
		r->pending = NULL;
		start_job(r, j);
	}
}

static int dns_enabled(const struct config *cfg)
{
	return cfg->dns.enabled;
}

/* configcheck: every zone loads, with file:line for the first error. */
static int dns_check(const struct config *cfg)
{
	struct job *j = job_new(&cfg->dns, stderr);
	int rc = 0;

	if (j == NULL)
		return 1;
	if (cfg->dns.nlisten == 0) {
		fprintf(stderr, "mxhost configcheck: %s: [dns] has no listen address\n", cfg->path);
		rc = 1;
	}
	for (size_t i = 0; i < j->n; i++) {
		struct zonefile_error err = {{0}, 0, {0}};
		struct zone *z;

		for (size_t k = 0; k < i; k++) {
			if (dname_equal(j->specs[k].origin, j->specs[i].origin)) {
				fprintf(stderr,
					"mxhost configcheck: [dns] zone %s is configured twice\n",
					cfg->dns.zones[i].name);
				rc = 1;
			}
		}
		z = zone_load(j->specs[i].path, j->specs[i].origin, &err);
		if (z == NULL) {
			const char *file = err.file[0] ? err.file : j->specs[i].path;
			if (err.line)
				fprintf(stderr, "mxhost configcheck: zone %s: %s:%u: %s\n",
					cfg->dns.zones[i].name, file, err.line, err.msg);
			else
				fprintf(stderr, "mxhost configcheck: zone %s: %s: %s\n",
					cfg->dns.zones[i].name, file, err.msg);
			rc = 1;
		}
		zone_free(z);
	}
	job_free(j);
	return rc;
}

static void dns_stop(void *state);

static void *dns_start(struct event_base *base, const struct config *cfg)
{
	struct dns_role *r = calloc(1, sizeof(*r));
	struct dns_server_params p;
	struct job *j;

	if (r == NULL)
		return NULL;
	r->base = base;
	if (cfg->dns.nlisten == 0) {
		log_error("dns: [dns] has no listen address");
		goto fail;
	}
	j = job_new(&cfg->dns, NULL);
	if (j == NULL)
		goto fail;
	/* At start there is nothing to keep serving: a zone that does not
	 * load is answered SERVFAIL until a reload loads it, as NSD does. */
	r->zones = zoneset_load(j->specs, j->n, NULL, NULL);
	job_free(j);
	if (r->zones == NULL)
		goto fail;
	params_from(&cfg->dns, &p);
	r->srv = dns_server_new(base, &p);
	r->pool = workpool_new(base, 1, "dns: reload");
	r->listen = calloc(cfg->dns.nlisten, sizeof(*r->listen));
	if (r->srv == NULL || r->pool == NULL || r->listen == NULL)
		goto fail;
	memcpy(r->listen, cfg->dns.listen, cfg->dns.nlisten * sizeof(*r->listen));
	r->nlisten = cfg->dns.nlisten;
	for (size_t i = 0; i < r->nlisten; i++)
		if (dns_server_listen(r->srv, (struct sockaddr *)&r->listen[i].ss,
				      r->listen[i].len) < 0)
			goto fail;
	dns_server_swap_zones(r->srv, r->zones);
	return r;
fail:
	dns_stop(r);
	return NULL;
}

static int dns_reload(void *state, const struct config *cfg)
{
	struct dns_role *r = state;
	struct dns_server_params p;
	struct job *j;
	int same = cfg->dns.nlisten == r->nlisten;

	for (size_t i = 0; same && i < r->nlisten; i++)
		same = netaddr_equal((struct sockaddr *)&r->listen[i].ss,
				     (struct sockaddr *)&cfg->dns.listen[i].ss);
	if (!same)
		log_warnx("dns: reload: the listen addresses changed; restart to apply");
	params_from(&cfg->dns, &p);
	dns_server_set_params(r->srv, &p);
	j = job_new(&cfg->dns, NULL);
	if (j == NULL)
		return -1;
	if (r->job) {
		job_free(r->pending);
		r->pending = j;
		return 0;
	}
	start_job(r, j);
	return 0;
}

static void dns_stop(void *state)
{
	struct dns_role *r = state;

	if (r == NULL)
		return;
	/* Runs what was submitted: a load in progress ends in loaded(),
	 * which, stopping, frees what it loaded; the frees run to the end. */
	r->stopping = 1;
	workpool_free(r->pool);
	job_free(r->pending);
	dns_server_free(r->srv);
	zoneset_free(r->zones, NULL);
	free(r->listen);
	free(r);
}

const struct role role_dns = {
    "dns", dns_enabled, dns_check, dns_start, dns_reload, dns_stop,
};
