/*
 * netaddr: socket addresses written as text ("127.0.0.1:5300",
 * "[::1]:5300"), and address prefixes ("127.0.0.0/8") to match clients.
 */
#ifndef MXHOST_CORE_NETADDR_H
#define MXHOST_CORE_NETADDR_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct netaddr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Longest text netaddr_format writes: "[" v6 "]:" port, and a NUL. */
#define NETADDR_STRLEN (INET6_ADDRSTRLEN + 9)

/* Parses "A.B.C.D:PORT", "[V6]:PORT", or an address alone (then
 * default_port; 0 makes a port mandatory). A bare IPv6 address without
 * brackets is taken whole, with default_port. Returns 0 or -1. */
int netaddr_parse(const char *s, uint16_t default_port, struct netaddr *out);

/* Writes "A.B.C.D:PORT" or "[V6]:PORT" into buf; returns buf. */
const char *netaddr_format(const struct sockaddr *sa, char *buf, size_t size);

/* Writes the address alone, no port; returns buf. */
const char *netaddr_ip(const struct sockaddr *sa, char *buf, size_t size);

uint16_t netaddr_port(const struct sockaddr *sa);

/* Same family, address and port. */
int netaddr_equal(const struct sockaddr *a, const struct sockaddr *b);

/* Same family and address, port ignored. IPv4-mapped IPv6 addresses
 * compare equal to their IPv4 address. */
int netaddr_same_ip(const struct sockaddr *a, const struct sockaddr *b);

struct cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

/* Parses "ADDR" or "ADDR/LEN", IPv4 or IPv6. */
int cidr_parse(const char *s, struct cidr *out);

/* Whether sa lies inside the prefix (IPv4-mapped IPv6 counts as IPv4). */
int cidr_match(const struct cidr *c, const struct sockaddr *sa);

#endif
