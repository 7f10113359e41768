import CompressNIO
import Hummingbird
import NIOCore
import Synchronization

/// Compresses responses with gzip when the client asks for it
/// (`Accept-Encoding: gzip`), as Prometheus' handlers do. Small bodies
/// (see `ResponseCompression`) go out as they are.
struct GzipMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard ResponseCompression.acceptsGzip(request.headers[.acceptEncoding]), response.headers[.contentEncoding] == nil,
              response.body.contentLength.map({ $0 >= ResponseCompression.minimumSize }) ?? true else { return response }
        let original = response.body
        response.headers[.contentEncoding] = "gzip"
        response.headers[.contentLength] = nil
        response.headers[values: .vary].append("Accept-Encoding")
        response.body = ResponseBody { writer in
            let collected = Collected()
            try await original.write(CollectingWriter(into: collected))
            var plain = collected.buffer.withLock { $0 }
            try await writer.write(try plain.compress(with: .gzip()))
            try await writer.finish(nil)
        }
        return response
    }
}

/// When responses are gzipped: the client accepts it and the body is at
/// least `minimumSize` bytes (smaller ones go out as they are).
enum ResponseCompression {
    static let minimumSize = 1024

    /// Whether an `Accept-Encoding` value allows gzip (`gzip`, `gzip;q=0.5`, `*`; not `gzip;q=0`).
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        // Neither a "g" nor "*" (e.g. `identity`, what benchmark clients send): no need to parse.
        guard header.utf8.contains(where: { $0 | 0x20 == UInt8(ascii: "g") || $0 == UInt8(ascii: "*") }) else { return false }
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first, coding == "gzip" || coding == "*" else { continue }
            if parts.dropFirst().contains(where: { $0.replacingOccurrences(of: " ", with: "") == "q=0" }) { continue }
            return true
        }
        return false
    }
}

/// The bytes a response body writes, gathered for compression.
private final class Collected: Sendable {
    let buffer = Mutex(ByteBuffer())
}

private struct CollectingWriter: ResponseBodyWriter {
    let into: Collected

    mutating func write(_ buffer: ByteBuffer) async throws {
        into.buffer.withLock { var b = buffer; $0.writeBuffer(&b) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
