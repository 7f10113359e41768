import Dispatch
import Foundation
import NIOCore
import PromQL
import Synchronization
import TSDB

/// Writes API responses as Prometheus does, byte for byte where clients
/// compare (Grafana, promtool): timestamps as seconds with up to three
/// decimals, sample values as strings in Go's float formatting. Writes
/// bytes straight into the response buffer: large range results are tens
/// of megabytes.
struct PrometheusJSON {
    var out = ByteBuffer()
    /// The timestamps of the matrix being written, formatted once.
    var sharedTimestamps = SharedTimestamps()
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func raw(_ s: StaticString) {
        out.writeStaticString(s)
    }

    /// `1435781451.781`, `1.500`, `2` (Prometheus' jsonutil.MarshalTimestamp).
    mutating func timestamp(_ ms: Int64) {
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.maxTimestampLength) {
            Self.writeTimestamp(ms, to: $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    static let maxTimestampLength = 1 + GoFormat.maxIntLength + 4

    /// Writes a timestamp at `p` (room for `maxTimestampLength` bytes); returns how many.
    @inline(__always)
    static func writeTimestamp(_ ms: Int64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        var t = ms
        var n = 0
        if t < 0 {
            p[0] = UInt8(ascii: "-")
            n = 1
            t = 0 &- t
        }
        n += GoFormat.writeInt(t / 1000, to: p + n)
        let fraction = Int(t % 1000)
        if fraction != 0 {
            p[n] = UInt8(ascii: ".")
            p[n + 1] = UInt8(48 + fraction / 100)
            p[n + 2] = UInt8(48 + fraction / 10 % 10)
            p[n + 3] = UInt8(48 + fraction % 10)
            n += 4
        }
        return n
    }

    mutating func string(_ s: String) {
        var clean = true
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: s.utf8.count + 2) { buffer in
            var n = 0
            clean = Self.copyQuoted(s, to: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), at: &n)
            return n
        }
        guard !clean else { return }  // the common case: nothing to escape
        out.writeInteger(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case UInt8(ascii: "\n"): raw("\\n")
            case UInt8(ascii: "\r"): raw("\\r")
            case UInt8(ascii: "\t"): raw("\\t")
            case 0..<0x20:
                raw("\\u00")
                out.writeInteger(Self.hexDigits[Int(c >> 4)])
                out.writeInteger(Self.hexDigits[Int(c & 15)])
            default: out.writeInteger(c)
            }
        }
        out.writeInteger(UInt8(ascii: "\""))
    }

    /// `{"name":"value",…}`. One reservation for the whole set, names and
    /// values copied straight into it; a set with a byte to escape (rare:
    /// quotes, backslashes, control characters) is written again the slow way.
    /// Label sets are most of a large vector result's bytes.
    mutating func labels(_ l: Labels) {
        var capacity = 2
        for p in l.pairs { capacity += p.name.utf8.count + p.value.utf8.count + 6 }
        var clean = true
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: capacity) { buffer in
            let p = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var n = 1
            p[0] = UInt8(ascii: "{")
            for (i, pair) in l.pairs.enumerated() {
                if i > 0 { p[n] = UInt8(ascii: ","); n += 1 }
                guard Self.copyQuoted(pair.name, to: p, at: &n) else { clean = false; return 0 }
                p[n] = UInt8(ascii: ":")
                n += 1
                guard Self.copyQuoted(pair.value, to: p, at: &n) else { clean = false; return 0 }
            }
            p[n] = UInt8(ascii: "}")
            return n + 1
        }
        guard !clean else { return }
        out.writeInteger(UInt8(ascii: "{"))
        for (i, p) in l.pairs.enumerated() {
            if i > 0 { out.writeInteger(UInt8(ascii: ",")) }
            string(p.name)
            out.writeInteger(UInt8(ascii: ":"))
            string(p.value)
        }
        out.writeInteger(UInt8(ascii: "}"))
    }

    /// Writes `"s"` at `p + n` (room for its bytes and quotes) and advances
    /// `n`; false, with nothing to rely on written, if `s` needs escaping.
    @inline(__always)
    static func copyQuoted(_ s: String, to p: UnsafeMutablePointer<UInt8>, at n: inout Int) -> Bool {
        var s = s
        return s.withUTF8 { bytes in
            for c in bytes where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return false }
            p[n] = UInt8(ascii: "\"")
            if let base = bytes.baseAddress { (p + n + 1).update(from: base, count: bytes.count) }
            p[n + 1 + bytes.count] = UInt8(ascii: "\"")
            n += bytes.count + 2
            return true
        }
    }

    /// `[<seconds>,"<value>"]`, formatted in place.
    mutating func point(_ t: Int64, _ v: Double) {
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.maxPointLength) {
            Self.writePoint(t, v, to: $0.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Bytes `writePoint` may write, with a separating comma (and room for
    /// `SharedTimestamps` to copy whole words).
    static let maxPointLength = max(maxTimestampLength, SharedTimestamps.stride) + GoFormat.maxAPIFloatLength + 8

    /// Writes `[<seconds>,"<value>"]` at `p`; returns how many bytes.
    @inline(__always)
    static func writePoint(_ t: Int64, _ v: Double, to p: UnsafeMutablePointer<UInt8>) -> Int {
        p[0] = UInt8(ascii: "[")
        let n = 1 + writeTimestamp(t, to: p + 1)
        return n + writeValue(v, to: p + n)
    }

    /// Writes `,"<value>"]`, the rest of a point after its timestamp; returns how many bytes.
    @inline(__always)
    static func writeValue(_ v: Double, to p: UnsafeMutablePointer<UInt8>) -> Int {
        p[0] = UInt8(ascii: ",")
        p[1] = UInt8(ascii: "\"")
        let n = 2 + GoFormat.writeAPIFloat(v, to: p + 2)
        p[n] = UInt8(ascii: "\"")
        p[n + 1] = UInt8(ascii: "]")
        return n + 2
    }

    /// The points of a series, comma-separated, in one reservation of the buffer.
    /// Timestamps come from `sharedTimestamps` where they can.
    mutating func points(_ points: [Sample]) {
        guard let first = points.first else { return }
        sharedTimestamps.adopt(points)
        sharedTimestamps.withWriter { timestamps in
            timestamps.start(at: first.t)
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: points.count * Self.maxPointLength) { buffer in
                let p = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
                var n = 0
                for (k, point) in points.enumerated() {
                    if k > 0 { p[n] = UInt8(ascii: ","); n += 1 }
                    p[n] = UInt8(ascii: "[")
                    n += 1
                    n += timestamps.write(point.t, to: p + n)
                    n += Self.writeValue(point.v, to: p + n)
                }
                return n
            }
        }
    }

    /// `{"status":"success","data":{"resultType":…,"result":…[,"stats":…]}[,"warnings":[…]]}`
    static func success(_ result: QueryResult, stats: QueryStatsJSON? = nil, warnings: [String] = [], infos: [String] = []) -> ByteBuffer {
        var w = PrometheusJSON()
        w.raw("{\"status\":\"success\",\"data\":{\"resultType\":")
        switch result {
        case .scalar(let t, let v):
            w.raw("\"scalar\",\"result\":")
            w.point(t, v)
        case .string(let t, let s):
            w.raw("\"string\",\"result\":[")
            w.timestamp(t)
            w.raw(",")
            w.string(s)
            w.raw("]")
        case .vector(let samples):
            w.raw("\"vector\",\"result\":[")
            for (i, s) in samples.enumerated() {
                if i > 0 { w.raw(",") }
                w.raw("{\"metric\":")
                w.labels(s.labels)
                if let h = s.h {
                    w.raw(",\"histogram\":")
                    w.histogramPoint(s.t, h)
                } else {
                    w.raw(",\"value\":")
                    w.point(s.t, s.v)
                }
                w.raw("}")
            }
            w.raw("]")
        case .matrix(let series):
            w.raw("\"matrix\",\"result\":[")
            w.matrixSeries(series)
            w.raw("]")
        }
        if let stats {
            w.raw(",\"stats\":")
            w.value(stats.json)
        }
        w.raw("}")
        w.warnings(warnings)
        w.infos(infos)
        w.raw("}")
        return w.out
    }

    /// The series of a matrix, comma-separated. Large results are formatted in
    /// parallel, one contiguous run of series per core, then joined in order.
    mutating func matrixSeries(_ series: [RangeSeries]) {
        let points = series.reduce(0) { $0 + $1.points.count }
        let tasks = min(Self.cores, series.count, points / Self.pointsPerTask)
        guard tasks > 1 else {
            out.reserveCapacity(out.writerIndex + series.count * 256 + points * 40)
            Self.write(series[...], into: &self)
            return
        }
        let parts = Mutex([ByteBuffer?](repeating: nil, count: tasks))
        DispatchQueue.concurrentPerform(iterations: tasks) { task in
            let range = series.count * task / tasks ..< series.count * (task + 1) / tasks
            var w = PrometheusJSON()
            w.out.reserveCapacity(range.count * 256 + points / tasks * 40)
            Self.write(series[range], into: &w)
            parts.withLock { $0[task] = w.out }
        }
        out.reserveCapacity(out.writerIndex + parts.withLock { $0.reduce(0) { $0 + ($1?.readableBytes ?? 0) } } + tasks)
        for (task, part) in parts.withLock({ $0 }).enumerated() {
            if task > 0 { raw(",") }
            var part = part!
            out.writeBuffer(&part)
        }
    }

    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Below this many points per core, formatting in parallel costs more than it saves.
    static let pointsPerTask = 4_000

    static func write(_ series: ArraySlice<RangeSeries>, into w: inout PrometheusJSON) {
        for (i, s) in series.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"metric\":")
            w.labels(s.labels)
            if !s.points.isEmpty || s.histograms.isEmpty {
                w.raw(",\"values\":[")
                w.points(s.points)
                w.raw("]")
            }
            if !s.histograms.isEmpty {
                w.raw(",\"histograms\":[")
                for (k, p) in s.histograms.enumerated() {
                    if k > 0 { w.raw(",") }
                    w.histogramPoint(p.t, p.h)
                }
                w.raw("]")
            }
            w.raw("}")
        }
    }

    /// `,"warnings":[…]`, if there are any.
    mutating func warnings(_ warnings: [String]) { stringList("warnings", warnings) }

    /// `,"infos":[…]`, if there are any (Prometheus 3's info-level annotations).
    mutating func infos(_ infos: [String]) { stringList("infos", infos) }

    private mutating func stringList(_ key: StaticString, _ xs: [String]) {
        guard !xs.isEmpty else { return }
        raw(",\"")
        raw(key)
        raw("\":[")
        for (i, x) in xs.enumerated() {
            if i > 0 { raw(",") }
            string(x)
        }
        raw("]")
    }

    /// `{"status":"success","data":[…]}` with each element written by `element`.
    static func array<T>(_ xs: [T], warnings: [String], _ element: (inout PrometheusJSON, T) -> Void) -> ByteBuffer {
        var w = PrometheusJSON()
        w.raw("{\"status\":\"success\",\"data\":[")
        for (i, x) in xs.enumerated() {
            if i > 0 { w.raw(",") }
            element(&w, x)
        }
        w.raw("]")
        w.warnings(warnings)
        w.raw("}")
        return w.out
    }

    /// Label names or values.
    static func strings(_ xs: [String], warnings: [String] = []) -> ByteBuffer {
        array(xs, warnings: warnings) { $0.string($1) }
    }

    /// Series label sets.
    static func labelSets(_ xs: [Labels], warnings: [String] = []) -> ByteBuffer {
        array(xs, warnings: warnings) { $0.labels($1) }
    }

    /// `{"status":"success","data":{"k":"v",…}}` with string values.
    static func object(_ fields: [(String, String)]) -> ByteBuffer {
        var w = PrometheusJSON()
        w.raw("{\"status\":\"success\",\"data\":{")
        for (i, (k, v)) in fields.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(k)
            w.raw(":")
            w.string(v)
        }
        w.raw("}}")
        return w.out
    }

    /// `{"status":"error","errorType":"bad_data","error":"…"}`
    static func error(type: String, _ message: String) -> ByteBuffer {
        var w = PrometheusJSON()
        w.raw("{\"status\":\"error\",\"errorType\":\"")
        w.out.writeString(type)
        w.raw("\",\"error\":")
        w.string(message)
        w.raw("}")
        return w.out
    }
}

/// A query result in the API's JSON shape, for other front ends (the shell's
/// `json` output) that should print exactly what `/api/v1/query` answers.
public enum QueryResultJSON {
    public static func encode(_ result: QueryResult, warnings: [String] = [], infos: [String] = []) -> String {
        String(buffer: PrometheusJSON.success(result, warnings: warnings, infos: infos))
    }
}
