/*
 * session: see session.h. The grammar is protocol.c's; this file holds the
 * state of one client and moves bytes between its bufferevent, the
 * protocol's readers and the spool.
 *
 * Input is handled in one of a few modes (enum io): command lines, DATA
 * content, a BDAT chunk, a chunk being skipped after an error, the rest
 * of an over-long line being discarded. A failed BDAT leaves the session
 * in a "BDAT failed" state until the LAST chunk (or RSET, MAIL, EHLO):
 * the chunks the client pipelined behind the failed one are skipped and
 * get its reply again, without counting as errors (RFC 3030, Postfix).
 *
 * Replies are appended to the output buffer and go out together when the
 * callback returns, so a pipelined batch costs one write. After the final
 * dot the session stops reading until the spool's commit callback has
 * answered 250 (or 452); then the commands pipelined behind the dot are
 * taken up.
 */
#include "smtp/session.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/log.h"
#include "core/strutil.h"
#include "queue/envelope.h"
#include "queue/spool.h"
#include "smtp/policy.h"
#include "smtp/protocol.h"

/* Output waiting for a client that does not read: above HIGH, commands
 * are no longer taken from its input until the output is down to LOW. */
#define OUT_HIGH (64 * 1024)
#define OUT_LOW	 (16 * 1024)
/* Largest read from a client in one go (libevent's default is 16 KB), and
 * most input kept unread (a client pipelining while we commit). */
#define READ_MAX  (64 * 1024)
#define INPUT_MAX (256 * 1024)
/* NOOP, RSET, VRFY, HELP beyond this many since the last message count
 * as errors, so that a client cannot hold a connection forever with them
 * (Postfix's smtpd_junk_command_limit; clients like Exim send RSET before
 * every message, hence "since the last message"). */
#define JUNK_MAX 100
/* Final recipients of one message, after aliases (the spool's limit is
 * higher). RCPTs past it get 452 4.5.3 like those past max_recipients. */
#define FINAL_RCPTS_MAX 50000

enum io {
	IO_CMD,	    /* command lines */
	IO_DISCARD, /* the rest of a line that was too long */
	IO_DATA,    /* DATA content */
	IO_BDAT,    /* a BDAT chunk */
	IO_SKIP,    /* a BDAT chunk after an error: read and dropped */
	IO_COMMIT,  /* waiting for the spool; input held back */
	IO_CLOSING, /* last reply going out, then close */
};

/* Strings of the current transaction (sender, recipients): a few blocks
 * kept for the session's life and reused, so that a message costs no
 * allocation here once the session has warmed up. */
struct strblock {
	struct strblock *next;
	size_t used, cap;
	char data[];
};

struct session {
	struct smtp_ctx *ctx;
	struct session *prev, *next;
	struct bufferevent *bev;
	struct evbuffer *pending; /* replies not yet handed to the socket */
	char ip[INET6_ADDRSTRLEN];
	char peer[NETADDR_STRLEN + 2]; /* "[ip]:port" */
	int trusted;		       /* in mynetworks */
	int refused;		       /* turned away at connect: not counted */
	int orphan;		       /* connection gone while committing */
	int paused;		       /* input held back until output drains */
	int eof;		       /* the client closed its side: finish, then close */
	enum io io;
	unsigned state; /* SMTP_ST_* */
	int esmtp;
	unsigned errors;
	unsigned junk; /* NOOP, RSET, VRFY, HELP so far */
	char helo[256];
	char line[SMTP_LINE_MAX + 1];
	const char *last_cmd; /* for logs: "timeout after DATA" */

	/* the transaction */
	struct strblock *strings;
	const char *sender; /* set by MAIL */
	int body8, smtputf8;
	struct envelope_rcpt *rcpts;
	size_t nrcpts, caprcpts;
	uint32_t *seen;	    /* hash set over rcpts[].addr: index + 1, 0 empty */
	size_t seencap;	    /* a power of two, at least twice nrcpts */
	uint32_t naccepted; /* RCPT commands accepted */
	const char *first_rcpt;
	struct spool_txn *txn;
	char id[24];
	uint64_t hdrlen;
	int write_err;
	int bdat_last;
	uint64_t bdat_chunk;
	/* a BDAT failed and its LAST has not come: the reply for the rest */
	int bdat_failed;
	struct smtp_reply_text bdat_err; /* static strings */
	struct smtp_data data;
	struct smtp_bdat bdat;
	struct smtp_content content;
};

static void process(struct session *s);
static void process_input(struct session *s);
static void close_now(struct session *s);

/* ---- transaction strings ---- */

