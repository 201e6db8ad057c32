/*
 * protocol: the ESMTP grammar as pure functions over buffers (RFC 5321,
 * 1870 SIZE, 6152 8BITMIME, 2034 ENHANCEDSTATUSCODES, 3030 CHUNKING,
 * 6531 SMTPUTF8). No sockets, no allocation: the session (session.c), the
 * list files (policy.c), the unit tests and the fuzzers all call these.
 *
 * - Commands: smtp_cmd_parse() takes one command line without its line
 *   end and a session state, finds the command in a table (name, parser,
 *   states it is allowed in) and says what to answer when it is wrong.
 * - Addresses: smtp_addr_parse() reads a Mailbox and brings it to its
 *   canonical form: the domain in lower case, a quoted local part unquoted
 *   when it need not be quoted.
 * - Message content: smtp_data_feed() undoes DATA's dot-stuffing and finds
 *   the end (CR LF . CR LF, nothing else); smtp_bdat_feed() counts a BDAT
 *   chunk; smtp_content_feed() sits behind either one, makes line ends
 *   CR LF and checks size, line length and Received: headers. All three
 *   are state machines that take the bytes in any split.
 * - Replies: smtp_reply() formats single and multi-line replies.
 *
 * Line ends (a deliberate choice; docs/SMTP.md): a command line ends at LF,
 * with or without the CR before it, as Postfix has long accepted. In
 * message content a bare LF is taken as a line end and stored as CR LF,
 * but the content ends only at CR LF . CR LF, so "LF . LF" and the other
 * SMTP smuggling sequences stay content (Postfix 3.9's "normal").
 */
#ifndef MXHOST_SMTP_PROTOCOL_H
#define MXHOST_SMTP_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"

#define SMTP_LINE_MAX	    512	 /* a command line, CR LF included (RFC 5321 4.5.3.1.4) */
#define SMTP_TEXT_LINE_MAX  1000 /* a line of message text, CR LF included (4.5.3.1.6) */
#define SMTP_REPLY_LINE_MAX 512	 /* a reply line, CR LF included (4.5.3.1.5); longer text is cut */
#define SMTP_DOMAIN_MAX	    255
#define SMTP_ADDR_MAX	    510 /* whatever fits a command line */
#define SMTP_RECEIVED_MAX   100 /* more Received: headers than this is a loop */

/* Session states. A bit each, so that a command lists where it may come. */
enum smtp_state {
	SMTP_ST_INIT = 1 << 0,	/* connected, no HELO/EHLO yet */
	SMTP_ST_READY = 1 << 1, /* greeted, no mail transaction */
	SMTP_ST_MAIL = 1 << 2,	/* MAIL accepted, no recipient yet */
	SMTP_ST_RCPT = 1 << 3,	/* at least one recipient accepted */
	SMTP_ST_BDAT = 1 << 4,	/* BDAT chunks received, not the LAST yet */
};
#define SMTP_ST_ANY (SMTP_ST_INIT | SMTP_ST_READY | SMTP_ST_MAIL | SMTP_ST_RCPT | SMTP_ST_BDAT)

enum smtp_verb {
	SMTP_EHLO,
	SMTP_HELO,
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_BDAT,
	SMTP_RSET,
	SMTP_NOOP,
	SMTP_QUIT,
	SMTP_VRFY,
	SMTP_HELP,
	SMTP_NOTIMPL, /* known but not offered: EXPN, STARTTLS, AUTH, ETRN, TURN */
};

/* What smtp_cmd_parse found wrong, each with its reply (smtp_cmd_reply). */
enum smtp_perr {
	SMTP_P_OK,
	SMTP_P_UNKNOWN,	  /* 500 5.5.1 command not recognized */
	SMTP_P_BADCHAR,	  /* 500 5.5.2 control character or NUL in the line */
	SMTP_P_NOTIMPL,	  /* 502 5.5.1 */
	SMTP_P_SEQUENCE,  /* 503 5.5.1, text depends on the state */
	SMTP_P_SYNTAX,	  /* 501 5.5.4 Syntax: ... */
	SMTP_P_SENDER,	  /* 501 5.1.7 bad sender address syntax */
	SMTP_P_RECIPIENT, /* 501 5.1.3 bad recipient address syntax */
	SMTP_P_PARAM,	  /* 555 5.5.4 unsupported parameter */
	SMTP_P_UTF8,	  /* 553 5.6.7 non-ASCII address without SMTPUTF8 */
	SMTP_P_TOOBIG,	  /* 552 5.3.4 SIZE= over the limit */
};

enum smtp_body { SMTP_BODY_NONE, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME };

/* A mailbox in canonical form: addr is "local@domain", or "" for the null
 * sender, or "postmaster" alone (RCPT TO:<postmaster>, RFC 5321 4.5.1). */
struct smtp_addr {
	char addr[SMTP_ADDR_MAX + 1];
	size_t len;
	size_t at;     /* index of the '@' in addr; len when there is none */
	int utf8;      /* holds non-ASCII characters */
	int routing;   /* local part holds %, ! or @: sender-specified routing */
	int literal;   /* the domain is an address literal, [192.0.2.1] */
	int had_route; /* a source route (@a,@b:) was given and dropped */
};

