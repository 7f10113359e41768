import AsyncHTTPClient
import Foundation
import TSDB

/// Runs the scrape loops a configuration asks for: targets from
/// `static_configs` and `file_sd_configs` (files re-read every
/// `refresh_interval`), one `ScrapeLoop` per target. Applying a new
/// configuration keeps the loops of targets whose job and labels did not
/// change, starts new ones and stops (with staleness markers) the others.
public actor ScrapeManager {
    struct Key: Hashable {
        var job: String
        var labels: Labels
    }

    /// One active target as `/api/v1/targets` shows it.
    public struct ActiveTarget: Sendable {
        public var target: ScrapeTarget
        public var job: String
        public var status: ScrapeLoop.Status
    }

    let db: DB
    let client: HTTPClient
    private var config = PrometheusConfig()
    private var loops: [Key: ScrapeLoop] = [:]
    private var dropped: [String: [Labels]] = [:]
    public private(set) var errors: [String] = []
    private var refresher: Task<Void, Never>?

    public init(db: DB, client: HTTPClient = .shared) {
        self.db = db
        self.client = client
    }

    /// Starts, keeps or stops loops for `config`.
    public func apply(_ config: PrometheusConfig) async {
        self.config = config
        await sync()
        refresher?.cancel()
        let intervals = config.scrapeConfigs.flatMap(\.fileSDConfigs).map(\.refreshInterval)
        guard let every = intervals.min() else { return }
        refresher = Task {
            while !Task.isCancelled {
                do { try await Task.sleep(for: .milliseconds(max(every, 1000))) } catch { return }
                await self.sync()
            }
        }
    }

    /// Stops every loop for shutdown, without staleness markers.
    public func shutdown() async {
        refresher?.cancel()
        for loop in loops.values { await loop.cancel() }
        loops = [:]
    }

    /// Stops every loop, marking their series stale.
    public func stopAll() async {
        refresher?.cancel()
        for loop in loops.values { await loop.stop() }
        loops = [:]
    }

    func sync() async {
        var wanted: [Key: (ScrapeTarget, PrometheusConfig.ScrapeJob)] = [:]
        var newDropped: [String: [Labels]] = [:]
        var newErrors: [String] = []
        for job in config.scrapeConfigs {
            var groups = TargetBuilder.staticGroups(job)
            for sd in job.fileSDConfigs {
                for path in FileSD.paths(sd) {
                    do { groups += try FileSD.read(path) } catch { newErrors.append("\(error)") }
                }
            }
            do {
                let r = try TargetBuilder.targets(for: job, groups: groups)
                for t in r.active { wanted[Key(job: job.jobName, labels: t.labels)] = (t, job) }
                newDropped[job.jobName] = r.dropped
                newErrors += r.errors
            } catch {
                newErrors.append("job \(job.jobName): \(error)")
            }
        }
        for (key, loop) in loops where wanted[key] == nil || wanted[key]!.1 != loop.job {
            await loop.stop()
            loops[key] = nil
        }
        for (key, (target, job)) in wanted where loops[key] == nil {
            do {
                let loop = try ScrapeLoop(target: target, job: job, db: db, client: client)
                loops[key] = loop
                await loop.start()
            } catch {
                newErrors.append("job \(job.jobName): \(error)")
            }
        }
        dropped = newDropped
        errors = newErrors
    }

    /// The active targets (sorted by job and labels) and the dropped ones by job.
    public func targets() async -> (active: [ActiveTarget], dropped: [String: [Labels]]) {
        var active: [ActiveTarget] = []
        for (key, loop) in loops.sorted(by: { ($0.key.job, $0.key.labels) < ($1.key.job, $1.key.labels) }) {
            active.append(ActiveTarget(target: loop.target, job: key.job, status: await loop.status))
        }
        return (active, dropped)
    }
}