static const char *str_save(struct session *s, const char *str)
{
	size_t n = strlen(str) + 1;
	struct strblock *b;

	for (b = s->strings; b; b = b->next)
		if (b->cap - b->used >= n)
			break;
	if (b == NULL) {
		size_t cap = n > 4000 ? n : 4000;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = s->strings;
		s->strings = b;
	}
	memcpy(b->data + b->used, str, n);
	b->used += n;
	return b->data + b->used - n;
}

static void txn_reset(struct session *s)
{
	if (s->txn) {
		spool_txn_abort(s->txn);
		s->txn = NULL;
	}
	for (struct strblock *b = s->strings; b; b = b->next)
		b->used = 0;
	s->sender = NULL;
	s->first_rcpt = NULL;
	if (s->nrcpts && s->seen)
		memset(s->seen, 0, s->seencap * sizeof(*s->seen));
	s->nrcpts = 0;
	s->naccepted = 0;
	s->body8 = s->smtputf8 = 0;
	s->write_err = 0;
	s->id[0] = '\0';
	s->bdat_failed = 0;
	if (s->state != SMTP_ST_INIT)
		s->state = SMTP_ST_READY;
}

/* A BDAT failed with r (already answered). Unless it was the LAST, the
 * client may have pipelined more chunks behind it: until the LAST, each
 * is skipped and answered with r again, not counted as an error, instead
 * of getting 503 and being cut off at max_errors. Call after txn_reset. */
static void bdat_fail(struct session *s, int last, struct smtp_reply_text r)
{
	if (last || s->io == IO_CLOSING)
		return;
	s->bdat_failed = 1;
	s->bdat_err = r;
}

/* ---- output ---- */

