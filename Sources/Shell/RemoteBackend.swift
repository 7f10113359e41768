import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PromQL
import Synchronization
import TSDB

/// The shell over any Prometheus-compatible server (ours, Prometheus,
/// VictoriaMetrics), through its HTTP API. Calls block the calling thread
/// (never an event loop); a cancelled query stops being waited for.
public final class RemoteBackend: ShellBackend {
    public let name: String
    let base: String
    let client = HTTPClient(eventLoopGroupProvider: .singleton)

    public init(url: String) throws(ShellError) {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://"), URL(string: base) != nil else {
            throw ShellError("--url must be an http:// or https:// URL, got \"\(url)\"")
        }
        self.base = base
        self.name = base
    }

    deinit { try? client.syncShutdown() }

    public func query(_ query: String, at t: Int64, cancellation: QueryCancellation) throws(ShellError) -> QueryAnswer {
        let data = try call("/api/v1/query", ["query": [query], "time": [Self.seconds(t)]], cancellation: cancellation)
        return try Self.answer(data)
    }

    public func queryRange(_ query: String, start: Int64, end: Int64, step: Int64,
                           cancellation: QueryCancellation) throws(ShellError) -> QueryAnswer {
        let params = ["query": [query], "start": [Self.seconds(start)], "end": [Self.seconds(end)], "step": [Self.seconds(step)]]
        return try Self.answer(try call("/api/v1/query_range", params, cancellation: cancellation))
    }

    public func labelNames(_ matchers: [String]) throws(ShellError) -> [String] {
        try strings(try call("/api/v1/labels", ["match[]": matchers])["data"])
    }

    public func labelValues(_ name: String, _ matchers: [String]) throws(ShellError) -> [String] {
        let escaped = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
        return try strings(try call("/api/v1/label/\(escaped)/values", ["match[]": matchers])["data"])
    }

    public func series(_ matchers: [String]) throws(ShellError) -> [Labels] {
        guard let list = try call("/api/v1/series", ["match[]": matchers])["data"] as? [[String: String]] else {
            throw ShellError("unexpected answer from \(name)/api/v1/series")
        }
        return list.map { Labels($0) }.sorted()
    }

    public func stats() throws(ShellError) -> [String] {
        guard let data = try call("/api/v1/status/tsdb", [:])["data"] as? [String: Any] else {
            throw ShellError("unexpected answer from \(name)/api/v1/status/tsdb")
        }
        var lines = ["server          \(name)"]
        if let head = data["headStats"] as? [String: Any] {
            let series = head["numSeries"] as? Int ?? 0, chunks = head["chunkCount"] as? Int ?? 0
            var line = "head            \(series) series, \(chunks) chunks"
            if let lo = head["minTime"] as? Int64, let hi = head["maxTime"] as? Int64, lo <= hi {
                line += ", \(TimeFormat.rfc3339(lo)) – \(TimeFormat.rfc3339(hi))"
            }
            lines.append(line)
        }
        if let top = data["seriesCountByMetricName"] as? [[String: Any]], !top.isEmpty {
            lines.append("most series     " + top.prefix(5).map { "\($0["name"] ?? "") \($0["value"] ?? "")" }.joined(separator: ", "))
        }
        return lines
    }

    public func importFile(_ path: String) throws(ShellError) -> String {
        guard let body = FileManager.default.contents(atPath: path) else { throw ShellError("cannot read \(path)") }
        let (status, _) = try send(.POST, "/api/v1/import/prometheus", body: ByteBuffer(bytes: body), cancellation: QueryCancellation())
        guard (200..<300).contains(status) else {
            throw ShellError("\(name) refused the import (HTTP \(status)); only tsql servers take /api/v1/import/prometheus")
        }
        return "imported \(path) into \(name)"
    }

    // MARK: HTTP

    static func seconds(_ ms: Int64) -> String { GoFormat.formatFloat(Double(ms) / 1000) }

    /// POSTs the form to `path` and returns the decoded JSON object; API errors become `ShellError`s.
    private func call(_ path: String, _ params: [String: [String]], cancellation: QueryCancellation = QueryCancellation()) throws(ShellError) -> [String: Any] {
        var form = URLComponents()
        form.queryItems = params.sorted { $0.key < $1.key }.flatMap { k, vs in vs.map { URLQueryItem(name: k, value: $0) } }
        let body = (form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
        let (status, bytes) = try send(.POST, path, contentType: "application/x-www-form-urlencoded",
                                       body: ByteBuffer(string: body), cancellation: cancellation)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw ShellError("\(name)\(path): HTTP \(status), not a JSON answer")
        }
        if object["status"] as? String != "success" {
            throw Self.apiError(object["error"] as? String ?? "HTTP \(status)")
        }
        return object
    }

    /// Sends a request and waits for the whole answer, or until `cancellation`
    /// is set. The request runs on the client's event loops, never on the Swift
    /// concurrency pool: a caller that blocks a pool thread (an async test, a
    /// 2-core machine) must not wait for work that needs another pool thread.
    private func send(_ method: HTTPMethod, _ path: String, contentType: String? = nil, body: ByteBuffer,
                      cancellation: QueryCancellation) throws(ShellError) -> (Int, [UInt8]) {
        let request: HTTPClient.Request
        do {
            var headers = HTTPHeaders()
            if let contentType { headers.add(name: "Content-Type", value: contentType) }
            request = try HTTPClient.Request(url: base + path, method: method, headers: headers, body: .byteBuffer(body))
        } catch {
            throw ShellError("cannot send to \(name)\(path): \(error)")
        }
        let box = ResponseBox()
        let done = DispatchSemaphore(value: 0)
        let task = client.execute(request: request, delegate: ResponseAccumulator(request: request, maxBodySize: 1 << 30),
                                  deadline: .now() + .minutes(10))
        task.futureResult.whenComplete { result in
            box.set(result.map { (Int($0.status.code), $0.body.map { Array(buffer: $0) } ?? []) })
            done.signal()
        }
        while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
            if cancellation.isCancelled {
                task.cancel()
                throw ShellError("query was canceled")
            }
        }
        switch box.get()! {
        case .success(let answer): return answer
        case .failure(let error): throw ShellError("cannot reach \(name): \(error)")
        }
    }

    /// An API error, with the query position taken out of the text: Prometheus
    /// 3 writes `invalid parameter "query": 1:5: parse error: …`, tsql
    /// `… unexpected "}" at 1:5, expected …`.
    static func apiError(_ text: String) -> ShellError {
        var message = Substring(text)
        if message.hasPrefix("invalid parameter \"query\": ") { message = message.dropFirst("invalid parameter \"query\": ".count) }
        if let m = message.firstMatch(of: #/^(\d+):(\d+): parse error: /#), let line = Int(m.1), let column = Int(m.2) {
            return ShellError(String(message[m.range.upperBound...]), line: line, column: column)
        }
        if let m = message.firstMatch(of: #/ at (\d+):(\d+)/#), let line = Int(m.1), let column = Int(m.2) {
            return ShellError(String(message[..<m.range.lowerBound] + message[m.range.upperBound...]), line: line, column: column)
        }
        return ShellError(String(message))
    }

    private func strings(_ value: Any?) throws(ShellError) -> [String] {
        guard let list = value as? [String] else { throw ShellError("unexpected answer from \(name)") }
        return list
    }

    /// The `data` of a query answer as a `QueryResult`.
    static func answer(_ object: [String: Any]) throws(ShellError) -> QueryAnswer {
        guard let data = object["data"] as? [String: Any], let type = data["resultType"] as? String else {
            throw ShellError("unexpected query answer")
        }
        func point(_ any: Any?) -> Sample? {
            guard let pair = any as? [Any], pair.count == 2, let t = (pair[0] as? NSNumber)?.doubleValue,
                  let text = pair[1] as? String else { return nil }
            return Sample(Int64((t * 1000).rounded()), Self.float(text))
        }
        func labels(_ any: Any?) -> Labels { Labels((any as? [String: String]) ?? [:]) }
        let result: QueryResult
        switch type {
        case "scalar":
            guard let p = point(data["result"]) else { throw ShellError("unexpected scalar") }
            result = .scalar(t: p.t, v: p.v)
        case "string":
            let pair = data["result"] as? [Any] ?? []
            result = .string(t: Int64(((pair.first as? NSNumber)?.doubleValue ?? 0) * 1000), s: pair.last as? String ?? "")
        case "vector":
            let items = data["result"] as? [[String: Any]] ?? []
            result = .vector(items.compactMap { item in
                point(item["value"]).map { VectorSample(labels: labels(item["metric"]), t: $0.t, v: $0.v) }
            })
        default:
            let items = data["result"] as? [[String: Any]] ?? []
            result = .matrix(items.map { item in
                RangeSeries(labels: labels(item["metric"]), points: (item["values"] as? [Any] ?? []).compactMap(point))
            })
        }
        return QueryAnswer(result: result, warnings: object["warnings"] as? [String] ?? [], infos: object["infos"] as? [String] ?? [])
    }

    static func float(_ text: String) -> Double {
        switch text {
        case "+Inf", "Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(text) ?? .nan
        }
    }
}

/// The answer handed from the request task to the waiting thread.
private final class ResponseBox: Sendable {
    private let value = Mutex<Result<(Int, [UInt8]), any Error>?>(nil)
    func set(_ r: Result<(Int, [UInt8]), any Error>) { value.withLock { $0 = r } }
    func get() -> Result<(Int, [UInt8]), any Error>? { value.withLock { $0 } }
}
