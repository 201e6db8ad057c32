/* netaddr: see netaddr.h. */
#include "core/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	if (parse_uint(s, 0, 65535, &v) < 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int fill(const char *host, uint16_t port, struct netaddr *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&out->ss;

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		out->len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		out->len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

int netaddr_parse(const char *s, uint16_t default_port, struct netaddr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon;
	uint16_t port = default_port;
	size_t n;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (size_t)(close - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		if (close[1] == ':') {
			if (parse_port(close + 2, &port) < 0)
				return -1;
		} else if (close[1] != '\0' || default_port == 0) {
			return -1;
		}
		return fill(host, port, out);
	}
	colon = strchr(s, ':');
	if (colon != NULL && strchr(colon + 1, ':') != NULL) /* bare IPv6 */
		return default_port ? fill(s, default_port, out) : -1;
	if (colon == NULL) {
		if (default_port == 0)
			return -1;
		return fill(s, default_port, out);
	}
	n = (size_t)(colon - s);
	if (n >= sizeof(host) || parse_port(colon + 1, &port) < 0)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	return fill(host, port, out);
}

const char *netaddr_ip(const struct sockaddr *sa, char *buf, size_t size)
{
	const void *a = sa->sa_family == AF_INET6
			    ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
			    : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
	if (inet_ntop(sa->sa_family, a, buf, (socklen_t)size) == NULL)
		str_copy(buf, "?", size);
	return buf;
}

uint16_t netaddr_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

const char *netaddr_format(const struct sockaddr *sa, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN];
	netaddr_ip(sa, ip, sizeof(ip));
	if (sa->sa_family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", ip, netaddr_port(sa));
	else
		snprintf(buf, size, "%s:%u", ip, netaddr_port(sa));
	return buf;
}

/* The address bytes, with IPv4-mapped IPv6 unwrapped to IPv4. */
static int raw_ip(const struct sockaddr *sa, const uint8_t **p)
{
	if (sa->sa_family == AF_INET) {
		*p = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			*p = a->s6_addr + 12;
			return AF_INET;
		}
		*p = a->s6_addr;
		return AF_INET6;
	}
	return -1;
}

int netaddr_same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	const uint8_t *pa = NULL, *pb = NULL;
	int fa = raw_ip(a, &pa), fb = raw_ip(b, &pb);
	if (fa < 0 || fa != fb)
		return 0;
	return memcmp(pa, pb, fa == AF_INET ? 4 : 16) == 0;
}

int netaddr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	return a->sa_family == b->sa_family && netaddr_same_ip(a, b) &&
	       netaddr_port(a) == netaddr_port(b);
}

int cidr_parse(const char *s, struct cidr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long prefix;

	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -1;
	out->prefix = out->family == AF_INET ? 32 : 128;
	if (slash) {
		if (parse_uint(slash + 1, 0, out->prefix, &prefix) < 0)
			return -1;
		out->prefix = (unsigned)prefix;
	}
	return 0;
}

int cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	const uint8_t *p = NULL;
	unsigned bits = c->prefix, i;

	if (raw_ip(sa, &p) != c->family)
		return 0;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (p[i] != c->addr[i])
			return 0;
	if (bits) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits));
		if ((p[i] & mask) != (c->addr[i] & mask))
			return 0;
	}
	return 1;
}
