import Foundation
import Logging
import WSClient

/// A failure reported by a browser or by the driver (timeout, closed connection, script exception).
struct BrowserError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One WebSocket to a browser's remote-control endpoint: Chromium's DevTools
/// protocol and Firefox's WebDriver BiDi both send commands as JSON objects
/// with an `id` and answer with an object carrying the same `id`. Events
/// (messages without an `id`) are not needed by the tests and are dropped.
final class DevToolsConnection: Sendable {
    private let state: PendingCommands
    private let socket: Task<Void, Never>

    private init(socket: Task<Void, Never>, state: PendingCommands) {
        self.socket = socket
        self.state = state
    }

    /// Connects to `url` (ws://127.0.0.1:port/…) and waits for the handshake.
    static func open(_ url: String) async throws -> DevToolsConnection {
        let state = PendingCommands()
        var logger = Logger(label: "browser-driver")
        logger.logLevel = .critical
        let socket = Task {
            do {
                // Screenshots arrive as one base64 message of a few megabytes.
                let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 26)
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                    await state.attach(outbound)
                    for try await message in inbound.messages(maxSize: 1 << 26) {
                        if case .text(let text) = message { await state.deliver(text) }
                    }
                }
                await state.close(BrowserError("the browser closed the connection to \(url)"))
            } catch {
                await state.close(BrowserError("connection to \(url) failed: \(error)"))
            }
        }
        let connection = DevToolsConnection(socket: socket, state: state)
        try await state.waitUntilAttached()
        return connection
    }

    /// Sends `command` (given an `id` here) and returns the answer with the same id.
    func send(_ command: [String: Any], timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let id = await state.reserveID()
        var numbered = command
        numbered["id"] = id
        let message = String(decoding: try JSONSerialization.data(withJSONObject: numbered), as: UTF8.self)
        let answer = try await state.call(id, message, timeout: timeout)
        guard let object = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any] else {
            throw BrowserError("not a JSON object: \(answer.prefix(200))")
        }
        return object
    }

    func close() { socket.cancel() }
}

/// The commands sent and not yet answered, and the socket's writer.
private actor PendingCommands {
    private var writer: WebSocketOutboundWriter?
    private var attachWaiters: [CheckedContinuation<Void, any Error>] = []
    private var waiting: [Int: CheckedContinuation<String, any Error>] = [:]
    private var nextID = 1
    private var failure: BrowserError?

    func attach(_ writer: WebSocketOutboundWriter) {
        self.writer = writer
        for waiter in attachWaiters { waiter.resume() }
        attachWaiters = []
    }

    func waitUntilAttached() async throws {
        if writer != nil { return }
        if let failure { throw failure }
        try await withCheckedThrowingContinuation { attachWaiters.append($0) }
    }

    func reserveID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    func call(_ id: Int, _ message: String, timeout: Duration) async throws -> String {
        if let failure { throw failure }
        guard let writer else { throw BrowserError("not connected") }
        return try await withCheckedThrowingContinuation { continuation in
            waiting[id] = continuation
            Task {
                do { try await writer.write(.text(message)) } catch { self.finish(id, .failure(error)) }
            }
            Task {
                try? await Task.sleep(for: timeout)
                self.finish(id, .failure(BrowserError("no answer in \(timeout) to \(message.prefix(300))")))
            }
        }
    }

    func deliver(_ text: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let id = object["id"] as? Int else { return }
        finish(id, .success(text))
    }

    func close(_ error: BrowserError) {
        failure = error
        for waiter in attachWaiters { waiter.resume(throwing: error) }
        attachWaiters = []
        for (_, continuation) in waiting { continuation.resume(throwing: error) }
        waiting = [:]
    }

    private func finish(_ id: Int, _ result: Result<String, any Error>) {
        waiting.removeValue(forKey: id)?.resume(with: result)
    }
}
