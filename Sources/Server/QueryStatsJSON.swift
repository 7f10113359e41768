/// The `stats` object of a query response (`stats=true`): Prometheus'
/// timings in seconds and sample counts.
struct QueryStatsJSON {
    var queue: Duration
    var eval: Duration
    var totalQueryableSamples: Int
    var peakSamples: Int

    var json: JSONValue {
        let evalSeconds = JSONValue.number(eval.seconds), queueSeconds = JSONValue.number(queue.seconds)
        let total = JSONValue.number(eval.seconds + queue.seconds)
        return .object([
            ("timings", .object([
                ("evalTotalTime", evalSeconds), ("resultSortTime", .number(0)), ("queryPreparationTime", .number(0)),
                ("innerEvalTime", evalSeconds), ("execQueueTime", queueSeconds), ("execTotalTime", total),
            ])),
            ("samples", .object([
                ("totalQueryableSamples", .int(Int64(totalQueryableSamples))), ("peakSamples", .int(Int64(peakSamples))),
            ])),
        ])
    }
}
