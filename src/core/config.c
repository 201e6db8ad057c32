/* config: see config.h. One table row per key. */
#include "core/config.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/strutil.h"

enum key_type {
	K_STRING,   /* char * */
	K_PATH,	    /* char *, made absolute */
	K_DURATION, /* uint32_t seconds */
	K_SIZE,	    /* uint64_t bytes */
	K_UINT,	    /* uint32_t in [min, max] */
	K_LISTEN,   /* appends to a netaddr array (with its count after it) */
	K_ZONE,	    /* appends "NAME FILE" to the zone array */
	K_CIDRS,    /* a list of prefixes, mynetworks */
	K_SERVERS,  /* appends a list of ADDR[:PORT], port 53 by default */
	K_FAMILIES, /* "ipv4, ipv6" in order */
};

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset; /* into struct config */
	size_t count;  /* arrays: offset of their element count */
	unsigned long min, max;
};

#define DNS(f)	offsetof(struct config, dns.f)
#define SMTP(f) offsetof(struct config, smtp.f)

static const struct key keys[] = {
    {"dns", "listen", K_LISTEN, DNS(listen), DNS(nlisten), 0, 0},
    {"dns", "zone", K_ZONE, DNS(zones), DNS(nzones), 0, 0},
    {"dns", "edns_payload", K_UINT, DNS(edns_payload), 0, 512, 65535},
    {"dns", "tcp_idle_timeout", K_DURATION, DNS(tcp_idle_timeout), 0, 0, 0},
    {"dns", "tcp_max_connections", K_UINT, DNS(tcp_max_connections), 0, 1, 100000},

    {"smtp", "hostname", K_STRING, SMTP(hostname), 0, 0, 0},
    {"smtp", "listen", K_LISTEN, SMTP(listen), SMTP(nlisten), 0, 0},
    {"smtp", "spool", K_PATH, SMTP(spool), 0, 0, 0},
    {"smtp", "maildir_root", K_PATH, SMTP(maildir_root), 0, 0, 0},
    {"smtp", "domains", K_PATH, SMTP(domains), 0, 0, 0},
    {"smtp", "mailboxes", K_PATH, SMTP(mailboxes), 0, 0, 0},
    {"smtp", "relay_domains", K_PATH, SMTP(relay_domains), 0, 0, 0},
    {"smtp", "mynetworks", K_CIDRS, SMTP(mynetworks), SMTP(nmynetworks), 0, 0},
    {"smtp", "dns_servers", K_SERVERS, SMTP(dns_servers), SMTP(ndns_servers), 0, 0},
    {"smtp", "remote_port", K_UINT, SMTP(remote_port), 0, 1, 65535},
    {"smtp", "address_families", K_FAMILIES, SMTP(families), 0, 0, 0},
    {"smtp", "retry_min", K_DURATION, SMTP(retry_min), 0, 0, 0},
    {"smtp", "retry_max", K_DURATION, SMTP(retry_max), 0, 0, 0},
    {"smtp", "queue_lifetime", K_DURATION, SMTP(queue_lifetime), 0, 0, 0},
    {"smtp", "delay_warning", K_DURATION, SMTP(delay_warning), 0, 0, 0},
    {"smtp", "message_size_limit", K_SIZE, SMTP(message_size_limit), 0, 0, 0},
    {"smtp", "max_recipients", K_UINT, SMTP(max_recipients), 0, 100, 100000},
    {"smtp", "max_connections", K_UINT, SMTP(max_connections), 0, 1, 1000000},
    {"smtp", "max_connections_per_client", K_UINT, SMTP(max_connections_per_client), 0, 1, 1000000},
    {"smtp", "max_errors", K_UINT, SMTP(max_errors), 0, 1, 1000},
    {"smtp", "timeout_command", K_DURATION, SMTP(timeout_command), 0, 0, 0},
    {"smtp", "timeout_data", K_DURATION, SMTP(timeout_data), 0, 0, 0},
    {"smtp", "delivery_workers", K_UINT, SMTP(delivery_workers), 0, 1, 256},
};

struct parse_ctx {
	struct config *cfg;
	char msg[512]; /* first error */
	int failed;
};

