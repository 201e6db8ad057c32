/*
 * qfile: the queue's on-disk format (docs/QUEUE.md, "Records"): typed
 * records, a version record first, an end record with CRC-32C checksums
 * last. A file without its end record is incomplete and never delivered.
 *
 * The encoders append records to an evbuffer. The parsers over buffers are
 * pure functions (fuzz/fuzz_envelope.c reaches them); the readers over file
 * descriptors block on the disk and belong on worker threads or in tools.
 */
#ifndef MXHOST_QUEUE_QFILE_H
#define MXHOST_QUEUE_QFILE_H

#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>

#include "queue/envelope.h"

#define QFILE_VERSION	  1
#define QFILE_ID_LEN	  12 /* hex digits in a queue ID */
#define QFILE_HEADER_SIZE 13 /* the V record */
#define QFILE_END_SIZE	  21 /* the E record */
#define QFILE_MAX_RCPTS	  100000
#define QFILE_MAX_STRING  65536
#define QFILE_REC_HDR	  5	      /* type and length before each payload */
#define QFILE_NONE	  0xFFFFFFFFu /* string length meaning "none" */
#define QFILE_F_8BIT	  1u	      /* F record: BODY=8BITMIME */
#define QFILE_F_UTF8	  2u	      /* F record: SMTPUTF8 */

enum qfile_kind { QFILE_MESSAGE = 'M', QFILE_STATE = 'S' };

/* 1 when s is a queue ID (QFILE_ID_LEN upper-case hex digits). */
int qfile_id_valid(const char *s);

/* Encoders: each appends records to out; -1 when out of memory. */
int qfile_put_header(struct evbuffer *out, enum qfile_kind kind);
/* A D record header for len content bytes (the bytes follow it). */
int qfile_put_data_header(struct evbuffer *out, size_t len);
/* The envelope section of a message file: I T S H C F Z R... */
int qfile_put_envelope(struct evbuffer *out, const struct envelope *env);
/* The body of a state file: I W Q... */
int qfile_put_state(struct evbuffer *out, const struct envelope *env);
int qfile_put_end(struct evbuffer *out, uint64_t env_off, uint32_t env_crc, uint32_t file_crc);

/* CRC-32C over an evbuffer's bytes, extending crc. */
uint32_t qfile_crc_evbuffer(uint32_t crc, struct evbuffer *buf);

/* A complete state file for env, ready to write. NULL when out of memory. */
struct evbuffer *qfile_state_file(const struct envelope *env);

/*
 * Parses a whole message file image, checking everything: the version
 * record, the order and syntax of every record, the end record, both
 * checksums, and that the content size adds up. Fills env (free it with
 * envelope_free) and moves the content to the front of data, so that the
 * message is data[0 .. *body_len). Returns 0, or -1 with a reason in err
 * (env is then left empty) and errno EBADMSG when the image does not
 * check, ENOMEM when memory ran out (the image may be good). The other
 * parsers below say the same with errno.
 */
int qfile_parse_message(uint8_t *data, size_t len, struct envelope *env, size_t *body_len,
			char *err, size_t errlen);

/* Parses the envelope section alone (from the I record to just before
 * E), as qfile_read_envelope reads it from a file's tail. */
int qfile_parse_envelope(const uint8_t *data, size_t len, struct envelope *env, char *err,
			 size_t errlen);

/* Parses a state file image and applies its recipient states to env
 * (whose id and recipient count it must match). env is untouched on
 * error. */
int qfile_parse_state(const uint8_t *data, size_t len, struct envelope *env, char *err,
		      size_t errlen);

/* Readers over an open file. qfile_read_envelope reads the version
 * record, the end record and the envelope section (checking the envelope
 * checksum) without reading the content: what start-up recovery needs.
 * qfile_load reads and checks a whole message file; *data is malloc'd
 * and holds the content. Each returns 0, or -1 with a reason in err;
 * errno then says which: EBADMSG when the file does not check (incomplete
 * or corrupt), else why it could not be read (ENOMEM, EIO, EMFILE...),
 * which says nothing of the file: only EBADMSG may quarantine it. */
int qfile_read_envelope(int fd, struct envelope *env, char *err, size_t errlen);
int qfile_load(int fd, struct envelope *env, uint8_t **data, size_t *body_len, char *err,
	       size_t errlen);
int qfile_read_state(int fd, struct envelope *env, char *err, size_t errlen);
/* A state file on its own, with no message to apply it to (the queue
 * tool's `show` of state/ID or quarantine/state.ID): env gets the file's
 * ID, its warning time and a recipient per state, with no address. */
int qfile_read_state_alone(int fd, struct envelope *env, char *err, size_t errlen);
/* Opens dirfd/name (AT_FDCWD for a path) for reading if it is a regular
 * file, without blocking on a FIFO, and when nofollow without following
 * a final symbolic link (errno ELOOP); any other type of file gives
 * errno ENODEV. Neither is a file the spool wrote. */
int qfile_open(int dirfd, const char *name, int nofollow);
/* The kind of queue file fd holds (QFILE_MESSAGE or QFILE_STATE), or -1
 * when it is no queue file at all. */
int qfile_kind(int fd);

#endif
