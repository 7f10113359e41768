import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import TSDB

/// Scrapes one target on its interval until stopped: an HTTP(S) GET with
/// Prometheus' Accept header (OpenMetrics preferred, text accepted),
/// timeout, auth and TLS options (`ca_file`, client certificate,
/// `insecure_skip_verify`, `server_name`), the body (gzip inflated, at most
/// `body_size_limit`) parsed and stored by a
/// `ScrapeAppender`, one commit per scrape. The first scrape waits an
/// offset derived from the target's labels, so targets spread over the
/// interval deterministically, as in Prometheus.
public actor ScrapeLoop {
    public let target: ScrapeTarget
    public let job: PrometheusConfig.ScrapeJob
    let db: DB
    let client: HTTPClient

    /// What `/api/v1/targets` shows about the target.
    public struct Status: Sendable {
        public var health = "unknown"
        public var lastError = ""
        public var lastScrape: Date?
        public var lastScrapeDuration = 0.0
    }

    private var appender: ScrapeAppender
    public private(set) var status = Status()
    private var task: Task<Void, Never>?

    public init(target: ScrapeTarget, job: PrometheusConfig.ScrapeJob, db: DB, client: HTTPClient = .shared) throws {
        self.target = target
        self.job = job
        self.db = db
        self.client = client
        appender = try ScrapeAppender(target: target, job: job)
    }

    /// Starts scraping in the background.
    public func start() {
        task = Task { await self.run() }
    }

    /// Stops scraping without staleness markers (server shutdown: a restart
    /// leaves a gap, as with Prometheus).
    public func cancel() {
        task?.cancel()
    }

    /// Stops scraping and marks everything the target stored as stale.
    public func stop() {
        task?.cancel()
        let app = db.appender()
        appender.markStale(at: Int64((Date().timeIntervalSince1970 * 1000).rounded()), into: app)
        _ = try? app.commit()
    }

    /// The first scrape's delay: the target's hash modulo the interval, as a fraction of it.
    nonisolated var offset: Duration {
        var h = StableHasher()
        for p in target.labels.pairs { h.combine(Array(p.name.utf8)); h.combine(0xff); h.combine(Array(p.value.utf8)) }
        return .milliseconds(Int64(h.finalize() % UInt64(target.interval)))
    }

    func run() async {
        let clock = ContinuousClock()
        var next = clock.now + offset
        while !Task.isCancelled {
            do { try await clock.sleep(until: next) } catch { return }
            await scrapeOnce()
            next += .milliseconds(target.interval)
            if next < clock.now { next = clock.now + .milliseconds(target.interval) }  // fell behind: skip, don't burst
        }
    }

    /// One scrape now; returns what it stored.
    @discardableResult
    public func scrapeOnce() async -> ScrapeReport {
        let started = Date()
        let t = Int64((started.timeIntervalSince1970 * 1000).rounded())
        let (body, format, failure) = await fetch()
        let seconds = Date().timeIntervalSince(started)
        var scrape = appender
        let report = Self.store(&scrape, body: body, format: format, failure: failure, at: t, duration: seconds, db: db)
        appender = scrape
        status = Status(health: report.up ? "up" : "down", lastError: report.error ?? "", lastScrape: started, lastScrapeDuration: seconds)
        return report
    }

    /// Appends and commits one scrape.
    static func store(_ scrape: inout ScrapeAppender, body: [UInt8]?, format: ExpositionFormat, failure: String?, at t: Int64,
                      duration: Double, db: DB) -> ScrapeReport {
        let app = db.appender()
        let report = (body ?? []).withUnsafeBytes { raw in
            scrape.append(body: body == nil ? nil : raw, format: format, failure: failure, at: t, duration: duration, into: app)
        }
        _ = try? app.commit()
        return report
    }

    /// Prometheus' Accept header for the configured protocols, in order of preference.
    static func acceptHeader(_ protocols: [String]) -> String {
        let media: [String: String] = [
            "OpenMetricsText1.0.0": "application/openmetrics-text;version=1.0.0",
            "OpenMetricsText0.0.1": "application/openmetrics-text;version=0.0.1",
            "PrometheusText1.0.0": "text/plain;version=1.0.0",
            "PrometheusText0.0.4": "text/plain;version=0.0.4",
        ]
        var parts: [String] = []
        var q = 0.5
        for p in protocols {
            guard let m = media[p] else { continue }
            parts.append("\(m);q=\(String(format: "%.1f", q))")
            q = max(0.1, q - 0.1)
        }
        return (parts + ["*/*;q=0.1"]).joined(separator: ",")
    }

    func fetch() async -> ([UInt8]?, ExpositionFormat, String?) {
        var request = HTTPClientRequest(url: target.url)
        request.headers.add(name: "Accept", value: Self.acceptHeader(job.scrapeProtocols))
        request.headers.add(name: "Accept-Encoding", value: "gzip")
        request.headers.add(name: "X-Prometheus-Scrape-Timeout-Seconds", value: String(format: "%g", Double(target.timeout) / 1000))
        request.headers.add(name: "User-Agent", value: "Prometheus/3.14.0 (tsql)")
        if let auth = job.basicAuth {
            let password = auth.passwordFile.isEmpty ? auth.password : Self.read(auth.passwordFile)
            request.headers.add(name: "Authorization", value: "Basic " + Data("\(auth.username):\(password)".utf8).base64EncodedString())
        } else if let auth = job.authorization {
            let credentials = auth.credentialsFile.isEmpty ? auth.credentials : Self.read(auth.credentialsFile)
            request.headers.add(name: "Authorization", value: "\(auth.type) \(credentials)")
        }
        do {
            if target.labels["__scheme__"] == "https" { request.tlsConfiguration = try Self.tlsConfiguration(job.tls) }
            let response = try await client.execute(request, timeout: .milliseconds(target.timeout))
            guard response.status == .ok else {
                return (nil, .prometheusText, "server returned HTTP status \(response.status.code) \(response.status.reasonPhrase)")
            }
            let limit = job.bodySizeLimit > 0 ? Int(job.bodySizeLimit) : 1 << 30
            var body = Array(buffer: try await response.body.collect(upTo: limit))
            if body.count >= 2 && body[0] == 0x1f && body[1] == 0x8b { body = try Gzip.decompress(body, limit: limit) }
            return (body, ExpositionFormat(contentType: response.headers.first(name: "Content-Type")), nil)
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            return (nil, .prometheusText, "context deadline exceeded (timeout \(DurationFormat.format(target.timeout)))")
        } catch is NIOTooManyBytesError {
            return (nil, .prometheusText, "body size limit exceeded")
        } catch let e as ExpositionFileReader.ReadError where e.description.contains("more than") {
            return (nil, .prometheusText, "body size limit exceeded")
        } catch {
            return (nil, .prometheusText, "\(error)")
        }
    }

    /// NIOSSL settings from `tls_config`.
    static func tlsConfiguration(_ t: PrometheusConfig.TLS) throws -> TLSConfiguration {
        var c = TLSConfiguration.makeClientConfiguration()
        if !t.caFile.isEmpty { c.trustRoots = .file(t.caFile) }
        if !t.certFile.isEmpty && !t.keyFile.isEmpty {
            c.certificateChain = try NIOSSLCertificate.fromPEMFile(t.certFile).map { .certificate($0) }
            c.privateKey = .file(t.keyFile)
        }
        if t.insecureSkipVerify { c.certificateVerification = .none }
        return c
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }
}
