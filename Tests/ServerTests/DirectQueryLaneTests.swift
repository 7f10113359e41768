import CompressNIO
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
@testable import Server
import Testing
import TSDB
import TSDBTestSupport

/// The direct query lane (`DirectQueryHandler`): queries answered inside the
/// channel pipeline, everything else — and queries it must not answer —
/// passed on to the router unchanged and in order.
@Suite struct DirectQueryLaneTests {
    /// A server over a database holding `up{job="a"}` = 1 and `up{job="b"}` = 2 at t = 1 s.
    static func withLane(options: ServerOptions = ServerOptions(), open: Bool = true,
                         _ body: (APIServer, EmbeddedChannel) throws -> Void) throws {
        let dir = TempDir("direct-lane")
        let db = try DB.open(dir.path, options: { var o = DBOptions(); o.compactionInterval = nil; return o }())
        defer { try? db.close() }
        let app = db.appender()
        _ = try app.append(Labels(["__name__": "up", "job": "a"]), 1000, 1)
        _ = try app.append(Labels(["__name__": "up", "job": "b"]), 1000, 2)
        _ = try app.commit()
        let server = APIServer(slot: open ? DatabaseSlot(db) : DatabaseSlot(), options: options)
        let channel = EmbeddedChannel(handler: DirectQueryHandler(server: server))
        try body(server, channel)
    }

