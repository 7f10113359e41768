#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/readline.h>
#include <readline/history.h>

// C globals are not importable as concurrency-safe in Swift 6 mode, so the
// shell reads and sets readline's through these accessors.

static inline const char *creadline_library_version(void) { return rl_library_version; }

/// The line being edited (up to the cursor: `creadline_point()`).
static inline const char *creadline_line_buffer(void) { return rl_line_buffer; }
static inline int creadline_point(void) { return rl_point; }

/// Our own SIGINT handling (readline's would re-raise it); completion by
/// `completer`, with our word breaks and no filename completion fallback.
static inline void creadline_setup(rl_completion_func_t *completer, const char *name) {
    rl_readline_name = name;
    rl_catch_signals = 0;
    rl_attempted_completion_function = completer;
    rl_completer_word_break_characters = " \t\n\"'`@$><=;|&{(,+-*/%^!~[]}";
}

/// Called from the completer: no filename completion, nothing appended.
static inline void creadline_completion_done(void) {
    rl_attempted_completion_over = 1;
    rl_completion_append_character = '\0';
    rl_completion_suppress_quote = 1;  // our candidates close the quote themselves
}

/// After Ctrl-C while editing: drop the line and start a fresh prompt.
static inline void creadline_discard_line(void) {
    rl_free_line_state();
    rl_callback_sigcleanup();
    rl_replace_line("", 0);
    rl_crlf();
    rl_on_new_line();
}
