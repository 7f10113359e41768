import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Answers `/api/v1/query` and `/api/v1/query_range` inside the connection's
/// channel pipeline, synchronously on its event loop, without going through
/// Hummingbird's router.
///
/// A query that takes a millisecond spent a fifth of its time, on a small
/// machine, in the request machinery around it: the async channel's streams,
/// a task switch per part, a request context and logger per request, the
/// middleware chain. This handler sits after the HTTP/1 codec (Hummingbird's
/// `additionalChannelHandlers`) and takes a query request off the pipeline,
/// collects its body, evaluates it and writes the response: one read, one
/// write, no tasks. Everything else passes through to the router, and so does
/// a query whenever this lane cannot answer it exactly as the router would:
/// while the database opens (the router answers 503), when the query gate has
/// no free slot (the router queues it or answers 503), when the body exceeds
/// the size limit (the router answers 413), or while an earlier request of the
/// same connection is still with the router — responses leave in request order.
///
/// Both lanes share the query code (`APIServer.prepareQuery`/`run`), the
/// request metrics and the gzip rule, so a client cannot tell them apart.
final class DirectQueryHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        /// Between requests.
        case idle
        /// Collecting the body (in `body`) of a query this lane will answer.
        case collecting(HTTPRequest, range: Bool, since: ContinuousClock.Instant)
        /// Passing a request's parts on to the router.
        case forwarding
    }

    private let server: APIServer
    private var state = State.idle
    private var body = ByteBuffer()
    /// Requests handed to the router whose responses have not ended yet.
    private var withRouter = 0

    init(server: APIServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (state, unwrapInboundIn(data)) {
        case (.idle, .head(let head)):
            if withRouter == 0, let range = Self.queryKind(head) {
                state = .collecting(head, range: range, since: .now)
                body.clear()
            } else {
                forward(context, data)
            }
        case (.collecting(let head, _, _), .body(var part)):
            guard body.readableBytes + part.readableBytes <= server.options.maxRequestBodyBytes else {
                handOver(context, head)
                context.fireChannelRead(data)
                return
            }
            body.writeBuffer(&part)
        case (.collecting(let head, let range, let since), .end):
            state = .idle
            guard let (status, json) = server.directQuery(head, body: body, range: range) else {
                handOver(context, head)
                context.fireChannelRead(data)  // the request's end: the router has all of it
                state = .idle
                return
            }
            // Keep a small buffer for the connection's next query, not a large one.
            if body.capacity > Self.keptBodyCapacity { body = ByteBuffer() } else { body.clear() }
            let sent = respond(context, to: head, status: status, json: json)
            server.metrics.httpRequest(handler: range ? "/api/v1/query_range" : "/api/v1/query", code: status.code,
                                       took: ContinuousClock.now - since)
            if Self.asksToClose(head) {
                // Only once the response is out: closing at once would drop what the socket has not taken yet.
                let channel = context.channel
                sent.whenComplete { _ in channel.close(promise: nil) }
            }
        case (.forwarding, .end):
            state = .idle
            context.fireChannelRead(data)
        default:
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { withRouter -= 1 }
        context.write(data, promise: promise)
    }

    static let keptBodyCapacity = 64 << 10

    /// `true` for a range query, `false` for an instant query, nil for anything else.
    static func queryKind(_ head: HTTPRequest) -> Bool? {
        guard head.method == .get || head.method == .post, let path = head.path else { return nil }
        let route = path.firstIndex(of: "?").map { path[..<$0] } ?? path[...]
        switch route {
        case "/api/v1/query": return false
        case "/api/v1/query_range": return true
        default: return nil
        }
    }

    private func forward(_ context: ChannelHandlerContext, _ data: NIOAny) {
        withRouter += 1
        state = .forwarding
        context.fireChannelRead(data)
    }

    /// Passes a request this lane began collecting on to the router.
    private func handOver(_ context: ChannelHandlerContext, _ head: HTTPRequest) {
        forward(context, wrapInboundOut(.head(head)))
        if body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
        body = ByteBuffer()
    }

    /// Whether the request's `Connection` header lists `close`.
    static func asksToClose(_ head: HTTPRequest) -> Bool {
        guard let value = head.headerFields[.connection] else { return false }
        return value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
    }

    /// Writes the response; the future completes when its last part has been written to the socket.
    private func respond(_ context: ChannelHandlerContext, to request: HTTPRequest, status: HTTPResponse.Status,
                         json: ByteBuffer) -> EventLoopFuture<Void> {
        var body = json
        var fields = HTTPFields()
        fields.reserveCapacity(6)
        fields[.contentType] = "application/json"
        if body.readableBytes >= ResponseCompression.minimumSize,
           ResponseCompression.acceptsGzip(request.headerFields[.acceptEncoding]),
           let compressed = try? body.compress(with: .gzip()) {
            body = compressed
            fields[.contentEncoding] = "gzip"
            fields[.vary] = "Accept-Encoding"
        }
        fields[.contentLength] = String(body.readableBytes)
        fields[.date] = HTTPDate.now()
        fields[.server] = APIServer.serverName
        context.write(wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let sent = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: sent)
        return sent.futureResult
    }
}

extension APIServer {
    /// A query's status and JSON answer, or nil when the router must take the
    /// request: the database is not open yet, or every query slot is taken.
    func directQuery(_ head: HTTPRequest, body: ByteBuffer, range: Bool) -> (HTTPResponse.Status, ByteBuffer)? {
        guard slot.db != nil else { return nil }
        let path = head.path ?? ""
        let query = path.firstIndex(of: "?").map { String(path[path.index(after: $0)...]) }
        let form = Parameters.hasFormBody(method: head.method, contentType: head.headerFields[.contentType])
        let p = Parameters(query: query, body: form ? String(buffer: body) : nil)
        let prepared: PreparedQuery
        do { prepared = try prepareQuery(p, range: range) } catch {
            return (HTTPResponse.Status(code: error.status), PrometheusJSON.error(type: error.type, error.message))
        }
        let queued = ContinuousClock.now
        guard gate.tryEnter() else { return nil }
        return run(prepared, queuedAt: queued)
    }
}

/// The `Date` header's value (RFC 9110 IMF-fixdate), formatted once a second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        var t = time(nil)
        let second = Int(t)
        if let cached = cache.withLock({ $0.second == second ? $0.text : nil }) { return cached }
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let text = "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        cache.withLock { $0 = (second, text) }
        return text
    }
}