    static func request(_ method: HTTPRequest.Method, _ path: String, _ fields: HTTPFields = [:]) -> HTTPRequestPart {
        .head(HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: fields))
    }

    /// The response the handler wrote: head, then the body parts joined.
    static func response(_ channel: EmbeddedChannel) throws -> (HTTPResponse, String)? {
        guard case .head(let head)? = try channel.readOutbound(as: HTTPResponsePart.self) else { return nil }
        var body = ByteBuffer()
        while let part = try channel.readOutbound(as: HTTPResponsePart.self) {
            if case .body(var b) = part { body.writeBuffer(&b) }
            if case .end = part { break }
        }
        return (head, String(buffer: body))
    }

    /// What reached the router (the next handler): request paths and body bytes.
    static func forwarded(_ channel: EmbeddedChannel) throws -> [String] {
        var seen: [String] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            switch part {
            case .head(let h): seen.append("head \(h.path ?? "")")
            case .body(let b): seen.append("body \(String(buffer: b))")
            case .end: seen.append("end")
            }
        }
        return seen
    }

    @Test func answersAnInstantQueryWithoutTheRouter() throws {
        try Self.withLane { server, channel in
            try channel.writeInbound(Self.request(.get, "/api/v1/query?query=up&time=1"))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            let (head, body) = try #require(try Self.response(channel))
            #expect(head.status == .ok)
            #expect(head.headerFields[.contentType] == "application/json")
            #expect(head.headerFields[.contentLength] == String(body.utf8.count))
            #expect(head.headerFields[.server] == "tsdb")
            #expect(head.headerFields[.date]?.hasSuffix(" GMT") == true)
            #expect(body == #"{"status":"success","data":{"resultType":"vector","result":["#
                + #"{"metric":{"__name__":"up","job":"a"},"value":[1,"1"]},{"metric":{"__name__":"up","job":"b"},"value":[1,"2"]}]}}"#)
            #expect(try Self.forwarded(channel).isEmpty)
            let page = String(decoding: server.metrics.registry.emitToBuffer(), as: UTF8.self)
            #expect(page.contains(#"prometheus_http_requests_total{code="200",handler="/api/v1/query"} 1"#))
        }
    }

    @Test func collectsAPostedRangeQueryAcrossBodyParts() throws {
        try Self.withLane { _, channel in
            try channel.writeInbound(Self.request(.post, "/api/v1/query_range?step=1", formHeaders))
            try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "query=sum(up)&st")))
            try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "art=0&end=2")))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            let (head, body) = try #require(try Self.response(channel))
            #expect(head.status == .ok)
            #expect(body == #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"3"],[2,"3"]]}]}}"#)
            #expect(try Self.forwarded(channel).isEmpty)
        }
    }

    @Test func answersBadQueriesWithPrometheusErrors() throws {
        try Self.withLane { _, channel in
            try channel.writeInbound(Self.request(.get, "/api/v1/query?query=up%7B"))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            let (head, body) = try #require(try Self.response(channel))
            #expect(head.status == .badRequest)
            #expect(body == #"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": unexpected end of input at 1:4, expected label matcher"}"#)
        }
    }

    @Test func gzipsLargeAnswersWhenAsked() throws {
        try Self.withLane { _, channel in
            // 500 points of a matrix: well over the 1 KiB threshold.
            try channel.writeInbound(Self.request(.get, "/api/v1/query_range?query=vector(1)&start=0&end=500&step=1",
                                                  [.acceptEncoding: "gzip, deflate"]))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            guard case .head(let head)? = try channel.readOutbound(as: HTTPResponsePart.self),
                  case .body(var body)? = try channel.readOutbound(as: HTTPResponsePart.self) else {
                Issue.record("no response")
                return
            }
            #expect(head.headerFields[.contentEncoding] == "gzip")
            #expect(head.headerFields[.contentLength] == String(body.readableBytes))
            let plain = String(buffer: try body.decompress(with: .gzip()))
            #expect(plain.hasPrefix(#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[0,"1"],[1,"1"],"#))
            #expect(plain.hasSuffix(#"[500,"1"]]}]}}"#))
        }
    }

    @Test func passesOtherRequestsToTheRouter() throws {
        try Self.withLane { _, channel in
            try channel.writeInbound(Self.request(.get, "/api/v1/labels"))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            try channel.writeInbound(Self.request(.delete, "/api/v1/query?query=up"))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            try channel.writeInbound(Self.request(.get, "/api/v1/query/?query=up"))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            #expect(try Self.forwarded(channel) == ["head /api/v1/labels", "end", "head /api/v1/query?query=up", "end",
                                                    "head /api/v1/query/?query=up", "end"])
            #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil)
        }
    }

    /// A query behind a request the router has not answered yet goes to the
    /// router too: answering it at once would overtake the earlier response.
    @Test func keepsResponsesInRequestOrder() throws {
        try Self.withLane { _, channel in
            try channel.writeInbound(Self.request(.get, "/api/v1/labels"))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            try channel.writeInbound(Self.request(.get, "/api/v1/query?query=up&time=1"))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            #expect(try Self.forwarded(channel) == ["head /api/v1/labels", "end", "head /api/v1/query?query=up&time=1", "end"])
            #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil)

            // The router answers both; the next query is the lane's again.
            for _ in 0..<2 {
                try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
                try channel.writeOutbound(HTTPResponsePart.end(nil))
            }
            while try channel.readOutbound(as: HTTPResponsePart.self) != nil {}
            try channel.writeInbound(Self.request(.get, "/api/v1/query?query=up&time=1"))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            #expect(try Self.response(channel)?.0.status == .ok)
            #expect(try Self.forwarded(channel).isEmpty)
        }
    }

    @Test func leavesQueriesToTheRouterWhileTheDatabaseOpens() throws {
        try Self.withLane(open: false) { _, channel in
            try channel.writeInbound(Self.request(.post, "/api/v1/query", formHeaders))
            try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "query=up")))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            #expect(try Self.forwarded(channel) == ["head /api/v1/query", "body query=up", "end"])
            #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil)
        }
    }

    @Test func leavesQueriesToTheRouterWhenNoSlotIsFree() throws {
        var options = ServerOptions()
        options.maxConcurrentQueries = 1
        try Self.withLane(options: options) { server, channel in
            #expect(server.gate.tryEnter())
            try channel.writeInbound(Self.request(.get, "/api/v1/query?query=up"))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            #expect(try Self.forwarded(channel) == ["head /api/v1/query?query=up", "end"])
            server.gate.leave()
        }
    }

    @Test func handsOversizedBodiesToTheRouterWhole() throws {
        var options = ServerOptions()
        options.maxRequestBodyBytes = 10
        try Self.withLane(options: options) { _, channel in
            try channel.writeInbound(Self.request(.post, "/api/v1/query", formHeaders))
            try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "query=")))
            try channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "sum(up)")))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            #expect(try Self.forwarded(channel) == ["head /api/v1/query", "body query=", "body sum(up)", "end"])
        }
    }

    @Test func closesTheConnectionWhenAsked() throws {
        try Self.withLane { _, channel in
            try channel.writeInbound(Self.request(.get, "/api/v1/query?query=1", [.connection: "close"]))
            try channel.writeInbound(HTTPRequestPart.end(nil))
            #expect(try Self.response(channel)?.0.status == .ok)
            #expect(!channel.isActive)
        }
    }

    /// Over TCP, against the whole server: two pipelined requests, the first
    /// for the router, the second a query, come back in order.
    @Test func pipelinedRequestsStayInOrderOverTCP() async throws {
        let dir = TempDir("direct-lane-tcp")
        let db = try DB.open(dir.path, options: { var o = DBOptions(); o.compactionInterval = nil; return o }())
        defer { try? db.close() }
        let appender = db.appender()
        _ = try appender.append(Labels(["__name__": "up", "job": "a"]), 1000, 1)
        _ = try appender.commit()
        let app = APIServer(db: db).application(host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let text = try rawExchange(port: port, """
                GET /api/v1/labels HTTP/1.1\r\nHost: x\r\n\r\n\
                GET /api/v1/query?query=up&time=1 HTTP/1.1\r\nHost: x\r\n\r\n\
                GET /api/v1/query?query=count(up)&time=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n
                """)
            let labels = try #require(text.range(of: #"{"status":"success","data":["__name__","job"]}"#))
            let up = try #require(text.range(of: #""result":[{"metric":{"__name__":"up","job":"a"},"value":[1,"1"]}]"#))
            let count = try #require(text.range(of: #""result":[{"metric":{},"value":[1,"1"]}]"#))
            #expect(labels.upperBound <= up.lowerBound && up.upperBound <= count.lowerBound)
            #expect(text.components(separatedBy: "HTTP/1.1 200 OK").count == 4)
        }
    }

    /// `Connection: close` on an answer far larger than the socket buffers,
    /// read by a slow client: the connection closes only after the last byte
    /// (closing right after handing the response to the channel cut it off
    /// at whatever the kernel had taken, ~4 MB).
    @Test func closesOnlyAfterALargeAnswerIsOut() async throws {
        let dir = TempDir("direct-lane-close")
        let db = try DB.open(dir.path, options: { var o = DBOptions(); o.compactionInterval = nil; return o }())
        defer { try? db.close() }
        let appender = db.appender()
        for i in 0..<100 { _ = try appender.append(Labels(["__name__": "x", "i": String(i)]), 0, 1) }
        _ = try appender.commit()
        let app = APIServer(db: db).application(host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // 100 series × 10,000 steps, all inside the 5 m lookback: ~13 MB of JSON.
            let text = try rawExchange(port: port, """
                GET /api/v1/query_range?query=x&start=0&end=199.98&step=0.02 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n
                """, receiveBuffer: 4096, pauseMilliseconds: 300)
            let headEnd = try #require(text.range(of: "\r\n\r\n"))
            let length = try #require(text[..<headEnd.lowerBound].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) })
            #expect(length > 10_000_000)
            let body = text[headEnd.upperBound...]
            #expect(body.utf8.count == length)
            #expect(String(body.suffix(18)) == #"[199.980,"1"]]}]}}"#)
        }
    }

    /// Sends `request` on a fresh connection and reads until the server closes it
    /// (with a small receive buffer and a pause first, to be a slow reader).
    func rawExchange(port: Int, _ request: String, receiveBuffer: Int32? = nil,
                     pauseMilliseconds: UInt32 = 0) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0, "connect: errno \(errno)")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        try #require(send(fd, bytes, bytes.count, 0) == bytes.count)
        usleep(pauseMilliseconds * 1000)
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { break }
            received += chunk[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }
}
