/*
 * config: reads mxhost.conf (INI, through libinih) into plain structs.
 *
 * Only this module knows the file format; each role receives its section
 * as a struct. Relative paths are made absolute against the folder of the
 * config file. Unknown sections and keys are errors, so that a typo is
 * reported by `mxhost configcheck` instead of silently ignored.
 */
#ifndef MXHOST_CORE_CONFIG_H
#define MXHOST_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/netaddr.h"

#define CONFIG_DEFAULT_PATH "/etc/mxhost/mxhost.conf"

struct config_zone {
	char *name; /* as written; the DNS role makes it a domain name */
	char *file; /* absolute path */
};

struct config_dns {
	int enabled; /* the [dns] section is present */
	struct netaddr *listen;
	size_t nlisten;
	struct config_zone *zones;
	size_t nzones;
	uint32_t edns_payload;	      /* largest UDP answer with EDNS0 (1232) */
	uint32_t tcp_idle_timeout;    /* seconds (10) */
	uint32_t tcp_max_connections; /* (256) */
};

/* Address families for outbound connections, in order of preference. */
enum config_family { CONFIG_FAMILY_NONE, CONFIG_FAMILY_IPV4, CONFIG_FAMILY_IPV6 };

struct config_smtp {
	int enabled;	/* the [smtp] section is present */
	char *hostname; /* never NULL or empty after config_load: the system's */
	struct netaddr *listen;
	size_t nlisten;
	char *spool; /* absolute paths, or NULL when not set */
	char *maildir_root;
	char *domains;
	char *mailboxes;
	char *relay_domains;
	struct cidr *mynetworks;
	size_t nmynetworks;
	int mynetworks_set;	     /* key present (an empty list means nobody) */
	struct netaddr *dns_servers; /* none: /etc/resolv.conf */
	size_t ndns_servers;
	uint32_t remote_port;
	enum config_family families[2]; /* address_families (ipv4, ipv6) */
	uint32_t retry_min, retry_max, queue_lifetime, delay_warning; /* seconds */
	uint64_t message_size_limit;				      /* bytes */
	uint32_t max_recipients;
	uint32_t max_connections;
	uint32_t max_connections_per_client;
	uint32_t max_errors;	   /* errors before a client is cut off */
	uint32_t timeout_command;  /* seconds waiting for a command (RFC 5321 4.5.3.2) */
	uint32_t timeout_data;	   /* seconds waiting for a data block */
	uint32_t delivery_workers; /* concurrent local deliveries */
};

struct config {
	char *path; /* absolute path of the file read */
	char *dir;  /* its folder, for relative paths */
	struct config_dns dns;
	struct config_smtp smtp;
};

/* Reads path into cfg (defaults filled first). On error returns -1 and
 * writes "path:line: message" into err. cfg must be freed either way. */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);
void config_free(struct config *cfg);

/* Makes path absolute against dir; returns a new string (NULL: no memory). */
char *config_path(const char *dir, const char *path);

#endif
