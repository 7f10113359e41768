import Foundation
import Hummingbird
import Ingest
import PromQL
import TSDB

/// The Prometheus-compatible HTTP API over one database. So far (issue 4 is
/// in progress): `/-/healthy`, `/-/ready`, remote write `/api/v1/write`,
/// `/api/v1/query` and `/api/v1/query_range` (GET and form POST), labels,
/// label values, series and build info.
public struct APIServer: Sendable {
    public let db: DB
    public let engine: Engine
    let seriesCache = SeriesRefCache()

    public init(db: DB, engine: Engine = Engine()) {
        self.db = db
        self.engine = engine
    }

    /// The routes, for `Application` or in-process tests.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/-/healthy") { _, _ in "Prometheus Server is Healthy.\n" }
        router.get("/-/ready") { _, _ in "Prometheus Server is Ready.\n" }
        router.post("/api/v1/write") { request, _ in try await self.remoteWrite(request) }
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/api/v1/query", method: method) { request, _ in try await self.query(request, range: false) }
            router.on("/api/v1/query_range", method: method) { request, _ in try await self.query(request, range: true) }
        }
        registerMetadata(router)
        return router
    }

    /// Serves on `host:port` until the process is asked to stop (SIGTERM/SIGINT).
    public func run(host: String, port: Int) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "tsdb"))
        try await app.runService()
    }

    static func json(_ body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    static func failure(_ e: APIError) -> Response {
        json(PrometheusJSON.error(type: e.type, e.message), status: HTTPResponse.Status(code: e.status))
    }

    func parameters(_ request: Request) async throws -> Parameters {
        var body: String?
        if request.method == .post, request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
            let buffer = try await request.body.collect(upTo: 16 << 20)
            body = String(buffer: buffer)
        }
        return Parameters(query: request.uri.query, body: body)
    }

    func query(_ request: Request, range: Bool) async throws -> Response {
        let p = try await parameters(request)
        do {
            guard let q = p["query"], !q.isEmpty else { throw APIError.badData("invalid parameter \"query\": query must not be empty") }
            let expr: Expr
            do { expr = try Parser.parse(q) } catch {
                throw APIError.badData("invalid parameter \"query\": \(error)")
            }
            var engine = self.engine
            if let timeout = try p.duration("timeout") { engine.options.timeout = min(engine.options.timeout, Double(timeout) / 1000) }
            if let lookback = try p.duration("lookback_delta") { engine.options.lookbackDelta = lookback }
            let result: QueryResult
            if range {
                guard let start = try p.time("start") else { throw APIError.badData("invalid parameter \"start\": missing") }
                guard let end = try p.time("end") else { throw APIError.badData("invalid parameter \"end\": missing") }
                guard let step = try p.duration("step") else { throw APIError.badData("invalid parameter \"step\": missing") }
                if end < start { throw APIError.badData("invalid parameter \"end\": end timestamp must not be before start time") }
                if step <= 0 {
                    throw APIError.badData("invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer")
                }
                if (end - start) / step > 11000 {
                    throw APIError.badData("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
                }
                do { result = try engine.rangeQuery(q, start: start, end: end, step: step, db: db) } catch { throw Self.apiError(error) }
            } else {
                let t = try p.time("time") ?? Int64((Date().timeIntervalSince1970 * 1000).rounded())
                do { result = try engine.instantQuery(expr, at: t, db: db) } catch { throw Self.apiError(error) }
            }
            return Self.json(PrometheusJSON.success(result))
        } catch let e as APIError {
            return Self.failure(e)
        }
    }

    /// Engine errors as Prometheus' error types: timeouts are `timeout` (503), the rest `execution` (422).
    static func apiError(_ error: PromQLError) -> APIError {
        error.message.contains("timed out") ? .timeout(error.message) : .execution(error.message)
    }

    /// Remote write 1.0: snappy-compressed protobuf `WriteRequest`. Valid
    /// samples are stored even when others are rejected; any rejection is
    /// reported as 400 with the first error, as Prometheus does. Known series
    /// are appended by reference through `seriesCache`.
    func remoteWrite(_ request: Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 256 << 20)
        let app = db.appender()
        var firstError: String?
        var rejected = 0
        do {
            let payload = try Snappy.decompress(Array(buffer: buffer))
            try WriteRequest.forEachSeries(payload) { series in
                guard !series.samples.isEmpty else { return }
                var ref = seriesCache.lookup(hash: series.labelHash, bytes: series.labelBytes)
                for s in series.samples {
                    do {
                        if let r = ref {
                            do { try app.append(ref: r, s.t, s.v) } catch let e as TSDBError where e.code == .unknownSeriesRef {
                                ref = nil  // the head dropped it: resolve by labels below
                            }
                        }
                        if ref == nil {
                            let r = try app.append(try series.labels(), s.t, s.v)
                            seriesCache.store(hash: series.labelHash, bytes: series.labelBytes, ref: r)
                            ref = r
                        }
                    } catch let e as WriteRequest.DecodeError {
                        throw e
                    } catch {
                        rejected += 1
                        if firstError == nil { firstError = "\(error)" }
                    }
                }
            }
        } catch {
            app.rollback()
            return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "\(error)\n")))
        }
        let result = try app.commit()
        if firstError == nil, let dropped = result.dropped.first { firstError = "\(dropped)" }
        if let e = firstError {
            return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "\(e) (\(rejected + result.dropped.count) samples rejected)\n")))
        }
        return Response(status: .noContent)
    }
}
