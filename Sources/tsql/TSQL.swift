import ArgumentParser
import CJemalloc
import Foundation
import Ingest
import Logging
import PromQL
import Rules
import Server
import Shell
import TSDB

/// `tsql`: the command-line face of the database — the interactive shell by
/// default, the server, and the offline tools (import, compact, check).
@main
struct TSQL: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tsql",
        abstract: "Prometheus-compatible time-series database and shell.",
        version: "tsql (tsdb) \(TSQL.allocator)",
        subcommands: [ShellCommand.self, Serve.self, Info.self, Import.self, Check.self, TestCommand.self, Compact.self, DebugAppend.self, DebugQuery.self],
        defaultSubcommand: ShellCommand.self)

    /// The process allocator, as `--version` and the server's first log line name it.
    static var allocator: String { "allocator jemalloc \(String(cString: tsdb_allocator_version()))" }
}

/// `tsql serve`: the Prometheus-compatible HTTP API on a data directory.
/// Flag names are Prometheus' own, so that start scripts keep working.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the Prometheus-compatible HTTP API.")

    @Option(name: .customLong("config.file"), help: "Prometheus configuration file (prometheus.yml).")
    var configFile: String?
    @Option(name: [.customLong("storage.tsdb.path"), .customLong("data")], help: "Data directory.")
    var data = "./data"
    @Option(name: .customLong("web.listen-address"), help: "Address to listen on.")
    var listen = "127.0.0.1:9090"
    @Option(name: .customLong("storage.tsdb.retention.time"), help: "How long to keep blocks (e.g. 15d; default 15d unless a size is given).")
    var retentionTime = ""
    @Option(name: .customLong("storage.tsdb.retention.size"), help: "Maximum bytes of blocks and WAL (B, KB, MB, GB, TB, PB, EB; powers of 2); the oldest blocks go first.")
    var retentionSize = ""
    @Flag(name: .customLong("web.enable-admin-api"), help: "Enable /api/v1/admin/tsdb/* (delete series, clean tombstones, snapshot).")
    var adminAPI = false
    @Flag(name: .customLong("web.enable-lifecycle"), help: "Enable POST /-/reload and /-/quit.")
    var lifecycle = false
    @Option(name: .customLong("query.lookback-delta"), help: "Lookback of instant selectors.")
    var lookbackDelta = "5m"
    @Option(name: .customLong("query.timeout"), help: "Maximum time a query may take.")
    var queryTimeout = "2m"
    @Option(name: .customLong("query.max-samples"), help: "Maximum samples a query may load.")
    var maxSamples = 50_000_000
    @Option(name: .customLong("query.max-concurrency"), help: "Queries evaluated at once; more wait in a queue.")
    var maxConcurrency = 20
    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.")
    var logLevel = "info"
    @Flag(name: .customLong("no-shell"), help: "Do not open the interactive shell, even on a terminal (for daemons).")
    var noShell = false
    @OptionGroup var alerting: AlertingFlags

    /// Shown when the shell opens next to the server.
    static let hint = """
        The server scrapes what --config.file names (scripts/run.sh: its own /metrics every 5 s). Try:
          up
          rate(prometheus_http_requests_total[1m])
          \\range now-15m now 15s   then   sum by (handler) (rate(prometheus_http_requests_total[1m]))
          process_resident_memory_bytes
        """

    func run() async throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ValidationError("--web.listen-address must be host:port, got \(listen)")
        }
        let host = listen[..<colon].isEmpty ? "127.0.0.1" : String(listen[..<colon])
        guard let lookback = DurationFormat.parse(lookbackDelta), let timeout = DurationFormat.parse(queryTimeout) else {
            throw ValidationError("invalid --query.lookback-delta or --query.timeout")
        }
        if !retentionTime.isEmpty && DurationFormat.parse(retentionTime) == nil {
            throw ValidationError("--storage.tsdb.retention.time: cannot parse \"\(retentionTime)\" as a duration (e.g. 15d)")
        }
        if !retentionSize.isEmpty && ServerOptions.parseBytes(retentionSize) == nil {
            throw ValidationError("--storage.tsdb.retention.size: cannot parse \"\(retentionSize)\" as a size (e.g. 512MB)")
        }
        let levels: [String: Logger.Level] = ["debug": .debug, "info": .info, "warn": .warning, "error": .error]
        guard var level = levels[logLevel] else { throw ValidationError("--log.level must be one of debug, info, warn, error") }
        // With the shell on the same terminal, routine messages would break into its lines.
        let shell = !noShell && isatty(0) != 0 && isatty(1) != 0
        if shell && level == .info { level = .warning }
        let logger = { var l = Logger(label: "tsql"); l.logLevel = level; return l }()

        var query = QueryOptions()
        query.lookbackDelta = lookback
        query.timeout = Double(timeout) / 1000
        query.maxSamples = maxSamples
        var options = ServerOptions()
        options.adminAPI = adminAPI
        options.lifecycleAPI = lifecycle
        options.maxConcurrentQueries = maxConcurrency
        options.retentionTime = retentionTime
        options.retentionSize = retentionSize
        options.flags = [
            "config.file": configFile ?? "", "storage.tsdb.path": data, "web.listen-address": listen,
            "storage.tsdb.retention.time": retentionTime, "storage.tsdb.retention.size": retentionSize,
            "web.enable-admin-api": String(adminAPI), "web.enable-lifecycle": String(lifecycle),
            "web.enable-remote-write-receiver": "true", "query.lookback-delta": lookbackDelta,
            "query.timeout": queryTimeout, "query.max-samples": String(maxSamples),
            "query.max-concurrency": String(maxConcurrency), "log.level": logLevel,
        ]
        let config: ConfigStore
        do { config = try configFile.map { try ConfigStore(path: $0) } ?? ConfigStore() } catch {
            throw ValidationError("error loading config: \(error)")
        }
        let ruleFiles: [RuleFile]
        do { ruleFiles = try RuleManager.load(config.parsed, baseDirectory: alerting.baseDirectory(configFile)) } catch {
            throw ValidationError("error loading rules: \(error)")
        }
        let timing = try alerting.timing(listen: listen)

        // Serve at once; the API answers 503 (and /api/v1/status/walreplay
        // reports progress) until the WAL replay has finished.
        let slot = DatabaseSlot()
        let metrics = ServerMetrics()
        let dbOptions = {
            var o = DBOptions()
            o.replayProgress = { slot.replayed($0) }
            o.maintenanceObserver = { metrics.record($0) }
            let (duration, bytes) = options.effectiveRetention
            if let duration { o.setRetention(duration: duration) }
            o.retentionBytes = bytes
            return o
        }()
        let server = APIServer(slot: slot, engine: Engine(options: query), options: options, config: config, metrics: metrics)
        let reloadOnHangup = Self.reloadOnSIGHUP(config, logger: logger)
        defer { reloadOnHangup.cancel() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Listen before opening the database, so that a taken address is
            // reported at once rather than after a long WAL replay.
            let (listening, signal) = AsyncStream<Void>.makeStream()
            let serving = server.serving(host: host, port: port, logger: logger, onListening: { signal.yield() })
            group.addTask {
                defer { signal.finish() }
                try await serving.run()
            }
            var started = listening.makeAsyncIterator()
            if await started.next() == nil {
                try await group.next()  // the server's error
                return
            }
            logger.info("serving on http://\(host):\(port), opening \(data) (\(TSQL.allocator))")
            let data = self.data
            let db: DB
            do {
                db = try await Task.detached { try DB.open(data, options: dbOptions) }.value
            } catch {
                await serving.stop()
                _ = try? await group.next()  // the server, once it has stopped
                throw error
            }
            logger.info("\(db.replayReport)")
            slot.open(db)
            defer { try? db.close() }
            // Scrape what prometheus.yml names, following reloads.
            let scraper = ScrapeManager(db: db)
            slot.scraper = scraper
            await scraper.apply(config.parsed)
            config.onReload { parsed in Task { await scraper.apply(parsed) } }
            // Rules and alerts, following reloads (a broken rule file fails the reload).
            let notifier = Notifier(options: alerting.notifierOptions, observe: { metrics.record($0) })
            let rules = AlertingFlags.startRules(ruleFiles, config: config, db: db, engine: Engine(options: query), timing: timing,
                                                 notifier: notifier, metrics: metrics, baseDirectory: alerting.baseDirectory(configFile),
                                                 logger: logger)
            slot.rules = rules
            group.addTask { await notifier.run() }
            // On a terminal, the shell over the same database; leaving it stops the server.
            if shell {
                let engine = Engine(options: query), address = listen
                group.addTask {
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        Thread.detachNewThread {
                            ShellRunner(backend: EmbeddedBackend(db: db, engine: engine), format: nil, color: true)
                                .runInteractive(hint: "serving the Prometheus API on http://\(address)\n" + Self.hint)
                            done.resume()
                        }
                    }
                }
            }
            // Whatever ends first (a signal, the shell closing), the rest
            // stops before the database closes: the server lets requests in
            // flight finish, and the notifier's loop would otherwise keep the
            // group waiting forever.
            var failure: (any Error)?
            do { try await group.next() } catch { failure = error }
            await serving.stop()
            if shell { LineEditor.stop.wake() }
            rules.stop()
            notifier.stop()
            await scraper.shutdown()
            // Every child, the shell's query in flight included, ends before the database closes.
            while true {
                do { if try await group.next() == nil { break } } catch { failure = failure ?? error }
            }
            if let failure { throw failure }
        }
    }

    /// SIGHUP reloads the configuration, as it does for Prometheus.
    static func reloadOnSIGHUP(_ config: ConfigStore, logger: Logger) -> any DispatchSourceSignal {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP)
        source.setEventHandler {
            do {
                try config.reload()
                logger.info("configuration reloaded")
            } catch {
                logger.error("failed to reload config: \(error)")
            }
        }
        source.resume()
        return source
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Open a data directory (replaying its WAL) and print what it holds.")

    @Option(name: [.customLong("data"), .customLong("storage.tsdb.path")], help: "Data directory.")
    var data = "./data"

    func run() throws {
        let start = Date()
        let db = try DB.open(data, options: { var o = DBOptions(); o.compactionInterval = nil; return o }())
        defer { try? db.close() }
        let took = Date().timeIntervalSince(start)
        let s = db.stats
        print("data directory: \(data)")
        print("opened in \(String(format: "%.3f", took)) s; \(db.replayReport)")
        print("head: \(s.head.numSeries) series, \(s.head.numChunks) chunks, \(s.head.samplesAppended) samples replayed"
            + (s.head.minTime.map { ", range \(Self.time($0)) – \(Self.time(s.head.maxTime!))" } ?? ""))
        print("blocks: \(s.blocks.count), \(s.blockSamples) samples, \(s.blockBytes) bytes"
            + (s.blockSamples > 0 ? String(format: " (%.3f bytes/sample)", Double(s.blockBytes) / Double(s.blockSamples)) : ""))
        for b in s.blocks {
            let m = b.meta
            print("  \(m.ulid)  \(Self.time(m.minTime)) – \(Self.time(m.maxTime))  series \(m.stats.numSeries)  "
                + "samples \(m.stats.numSamples)  \(b.bytes) bytes  level \(m.compaction.level)")
        }
        print("WAL: \(s.walBytes) bytes")
    }

    static func time(_ ms: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}

