/// Kahan–Neumaier compensated summation, as Prometheus uses for sums,
/// averages and histogram variances. Inlinable: it is in the aggregation hot loops.
@frozen
public struct KahanSum: Sendable {
    public var sum = 0.0
    public var c = 0.0

    @inlinable
    public init(sum: Double = 0, c: Double = 0) {
        self.sum = sum
        self.c = c
    }

    @inlinable @inline(__always)
    public mutating func add(_ x: Double) {
        let t = sum + x
        if t.isInfinite {
            c = 0
        } else if abs(sum) >= abs(x) {
            c += (sum - t) + x
        } else {
            c += (x - t) + sum
        }
        sum = t
    }

    @inlinable public var value: Double { sum + c }
}
