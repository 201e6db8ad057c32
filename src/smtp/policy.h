/*
 * policy: which recipients this host accepts, decided at RCPT time from
 * the three list files of [smtp] (docs/SMTP.md has their syntax):
 *
 *   domains        hosted domains, one per line (the allowed-delivery list)
 *   mailboxes      user@example.test                      a mailbox
 *                  alias@example.test: a@example.test, b@elsewhere.test
 *                  @example.test: a@example.test          catch-all
 *   relay_domains  example.net                            backup MX, anyone
 *                  example.org: a@example.org, b@example.org   only these
 *
 * Domains compare case-insensitively, and local parts too (as Postfix
 * does by default). postmaster@DOMAIN is accepted at every hosted domain
 * even when the lists do not name it (RFC 5321 4.5.1): delivered to its
 * own mailbox unless an entry or the domain's catch-all says otherwise.
 * Aliases are expanded when the lists are loaded, so a lookup is a hash
 * probe or two. A policy is immutable once loaded: a reload builds a new
 * one and swaps it in only when every file parsed.
 */
#ifndef MXHOST_SMTP_POLICY_H
#define MXHOST_SMTP_POLICY_H

#include <stddef.h>

#include "queue/envelope.h"
#include "smtp/protocol.h"

struct policy;

enum policy_verdict {
	POLICY_ACCEPT,	       /* 250: rcpts says where it goes */
	POLICY_UNKNOWN_USER,   /* 550 5.1.1: hosted (or listed relay) domain, no such user */
	POLICY_RELAY_DENIED,   /* 554 5.7.1: not ours, and the client may not relay */
	POLICY_ROUTING_DENIED, /* 554 5.7.1: %, ! or @ in the local part (sender routing) */
};

/* A final recipient: an address (domain in lower case; for a hosted
 * mailbox the local part too, so it names its folder) and its kind. */
struct policy_rcpt {
	const char *addr;
	enum rcpt_kind kind;
};

struct policy_result {
	enum policy_verdict verdict;
	const struct policy_rcpt *rcpts; /* valid until the policy is freed */
	size_t nrcpts;
	struct policy_rcpt one; /* storage for a relayed address */
};

/* Reads the lists (a NULL path is an empty list). hostname resolves
 * <postmaster> without a domain: postmaster@hostname, then at each parent
 * domain of hostname that is hosted, then at the first domain of the
 * domains list. Returns NULL with "file:line: message" in err when a
 * file cannot be read or has an error; warnings (an entry for a domain
 * that is not hosted, a duplicate) are logged. */
struct policy *policy_load(const char *domains, const char *mailboxes, const char *relay_domains,
			   const char *hostname, char *err, size_t errlen);
void policy_free(struct policy *p);

/* Decides for a recipient. trusted: the client is in mynetworks and may
 * relay to any domain. a comes from smtp_addr_parse; res->rcpts may point
 * into a when the address is relayed as it is. */
void policy_lookup(const struct policy *p, const struct smtp_addr *a, int trusted,
		   struct policy_result *res);

/* Whether domain (lower case) is hosted here, or relayed for. */
int policy_hosted(const struct policy *p, const char *domain);
int policy_relayed(const struct policy *p, const char *domain);

struct policy_stats {
	size_t domains, mailboxes, aliases, catchalls, relay_domains, relay_rcpts;
};
void policy_stats(const struct policy *p, struct policy_stats *st);

#endif
