/*
 * maildir: local delivery into a Maildir (cr.yp.to/proto/maildir.html)
 * under ROOT/DOMAIN/LOCALPART/, the layout Dovecot reads with
 * mail_location = maildir:ROOT/%d/%n. One copy per call: written into
 * tmp/ under a unique name, fsync'd, renamed into new/, new/ fsync'd
 * (core/durable.h), with Return-Path and Delivered-To prepended and
 * CRLF line ends made LF, as Unix mailboxes store them.
 *
 * Blocks on the disk: call it from worker threads.
 */
#ifndef MXHOST_DELIVER_MAILDIR_H
#define MXHOST_DELIVER_MAILDIR_H

#include <stddef.h>
#include <stdint.h>

struct maildir_msg {
	const char *root;     /* maildir_root */
	const char *hostname; /* this host, part of the unique name */
	const char *qid;      /* queue ID, part of the unique name */
	const char *sender;   /* envelope sender, "" for <> */
	const char *rcpt;     /* "localpart@domain": the mailbox */
	const uint8_t *content;
	size_t len; /* content as queued: CRLF lines */
};

/*
 * Delivers one copy. Returns 0 and the file's path below root in path;
 * or -1 with errno and a reason in err. EINVAL means the address cannot
 * name a mailbox (a permanent failure); anything else (EACCES, ENOSPC,
 * EIO, ENOTDIR...) is temporary: the caller defers and tries again.
 */
int maildir_deliver(const struct maildir_msg *m, char *path, size_t pathlen, char *err,
		    size_t errlen);

/* The mailbox folder for rcpt below root ("DOMAIN/LOCALPART"), or -1
 * (EINVAL) when rcpt cannot safely name one: empty parts, "." or "..",
 * a '/', a leading '.', control characters. */
int maildir_mailbox(const char *rcpt, char *out, size_t outlen);

#endif
