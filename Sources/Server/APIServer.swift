import Foundation
import Hummingbird
import Ingest
import Logging
import PromQL
import ServiceLifecycle
import TSDB

/// The Prometheus-compatible HTTP API over one database: health and
/// lifecycle, remote write and read, queries, metadata, status, admin and
/// federation, with Prometheus' paths, parameters, shapes and status codes.
public struct APIServer: Sendable {
    public let slot: DatabaseSlot
    public let engine: Engine
    public let options: ServerOptions
    public let config: ConfigStore
    public let metrics: ServerMetrics
    /// Metric metadata received by remote write, for `/api/v1/metadata`.
    public let metadataStore = MetadataStore()
    let startTime = Date()
    let gate: QueryGate
    let seriesCache = SeriesRefCache()

    /// A server over a database that is still opening (see `DatabaseSlot`).
    /// `metrics` is given when the database should report its maintenance
    /// there (`DBOptions.maintenanceObserver` is set before it opens).
    public init(slot: DatabaseSlot, engine: Engine = Engine(), options: ServerOptions = ServerOptions(),
                config: ConfigStore = ConfigStore(), metrics: ServerMetrics = ServerMetrics()) {
        self.slot = slot
        self.engine = engine
        self.options = options
        self.config = config
        self.metrics = metrics
        self.gate = QueryGate(maxRunning: options.maxConcurrentQueries, maxWaiting: options.maxQueuedQueries)
    }

    public init(db: DB, engine: Engine = Engine(), options: ServerOptions = ServerOptions(), config: ConfigStore = ConfigStore(),
                metrics: ServerMetrics = ServerMetrics()) {
        self.init(slot: DatabaseSlot(db), engine: engine, options: options, config: config, metrics: metrics)
    }

    /// The open database; the API answers 503 until there is one.
    func database() throws(APIError) -> DB {
        guard let db = slot.db else { throw APIError.unavailable("TSDB not ready") }
        return db
    }