__attribute__((format(printf, 4, 5))) static void reply(struct session *s, int code,
							const char *enh, const char *fmt, ...)
{
	char text[1024];
	uint8_t buf[1400], *out = buf;
	size_t cap = sizeof(buf), lines = 1;
	struct wbuf w;
	va_list ap;

	if (s->bev == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	/* each line: code, separator, enhanced code, space, CR LF */
	if (strlen(text) + lines * 16 > cap) {
		cap = strlen(text) + lines * 16;
		out = malloc(cap);
		if (out == NULL)
			return;
	}
	wbuf_init(&w, out, cap);
	if (smtp_reply(&w, code, enh, text) == 0)
		evbuffer_add(s->pending, out, w.len);
	else
		log_warnx("smtp: reply %d does not fit", code);
	if (out != buf)
		free(out);
}

/* Hands the replies to the socket. When nothing is queued before them
 * they are written at once, which spares arming and disarming the write
 * event for every reply; what the socket does not take goes through the
 * bufferevent. */
static void flush(struct session *s)
{
	struct evbuffer *out;

	if (s->bev == NULL || evbuffer_get_length(s->pending) == 0)
		return;
	out = bufferevent_get_output(s->bev);
	if (evbuffer_get_length(out) == 0)
		(void)evbuffer_write(s->pending, bufferevent_getfd(s->bev));
	if (evbuffer_get_length(s->pending) > 0)
		evbuffer_add_buffer(out, s->pending);
}

/* The last reply, then close once it is out. */
static void closing(struct session *s)
{
	s->io = IO_CLOSING;
	if (s->bev)
		bufferevent_disable(s->bev, EV_READ);
}

static void cutoff(struct session *s, const char *enh, const char *why)
{
	log_warnx("smtp: %s after %s from %s: disconnected with 421", why,
		  s->last_cmd ? s->last_cmd : "CONNECT", s->peer);
	reply(s, 421, enh, "%s Error: %s", s->ctx->hostname, why);
	txn_reset(s);
	closing(s);
}

/* A reply to a client's mistake: counted, and enough of them cut it off. */
__attribute__((format(printf, 4, 5))) static void reply_error(struct session *s, int code,
							      const char *enh, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	reply(s, code, enh, "%s", text);
	if (++s->errors >= s->ctx->max_errors)
		cutoff(s, "4.7.0", "too many errors");
}

static void set_timeout(struct session *s, uint32_t seconds)
{
	struct timeval rd = {seconds, 0}, wr = {s->ctx->timeout_command, 0};
	bufferevent_set_timeouts(s->bev, seconds ? &rd : NULL,
				 s->ctx->timeout_command ? &wr : NULL);
}

/* ---- content into the spool ---- */

static void to_spool(void *arg, const uint8_t *p, size_t n)
{
	struct session *s = arg;
	if (s->write_err == 0 && spool_txn_write(s->txn, p, n) < 0)
		s->write_err = errno ? errno : EIO;
}

static struct smtp_reply_text storage_reply(int err)
{
	if (err == EFBIG)
		return (struct smtp_reply_text){552, "5.3.4", "Message size exceeds fixed limit"};
	return (struct smtp_reply_text){452, "4.3.1", "Insufficient system storage"};
}

static void reply_storage(struct session *s, int err)
{
	struct smtp_reply_text r = storage_reply(err);
	reply(s, r.code, r.enh, "%s", r.text);
}

/* Opens the spool transaction and writes our Received: header. On
 * failure, answers and returns -1 with the reply in *fail. */
static int begin_message(struct session *s, struct smtp_reply_text *fail)
{
	struct smtp_ctx *ctx = s->ctx;
	char hdr[2048]; /* the longest HELO, hostname and recipient fit */
	const char *proto;
	size_t n;

	s->txn = spool_begin(ctx->spool);
	if (s->txn == NULL) {
		int err = errno;
		log_warn("smtp: %s: cannot start a message", s->peer);
		*fail = storage_reply(err);
		reply(s, fail->code, fail->enh, "%s", fail->text);
		txn_reset(s);
		return -1;
	}
	str_copy(s->id, spool_txn_id(s->txn), sizeof(s->id));
	s->write_err = 0;
	smtp_content_init(&s->content, ctx->size_limit, to_spool, s);
	if (s->smtputf8)
		proto = "UTF8SMTP"; /* RFC 6531 3.7.3: ESMTP with SMTPUTF8 */
	else
		proto = s->esmtp ? "ESMTP" : "SMTP";
	n = smtp_received(hdr, sizeof(hdr), s->helo, s->ip, ctx->hostname, proto, s->id,
			  s->naccepted == 1 ? s->first_rcpt : NULL, time(NULL));
	if (n == 0) /* cannot happen with hdr's size; without "for", then */
		n = smtp_received(hdr, sizeof(hdr), s->helo, s->ip, ctx->hostname, proto, s->id,
				  NULL, time(NULL));
	s->hdrlen = n;
	to_spool(s, (const uint8_t *)hdr, n);
	return 0;
}

static void on_committed(void *arg, int err)
{
	struct session *s = arg;

	if (s->orphan) {
		if (err == 0)
			log_info("%s: client=%s, from=<%s>, nrcpt=%zu (client gone before the "
				 "reply)",
				 s->id, s->peer, s->sender, s->nrcpts);
		close_now(s);
		return;
	}
	if (err == 0) {
		log_info("%s: client=%s, helo=<%s>, from=<%s>, size=%llu, nrcpt=%zu", s->id,
			 s->peer, s->helo, s->sender,
			 (unsigned long long)(s->hdrlen + s->content.size), s->nrcpts);
		reply(s, 250, "2.0.0", "Ok: queued as %s", s->id);
		s->junk = 0;
	} else {
		log_warnx("%s: client=%s: not queued: %s", s->id, s->peer, strerror(err));
		reply_storage(s, err);
	}
	s->io = IO_CMD;
	txn_reset(s);
	process(s);
}

/* The content is complete (after DATA's dot or the LAST chunk), or a
 * chunk before the LAST failed a check: answer the checks, or commit. */
static void message_done(struct session *s)
{
	const struct smtp_reply_text *r = smtp_content_error(&s->content);
	int more = s->state == SMTP_ST_BDAT && !s->bdat_last; /* chunks may follow */
	struct envelope env;
	struct spool_txn *tx;

	if (r || s->write_err) {
		struct smtp_reply_text fail;
		if (r) {
			log_info("%s: reject: %s from %s: %d %s %s; from=<%s>", s->id, s->last_cmd,
				 s->peer, r->code, r->enh, r->text, s->sender);
			fail = *r;
		} else {
			log_warnx("%s: client=%s: spool write failed: %s", s->id, s->peer,
				  strerror(s->write_err));
			fail = storage_reply(s->write_err);
		}
		reply(s, fail.code, fail.enh, "%s", fail.text);
		txn_reset(s);
		bdat_fail(s, !more, fail);
		return;
	}
	memset(&env, 0, sizeof(env));
	env.sender = (char *)s->sender;
	env.received = time(NULL);
	env.helo = s->helo;
	env.client_addr = s->ip;
	env.body_8bit = s->body8;
	env.smtputf8 = s->smtputf8;
	env.size = s->hdrlen + s->content.size;
	env.rcpts = s->rcpts;
	env.nrcpts = s->nrcpts;
	tx = s->txn;
	s->txn = NULL;
	/* Reading goes on (into the input buffer, up to INPUT_MAX): the
	 * commands pipelined behind the dot wait there for the 250. */
	s->io = IO_COMMIT;
	spool_txn_commit(tx, &env, on_committed, s);
}

static void chunk_done(struct session *s)
{
	s->io = IO_CMD;
	set_timeout(s, s->ctx->timeout_command);
	if (!s->bdat_last && smtp_content_error(&s->content) == NULL && !s->write_err) {
		reply(s, 250, "2.0.0", "Ok: %llu octets received",
		      (unsigned long long)s->bdat_chunk);
		return;
	}
	message_done(s);
}

static void skip_chunk(struct session *s, uint64_t chunk)
{
	smtp_bdat_init(&s->bdat, chunk);
	if (chunk && s->io != IO_CLOSING)
		s->io = IO_SKIP;
}

static void drop(void *arg, const uint8_t *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
}

/* Feeds DATA or BDAT input to its reader; returns once the input is used
 * up or the content (or chunk) has ended. */
static void read_content(struct session *s, struct evbuffer *in)
{
	struct evbuffer_iovec v[16];
	int n = evbuffer_peek(in, -1, NULL, v, 16), end = 0;
	size_t used = 0;
	enum io io = s->io;

	if (n > 16)
		n = 16;
	for (int i = 0; i < n && !end; i++) {
		if (io == IO_DATA)
			used += smtp_data_feed(&s->data, v[i].iov_base, v[i].iov_len, &end,
					       smtp_content_emit, &s->content);
		else
			used +=
			    smtp_bdat_feed(&s->bdat, v[i].iov_base, v[i].iov_len, &end,
					   io == IO_BDAT ? smtp_content_emit : drop, &s->content);
	}
	evbuffer_drain(in, used);
	if (!end)
		return;
	if (io == IO_DATA) {
		s->io = IO_CMD;
		set_timeout(s, s->ctx->timeout_command);
		message_done(s);
	} else if (io == IO_BDAT) {
		chunk_done(s);
	} else {
		s->io = IO_CMD;
	}
}

/* ---- commands ---- */

static void reject_rcpt(struct session *s, int code, const char *enh, const char *text,
			const char *rcpt)
{
	/* The address echoed whole in the log; in the reply cut to 256
	 * octets, so that the line stays within 512 (RFC 5321 4.5.3.1.5). */
	int cut = strlen(rcpt) > 256;

	log_info("NOQUEUE: reject: RCPT from %s: %d %s <%s>: %s; from=<%s> to=<%s> helo=<%s>",
		 s->peer, code, enh, rcpt, text, s->sender, rcpt, s->helo);
	reply_error(s, code, enh, "<%.256s%s>: %s", rcpt, cut ? "..." : "", text);
}

static uint32_t addr_hash(const char *a)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 16777619u;
	return h;
}

