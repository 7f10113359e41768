#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

/// Accessor for readline's version string: C globals are not importable as
/// concurrency-safe in Swift 6 mode, so the wrapper reads them through here.
static inline const char *creadline_library_version(void) { return rl_library_version; }
