#ifndef TSDB_CRC32C_H
#define TSDB_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/// Whether the CPU computes CRC-32C in hardware (x86-64 SSE 4.2).
int tsdb_crc32c_hardware_available(void);

/// Raw CRC-32C (Castagnoli) update of `crc` over `n` bytes, without the
/// pre/post inversion; only when `tsdb_crc32c_hardware_available()`.
uint32_t tsdb_crc32c_hardware(uint32_t crc, const void *data, size_t n);

#endif
