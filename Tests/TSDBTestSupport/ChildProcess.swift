import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Child processes for tests, spawned and reaped here rather than by
// Foundation's `Process`, for two reasons that each hung a CI run:
//
// - Foundation learns that a child exited when a socket the child inherits
//   reaches end-of-file. A child that leaves a daemon behind (`tmux
//   new-session` starts the tmux server) passes that socket on, so the exit is
//   never noticed and the child never reaped.
// - The test runner's threads are the Swift concurrency pool (libdispatch's
//   global queue, one thread per core); a blocking wait on one of them holds a
//   thread other tests' work needs. Here every wait is an `await`.
//
// Children get only standard input, output and error: no other descriptor of
// the test process (listening sockets, database files) leaks into them.

/// What a program printed and how it ended.
public struct ProcessOutput: Sendable {
    /// The exit status, or 128 + the signal that killed it.
    public let status: Int32
    /// Standard output and standard error, interleaved as written.
    public let bytes: Data
    public var output: String { String(decoding: bytes, as: UTF8.self) }
}

/// A started child process.
public struct ChildProcess: Sendable {
    public let pid: pid_t

    /// Starts `path` with `arguments`; standard input from `input` (a file path,
    /// nil: /dev/null), standard output appended to `output` (nil: /dev/null),
    /// standard error too unless `discardErrors`.
    public static func spawn(_ path: String, _ arguments: [String], input: String? = nil, output: String? = nil,
                             discardErrors: Bool = false, environment: [String: String]? = nil) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if discardErrors {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        closeInheritedDescriptors(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), defaults = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&defaults)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let env = ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 }.map { "\($0)=\($1)" }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        return ChildProcess(pid: pid)
    }

    /// Waits for the child to end (polling, so that no thread blocks) and returns its status.
    @discardableResult
    public func wait() async -> Int32 {
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r == -1 && errno != EINTR { return -1 }
            try? await Task.sleep(for: .milliseconds(10))
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Waits up to `timeout` for the child to end: its status, or nil (it still runs).
    public func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid {
                let signal = status & 0x7f
                return signal == 0 ? (status >> 8) & 0xff : 128 + signal
            }
            if r == -1 && errno != EINTR { return -1 }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// SIGTERM (or `signal`), then waits for the child to end.
    public func stop(signal: Int32 = SIGTERM) async {
        kill(pid, signal)
        await wait()
    }

    /// Closes every descriptor above standard error in the child: glibc's
    /// `posix_spawn_file_actions_addclosefrom_np` (2.34+, not in Swift's
    /// Glibc module), else one close per descriptor open now.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let fd = Int32(name), fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
    }
}

/// Runs `path` with `arguments` to completion, feeding it `input` on standard
/// input (nothing: /dev/null). Output goes through a temporary file, not a
/// pipe, so nothing blocks on reading while the program runs.
public func runProcess(_ path: String, _ arguments: [String], input: Data? = nil,
                       environment: [String: String]? = nil) async throws -> ProcessOutput {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let inputPath = scratch.appendingPathComponent("in").path, outputPath = scratch.appendingPathComponent("out").path
    try (input ?? Data()).write(to: URL(fileURLWithPath: inputPath))
    let child = try ChildProcess.spawn(path, arguments, input: inputPath, output: outputPath, environment: environment)
    let status = await child.wait()
    return ProcessOutput(status: status, bytes: (try? Data(contentsOf: URL(fileURLWithPath: outputPath))) ?? Data())
}

/// Runs `body` with a set of long-running children (servers) and stops them
/// all, last started first, however `body` ends.
public func withChildProcesses<T>(_ body: (ChildProcesses) async throws -> T) async throws -> T {
    let children = ChildProcesses()
    do {
        let result = try await body(children)
        await children.stopAll()
        return result
    } catch {
        await children.stopAll()
        throw error
    }
}

/// The servers one test started (see `withChildProcesses`).
public final class ChildProcesses {
    private var started: [ChildProcess] = []

    /// Starts `path` with `arguments`; its output goes to `log` (nil: discarded).
    @discardableResult
    public func start(_ path: String, _ arguments: [String], log: String? = nil) throws -> ChildProcess {
        let child = try ChildProcess.spawn(path, arguments, output: log)
        started.append(child)
        return child
    }

    func stopAll() async {
        for child in started.reversed() { await child.stop() }
        started = []
    }
}
