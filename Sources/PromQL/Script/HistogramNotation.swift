import Foundation
import TSDB

/// The native-histogram literals of promqltest:
/// `{{schema:0 sum:5 count:4 z_bucket:1 z_bucket_w:0.001 buckets:[1 2 1] offset:1
/// n_buckets:[1] n_offset:0 custom_values:[5 10] counter_reset_hint:gauge}}`, every
/// part optional. `buckets` are absolute counts of consecutive buckets from index
/// `offset` (`n_…` the same on the negative side). In a series line
/// `{{a}}xN` is N+1 copies of a, `{{a}}+{{b}}xN` a then N times b added
/// (`-` subtracts).
public enum HistogramNotation {
    /// One literal, braces included.
    public static func parse(_ text: String) throws(PromQLError) -> NativeHistogram {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("{{"), t.hasSuffix("}}"), t.count >= 4 else {
            throw PromQLError("invalid native histogram \"\(text)\": expected {{…}}")
        }
        let body = t.dropFirst(2).dropLast(2)
        var h = NativeHistogram()
        var seen = Set<String>()
        var positive: (counts: [Double], offset: Int32) = ([], 0)
        var negative: (counts: [Double], offset: Int32) = ([], 0)
        for (key, value) in try items(body, in: text) {
            guard seen.insert(key).inserted else { throw PromQLError("duplicate key \"\(key)\" in histogram \"\(text)\"") }
            func number() throws(PromQLError) -> Double {
                guard let v = SeriesNotation.number(Substring(value)) else {
                    throw PromQLError("error parsing \(key) number \"\(value)\" in histogram \"\(text)\"")
                }
                return v
            }
            func integer() throws(PromQLError) -> Int32 {
                guard let v = Int32(value) else {
                    throw PromQLError("error parsing \(key) integer \"\(value)\" in histogram \"\(text)\"")
                }
                return v
            }
            func list() throws(PromQLError) -> [Double] {
                guard value.hasPrefix("["), value.hasSuffix("]") else {
                    throw PromQLError("error parsing \(key) float array \"\(value)\" in histogram \"\(text)\"")
                }
                var out: [Double] = []
                for item in value.dropFirst().dropLast().split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                    guard let v = SeriesNotation.number(item) else {
                        throw PromQLError("error parsing \(key) float array \"\(value)\" in histogram \"\(text)\"")
                    }
                    out.append(v)
                }
                return out
            }
            switch key {
            case "schema": h.schema = try integer()
            case "sum": h.sum = try number()
            case "count": h.count = try number()
            case "z_bucket": h.zeroCount = try number()
            case "z_bucket_w": h.zeroThreshold = try number()
            case "custom_values": h.customValues = try list()
            case "buckets": positive.counts = try list()
            case "offset": positive.offset = try integer()
            case "n_buckets": negative.counts = try list()
            case "n_offset": negative.offset = try integer()
            case "counter_reset_hint":
                switch value {
                case "unknown": h.counterResetHint = .unknown
                case "reset": h.counterResetHint = .counterReset
                case "not_reset": h.counterResetHint = .notCounterReset
                case "gauge": h.counterResetHint = .gauge
                default: throw PromQLError("error parsing counter_reset_hint: unknown value \"\(value)\" in histogram \"\(text)\"")
                }
            default:
                throw PromQLError("unknown key \"\(key)\" in histogram \"\(text)\"")
            }
        }
        guard h.schema == NativeHistogram.customBucketsSchema || NativeHistogram.exponentialSchemas.contains(h.schema) else {
            throw PromQLError("histogram has an invalid schema \(h.schema) in \"\(text)\": must be between -4 and 8, or -53 for custom buckets")
        }
        h.positive = positive.counts.enumerated().map { HistogramBucket(positive.offset &+ Int32($0.offset), $0.element) }
        h.negative = negative.counts.enumerated().map { HistogramBucket(negative.offset &+ Int32($0.offset), $0.element) }
        return h
    }

    /// `key:value` pairs; a value is a word or a bracketed list.
    static func items(_ body: Substring, in text: String) throws(PromQLError) -> [(String, String)] {
        var out: [(String, String)] = []
        var rest = body[...]
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            if rest.isEmpty { return out }
            guard let colon = rest.firstIndex(of: ":") else {
                throw PromQLError("expected key:value in histogram \"\(text)\" at \"\(rest)\"")
            }
            let key = String(rest[..<colon]).trimmingCharacters(in: .whitespaces)
            rest = rest[rest.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            let end: String.Index
            if rest.first == "[" {
                guard let close = rest.firstIndex(of: "]") else {
                    throw PromQLError("unterminated \"[\" in histogram \"\(text)\"")
                }
                end = rest.index(after: close)
            } else {
                end = rest.firstIndex { $0 == " " || $0 == "\t" } ?? rest.endIndex
            }
            let value = String(rest[..<end])
            guard !key.isEmpty, !value.isEmpty else { throw PromQLError("expected key:value in histogram \"\(text)\"") }
            out.append((key, value))
            rest = rest[end...]
        }
    }

    /// The histograms one series item stands for.
    public static func expand(_ item: String) throws(PromQLError) -> [NativeHistogram] {
        guard let firstEnd = item.range(of: "}}") else { throw PromQLError("invalid native histogram \"\(item)\"") }
        let base = try parse(String(item[..<firstEnd.upperBound]))
        let rest = item[firstEnd.upperBound...]
        if rest.isEmpty { return [base] }
        func times(_ s: Substring) throws(PromQLError) -> Int {
            guard s.first == "x", let n = Int(s.dropFirst()), n >= 0 else {
                throw PromQLError("invalid repetition \"\(s)\" after native histogram in \"\(item)\"")
            }
            return n
        }
        if rest.first == "x" { return Array(repeating: base, count: try times(rest) + 1) }
        guard let op = rest.first, op == "+" || op == "-", rest.dropFirst().hasPrefix("{{"),
              let incEnd = rest.range(of: "}}") else {
            throw PromQLError("invalid native histogram series item \"\(item)\"")
        }
        let increment = try parse(String(rest[rest.index(after: rest.startIndex)..<incEnd.upperBound]))
        let n = try times(rest[incEnd.upperBound...])
        var out = [base]
        var current = base
        for _ in 0..<n {
            if current.schema > increment.schema {
                throw PromQLError("error combining histograms: cannot merge from schema \(increment.schema) to \(current.schema)")
            }
            do {
                current = try (op == "+" ? current.adding(increment) : current.subtracting(increment)).0
            } catch {
                throw PromQLError("error combining histograms: \(error)")
            }
            out.append(current)
        }
        return out
    }
}
