import PromQL
import TSDB

/// Native histograms in API responses, as Prometheus' `jsonutil` writes them:
/// `{"count":"…","sum":"…","buckets":[[boundaries,"lower","upper","count"],…]}`
/// with the empty buckets left out; boundaries 0 = (lower, upper],
/// 1 = [lower, upper), 2 = (lower, upper), 3 = [lower, upper].
extension PrometheusJSON {
    mutating func histogram(_ h: NativeHistogram) {
        raw("{\"count\":")
        quotedFloat(h.count)
        raw(",\"sum\":")
        quotedFloat(h.sum)
        var first = true
        for b in h.boundedBuckets() where b.count != 0 {
            raw(first ? ",\"buckets\":[[" : ",[")
            first = false
            let boundaries = b.lowerInclusive ? (b.upperInclusive ? 3 : 1) : (b.upperInclusive ? 0 : 2)
            out.writeInteger(UInt8(ascii: "0") + UInt8(boundaries))
            raw(",")
            quotedFloat(b.lower)
            raw(",")
            quotedFloat(b.upper)
            raw(",")
            quotedFloat(b.count)
            raw("]")
        }
        if !first { raw("]") }
        raw("}")
    }

    /// `[<seconds>,{histogram}]`
    mutating func histogramPoint(_ t: Int64, _ h: NativeHistogram) {
        raw("[")
        timestamp(t)
        raw(",")
        histogram(h)
        raw("]")
    }

    /// `"<value>"` in Go's float formatting.
    mutating func quotedFloat(_ v: Double) {
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: GoFormat.maxAPIFloatLength + 2) { buffer in
            let p = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            p[0] = UInt8(ascii: "\"")
            let n = 1 + GoFormat.writeAPIFloat(v, to: p + 1)
            p[n] = UInt8(ascii: "\"")
            return n + 1
        }
    }
}