static void defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dns.edns_payload = 1232;
	cfg->dns.tcp_idle_timeout = 10;
	cfg->dns.tcp_max_connections = 256;
	cfg->smtp.remote_port = 25;
	cfg->smtp.families[0] = CONFIG_FAMILY_IPV4;
	cfg->smtp.families[1] = CONFIG_FAMILY_IPV6;
	cfg->smtp.retry_min = 5 * 60;
	cfg->smtp.retry_max = 4 * 3600;
	cfg->smtp.queue_lifetime = 5 * 86400;
	cfg->smtp.delay_warning = 4 * 3600;
	cfg->smtp.message_size_limit = 10240000;
	cfg->smtp.max_recipients = 1000;
	cfg->smtp.max_connections = 1000;
	cfg->smtp.max_connections_per_client = 50;
	cfg->smtp.max_errors = 20;
	cfg->smtp.timeout_command = 300;
	cfg->smtp.timeout_data = 180;
	cfg->smtp.delivery_workers = 4;
}

char *config_path(const char *dir, const char *path)
{
	char *out;
	size_t n;

	if (path[0] == '/' || dir == NULL)
		return strdup(path);
	n = strlen(dir) + strlen(path) + 2;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", dir, path);
	return out;
}

struct array {
	void **items;
	size_t *count;
	size_t size; /* of one element */
};

/* Appends one zeroed element; NULL when out of memory. */
static void *append(struct array *a)
{
	void **arr = a->items;
	size_t *count = a->count, size = a->size;
	void *grown = realloc(*arr, (*count + 1) * size);
	if (grown == NULL)
		return NULL;
	*arr = grown;
	memset((char *)grown + *count * size, 0, size);
	return (char *)grown + (*count)++ * size;
}

static int add_server(const char *item, void *arg)
{
	struct netaddr *na = append(arg);
	return na == NULL || netaddr_parse(item, 53, na) < 0;
}

static int add_cidr(const char *item, void *arg)
{
	struct cidr *c = append(arg);
	return c == NULL || cidr_parse(item, c) < 0;
}

struct families {
	enum config_family *f;
	int n;
};

static int add_family(const char *item, void *arg)
{
	struct families *fs = arg;
	enum config_family f;
	if (strcmp(item, "ipv4") == 0)
		f = CONFIG_FAMILY_IPV4;
	else if (strcmp(item, "ipv6") == 0)
		f = CONFIG_FAMILY_IPV6;
	else
		return 1;
	if (fs->n >= 2 || (fs->n == 1 && fs->f[0] == f))
		return 1;
	fs->f[fs->n++] = f;
	return 0;
}

static const char *set_value(struct config *cfg, const struct key *k, const char *value)
{
	void *field = (char *)cfg + k->offset;
	struct array arr = {field, (size_t *)((char *)cfg + k->count), 0};
	char tmp[1024];

	switch (k->type) {
	case K_STRING:
	case K_PATH: {
		char **s = field;
		free(*s);
		*s = k->type == K_PATH ? config_path(cfg->dir, value) : strdup(value);
		return *s ? NULL : "out of memory";
	}
	case K_DURATION:
		return parse_duration(value, field) < 0 ? "bad duration (e.g. 30s, 5m, 4h, 5d)"
							: NULL;
	case K_SIZE: return parse_size(value, field) < 0 ? "bad size (e.g. 10240000, 10m)" : NULL;
	case K_UINT: {
		unsigned long v;
		if (parse_uint(value, k->min, k->max, &v) < 0) {
			static char msg[96];
			snprintf(msg, sizeof(msg), "expected a number from %lu to %lu", k->min,
				 k->max);
			return msg;
		}
		*(uint32_t *)field = (uint32_t)v;
		return NULL;
	}
	case K_LISTEN: {
		struct netaddr *na;
		arr.size = sizeof(*na);
		na = append(&arr);
		if (na == NULL)
			return "out of memory";
		return netaddr_parse(value, 0, na) < 0 ? "expected ADDRESS:PORT or [IPV6]:PORT"
						       : NULL;
	}
	case K_ZONE: {
		char name[256], file[768];
		struct config_zone *z;
		if (sscanf(value, "%255s %767s", name, file) != 2)
			return "expected: zone = NAME FILE";
		arr.size = sizeof(*z);
		z = append(&arr);
		if (z == NULL)
			return "out of memory";
		z->name = strdup(name);
		z->file = config_path(cfg->dir, file);
		return z->name && z->file ? NULL : "out of memory";
	}
	case K_CIDRS:
		cfg->smtp.mynetworks_set = 1;
		str_copy(tmp, value, sizeof(tmp));
		arr.size = sizeof(struct cidr);
		return str_split_list(tmp, add_cidr, &arr) ? "bad address or prefix" : NULL;
	case K_SERVERS:
		str_copy(tmp, value, sizeof(tmp));
		arr.size = sizeof(struct netaddr);
		return str_split_list(tmp, add_server, &arr) ? "bad server address" : NULL;
	case K_FAMILIES: {
		struct families fs = {field, 0};
		enum config_family *f = field;
		str_copy(tmp, value, sizeof(tmp));
		f[0] = f[1] = CONFIG_FAMILY_NONE;
		if (str_split_list(tmp, add_family, &fs) || fs.n == 0)
			return "expected ipv4, ipv6, or both in order of preference";
		return NULL;
	}
	}
	return "unhandled key type";
}

