/*
 * envelope: who a queued message is from and for, with the state of each
 * recipient. Written to the spool with the message (spool.h) and updated
 * there as recipients are delivered, deferred or failed.
 *
 * Contract between the SMTP server (which fills it at DATA time) and the
 * queue (which stores, schedules and delivers). Extend it, do not break it.
 */
#ifndef MXHOST_QUEUE_ENVELOPE_H
#define MXHOST_QUEUE_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Where a recipient goes. Decided at RCPT time by the SMTP policy, after
 * alias expansion, so that the queue never needs the policy lists. */
enum rcpt_kind {
	RCPT_LOCAL,  /* a mailbox here: maildir_root/DOMAIN/LOCALPART/ */
	RCPT_REMOTE, /* another host: backup-MX or outbound relaying */
};

enum rcpt_state {
	RCPT_PENDING,	/* not tried yet */
	RCPT_DEFERRED,	/* tried, temporary failure; next_try says when again */
	RCPT_DELIVERED, /* final */
	RCPT_FAILED,	/* final: permanent failure or expired (a bounce is due) */
};

struct envelope_rcpt {
	char *addr;  /* final recipient, "local@domain" (domain lower case) */
	char *orcpt; /* the address as given in RCPT TO, before aliases */
	enum rcpt_kind kind;
	enum rcpt_state state;
	uint32_t attempts;
	time_t next_try;  /* when state is RCPT_DEFERRED */
	char *last_error; /* last reply or reason, e.g. "452 4.2.2 mailbox full" */
};

struct envelope {
	char id[24];  /* queue ID (upper-case hex), set by the spool */
	char *sender; /* MAIL FROM address, "" for the null sender <> */
	time_t received;
	char *helo;	   /* EHLO/HELO argument */
	char *client_addr; /* "127.0.0.1" */
	int body_8bit;	   /* BODY=8BITMIME */
	int smtputf8;	   /* SMTPUTF8 */
	uint64_t size;	   /* message bytes as stored */
	struct envelope_rcpt *rcpts;
	size_t nrcpts;
	time_t warned; /* when a delay warning went out; 0: none yet */
};

/* Frees what env points to (not env itself) and zeroes it. */
void envelope_free(struct envelope *env);

/* Deep copy into dst (which is overwritten). -1 with ENOMEM. */
int envelope_copy(struct envelope *dst, const struct envelope *src);

/* 1 when every recipient is DELIVERED or FAILED: the message may go. */
int envelope_final(const struct envelope *env);

/* "pending", "deferred", "delivered", "failed". */
const char *rcpt_state_name(enum rcpt_state state);

#endif
