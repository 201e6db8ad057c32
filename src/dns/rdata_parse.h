/*
 * rdata_parse: record data in presentation form (the words after the
 * type in a zone file) to the uncompressed wire form mxhost keeps, for
 * every type rdata.h describes, and for any type in the generic form of
 * RFC 3597 ("\# 4 0A000001"), known types included.
 *
 * The words come already split by the zone file lexer; this module only
 * interprets them, so that it stays a pure function tests and fuzzers
 * call with a few strings.
 */
#ifndef MXHOST_DNS_RDATA_PARSE_H
#define MXHOST_DNS_RDATA_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* One word of the data: raw text (escapes not yet resolved); for a
 * quoted string, the text between the quotes. */
struct rdata_token {
	const char *s;
	size_t len;
	int quoted;
};

/*
 * Converts ntok words into the data of a record of that type, relative
 * names completed with origin. Returns the data's length, or -1 with a
 * message in err ("bad MX preference '70000': expected a number from 0 to
 * 65535") and *errtok set to the word at fault (ntok when a word is
 * missing).
 */
int rdata_parse(uint16_t type, const struct rdata_token *tok, size_t ntok, const uint8_t *origin,
		uint8_t *out, size_t outsize, char *err, size_t errsize, size_t *errtok);

/*
 * Decodes one <character-string> (quoted or not): \X is X, \DDD is the
 * byte DDD. Returns the length, or -1 on a bad escape or when it does not
 * fit outsize. With out NULL it only checks and measures.
 */
int rdata_parse_string(const char *s, size_t len, uint8_t *out, size_t outsize);

/* Why text is not a valid domain name, in plain words ("label longer than
 * 63 characters"), for messages. */
const char *rdata_name_problem(const char *text, size_t len, const uint8_t *origin);

#endif
