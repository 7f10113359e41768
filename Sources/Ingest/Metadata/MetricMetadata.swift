/// What a metric family is: its type, help text and unit, as exposition
/// formats declare it (`# TYPE`, `# HELP`, `# UNIT`) and remote write sends it.
/// Served by `/api/v1/metadata`.
public struct MetricMetadata: Sendable, Hashable {
    /// The family's type, with the names Prometheus' API uses.
    public enum Kind: String, Sendable, CaseIterable {
        case unknown, counter, gauge, histogram, gaugehistogram, summary, info, stateset

        /// The remote-write protobuf enum value (`MetricMetadata.MetricType`).
        public init(remoteWrite value: UInt64) {
            let all: [Kind] = [.unknown, .counter, .gauge, .histogram, .gaugehistogram, .summary, .info, .stateset]
            self = value < UInt64(all.count) ? all[Int(value)] : .unknown
        }

        public var remoteWriteValue: UInt64 { UInt64(Self.allCases.firstIndex(of: self)!) }
    }

    public var family: String
    public var kind: Kind
    public var help: String
    public var unit: String

    public init(family: String, kind: Kind, help: String = "", unit: String = "") {
        self.family = family
        self.kind = kind
        self.help = help
        self.unit = unit
    }
}
