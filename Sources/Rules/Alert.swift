import TSDB

/// Where an alert is in its life: pending while its condition has held for
/// less than the rule's `for`, firing after, inactive once resolved (kept
/// for a while so Alertmanager hears that it resolved).
public enum AlertState: String, Sendable, Comparable {
    case inactive, pending, firing

    private var rank: Int {
        switch self {
        case .inactive: 0
        case .pending: 1
        case .firing: 2
        }
    }

    public static func < (a: AlertState, b: AlertState) -> Bool { a.rank < b.rank }
}

/// One alert of an alerting rule: one series of its expression's result,
/// with the rule's labels and rendered annotations. Times in milliseconds.
public struct Alert: Sendable, Equatable {
    /// The result's labels without `__name__`, the rule's labels, and `alertname`.
    public var labels: Labels
    public var annotations: [Label]
    public var state: AlertState
    /// The expression's value at the last evaluation.
    public var value: Double
    /// When the condition started to hold (restored across restarts from `ALERTS_FOR_STATE`).
    public var activeAt: Int64
    public var firedAt: Int64?
    public var resolvedAt: Int64?
    /// Last time it was handed to the notifier.
    public var lastSentAt: Int64?
    /// Until when Alertmanager should consider a firing alert current (its `endsAt`).
    public var validUntil: Int64?
    /// Since when it fires only because of `keep_firing_for`.
    public var keepFiringSince: Int64?

    public init(labels: Labels, annotations: [Label], state: AlertState, value: Double, activeAt: Int64) {
        self.labels = labels
        self.annotations = annotations
        self.state = state
        self.value = value
        self.activeAt = activeAt
    }

    /// Whether the notifier should get it now: firing or just resolved alerts,
    /// again every `resendDelay` (Prometheus' `needsSending`).
    func needsSending(at t: Int64, resendDelay: Int64) -> Bool {
        if state == .pending { return false }
        guard let lastSentAt else { return true }
        if let resolvedAt, resolvedAt > lastSentAt { return true }
        return lastSentAt + resendDelay < t
    }
}
