import TSDB

extension GoFormat {
    /// A native histogram as Prometheus' `FloatHistogram.String()` writes it:
    /// `{count:12, sum:1.5, [-1,-0.5):5, [-0.001,0.001]:4, (0.5,1]:1}`, the
    /// buckets with their boundaries (brackets by inclusivity), empty ones
    /// left out. For the shell and for messages.
    public static func histogram(_ h: NativeHistogram) -> String {
        var out = "{count:\(formatFloat(h.count, .exposition)), sum:\(formatFloat(h.sum, .exposition))"
        for b in h.boundedBuckets() where b.count != 0 {
            out += ", " + (b.lowerInclusive ? "[" : "(") + formatFloat(b.lower, .exposition) + "," + formatFloat(b.upper, .exposition)
                + (b.upperInclusive ? "]" : ")") + ":" + formatFloat(b.count, .exposition)
        }
        return out + "}"
    }
}
