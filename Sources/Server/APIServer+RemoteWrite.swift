import Hummingbird
import Ingest
import TSDB

extension APIServer {
    /// Remote write 1.0: snappy-compressed protobuf `WriteRequest`. Valid
    /// samples are stored even when others are rejected; any rejection is
    /// reported as 400 with the first error, as Prometheus does. Known series
    /// are appended by reference through `seriesCache`; metadata entries are
    /// kept for `/api/v1/metadata`. Native-histogram samples are appended
    /// after the float samples of their series, as Prometheus does.
    func remoteWrite(_ request: Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: options.maxRequestBodyBytes)
        let app = try database().appender()
        var firstError: String?
        var rejected = 0
        func reject(_ e: TSDBError) {
            rejected += 1
            if firstError == nil { firstError = "\(e)" }
        }
        func reject(_ s: Sample, _ e: TSDBError) { reject(e) }
        do {
            let batch = try WriteBatch(try Snappy.decompress(Array(buffer: buffer)))
            if !batch.metadata.isEmpty { metadataStore.record(batch.metadata) }
            try batch.withView { view in
                /// The head's series for the labels of series `i` (created if
                /// new, remembered in the cache); nil, its samples rejected,
                /// if the head refuses the labels.
                var refusals: [Int: TSDBError] = [:]
                func resolve(_ i: Int) throws -> SeriesRef? {
                    let labels = try batch.labels(of: i)  // malformed labels reject the whole request
                    do throws(TSDBError) {
                        let ref = try app.seriesRef(labels)
                        seriesCache.store(view, series: i, ref: ref)
                        return ref
                    } catch {
                        refusals[i] = error
                        for s in view.samples(i) { reject(s, error) }
                        return nil
                    }
                }

                // Known series go to the head in one call (one lock); new ones
                // are resolved by labels first; a cached series the head has
                // dropped since is resolved again and appended on its own.
                let known = seriesCache.lookup(view)
                var runs: [SampleRun] = []
                var runSeries: [Int] = []
                runs.reserveCapacity(view.count)
                runSeries.reserveCapacity(view.count)
                for i in 0..<view.count {
                    let samples = view.samples(i)
                    guard !samples.isEmpty else { continue }
                    guard let ref = try known[i] ?? resolve(i) else { continue }
                    runs.append(SampleRun(ref: ref, samples: samples))
                    runSeries.append(i)
                }
                for r in app.append(runs: runs, rejected: reject) {
                    let i = runSeries[r]
                    guard let ref = try resolve(i) else { continue }
                    do throws(TSDBError) {
                        try app.append(ref: ref, samples: view.samples(i), rejected: reject)
                    } catch {
                        for s in view.samples(i) { reject(s, error) }
                    }
                }

                // Histograms, after the float samples of their series.
                var histogramRefs: [Int: SeriesRef] = [:]
                for (i, sample) in batch.histograms {
                    if histogramRefs[i] == nil, refusals[i] == nil, let ref = try known[i] ?? resolve(i) { histogramRefs[i] = ref }
                    guard let ref = histogramRefs[i] else {
                        if let e = refusals[i] { reject(e) }
                        continue
                    }
                    do {
                        try app.appendHistogram(ref: ref, sample.t, sample.h)
                    } catch let e as TSDBError where e.code == .unknownSeriesRef {
                        // The head dropped the cached series since: resolve it again.
                        histogramRefs[i] = nil
                        guard let again = try resolve(i) else { reject(refusals[i] ?? e); continue }
                        histogramRefs[i] = again
                        do { try app.appendHistogram(ref: again, sample.t, sample.h) } catch let e as TSDBError { reject(e) }
                    } catch let e as TSDBError {
                        reject(e)
                    }
                }
            }
        } catch {
            app.rollback()
            return Self.text("\(error)\n", status: .badRequest)
        }
        let result = try app.commit()
        metrics.remoteWrite(stored: result.appended, rejected: rejected + result.dropped.count)
        if firstError == nil, let dropped = result.dropped.first { firstError = "\(dropped)" }
        if let e = firstError {
            return Self.text("\(e) (\(rejected + result.dropped.count) samples rejected)\n", status: .badRequest)
        }
        return Response(status: .noContent)
    }
}