/// Test helper used by the crash test: appends batches forever and, after
/// each acknowledged commit, prints one line: the timestamp and the value
/// bits (hex) of every series in series order.
struct DebugAppend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug-append", abstract: "Append synthetic batches and log each acknowledged one (for crash tests).",
        shouldDisplay: false)

    @Option var data: String
    @Option var series = 50
    @Option var batches = Int.max
    @Option var blockDuration: Int64 = 2 * 3600 * 1000
    @Option var step: Int64 = 1000

    func run() throws {
        var o = DBOptions()
        o.blockDuration = blockDuration
        o.compactionInterval = 0.05
        let db = try DB.open(data, options: o)
        // Resume after what is already stored, so restarts keep appending in order.
        let q = db.querier(mint: .min, maxt: .max)
        var t: Int64 = 0
        for s in try q.select([.equal("__name__", "crash_test")]) {
            if let last = try s.samples().last { t = max(t, last.t) }
        }
        let labels = (0..<series).map { Labels(["__name__": "crash_test", "series": String($0)]) }
        for _ in 0..<batches {
            t += step
            let app = db.appender()
            var line = String(t)
            for (i, l) in labels.enumerated() {
                let v = Self.value(series: i, t: t)
                try app.append(l, t, v)
                line += " " + String(v.bitPattern, radix: 16)
            }
            try app.commit()
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }
        try db.close()
    }

    /// Varied bit patterns: integers, fractions, NaNs, arbitrary bits.
    static func value(series i: Int, t: Int64) -> Double {
        switch i % 4 {
        case 0: Double(t / 1000 * Int64(i + 1))
        case 1: Double(t) / 7.0
        case 2: t % 13 == 0 ? Double.nan : Double(i) * 0.1
        default: Double(bitPattern: UInt64(bitPattern: t) &* 0x9E37_79B9_7F4A_7C15 | 1)
        }
    }
}

