#ifndef CCRC32_H
#define CCRC32_H

#include <stddef.h>
#include <stdint.h>

/// The CRC-32 of `length` bytes at `bytes` (the zlib polynomial, as zlib's `crc32` computes it), continuing from
/// `crc`: folded with carry-less multiplication where the processor has it (x86-64 PCLMULQDQ), zlib's table-driven
/// code otherwise and for the last bytes.
uint32_t socagent_crc32(uint32_t crc, const void *bytes, size_t length);

#endif