    /// The routes, for `Application` or in-process tests.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ReadinessMiddleware(slot: slot))
        router.add(middleware: metrics.middleware())
        router.add(middleware: GzipMiddleware())
        router.add(middleware: NotFoundMiddleware())
        registerWebUI(router)
        registerLifecycle(router)
        router.post("/api/v1/write") { request, _ in try await self.remoteWrite(request) }
        router.post("/api/v1/read") { request, _ in try await self.remoteRead(request) }
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/api/v1/query", method: method) { request, _ in try await self.query(request, range: false) }
            router.on("/api/v1/query_range", method: method) { request, _ in try await self.query(request, range: true) }
            router.on("/api/v1/format_query", method: method) { request, _ in try await self.formatQuery(request) }
            router.on("/api/v1/parse_query", method: method) { request, _ in try await self.parseQuery(request) }
        }
        router.get("/federate") { request, _ in try await self.federate(request) }
        router.get("/metrics") { _, _ in self.metricsPage() }
        registerMetadata(router)
        registerStatus(router)
        registerAdmin(router)
        registerImport(router)
        return router
    }

    /// The server on `host:port`, to run until SIGTERM/SIGINT or `stop()`;
    /// `onListening` is called once the socket accepts connections.
    public func serving(host: String, port: Int, logger: Logger? = nil, onListening: @escaping @Sendable () -> Void = {}) -> Serving {
        let app = application(host: host, port: port, logger: logger, onListening: onListening)
        return Serving(address: "\(host):\(port)",
                       services: ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint],
                                                                   logger: logger ?? app.logger)))
    }

    /// The HTTP server: the router behind the direct query lane, handlers on
    /// their connection's event loop.
    public func application(host: String, port: Int, logger: Logger? = nil,
                            onListening: @escaping @Sendable () -> Void = {}) -> some ApplicationProtocol {
        Application(router: router(), server: EventLoopBoundHTTP.http1(handlers: [DirectQueryHandler(server: self)]),
                    configuration: .init(address: .hostname(host, port: port), serverName: Self.serverName),
                    onServerRunning: { _ in onListening() }, logger: logger)
    }

    /// The body of a successful query response for `result` (for benchmarks of formatting).
    public static func queryResponseBody(_ result: QueryResult) -> ByteBuffer {
        PrometheusJSON.success(result)
    }

    /// The `Server` header of responses.
    static let serverName = "tsdb"

    static func json(_ body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }

    static func text(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func failure(_ e: APIError) -> Response {
        json(PrometheusJSON.error(type: e.type, e.message), status: HTTPResponse.Status(code: e.status))
    }

    /// Query-string and form parameters; form bodies are limited to `maxRequestBodyBytes`.
    func parameters(_ request: Request) async throws -> Parameters {
        var body: String?
        if Parameters.hasFormBody(method: request.method, contentType: request.headers[.contentType]) {
            let buffer = try await request.body.collect(upTo: options.maxRequestBodyBytes)
            body = String(buffer: buffer)
        }
        return Parameters(query: request.uri.query, body: body)
    }

    /// The `query` parameter, parsed; Prometheus' `bad_data` errors otherwise.
    /// Parsed query texts, shared by every server in the process (a parse
    /// depends on the text alone).
    static let parseCache = ParseCache()

    static func parsedQuery(_ p: Parameters) throws(APIError) -> (String, Expr) {
        guard let q = p["query"], !q.isEmpty else { throw APIError.badData("invalid parameter \"query\": query must not be empty") }
        do { return (q, try parseCache.parse(q)) } catch {
            throw APIError.badData("invalid parameter \"query\": \(error)")
        }
    }

    func formatQuery(_ request: Request) async throws -> Response {
        let p = try await parameters(request)
        do {
            let (_, expr) = try Self.parsedQuery(p)
            return Self.json(PrometheusJSON.success(.string(expr.pretty())))
        } catch {
            return Self.failure(error)
        }
    }

    func parseQuery(_ request: Request) async throws -> Response {
        let p = try await parameters(request)
        do {
            let (_, expr) = try Self.parsedQuery(p)
            return Self.json(PrometheusJSON.success(SyntaxTreeJSON.translate(expr)))
        } catch {
            return Self.failure(error)
        }
    }

    func query(_ request: Request, range: Bool) async throws -> Response {
        let p = try await parameters(request)
        let query: PreparedQuery
        do { query = try prepareQuery(p, range: range) } catch { return Self.failure(error) }
        let queued = ContinuousClock.now
        guard await gate.enter() else {
            return Self.failure(.overloaded("too many concurrent queries (\(gate.maxRunning) running, \(gate.maxWaiting) waiting)"))
        }
        let (status, body) = run(query, queuedAt: queued)
        return Self.json(body, status: status)
    }

    /// A validated query request, ready to evaluate.
    struct PreparedQuery {
        let text: String
        let limit: Int?
        let wantStats: Bool
        let evaluate: () throws(APIError) -> (QueryResult, QueryStatistics)
    }

    /// Reads and checks a query's parameters (`query`, `time` or `start`/`end`/`step`,
    /// `timeout`, `lookback_delta`, `limit`, `stats`); Prometheus' errors otherwise.
    func prepareQuery(_ p: Parameters, range: Bool) throws(APIError) -> PreparedQuery {
        let (queryText, expr) = try Self.parsedQuery(p)
        var engine = self.engine
        if let timeout = try p.duration("timeout") { engine.options.timeout = min(engine.options.timeout, Double(timeout) / 1000) }
        if let lookback = try p.duration("lookback_delta") { engine.options.lookbackDelta = lookback }
        let limit = try limit(p)
        let wantStats = p["stats"].map { !$0.isEmpty } ?? false
        let db = try database()
        if range {
            let start = try p.requiredTime("start"), end = try p.requiredTime("end")
            let step = try p.requiredDuration("step")
            if end < start { throw APIError.badData("invalid parameter \"end\": end timestamp must not be before start time") }
            if step <= 0 {
                throw APIError.badData("invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer")
            }
            if (end - start) / step > 11000 {
                throw APIError.badData("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
            }
            if expr.type == .matrix || expr.type == .string {
                throw APIError.badData("invalid expression type \"\(expr.type.rawValue)\" for range query, must be Scalar or instant Vector")
            }
            return PreparedQuery(text: queryText, limit: limit, wantStats: wantStats) { [engine] () throws(APIError) in
                var stats = QueryStatistics()
                do throws(PromQLError) { return (try engine.rangeQuery(expr, start: start, end: end, step: step, db: db, stats: &stats), stats) } catch {
                    throw Self.apiError(error)
                }
            }
        }
        let t: Int64
        do { t = try p.time("time") ?? Int64((Date().timeIntervalSince1970 * 1000).rounded()) } catch {
            throw APIError.badData("invalid parameter \"time\": \(error.message)")
        }
        return PreparedQuery(text: queryText, limit: limit, wantStats: wantStats) { [engine] () throws(APIError) in
            var stats = QueryStatistics()
            do throws(PromQLError) { return (try engine.instantQuery(expr, at: t, db: db, stats: &stats), stats) } catch {
                throw Self.apiError(error)
            }
        }
    }

    /// Evaluates a query holding a slot of the gate (taken by the caller, freed
    /// here) and formats its answer: the status and JSON body.
    func run(_ query: PreparedQuery, queuedAt queued: ContinuousClock.Instant) -> (HTTPResponse.Status, ByteBuffer) {
        let started = ContinuousClock.now
        let outcome: (QueryResult, QueryStatistics)
        do {
            defer { gate.leave() }
            outcome = try query.evaluate()
        } catch {
            return (HTTPResponse.Status(code: error.status), PrometheusJSON.error(type: error.type, error.message))
        }
        let timings = (queue: started - queued, eval: ContinuousClock.now - started)
        metrics.queryFinished(seconds: timings.eval.seconds, samples: outcome.1.samplesLoaded)
        var (result, (warnings, infos)) = (outcome.0, outcome.1.annotations.strings(for: query.text))
        if let limit = query.limit {
            let (kept, truncation) = Self.truncated(result, to: limit)
            (result, warnings) = (kept, warnings + truncation)
        }
        let stats = query.wantStats ? QueryStatsJSON(queue: timings.queue, eval: timings.eval,
                                                     totalQueryableSamples: outcome.1.totalQueryableSamples,
                                                     peakSamples: outcome.1.peakSamples) : nil
        return (.ok, PrometheusJSON.success(result, stats: stats, warnings: warnings, infos: infos))
    }

    /// `limit` on queries: at most that many series (vectors and matrices only).
    static func truncated(_ result: QueryResult, to limit: Int) -> (QueryResult, [String]) {
        switch result {
        case .vector(let xs) where xs.count > limit: (.vector(Array(xs.prefix(limit))), ["results truncated due to limit"])
        case .matrix(let xs) where xs.count > limit: (.matrix(Array(xs.prefix(limit))), ["results truncated due to limit"])
        default: (result, [])
        }
    }

    /// Engine errors as Prometheus' error types: timeouts are `timeout` (503), the rest `execution` (422).
    static func apiError(_ error: PromQLError) -> APIError {
        error.message.contains("timed out") ? .timeout(error.message) : .execution(error.message)
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