/// Profiling helper: runs one range query repeatedly in-process and prints
/// the time of each run (for `perf record` on the engine alone).
struct DebugQuery: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug-query", abstract: "Run a range query repeatedly and time it (for profiling).",
        shouldDisplay: false)

    @Option var data = "./data"
    @Option(help: "Range start, unix milliseconds.") var start: Int64
    @Option(help: "Range end, unix milliseconds.") var end: Int64
    @Option(help: "Step, milliseconds.") var step: Int64 = 60_000
    @Option var repeats = 5
    @Option(help: "Milliseconds to sleep between runs (caches go cold, as between a dashboard's queries).") var pause = 0
    @Argument var query: String

    func run() throws {
        var o = DBOptions()
        o.compactionInterval = nil
        let db = try DB.open(data, options: o)
        defer { try? db.close() }
        let engine = Engine()
        for _ in 0..<repeats {
            let clock = ContinuousClock.now
            let result = try engine.rangeQuery(query, start: start, end: end, step: step, db: db)
            let took = ContinuousClock.now - clock
            var series = 0, points = 0
            if case .matrix(let m) = result { series = m.count; points = m.reduce(0) { $0 + $1.points.count } }
            print("\(took)  \(series) series, \(points) points")
            if pause > 0 { usleep(UInt32(pause) * 1000) }
        }
    }
}