/* The slot of addr in the set: where it is, or the empty one it would take. */
static uint32_t *seen_slot(struct session *s, const char *addr)
{
	size_t i = addr_hash(addr) & (s->seencap - 1);
	while (s->seen[i] && strcmp(s->rcpts[s->seen[i] - 1].addr, addr) != 0)
		i = (i + 1) & (s->seencap - 1);
	return &s->seen[i];
}

static int seen_grow(struct session *s)
{
	size_t cap = s->seencap ? s->seencap * 2 : 32;
	uint32_t *g = calloc(cap, sizeof(*g));
	if (g == NULL)
		return -1;
	free(s->seen);
	s->seen = g;
	s->seencap = cap;
	for (size_t i = 0; i < s->nrcpts; i++)
		*seen_slot(s, s->rcpts[i].addr) = (uint32_t)i + 1;
	return 0;
}

/* Adds a final recipient unless the message has it already (two aliases,
 * a catch-all, the same RCPT twice: it is delivered once). */
static int add_rcpt(struct session *s, const char *addr, enum rcpt_kind kind, const char *orcpt)
{
	uint32_t *slot;

	if ((s->nrcpts + 1) * 2 > s->seencap && seen_grow(s) < 0)
		return -1;
	slot = seen_slot(s, addr);
	if (*slot)
		return 0;
	if (s->nrcpts == s->caprcpts) {
		size_t cap = s->caprcpts ? s->caprcpts * 2 : 8;
		struct envelope_rcpt *g = realloc(s->rcpts, cap * sizeof(*g));
		if (g == NULL)
			return -1;
		s->rcpts = g;
		s->caprcpts = cap;
	}
	memset(&s->rcpts[s->nrcpts], 0, sizeof(s->rcpts[0]));
	s->rcpts[s->nrcpts].addr = (char *)str_save(s, addr);
	s->rcpts[s->nrcpts].orcpt = (char *)orcpt;
	s->rcpts[s->nrcpts].kind = kind;
	s->rcpts[s->nrcpts].state = RCPT_PENDING;
	if (s->rcpts[s->nrcpts].addr == NULL)
		return -1;
	*slot = (uint32_t)++s->nrcpts;
	return 0;
}

