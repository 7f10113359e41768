// The process allocator of the `tsql` executable: jemalloc, linked in place
// of glibc's malloc (every malloc/free of the process, the Swift runtime's
// included, resolve to it because the executable names libjemalloc before
// libc).
//
// Why: glibc's per-thread arenas, after a remote-write ingest, left small
// allocations in the query path walking fragmented bins (`_int_malloc`,
// `malloc_consolidate`: a fifth of an instant query's time on a server that
// had just ingested, none on one restarted on the same data); and the
// ingest itself spends much of its time allocating. Measured in
// docs/performance.md (thirteenth session).
#include <jemalloc/jemalloc.h>
#include <stdint.h>
#include "cjemalloc.h"

// Read by jemalloc when it initialises (before main). Unused pages go back to
// the kernel after about a second, by a background thread instead of by
// whichever thread frees: peak RSS stays where glibc's was. MALLOC_CONF in
// the environment still overrides each option.
const char *malloc_conf = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";

const char *tsdb_allocator_version(void) {
    const char *version = NULL;
    size_t size = sizeof(version);
    if (mallctl("version", &version, &size, NULL, 0) != 0 || version == NULL) return "unknown";
    return version;
}

size_t tsdb_allocator_allocated_bytes(void) {
    uint64_t epoch = 1;
    size_t size = sizeof(epoch);
    if (mallctl("epoch", &epoch, &size, &epoch, size) != 0) return 0;
    size_t allocated = 0;
    size = sizeof(allocated);
    if (mallctl("stats.allocated", &allocated, &size, NULL, 0) != 0) return 0;
    return allocated;
}
