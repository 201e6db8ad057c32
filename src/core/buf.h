/*
 * buf: bounds-checked readers and writers over byte arrays, for wire
 * formats. Every check is a runtime check: a read past the end returns -1
 * and leaves the value untouched; a write past the capacity returns -1 and
 * marks the writer overflowed, so a caller may check once at the end.
 */
#ifndef MXHOST_CORE_BUF_H
#define MXHOST_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rbuf {
	const uint8_t *data;
	size_t len;
	size_t pos;
};

struct wbuf {
	uint8_t *data;
	size_t cap;
	size_t len;
	int overflow;
};

/* Big-endian values at a place the caller has already checked lies
 * inside the data (a fixed offset into a checked record, a length
 * prefix); an rbuf is for walking through data not yet checked. */
static inline uint16_t buf_get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t buf_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void rbuf_init(struct rbuf *r, const uint8_t *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
}

static inline size_t rbuf_left(const struct rbuf *r)
{
	return r->len - r->pos;
}

static inline int rbuf_u8(struct rbuf *r, uint8_t *v)
{
	if (rbuf_left(r) < 1)
		return -1;
	*v = r->data[r->pos++];
	return 0;
}

static inline int rbuf_u16(struct rbuf *r, uint16_t *v)
{
	if (rbuf_left(r) < 2)
		return -1;
	*v = buf_get_u16(r->data + r->pos);
	r->pos += 2;
	return 0;
}

static inline int rbuf_u32(struct rbuf *r, uint32_t *v)
{
	if (rbuf_left(r) < 4)
		return -1;
	*v = buf_get_u32(r->data + r->pos);
	r->pos += 4;
	return 0;
}

static inline int rbuf_u64(struct rbuf *r, uint64_t *v)
{
	uint32_t hi, lo;
	if (rbuf_left(r) < 8)
		return -1;
	rbuf_u32(r, &hi);
	rbuf_u32(r, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

static inline int rbuf_bytes(struct rbuf *r, void *out, size_t n)
{
	if (rbuf_left(r) < n)
		return -1;
	memcpy(out, r->data + r->pos, n);
	r->pos += n;
	return 0;
}

static inline int rbuf_skip(struct rbuf *r, size_t n)
{
	if (rbuf_left(r) < n)
		return -1;
	r->pos += n;
	return 0;
}

static inline void wbuf_init(struct wbuf *w, uint8_t *data, size_t cap)
{
	w->data = data;
	w->cap = cap;
	w->len = 0;
	w->overflow = 0;
}

static inline int wbuf_room(struct wbuf *w, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = 1;
		return 0;
	}
	return 1;
}

static inline int wbuf_u8(struct wbuf *w, uint8_t v)
{
	if (!wbuf_room(w, 1))
		return -1;
	w->data[w->len++] = v;
	return 0;
}

static inline int wbuf_u16(struct wbuf *w, uint16_t v)
{
	if (!wbuf_room(w, 2))
		return -1;
	w->data[w->len++] = (uint8_t)(v >> 8);
	w->data[w->len++] = (uint8_t)v;
	return 0;
}

static inline int wbuf_u32(struct wbuf *w, uint32_t v)
{
	if (!wbuf_room(w, 4))
		return -1;
	w->data[w->len++] = (uint8_t)(v >> 24);
	w->data[w->len++] = (uint8_t)(v >> 16);
	w->data[w->len++] = (uint8_t)(v >> 8);
	w->data[w->len++] = (uint8_t)v;
	return 0;
}

static inline int wbuf_u64(struct wbuf *w, uint64_t v)
{
	if (!wbuf_room(w, 8))
		return -1;
	wbuf_u32(w, (uint32_t)(v >> 32));
	wbuf_u32(w, (uint32_t)v);
	return 0;
}

static inline int wbuf_bytes(struct wbuf *w, const void *p, size_t n)
{
	if (!wbuf_room(w, n))
		return -1;
	if (n)
		memcpy(w->data + w->len, p, n);
	w->len += n;
	return 0;
}

/* Overwrites two bytes already written (a length or count fixed up later). */
static inline void wbuf_patch_u16(struct wbuf *w, size_t at, uint16_t v)
{
	if (at + 2 <= w->len) {
		w->data[at] = (uint8_t)(v >> 8);
		w->data[at + 1] = (uint8_t)v;
	}
}

#endif