static void cmd_rcpt(struct session *s, const struct smtp_cmd *cmd)
{
	struct smtp_ctx *ctx = s->ctx;
	struct policy_result res;
	const char *orcpt;
	size_t before = s->nrcpts;

	if (s->naccepted >= ctx->max_recipients) {
		reply(s, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	policy_lookup(ctx->policy, &cmd->path, s->trusted, &res);
	switch (res.verdict) {
	case POLICY_ACCEPT: break;
	case POLICY_UNKNOWN_USER:
		reject_rcpt(s, 550, "5.1.1", "Recipient address rejected: User unknown",
			    cmd->path.addr);
		return;
	case POLICY_RELAY_DENIED:
		reject_rcpt(s, 554, "5.7.1", "Relay access denied", cmd->path.addr);
		return;
	case POLICY_ROUTING_DENIED:
		reject_rcpt(s, 554, "5.7.1",
			    "Relay access denied: sender-specified routing is not supported",
			    cmd->path.addr);
		return;
	}
	if (s->nrcpts + res.nrcpts > FINAL_RCPTS_MAX) {
		reply(s, 452, "4.5.3", "Error: too many recipients");
		return;
	}
	orcpt = str_save(s, cmd->path.addr);
	for (size_t i = 0; orcpt && i < res.nrcpts; i++) {
		if (add_rcpt(s, res.rcpts[i].addr, res.rcpts[i].kind, orcpt) < 0) {
			orcpt = NULL;
			/* forget what this RCPT added */
			memset(s->seen, 0, s->seencap * sizeof(*s->seen));
			s->nrcpts = 0;
			for (size_t k = 0; k < before; k++)
				*seen_slot(s, s->rcpts[k].addr) = (uint32_t)++s->nrcpts;
		}
	}
	if (orcpt == NULL) {
		log_warnx("smtp: %s: out of memory", s->peer);
		reply(s, 452, "4.3.1", "Insufficient system storage");
		return;
	}
	if (s->naccepted++ == 0)
		s->first_rcpt = orcpt;
	s->state = SMTP_ST_RCPT;
	reply(s, 250, "2.1.5", "Ok");
}

static void cmd_bdat(struct session *s, const struct smtp_cmd *cmd)
{
	struct smtp_reply_text fail;

	if (s->bdat_failed) {
		/* behind a failed chunk: its bytes go, its answer is the first one */
		reply(s, s->bdat_err.code, s->bdat_err.enh, "%s", s->bdat_err.text);
		skip_chunk(s, cmd->chunk);
		if (cmd->last)
			s->bdat_failed = 0;
		return;
	}
	if (s->state == SMTP_ST_RCPT && begin_message(s, &fail) < 0) {
		skip_chunk(s, cmd->chunk);
		bdat_fail(s, cmd->last, fail);
		return;
	}
	s->state = SMTP_ST_BDAT;
	s->bdat_last = cmd->last;
	s->bdat_chunk = cmd->chunk;
	smtp_bdat_init(&s->bdat, cmd->chunk);
	if (cmd->chunk == 0) {
		chunk_done(s);
		return;
	}
	s->io = IO_BDAT;
	set_timeout(s, s->ctx->timeout_data);
}

static void command(struct session *s, const char *line, size_t len)
{
	struct smtp_ctx *ctx = s->ctx;
	/* after a failed BDAT, more chunks are still in order (cmd_bdat) */
	unsigned state = s->state | (s->bdat_failed ? SMTP_ST_BDAT : 0);
	struct smtp_cmd cmd;
	enum smtp_perr e;
	struct smtp_reply_text fail;

	e = smtp_cmd_parse(line, len, state, s->smtputf8 ? SMTP_PF_UTF8 : 0, ctx->size_limit, &cmd);
	s->last_cmd = cmd.name ? cmd.name : "UNKNOWN";
	if (e != SMTP_P_OK) {
		struct smtp_reply_text r = smtp_cmd_reply(e, &cmd, state);
		if (cmd.verb == SMTP_BDAT && s->state == SMTP_ST_BDAT)
			txn_reset(s); /* a broken chunk breaks the message */
		reply_error(s, r.code, r.enh, "%s", r.text);
		if (cmd.verb == SMTP_BDAT && cmd.chunk_ok) {
			skip_chunk(s, cmd.chunk);
			bdat_fail(s, cmd.last, r);
		}
		return;
	}
	if ((cmd.verb == SMTP_NOOP || cmd.verb == SMTP_RSET || cmd.verb == SMTP_VRFY ||
	     cmd.verb == SMTP_HELP) &&
	    ++s->junk > JUNK_MAX && ++s->errors >= ctx->max_errors) {
		cutoff(s, "4.7.0", "too many errors");
		return;
	}
	switch (cmd.verb) {
	case SMTP_EHLO:
	case SMTP_HELO:
		txn_reset(s);
		s->state = SMTP_ST_READY;
		s->esmtp = cmd.verb == SMTP_EHLO;
		memcpy(s->helo, cmd.arg,
		       cmd.arglen < sizeof(s->helo) ? cmd.arglen : sizeof(s->helo) - 1);
		s->helo[cmd.arglen < sizeof(s->helo) ? cmd.arglen : sizeof(s->helo) - 1] = '\0';
		if (!s->esmtp) {
			reply(s, 250, NULL, "%s", ctx->hostname);
		} else if (ctx->size_limit) {
			reply(s, 250, NULL,
			      "%s\nPIPELINING\nSIZE %llu\n8BITMIME\nENHANCEDSTATUSCODES\nSMTPUTF8\n"
			      "CHUNKING",
			      ctx->hostname, (unsigned long long)ctx->size_limit);
		} else {
			reply(s, 250, NULL,
			      "%s\nPIPELINING\nSIZE\n8BITMIME\nENHANCEDSTATUSCODES\nSMTPUTF8\n"
			      "CHUNKING",
			      ctx->hostname);
		}
		break;
	case SMTP_MAIL:
		s->sender = str_save(s, cmd.path.addr);
		if (s->sender == NULL) {
			reply(s, 452, "4.3.1", "Insufficient system storage");
			break;
		}
		s->body8 = cmd.body == SMTP_BODY_8BITMIME;
		s->smtputf8 = cmd.smtputf8;
		s->bdat_failed = 0; /* a new transaction ends a failed BDAT transfer */
		s->state = SMTP_ST_MAIL;
		reply(s, 250, "2.1.0", "Ok");
		break;
	case SMTP_RCPT: cmd_rcpt(s, &cmd); break;
	case SMTP_DATA:
		if (begin_message(s, &fail) < 0)
			break;
		smtp_data_init(&s->data);
		s->io = IO_DATA;
		set_timeout(s, ctx->timeout_data);
		reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
		break;
	case SMTP_BDAT: cmd_bdat(s, &cmd); break;
	case SMTP_RSET:
		txn_reset(s);
		reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_NOOP: reply(s, 250, "2.0.0", "Ok"); break;
	case SMTP_QUIT:
		reply(s, 221, "2.0.0", "Bye");
		txn_reset(s);
		closing(s);
		break;
	case SMTP_VRFY:
		reply(s, 252, "2.0.0",
		      "Cannot VRFY user, but will accept message and attempt delivery");
		break;
	case SMTP_HELP:
		reply(s, 214, "2.0.0",
		      "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP\n"
		      "See RFC 5321");
		break;
	case SMTP_NOTIMPL: break; /* answered as a parse error */
	}
}

/* Takes one command line from in; 0 when a whole line is not there yet. */
static int read_command(struct session *s, struct evbuffer *in)
{
	size_t eol = 0, len;
	struct evbuffer_ptr p = evbuffer_search_eol(in, NULL, &eol, EVBUFFER_EOL_LF);

	if (p.pos < 0) {
		if (evbuffer_get_length(in) < SMTP_LINE_MAX)
			return 0;
		evbuffer_drain(in, evbuffer_get_length(in));
		s->io = IO_DISCARD;
		s->last_cmd = "UNKNOWN";
		reply_error(s, 500, "5.5.2", "Error: line too long");
		return 1;
	}
	if ((size_t)p.pos + 1 > SMTP_LINE_MAX) {
		evbuffer_drain(in, (size_t)p.pos + 1);
		s->last_cmd = "UNKNOWN";
		reply_error(s, 500, "5.5.2", "Error: line too long");
		return 1;
	}
	evbuffer_remove(in, s->line, (size_t)p.pos + 1);
	len = (size_t)p.pos;
	if (len && s->line[len - 1] == '\r')
		len--;
	s->line[len] = '\0';
	command(s, s->line, len);
	return 1;
}

static void discard_line(struct session *s, struct evbuffer *in)
{
	size_t eol = 0;
	struct evbuffer_ptr p = evbuffer_search_eol(in, NULL, &eol, EVBUFFER_EOL_LF);
	if (p.pos < 0) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	evbuffer_drain(in, (size_t)p.pos + 1);
	if (s->io == IO_DISCARD)
		s->io = IO_CMD;
}

/* The end of every callback: replies out, and the connection closed when
 * it is over (after QUIT or a cut-off, or after the client's EOF once
 * all it sent is answered). It may free s: its callers return at once.
 * Returns 1 when input held back for the replies can be read again now. */
static int finish(struct session *s)
{
	if (s->bev == NULL)
		return 0;
	flush(s);
	if (s->eof && s->io != IO_CLOSING && s->io != IO_COMMIT && !s->paused) {
		if (s->io != IO_CMD || (s->state & (SMTP_ST_MAIL | SMTP_ST_RCPT | SMTP_ST_BDAT)))
			log_info("smtp: lost connection after %s from %s",
				 s->last_cmd ? s->last_cmd : "CONNECT", s->peer);
		txn_reset(s);
		closing(s);
	}
	if (s->io == IO_CLOSING && evbuffer_get_length(bufferevent_get_output(s->bev)) == 0) {
		close_now(s); /* s may be gone */
		return 0;
	}
	if (s->paused && evbuffer_get_length(bufferevent_get_output(s->bev)) <= OUT_LOW) {
		/* Paused for the replies, and flush() just handed them all to
		 * the socket: no write event will come to resume, so resume
		 * here and read on. */
		s->paused = 0;
		if (s->io != IO_COMMIT && !s->eof)
			bufferevent_enable(s->bev, EV_READ);
		return 1;
	}
	return 0;
}

static void process(struct session *s)
{
	do
		process_input(s);
	while (finish(s));
}

static void process_input(struct session *s)
{
	struct evbuffer *in, *out;

	if (s->bev == NULL)
		return;
	in = bufferevent_get_input(s->bev);
	out = bufferevent_get_output(s->bev);
	while (evbuffer_get_length(in) > 0) {
		if (s->io == IO_COMMIT)
			return;
		if (s->io == IO_CLOSING) {
			evbuffer_drain(in, evbuffer_get_length(in));
			return;
		}
		if (evbuffer_get_length(out) + evbuffer_get_length(s->pending) > OUT_HIGH) {
			/* the client sends and does not read: wait for it */
			s->paused = 1;
			bufferevent_disable(s->bev, EV_READ);
			return;
		}
		switch (s->io) {
		case IO_CMD:
			if (!read_command(s, in))
				return;
			break;
		case IO_DISCARD: discard_line(s, in); break;
		case IO_DATA:
		case IO_BDAT:
		case IO_SKIP: read_content(s, in); break;
		case IO_COMMIT:
		case IO_CLOSING: return;
		}
	}
}

/* ---- events ---- */

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	process(arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	size_t left = evbuffer_get_length(bufferevent_get_output(bev));

	if (s->io == IO_CLOSING) {
		if (left == 0)
			close_now(s);
		return;
	}
	if (s->paused && left <= OUT_LOW) {
		s->paused = 0;
		if (s->io != IO_COMMIT && !s->eof)
			bufferevent_enable(bev, EV_READ);
		process(s);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	(void)bev;

	if (what & BEV_EVENT_TIMEOUT) {
		if (s->io == IO_CLOSING || (what & BEV_EVENT_WRITING)) {
			log_warnx("smtp: write timeout to %s", s->peer);
			close_now(s);
			return;
		}
		if (s->io == IO_COMMIT) {
			/* the wait is ours, not the client's */
			bufferevent_enable(s->bev, EV_READ);
			return;
		}
		cutoff(s, "4.4.2", "timeout exceeded");
		finish(s);
		return;
	}
	if ((what & BEV_EVENT_ERROR) || s->io == IO_CLOSING) {
		if ((what & BEV_EVENT_ERROR) && s->io != IO_CLOSING)
			log_info("smtp: lost connection after %s from %s: %s",
				 s->last_cmd ? s->last_cmd : "CONNECT", s->peer,
				 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		close_now(s);
		return;
	}
	/* EOF: the client shut down its sending side. What it sent before
	 * is answered (also a message being committed), then we close. */
	s->eof = 1;
	if (s->io != IO_COMMIT)
		process(s);
}

/* ---- life ---- */

static void destroy(struct session *s)
{
	struct smtp_ctx *ctx = s->ctx;

	if (s->prev)
		s->prev->next = s->next;
	else
		ctx->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (!s->refused)
		ctx->nsessions--;
	while (s->strings) {
		struct strblock *b = s->strings;
		s->strings = b->next;
		free(b);
	}
	free(s->rcpts);
	free(s->seen);
	if (s->pending)
		evbuffer_free(s->pending);
	free(s);
}

/* Closes the connection; frees the session unless a commit is in flight
 * (then the commit's callback does). */
static void close_now(struct session *s)
{
	if (s->txn) {
		spool_txn_abort(s->txn);
		s->txn = NULL;
	}
	if (s->bev) {
		if (!s->refused)
			log_debug("smtp: disconnect from %s", s->peer);
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	if (s->io == IO_COMMIT && !s->orphan) {
		s->orphan = 1;
		return;
	}
	destroy(s);
}

/* The client's address as text; an IPv4 client of a dual-stack socket
 * (::ffff:192.0.2.1) is shown as IPv4, as it is. */
static void client_ip(const struct sockaddr *sa, char *buf, size_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
	if (sa->sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = s6->sin6_port};
		memcpy(&s4.sin_addr, s6->sin6_addr.s6_addr + 12, 4);
		netaddr_ip((const struct sockaddr *)&s4, buf, len);
		return;
	}
	netaddr_ip(sa, buf, len);
}

void session_accept(struct smtp_ctx *ctx, evutil_socket_t fd, const struct sockaddr *sa,
		    socklen_t len)
{
	struct session *s = calloc(1, sizeof(*s));
	size_t same = 0;
	int one = 1;

	(void)len;
	if (s == NULL) {
		log_warnx("smtp: out of memory for a new connection");
		evutil_closesocket(fd);
		return;
	}
	s->bev = bufferevent_socket_new(ctx->base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->pending = evbuffer_new();
	if (s->bev == NULL || s->pending == NULL) {
		log_warnx("smtp: cannot make a connection buffer");
		if (s->bev)
			bufferevent_free(s->bev);
		else
			evutil_closesocket(fd);
		if (s->pending)
			evbuffer_free(s->pending);
		free(s);
		return;
	}
	s->ctx = ctx;
	s->state = SMTP_ST_INIT;
	client_ip(sa, s->ip, sizeof(s->ip));
	snprintf(s->peer, sizeof(s->peer), "[%s]:%u", s->ip, netaddr_port(sa));
	for (size_t i = 0; i < ctx->nmynet; i++)
		if (cidr_match(&ctx->mynet[i], sa))
			s->trusted = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	for (struct session *o = ctx->sessions; o; o = o->next)
		if (!o->refused && !o->orphan && strcmp(o->ip, s->ip) == 0)
			same++;
	s->next = ctx->sessions;
	if (ctx->sessions)
		ctx->sessions->prev = s;
	ctx->sessions = s;

	/* big reads: a 100 KB message in two or three read callbacks, not seven */
	bufferevent_set_max_single_read(s->bev, READ_MAX);
	bufferevent_setcb(s->bev, on_read, on_write, on_event, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, OUT_LOW, 0);
	bufferevent_setwatermark(s->bev, EV_READ, 0, INPUT_MAX);
	set_timeout(s, ctx->timeout_command);
	if (ctx->nsessions >= ctx->max_connections || same >= ctx->max_per_client) {
		s->refused = 1;
		log_warnx("smtp: too many connections %s%s (%zu in all, %zu from it): 421",
			  same >= ctx->max_per_client ? "from " : "",
			  same >= ctx->max_per_client ? s->peer : "in all", ctx->nsessions, same);
		reply(s, 421, "4.7.0", "%s Error: too many connections%s", ctx->hostname,
		      same >= ctx->max_per_client ? " from your address" : "");
		closing(s);
		finish(s);
		return;
	}
	ctx->nsessions++;
	log_debug("smtp: connect from %s%s", s->peer, s->trusted ? " (mynetworks)" : "");
	reply(s, 220, NULL, "%s ESMTP mxhost", ctx->hostname);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	finish(s);
}

void session_shutdown_all(struct smtp_ctx *ctx)
{
	struct session *s = ctx->sessions, *next;

	for (; s; s = next) {
		next = s->next;
		if (s->orphan)
			continue;
		if (s->bev && s->io != IO_COMMIT &&
		    evbuffer_get_length(bufferevent_get_output(s->bev)) == 0 &&
		    evbuffer_get_length(s->pending) == 0) {
			/* one try, without waiting: the loop is ending */
			char msg[300];
			int n = snprintf(msg, sizeof(msg), "421 4.3.2 %s Service shutting down\r\n",
					 ctx->hostname);
			(void)!send(bufferevent_getfd(s->bev), msg, (size_t)n,
				    MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		close_now(s);
	}
}

void session_free_all(struct smtp_ctx *ctx)
{
	while (ctx->sessions) {
		struct session *s = ctx->sessions;
		s->io = IO_CLOSING; /* no commit can come back any more */
		s->orphan = 0;
		close_now(s);
	}
}
