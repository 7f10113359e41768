#ifndef CJEMALLOC_H
#define CJEMALLOC_H

#include <stddef.h>

/// jemalloc's version string ("5.3.0-0-g…").
const char *tsdb_allocator_version(void);

/// Bytes the allocator has handed out and not got back (jemalloc's
/// `stats.allocated`, refreshed first); 0 if it cannot say.
size_t tsdb_allocator_allocated_bytes(void);

#endif
