/* qfile_put: the encoders of the queue's records (qfile.h); the
 * readers are in qfile.c. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/crc32c.h"
#include "queue/qfile.h"

/* A record header: type and payload length. */
static int put_hdr(struct evbuffer *out, uint8_t type, size_t len)
{
	uint8_t h[QFILE_REC_HDR];
	struct wbuf w;

	if (len > UINT32_MAX)
		return -1;
	wbuf_init(&w, h, sizeof(h));
	wbuf_u8(&w, type);
	wbuf_u32(&w, (uint32_t)len);
	return evbuffer_add(out, h, sizeof(h));
}

static int put_rec(struct evbuffer *out, uint8_t type, const void *payload, size_t len)
{
	if (put_hdr(out, type, len) < 0)
		return -1;
	return len ? evbuffer_add(out, payload, len) : 0;
}

static int put_str_rec(struct evbuffer *out, uint8_t type, const char *s)
{
	return put_rec(out, type, s ? s : "", s ? strlen(s) : 0);
}

static int put_u64_rec(struct evbuffer *out, uint8_t type, uint64_t v)
{
	uint8_t b[8];
	struct wbuf w;

	wbuf_init(&w, b, sizeof(b));
	wbuf_u64(&w, v);
	return put_rec(out, type, b, sizeof(b));
}

static size_t str_size(const char *s)
{
	return 4 + (s ? strlen(s) : 0);
}

static int wbuf_str(struct wbuf *w, const char *s)
{
	if (s == NULL)
		return wbuf_u32(w, QFILE_NONE);
	size_t n = strlen(s);
	if (wbuf_u32(w, (uint32_t)n) < 0)
		return -1;
	return wbuf_bytes(w, s, n);
}

int qfile_put_header(struct evbuffer *out, enum qfile_kind kind)
{
	uint8_t p[8];
	struct wbuf w;

	wbuf_init(&w, p, sizeof(p));
	wbuf_bytes(&w, "MXQ", 3);
	wbuf_u8(&w, (uint8_t)kind);
	wbuf_u32(&w, QFILE_VERSION);
	return put_rec(out, 'V', p, sizeof(p));
}

int qfile_put_data_header(struct evbuffer *out, size_t len)
{
	return put_hdr(out, 'D', len);
}

/* Appends a record whose payload is built in a wbuf of exactly size bytes. */
static int put_built(struct evbuffer *out, uint8_t type, struct wbuf *w, size_t size)
{
	int r = -1;
	if (!w->overflow && w->len == size)
		r = put_rec(out, type, w->data, w->len);
	free(w->data);
	return r;
}

int qfile_put_envelope(struct evbuffer *out, const struct envelope *env)
{
	uint8_t b[4];
	uint32_t flags = (env->body_8bit ? QFILE_F_8BIT : 0) | (env->smtputf8 ? QFILE_F_UTF8 : 0);
	struct wbuf fw;

	if (put_str_rec(out, 'I', env->id) < 0 ||
	    put_u64_rec(out, 'T', (uint64_t)env->received) < 0 ||
	    put_str_rec(out, 'S', env->sender) < 0 || put_str_rec(out, 'H', env->helo) < 0 ||
	    put_str_rec(out, 'C', env->client_addr) < 0)
		return -1;
	wbuf_init(&fw, b, sizeof(b));
	wbuf_u32(&fw, flags);
	if (put_rec(out, 'F', b, 4) < 0 || put_u64_rec(out, 'Z', env->size) < 0)
		return -1;
	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];
		size_t size = 1 + 1 + 4 + 8 + str_size(r->addr) + str_size(r->orcpt) +
			      str_size(r->last_error);
		struct wbuf w;
		uint8_t *p = malloc(size);
		if (p == NULL)
			return -1;
		wbuf_init(&w, p, size);
		wbuf_u8(&w, (uint8_t)r->kind);
		wbuf_u8(&w, (uint8_t)r->state);
		wbuf_u32(&w, r->attempts);
		wbuf_u64(&w, (uint64_t)r->next_try);
		wbuf_str(&w, r->addr ? r->addr : "");
		wbuf_str(&w, r->orcpt);
		wbuf_str(&w, r->last_error);
		if (put_built(out, 'R', &w, size) < 0)
			return -1;
	}
	return 0;
}

int qfile_put_state(struct evbuffer *out, const struct envelope *env)
{
	if (put_str_rec(out, 'I', env->id) < 0 || put_u64_rec(out, 'W', (uint64_t)env->warned) < 0)
		return -1;
	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];
		size_t size = 4 + 1 + 4 + 8 + str_size(r->last_error);
		struct wbuf w;
		uint8_t *p = malloc(size);
		if (p == NULL)
			return -1;
		wbuf_init(&w, p, size);
		wbuf_u32(&w, (uint32_t)i);
		wbuf_u8(&w, (uint8_t)r->state);
		wbuf_u32(&w, r->attempts);
		wbuf_u64(&w, (uint64_t)r->next_try);
		wbuf_str(&w, r->last_error);
		if (put_built(out, 'Q', &w, size) < 0)
			return -1;
	}
	return 0;
}

int qfile_put_end(struct evbuffer *out, uint64_t env_off, uint32_t env_crc, uint32_t file_crc)
{
	uint8_t p[16];
	struct wbuf w;

	wbuf_init(&w, p, sizeof(p));
	wbuf_u64(&w, env_off);
	wbuf_u32(&w, env_crc);
	wbuf_u32(&w, file_crc);
	return put_rec(out, 'E', p, sizeof(p));
}

uint32_t qfile_crc_evbuffer(uint32_t crc, struct evbuffer *buf)
{
	size_t total = evbuffer_get_length(buf), at = 0;
	struct evbuffer_ptr pos;
	struct evbuffer_iovec v[16];

	/* With a length, peek says how many extents cover it (maybe more
	 * than it filled): take what it filled, move on, ask again. */
	if (evbuffer_ptr_set(buf, &pos, 0, EVBUFFER_PTR_SET) < 0)
		return crc;
	while (at < total) {
		int n = evbuffer_peek(buf, (ev_ssize_t)(total - at), &pos, v, 16);
		size_t done = 0;
		if (n <= 0)
			break;
		for (int i = 0; i < n && i < 16; i++) {
			size_t len =
			    v[i].iov_len < total - at - done ? v[i].iov_len : total - at - done;
			crc = crc32c(crc, v[i].iov_base, len);
			done += len;
		}
		at += done;
		if (done == 0 ||
		    (at < total && evbuffer_ptr_set(buf, &pos, done, EVBUFFER_PTR_ADD) < 0))
			break;
	}
	return crc;
}

struct evbuffer *qfile_state_file(const struct envelope *env)
{
	struct evbuffer *b = evbuffer_new();
	uint32_t env_crc, file_crc;
	size_t env_off = QFILE_HEADER_SIZE;

	if (b == NULL)
		return NULL;
	if (qfile_put_header(b, QFILE_STATE) < 0 || qfile_put_state(b, env) < 0)
		goto fail;
	/* Small: pull it flat to checksum the envelope part separately. */
	uint8_t *flat = evbuffer_pullup(b, -1);
	if (flat == NULL)
		goto fail;
	env_crc = crc32c(0, flat + env_off, evbuffer_get_length(b) - env_off);
	file_crc = crc32c(0, flat, evbuffer_get_length(b));
	if (qfile_put_end(b, env_off, env_crc, file_crc) < 0)
		goto fail;
	return b;
fail:
	evbuffer_free(b);
	return NULL;
}
