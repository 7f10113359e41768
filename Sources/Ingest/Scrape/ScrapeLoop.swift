import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TSDB

/// Scrapes one target on its interval until stopped: an HTTP GET with
/// Prometheus' Accept header (OpenMetrics preferred, text accepted),
/// timeout and headers, the body (gzip inflated) parsed and stored by a
/// `ScrapeAppender`, one commit per scrape. The first scrape waits an
/// offset derived from the target's labels, so targets spread over the
/// interval deterministically, as in Prometheus.
public actor ScrapeLoop {
    public let target: ScrapeTarget
    public let job: PrometheusConfig.ScrapeJob
    let db: DB
    let session: URLSession

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

    public init(target: ScrapeTarget, job: PrometheusConfig.ScrapeJob, db: DB, session: URLSession) throws {
        self.target = target
        self.job = job
        self.db = db
        self.session = session
        appender = try ScrapeAppender(target: target, job: job)
    }

    /// Starts scraping in the background.
    public func start() {
        task = Task { await self.run() }
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
        guard let url = URL(string: target.url) else { return (nil, .prometheusText, "invalid scrape URL \(target.url)") }
        var request = URLRequest(url: url, timeoutInterval: Double(target.timeout) / 1000)
        request.setValue(Self.acceptHeader(job.scrapeProtocols), forHTTPHeaderField: "Accept")
        request.setValue(String(format: "%g", Double(target.timeout) / 1000), forHTTPHeaderField: "X-Prometheus-Scrape-Timeout-Seconds")
        request.setValue("Prometheus/3.14.0 (tsql)", forHTTPHeaderField: "User-Agent")
        if let auth = job.basicAuth {
            let password = auth.passwordFile.isEmpty ? auth.password : Self.read(auth.passwordFile)
            request.setValue("Basic " + Data("\(auth.username):\(password)".utf8).base64EncodedString(), forHTTPHeaderField: "Authorization")
        } else if let auth = job.authorization {
            let credentials = auth.credentialsFile.isEmpty ? auth.credentials : Self.read(auth.credentialsFile)
            request.setValue("\(auth.type) \(credentials)", forHTTPHeaderField: "Authorization")
        }
        let finished = request
        let (session, timeout) = (self.session, target.timeout)
        do {
            let (data, response) = try await withThrowingTaskGroup(of: (Data, URLResponse).self) { group in
                group.addTask { try await session.data(for: finished) }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(timeout))
                    throw URLError(.timedOut)
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            guard let http = response as? HTTPURLResponse else { return (nil, .prometheusText, "not an HTTP response") }
            guard http.statusCode == 200 else {
                return (nil, .prometheusText, "server returned HTTP status \(http.statusCode) \(HTTPURLResponse.localizedString(forStatusCode: http.statusCode))")
            }
            var body = [UInt8](data)
            if body.count >= 2 && body[0] == 0x1f && body[1] == 0x8b {
                body = try Gzip.decompress(body, limit: job.bodySizeLimit > 0 ? Int(job.bodySizeLimit) : 1 << 30)
            }
            if job.bodySizeLimit > 0 && body.count > job.bodySizeLimit {
                return (nil, .prometheusText, "body size limit exceeded")
            }
            return (body, ExpositionFormat(contentType: http.value(forHTTPHeaderField: "Content-Type")), nil)
        } catch let e as URLError where e.code == .timedOut {
            return (nil, .prometheusText, "context deadline exceeded (timeout \(DurationFormat.format(target.timeout)))")
        } catch {
            return (nil, .prometheusText, "\(error)")
        }
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }
}
