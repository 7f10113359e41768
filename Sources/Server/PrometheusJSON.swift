import PromQL
import TSDB

/// Writes API responses as Prometheus does, byte for byte where clients
/// compare (Grafana, promtool): timestamps as seconds with up to three
/// decimals, sample values as strings in Go's float formatting.
enum PrometheusJSON {
    /// `1435781451.781`, `1.500`, `2` (Prometheus' jsonutil.MarshalTimestamp).
    static func timestamp(_ ms: Int64, into out: inout String) {
        var t = ms
        if t < 0 { out += "-"; t = -t }
        out += String(t / 1000)
        let fraction = t % 1000
        if fraction != 0 {
            out += "."
            if fraction < 100 { out += "0" }
            if fraction < 10 { out += "0" }
            out += String(fraction)
        }
    }

    static func value(_ v: Double, into out: inout String) {
        out += "\""
        out += GoFormat.formatFloat(v, .api)
        out += "\""
    }

    static func string(_ s: String, into out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 {
                    out += "\\u00" + String(c.value, radix: 16).leftPad(2)
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }

    static func labels(_ l: Labels, into out: inout String) {
        out += "{"
        for (i, p) in l.pairs.enumerated() {
            if i > 0 { out += "," }
            string(p.name, into: &out)
            out += ":"
            string(p.value, into: &out)
        }
        out += "}"
    }

    static func point(_ t: Int64, _ v: Double, into out: inout String) {
        out += "["
        timestamp(t, into: &out)
        out += ","
        value(v, into: &out)
        out += "]"
    }

    /// `{"status":"success","data":{"resultType":…,"result":…}}`
    static func success(_ result: QueryResult) -> String {
        var out = "{\"status\":\"success\",\"data\":{\"resultType\":"
        switch result {
        case .scalar(let t, let v):
            out += "\"scalar\",\"result\":"
            point(t, v, into: &out)
        case .string(let t, let s):
            out += "\"string\",\"result\":["
            timestamp(t, into: &out)
            out += ","
            string(s, into: &out)
            out += "]"
        case .vector(let samples):
            out += "\"vector\",\"result\":["
            for (i, s) in samples.enumerated() {
                if i > 0 { out += "," }
                out += "{\"metric\":"
                labels(s.labels, into: &out)
                out += ",\"value\":"
                point(s.t, s.v, into: &out)
                out += "}"
            }
            out += "]"
        case .matrix(let series):
            out += "\"matrix\",\"result\":["
            for (i, s) in series.enumerated() {
                if i > 0 { out += "," }
                out += "{\"metric\":"
                labels(s.labels, into: &out)
                out += ",\"values\":["
                for (k, p) in s.points.enumerated() {
                    if k > 0 { out += "," }
                    point(p.t, p.v, into: &out)
                }
                out += "]}"
            }
            out += "]"
        }
        return out + "}}"
    }

    /// `{"status":"error","errorType":"bad_data","error":"…"}`
    static func error(type: String, _ message: String) -> String {
        var out = "{\"status\":\"error\",\"errorType\":\"" + type + "\",\"error\":"
        string(message, into: &out)
        return out + "}"
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