static int on_entry(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;
	const char *err = NULL;
	int known_section = 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		known_section = 1;
		if (strcmp(keys[i].name, name) == 0) {
			err = set_value(ctx->cfg, &keys[i], value);
			goto done;
		}
	}
	if (!known_section)
		err = "unknown section";
	else
		err = "unknown key";
done:
	if (err && !ctx->failed) {
		snprintf(ctx->msg, sizeof(ctx->msg), "[%s] %s: %s", section, name, err);
		ctx->failed = 1;
	}
	return err == NULL;
}

/* inih calls the handler for entries only; a section with no entries
 * still enables its role, so sections are found with a plain scan, which
 * also refuses an unknown section even when it holds no key. Returns the
 * line of an unknown section, or 0. */
static int find_sections(FILE *f, struct config *cfg)
{
	char line[512];
	int n = 0, bad = 0;
	while (fgets(line, sizeof(line), f)) {
		char *s = str_trim(line);
		n++;
		if (strncmp(s, "[dns]", 5) == 0)
			cfg->dns.enabled = 1;
		else if (strncmp(s, "[smtp]", 6) == 0)
			cfg->smtp.enabled = 1;
		else if (s[0] == '[' && bad == 0)
			bad = n;
	}
	rewind(f);
	return bad;
}

/* No hostname (or an empty one): the system's, as Postfix's myhostname. */
static int default_hostname(struct config_smtp *c)
{
	char host[256];
	if (c->hostname && c->hostname[0])
		return 0;
	if (gethostname(host, sizeof(host) - 1) < 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	free(c->hostname);
	c->hostname = strdup(host);
	return c->hostname ? 0 : -1;
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct parse_ctx ctx = {.cfg = cfg};
	char cwd[PATH_MAX];
	char *slash;
	FILE *f;
	int line;

	defaults(cfg);
	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
		cfg->path = config_path(cwd, path);
	else
		cfg->path = strdup(path);
	if (cfg->path == NULL || (cfg->dir = strdup(cfg->path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	slash = strrchr(cfg->dir, '/');
	if (slash == cfg->dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';

	f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	line = find_sections(f, cfg);
	if (line != 0) {
		fclose(f);
		snprintf(err, errlen, "%s:%d: unknown section (expected [dns] or [smtp])", path,
			 line);
		return -1;
	}
	line = ini_parse_file(f, on_entry, &ctx);
	fclose(f);
	if (line != 0) {
		snprintf(err, errlen, "%s:%d: %s", path, line,
			 ctx.failed ? ctx.msg : "syntax error (expected [section] or key = value)");
		return -1;
	}
	if (cfg->smtp.retry_min > cfg->smtp.retry_max) {
		snprintf(err, errlen, "%s: [smtp] retry_min is larger than retry_max", path);
		return -1;
	}
	if (default_hostname(&cfg->smtp) < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->dns.nzones; i++) {
		free(cfg->dns.zones[i].name);
		free(cfg->dns.zones[i].file);
	}
	free(cfg->dns.zones);
	free(cfg->dns.listen);
	free(cfg->smtp.hostname);
	free(cfg->smtp.listen);
	free(cfg->smtp.spool);
	free(cfg->smtp.maildir_root);
	free(cfg->smtp.domains);
	free(cfg->smtp.mailboxes);
	free(cfg->smtp.relay_domains);
	free(cfg->smtp.mynetworks);
	free(cfg->smtp.dns_servers);
	free(cfg->path);
	free(cfg->dir);
	memset(cfg, 0, sizeof(*cfg));
}
