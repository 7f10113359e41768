import TSDB

/// What one scrape of a target stored, as the report series give it.
public struct ScrapeReport: Sendable, Equatable {
    public var up: Bool
    /// Samples in the exposition (`scrape_samples_scraped`).
    public var scraped = 0
    /// Samples left after `metric_relabel_configs` (`scrape_samples_post_metric_relabeling`).
    public var postRelabeling = 0
    /// Series not in the previous scrape (`scrape_series_added`).
    public var seriesAdded = 0
    /// Why the scrape failed (nil when `up`).
    public var error: String?
}

/// Turns one scrape of a target into appends, with Prometheus' semantics
/// (scrape/scrape.go): OpenMetrics `_created` series skipped, target labels attached (`honor_labels` keeps the
/// exposed ones, otherwise clashing exposed labels become `exported_*`),
/// `metric_relabel_configs`, `honor_timestamps`, `sample_limit` and
/// `label_limit` failing the whole scrape, staleness markers for series that
/// disappeared since the previous scrape (all of them when a scrape fails),
/// and the report series `up`, `scrape_duration_seconds`,
/// `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling`,
/// `scrape_series_added`.
public struct ScrapeAppender {
    public let target: ScrapeTarget
    public let job: PrometheusConfig.ScrapeJob
    let metricRelabeler: Relabeler
    /// The series stored by the previous successful scrape.
    public private(set) var previous: Set<Labels> = []

    public init(target: ScrapeTarget, job: PrometheusConfig.ScrapeJob) throws {
        self.target = target
        self.job = job
        metricRelabeler = try Relabeler(job.metricRelabelConfigs)
    }

    /// Appends one scrape: `body` and its `format`, or `failure` if the fetch failed.
    public mutating func append(body: UnsafeRawBufferPointer?, format: ExpositionFormat, failure: String?,
                                at t: Int64, duration seconds: Double, into app: Appender) -> ScrapeReport {
        var report = ScrapeReport(up: false)
        var current: [Labels: (Int64, Double)] = [:]
        var order: [Labels] = []
        if let failure {
            report.error = failure
        } else if let body {
            do {
                try parse(body, format: format, at: t, report: &report, current: &current, order: &order)
                report.up = true
            } catch {
                report.error = error.description
                current = [:]
                order = []
            }
        }
        report.postRelabeling = report.up ? current.count : 0
        for labels in order {
            let (ts, v) = current[labels]!
            do { try app.append(labels, ts, v) } catch {
                // Out-of-order or duplicate samples of one series are dropped, as Prometheus does.
            }
        }
        let stale = report.up ? previous.subtracting(current.keys) : previous
        for labels in stale { _ = try? app.append(labels, t, StaleNaN.value) }
        if report.up {
            report.seriesAdded = current.keys.filter { !previous.contains($0) }.count
            previous = Set(current.keys)
        } else {
            previous = []
        }
        for (name, value) in [("up", report.up ? 1 : 0), ("scrape_duration_seconds", seconds),
                              ("scrape_samples_scraped", Double(report.scraped)),
                              ("scrape_samples_post_metric_relabeling", Double(report.postRelabeling)),
                              ("scrape_series_added", Double(report.seriesAdded))] {
            _ = try? app.append(Labels(target.publicLabels.pairs + [Label(Labels.metricName, name)]), t, value)
        }
        return report
    }

    /// Writes staleness markers for everything the target stored (it went away).
    public mutating func markStale(at t: Int64, into app: Appender) {
        for labels in previous { _ = try? app.append(labels, t, StaleNaN.value) }
        for name in ["up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added"] {
            _ = try? app.append(Labels(target.publicLabels.pairs + [Label(Labels.metricName, name)]), t, StaleNaN.value)
        }
        previous = []
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private func parse(_ body: UnsafeRawBufferPointer, format: ExpositionFormat, at t: Int64, report: inout ScrapeReport,
                       current: inout [Labels: (Int64, Double)], order: inout [Labels]) throws(Failure) {
        var parser = ExpositionParser(body, format: format)
        var limit: String?
        // OpenMetrics `_created` series of counters, summaries and histograms are
        // not stored, as Prometheus 3 scrapes them (they are creation times, not samples).
        var createdName = ""
        do throws(ExpositionError) {
            while limit == nil, let entry = try parser.next() {
                if case .metadata(let family, .type(let kind)) = entry {
                    createdName = format == .openMetrics && [.counter, .summary, .histogram, .gaugehistogram].contains(kind) ? family + "_created" : ""
                }
                guard case .sample(let s) = entry else { continue }
                if !createdName.isEmpty && s.series.starts(with: createdName.utf8)
                    && (s.series.count == createdName.utf8.count || s.series[createdName.utf8.count] == UInt8(ascii: "{")) {
                    continue
                }
                report.scraped += 1
                guard let labels = mutate(try s.labels()) else { continue }
                if job.labelLimit > 0 && labels.count > job.labelLimit {
                    limit = "label_limit exceeded (metric: \(labels.metricName), number of labels: \(labels.count), limit: \(job.labelLimit))"
                    break
                }
                let ts = job.honorTimestamps ? (s.timestamp ?? t) : t
                if current[labels] == nil { order.append(labels) }
                current[labels] = (ts, s.value)
                if job.sampleLimit > 0 && current.count > job.sampleLimit { limit = "sample limit exceeded" }
            }
            if limit == nil { try parser.finish() }
        } catch {
            throw Failure(description: "\(error)")
        }
        if let limit { throw Failure(description: limit) }
    }

    /// The exposed labels with the target's attached, then metric relabelling; nil if dropped.
    func mutate(_ exposed: Labels) -> Labels? {
        var pairs = exposed.pairs
        for t in target.publicLabels.pairs {
            if let i = pairs.firstIndex(where: { $0.name == t.name }) {
                if job.honorLabels { continue }
                // The exposed label steps aside: exported_<name> (more prefixes while taken).
                var name = "exported_" + t.name
                while pairs.contains(where: { $0.name == name }) { name = "exported_" + name }
                pairs[i] = Label(name, pairs[i].value)
            }
            pairs.append(t)
        }
        let labels = Labels(pairs)
        return job.metricRelabelConfigs.isEmpty ? labels : metricRelabeler.apply(labels)
    }
}
