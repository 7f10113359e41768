#if canImport(Glibc)
import Glibc
#endif
import CReadline
import Foundation

/// The shell's terminal side, over GNU readline's callback interface: line
/// editing, persistent history (`~/.tsql_history`, bounded, appended after
/// every entry so that concurrent sessions share it), reverse search (C-r,
/// readline's own), context-aware Tab completion, multi-line input with a
/// continuation prompt, and Ctrl-C that clears the line (or, via
/// `waitCancellable`, cancels the running query) instead of killing the shell.
///
/// readline is a process-wide, single-threaded library: one LineEditor
/// exists, and it is only used from the thread that created it.
final class LineEditor {
    let historyFile: String
    let historySize: Int32 = 2000

    /// Woken from any thread to end the shell as Ctrl-D does (at its next
    /// prompt, or at once while it waits at one): the server it runs beside stopped.
    static let stop = WakePipe()

    init(historyFile: String, completer: @escaping (String) -> [String]) {
        self.historyFile = historyFile
        EditorState.completer = completer
        creadline_setup(completeCallback, "tsql")
        using_history()
        read_history(historyFile)
        stifle_history(historySize)
        SigintPipe.install()
    }

    /// Reads one complete input: lines are gathered while `needsMore` says
    /// the text so far is unfinished. nil at end of input (Ctrl-D).
    func read(prompt: String, continuation: String, needsMore: (String) -> Bool) -> String? {
        var text = ""
        while true {
            EditorState.earlierLines = text
            guard let line = readLine(prompt: text.isEmpty ? prompt : continuation) else {
                if Self.stop.isWoken { return nil }
                if !text.isEmpty { print() }
                return text.isEmpty ? nil : text
            }
            guard let line else {  // Ctrl-C: the whole input is dropped
                text = ""
                continue
            }
            text += text.isEmpty ? line : "\n" + line
            if text.hasPrefix("\\") || !needsMore(text) { break }
        }
        remember(text)
        return text
    }

    /// One line: .some(line), .some(nil) after Ctrl-C, nil at end of input.
    private func readLine(prompt: String) -> String??  {
        EditorState.delivered = nil
        rl_callback_handler_install(prompt, lineCallback)
        defer { rl_callback_handler_remove() }
        var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: SigintPipe.pipe.read, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: Self.stop.read, events: Int16(POLLIN), revents: 0)]
        while EditorState.delivered == nil {
            guard poll(&fds, 3, -1) >= 0 || errno == EINTR else { return nil }
            if fds[2].revents & Int16(POLLIN) != 0 { return nil }  // as at end of input; the pipe stays woken
            if fds[1].revents & Int16(POLLIN) != 0 {
                SigintPipe.pipe.drain()
                creadline_discard_line()
                return .some(nil)
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP) != 0 { rl_callback_read_char() }
        }
        switch EditorState.delivered! {
        case .some(let line): return .some(.some(line))
        case .none: return .none  // end of input
        }
    }

    private func remember(_ text: String) {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        guard !flat.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        add_history(flat)
        if FileManager.default.fileExists(atPath: historyFile) {
            append_history(1, historyFile)
        } else {
            write_history(historyFile)
        }
        history_truncate_file(historyFile, historySize)
    }

    /// Runs `work` on another thread; Ctrl-C meanwhile calls `cancel` (once).
    func waitCancellable<T: Sendable>(_ work: @escaping @Sendable () -> T, cancel: @escaping () -> Void) -> T {
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox<T>()
        Thread.detachNewThread {
            result.value = work()
            done.signal()
        }
        var cancelled = false
        while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if (SigintPipe.pipe.drain() || Self.stop.isWoken) && !cancelled {
                cancelled = true
                FileHandle.standardError.write(Data("cancelling the query…\n".utf8))
                cancel()
            }
        }
        return result.value!
    }
}

/// Hands a value from the worker thread to the waiting one.
private final class ResultBox<T>: @unchecked Sendable {
    // @unchecked: written once by the worker before it signals the semaphore,
    // read by the waiter only after the semaphore, which orders the two.
    var value: T?
}

/// What readline's C callbacks share with `LineEditor`.
private enum EditorState {
    // nonisolated(unsafe): readline runs its callbacks on the thread that
    // called rl_callback_read_char, which is the LineEditor's only thread.
    /// The line the callback delivered: .some(line), or .some(nil) at end of input.
    nonisolated(unsafe) static var delivered: String??
    /// Earlier lines of the input being gathered, for completion context.
    nonisolated(unsafe) static var earlierLines = ""
    nonisolated(unsafe) static var completer: ((String) -> [String])?
}

private let lineCallback: @convention(c) (UnsafeMutablePointer<CChar>?) -> Void = { line in
    if let line {
        EditorState.delivered = .some(String(cString: line))
        free(line)
    } else {
        EditorState.delivered = .some(nil)
    }
}

/// readline's completion hook: candidates for the word before the cursor,
/// as a malloc'd NULL-terminated array whose first entry is their common prefix.
private let completeCallback: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { _, start, _ in
    creadline_completion_done()
    let line = String(cString: creadline_line_buffer())
    let point = Int(creadline_point())
    let beforeCursor = String(decoding: Array(line.utf8).prefix(point), as: UTF8.self)
    let context = EditorState.earlierLines.isEmpty ? beforeCursor : EditorState.earlierLines + "\n" + beforeCursor
    let candidates = EditorState.completer?(context) ?? []
    guard !candidates.isEmpty else { return nil }
    // The completer replaces the identifier (or label value, or backslash
    // command) before the cursor: readline's word breaks delimit the same span.
    // After an opening quote readline closes the quote itself.
    let bytes = Array(line.utf8)
    let quote = start > 0 && start <= bytes.count ? Character(UnicodeScalar(bytes[Int(start) - 1])) : " "
    let replacements = candidates.map { $0.last == quote && "\"'`".contains(quote) ? String($0.dropLast()) : $0 }
    var common = replacements[0]
    for r in replacements.dropFirst() {
        while !r.hasPrefix(common) { common.removeLast() }
    }
    let array = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: replacements.count + 2)
    array[0] = strdup(common)
    if replacements.count == 1 {
        array[1] = nil
    } else {
        for (i, r) in replacements.enumerated() { array[i + 1] = strdup(r) }
        array[replacements.count + 1] = nil
    }
    return array
}

/// A pipe that a signal handler or another thread writes a byte into, so
/// that the editor's polling loops wake up and see it.
struct WakePipe: Sendable {
    let read: Int32
    let write: Int32

    init() {
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)
        (read, write) = (fds[0], fds[1])
    }

    /// Async-signal-safe.
    func wake() {
        var byte: UInt8 = 1
        _ = Glibc.write(write, &byte, 1)
    }

    /// Empties the pipe; whether it had been woken.
    @discardableResult
    func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64)
        var any = false
        while Glibc.read(read, &buffer, 64) > 0 { any = true }
        return any
    }

    var isWoken: Bool {
        var fd = pollfd(fd: read, events: Int16(POLLIN), revents: 0)
        return poll(&fd, 1, 0) > 0
    }
}

/// SIGINT (Ctrl-C) written into a pipe.
enum SigintPipe {
    static let pipe = WakePipe()

    static func install() {
        _ = pipe  // created before the handler can run
        signal(SIGINT) { _ in SigintPipe.pipe.wake() }
    }
}
