/*
 * random: unpredictable numbers from the kernel's CSPRNG (getrandom(2)),
 * for what an attacker must not guess (DNS query IDs) and for fair
 * shuffles (equal-preference MX records).
 */
#ifndef MXHOST_CORE_RANDOM_H
#define MXHOST_CORE_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf. A kernel that cannot give random bytes is fatal. */
void random_bytes(void *buf, size_t len);

/* Uniform in [0, upper), without modulo bias; 0 when upper is 0. */
uint32_t random_uniform(uint32_t upper);

#endif