struct smtp_cmd {
	enum smtp_verb verb;
	const char *name; /* as in the table, upper case */
	const char *arg;  /* the rest of the line (EHLO, HELO, VRFY), not NUL-terminated */
	size_t arglen;
	/* MAIL, RCPT */
	struct smtp_addr path;
	uint64_t size; /* SIZE=, 0 when not given */
	enum smtp_body body;
	int smtputf8;
	/* BDAT: chunk is valid whenever chunk_ok, also on a sequence error,
	 * because those bytes follow the command anyway and must be skipped */
	uint64_t chunk;
	int chunk_ok;
	int last;
};

/* Parses a command line (without its CR LF / LF). flags: SMTP_PF_UTF8
 * when the transaction's MAIL carried SMTPUTF8 (for RCPT). size_limit
 * (0: none) is checked against SIZE=. */
#define SMTP_PF_UTF8 1
enum smtp_perr smtp_cmd_parse(const char *line, size_t len, unsigned state, unsigned flags,
			      uint64_t size_limit, struct smtp_cmd *cmd);

/* The reply for a parse error: code, enhanced code and text (static). */
struct smtp_reply_text {
	int code;
	const char *enh;
	const char *text;
};
struct smtp_reply_text smtp_cmd_reply(enum smtp_perr err, const struct smtp_cmd *cmd,
				      unsigned state);

/* Parses one Mailbox or Path (with or without <>), the whole of s.
 * SMTP_ADDR_ALLOW_* widen what is accepted. Non-ASCII (well-formed UTF-8,
 * RFC 6531) is accepted and flagged in out->utf8: whether it is allowed
 * depends on SMTPUTF8, which the caller knows. Returns 0 or -1. */
#define SMTP_ADDR_ALLOW_NULL	   1 /* "<>" (MAIL FROM) */
#define SMTP_ADDR_ALLOW_POSTMASTER 2 /* "<postmaster>" without a domain (RCPT TO) */
#define SMTP_ADDR_ALLOW_BARE	   4 /* no angle brackets (list files, lenient clients) */
int smtp_addr_parse(const char *s, size_t len, unsigned flags, struct smtp_addr *out);

/* Checks a domain name (LDH labels, or UTF-8 labels with utf8), writing
 * it lower-cased to out (SMTP_DOMAIN_MAX + 1). Returns 0 or -1. */
int smtp_domain_parse(const char *s, size_t len, int utf8, char *out);

/* Whether s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int smtp_utf8_valid(const char *s, size_t len);

/* Formats a reply into out: text may hold '\n' to make a multi-line
 * reply, every line with the code and enh (NULL: no enhanced code, as for
 * the greeting and EHLO, RFC 2034 section 4). -1 when out is too small. */
int smtp_reply(struct wbuf *out, int code, const char *enh, const char *text);

/* DATA: undoes dot-stuffing and finds the end. */
struct smtp_data {
	int st;
};
void smtp_data_init(struct smtp_data *d);
typedef void (*smtp_emit_fn)(void *arg, const uint8_t *p, size_t n);
/* Consumes up to n bytes, passing message content to emit in order (one
 * or more calls). Returns the bytes consumed; sets *end when the final
 * CR LF . CR LF was consumed (then what follows it is not content). */
size_t smtp_data_feed(struct smtp_data *d, const uint8_t *in, size_t n, int *end, smtp_emit_fn emit,
		      void *arg);

/* BDAT: one chunk of a known length. */
struct smtp_bdat {
	uint64_t left;
};
void smtp_bdat_init(struct smtp_bdat *b, uint64_t chunk);
size_t smtp_bdat_feed(struct smtp_bdat *b, const uint8_t *in, size_t n, int *end, smtp_emit_fn emit,
		      void *arg);

/* The content checks shared by DATA and BDAT. Passes the content on to
 * emit with bare LF made CR LF, until a check fails; then drops the rest
 * (the transaction is lost anyway) and says why in flags. */
#define SMTP_CONTENT_TOOBIG   1 /* over limit: 552 5.3.4 */
#define SMTP_CONTENT_LONGLINE 2 /* a line over 1000 octets: 554 5.6.0 */
#define SMTP_CONTENT_LOOP     4 /* over 100 Received: headers: 554 5.4.6 */
struct smtp_content {
	uint64_t size;	/* octets passed on (CR LF line ends); received, once refused */
	uint64_t limit; /* 0: none */
	uint32_t received;
	uint32_t linelen; /* octets of the current line so far */
	int match;	  /* how much of "received:" the line start matched, -1 none */
	int in_header;
	int last_cr;
	unsigned flags;
	smtp_emit_fn emit;
	void *arg;
};
void smtp_content_init(struct smtp_content *c, uint64_t limit, smtp_emit_fn emit, void *arg);
void smtp_content_feed(struct smtp_content *c, const uint8_t *in, size_t n);
/* The usual emit function for smtp_data_feed and smtp_bdat_feed: arg is
 * a struct smtp_content. */
void smtp_content_emit(void *arg, const uint8_t *p, size_t n);
/* The reply for the first failed check, or NULL when all passed. */
const struct smtp_reply_text *smtp_content_error(const struct smtp_content *c);

/* Formats our Received: header (RFC 5321 4.4), CR LF line ends, into out.
 * proto is "ESMTP", "SMTP", "UTF8SMTP", ...; rcpt NULL when there is
 * not exactly one. Untrusted text (helo) is cleaned of anything that could
 * break the header. Returns the length, or 0 when out is too small. */
size_t smtp_received(char *out, size_t cap, const char *helo, const char *client_ip,
		     const char *hostname, const char *proto, const char *id, const char *rcpt,
		     time_t now);

#endif
