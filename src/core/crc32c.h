/*
 * crc32c: CRC-32C (Castagnoli), the checksum of the queue's on-disk
 * records (iSCSI's and ext4's checksum).
 */
#ifndef MXHOST_CORE_CRC32C_H
#define MXHOST_CORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) over len bytes: crc32c(crc32c(0, a), b) is the
 * CRC of a followed by b. crc32c(0, "123456789", 9) == 0xE3069283. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

/* The same without the CPU's instruction: for tests, to compare. */
uint32_t crc32c_portable(uint32_t crc, const void *data, size_t len);

#endif
