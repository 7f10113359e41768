import Foundation

// Child processes in async tests.
//
// The test runner's threads are the Swift concurrency pool, which on Linux is
// libdispatch's global queue, one thread per core. Foundation's `Process`
// notices a child's exit in a SIGCHLD handler that runs on that same queue, so
// `waitUntilExit()` on a pool thread waits for a thread it may be holding: on a
// 2-core machine two tests doing so (or one, next to any other blocking wait)
// hang the whole run. These helpers only ever `await`.

/// What a program printed and how it ended.
public struct ProcessOutput: Sendable {
    public let status: Int32
    /// Standard output and standard error, interleaved as written.
    public let bytes: Data
    public var output: String { String(decoding: bytes, as: UTF8.self) }
}

/// Runs `path` with `arguments` to completion, feeding it `input` on standard
/// input (nothing: /dev/null). Output goes through a temporary file, not a
/// pipe, so nothing blocks on reading while the program runs.
public func runProcess(_ path: String, _ arguments: [String], input: Data? = nil,
                       environment: [String: String]? = nil) async throws -> ProcessOutput {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let inputURL = scratch.appendingPathComponent("in"), outputURL = scratch.appendingPathComponent("out")
    try (input ?? Data()).write(to: inputURL)
    _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)

    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let inHandle = try FileHandle(forReadingFrom: inputURL), outHandle = try FileHandle(forWritingTo: outputURL)
    defer {
        try? inHandle.close()
        try? outHandle.close()
    }
    p.standardInput = inHandle
    p.standardOutput = outHandle
    p.standardError = outHandle
    try p.run()
    await waitForExit(p)
    return ProcessOutput(status: p.terminationStatus, bytes: try Data(contentsOf: outputURL))
}

/// Waits for a child process without blocking a pool thread (see above).
public func waitForExit(_ p: Process) async {
    while p.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
}

/// Stops a long-running child (a server): SIGTERM, then waits for it.
public func stopProcess(_ p: Process) async {
    if p.isRunning { p.terminate() }
    await waitForExit(p)
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
    private var started: [Process] = []

    /// Starts `path` with `arguments`; its output goes to `log` (nil: discarded).
    @discardableResult
    public func start(_ path: String, _ arguments: [String], log: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.standardInput = FileHandle.nullDevice
        if let log {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            p.standardOutput = handle
            p.standardError = handle
        } else {
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
        }
        try p.run()
        started.append(p)
        return p
    }

    func stopAll() async {
        for p in started.reversed() { await stopProcess(p) }
        started = []
    }
}
