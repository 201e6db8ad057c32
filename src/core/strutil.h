/*
 * strutil: small string helpers shared by the config reader, the zone file
 * parser and the protocol code.
 */
#ifndef MXHOST_CORE_STRUTIL_H
#define MXHOST_CORE_STRUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Parses a duration: plain seconds ("300") or units s, m, h, d, w in any
 * order and case ("1h30m", "2w", "5d"), as BIND writes TTLs. Returns 0 and
 * the seconds, or -1 on bad syntax or a value past UINT32_MAX. */
int parse_duration(const char *s, uint32_t *seconds);

/* Parses a size: bytes, or with k, m, g suffix (powers of 1024). */
int parse_size(const char *s, uint64_t *bytes);

/* Parses a whole unsigned decimal number in [min, max]. */
int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* Parses yes/no/true/false/on/off/1/0. */
int parse_bool(const char *s, int *out);

/* Trims ASCII white space at both ends, in place; returns s. */
char *str_trim(char *s);

/* ASCII lower case, in place; returns s. */
char *str_lower(char *s);

/* Splits s in place at commas and white space; calls fn for each
 * non-empty item. Stops and returns fn's value if non-zero. */
int str_split_list(char *s, int (*fn)(const char *item, void *arg), void *arg);

/* strlcpy: copies at most size-1 bytes, always terminates; returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t size);

/* Formats a reason into a caller's error buffer, which may be NULL or of
 * size 0 (then nothing is written). errno is left as it was. */
void str_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void str_vseterr(char *err, size_t errlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
