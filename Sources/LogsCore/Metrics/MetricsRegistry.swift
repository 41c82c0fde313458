import Synchronization

/// A set of metric series that renders itself in the Prometheus text format.
///
/// Each series is a metric name plus a set of label values. Asking again for the same name and
/// labels returns the same object, so callers can look a series up where they use it or keep it.
/// One name always has one type, one help text and, for histograms, one set of buckets. Names are
/// part of the code, so a name that breaks Prometheus' rules, or one reused with another type, stops
/// the process with a precondition failure. All methods are safe to call from any thread.
public final class MetricsRegistry: Sendable {
    /// The `Content-Type` of ``renderPrometheus()`` output.
    public static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Prometheus' default histogram buckets, in seconds.
    public static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    enum Kind: String {
        case counter
        case gauge
        case histogram
    }

    enum Series {
        case counter(Counter)
        case gauge(Gauge)
        case histogram(Histogram)
    }

    struct Family {
        let name: String
        let kind: Kind
        var help: String?
        let buckets: [Double]
        var series: [[String: String]: Series] = [:]
    }

    let families = Mutex<[String: Family]>([:])

    public init() {}

    /// Returns the counter with this name and labels, creating it at zero.
    ///
    /// - Parameter help: The `# HELP` text; the first non-nil text given for a name is kept.
    public func counter(_ name: String, labels: [String: String] = [:], help: String? = nil) -> Counter {
        let series = series(name, kind: .counter, labels: labels, help: help, buckets: []) {
            .counter(Counter())
        }
        guard case .counter(let counter) = series else {
            preconditionFailure("metric \(name) is not a counter")
        }
        return counter
    }

    /// Returns the gauge with this name and labels, creating it at zero.
    public func gauge(_ name: String, labels: [String: String] = [:], help: String? = nil) -> Gauge {
        let series = series(name, kind: .gauge, labels: labels, help: help, buckets: []) {
            .gauge(Gauge())
        }
        guard case .gauge(let gauge) = series else {
            preconditionFailure("metric \(name) is not a gauge")
        }
        return gauge
    }

    /// Returns the histogram with this name and labels, creating it empty.
    ///
    /// - Parameter buckets: Upper bounds, finite and strictly increasing; `+Inf` is always added.
    ///   Every series of one name must use the same buckets.
    public func histogram(
        _ name: String,
        labels: [String: String] = [:],
        buckets: [Double] = MetricsRegistry.defaultBuckets,
        help: String? = nil
    ) -> Histogram {
        Self.validate(buckets: buckets, name: name)
        precondition(labels["le"] == nil, "histogram \(name) must not use the label name le")
        let series = series(name, kind: .histogram, labels: labels, help: help, buckets: buckets) {
            .histogram(Histogram(upperBounds: buckets))
        }
        guard case .histogram(let histogram) = series else {
            preconditionFailure("metric \(name) is not a histogram")
        }
        return histogram
    }

    private func series(
        _ name: String,
        kind: Kind,
        labels: [String: String],
        help: String?,
        buckets: [Double],
        make: () -> Series
    ) -> Series {
        // Most calls find a series that exists, whose name and labels were validated when it was
        // created. Looking it up first spares the validation and the write back of the family,
        // which were a visible cost of every forwarded Pusher batch in perf.
        let existing = families.withLock { families -> Series? in
            guard let family = families[name], family.kind == kind, family.buckets == buckets,
                family.help != nil || help == nil
            else { return nil }
            return family.series[labels]
        }
        if let existing { return existing }
        Self.validate(metricName: name)
        for labelName in labels.keys {
            Self.validate(labelName: labelName, metricName: name)
        }
        return families.withLock { families in
            var family = families[name] ?? Family(name: name, kind: kind, help: help, buckets: buckets)
            precondition(family.kind == kind, "metric \(name) is already registered as a \(family.kind.rawValue)")
            precondition(family.buckets == buckets, "histogram \(name) is already registered with other buckets")
            family.help = family.help ?? help
            if let existing = family.series[labels] {
                families[name] = family
                return existing
            }
            let created = make()
            family.series[labels] = created
            families[name] = family
            return created
        }
    }
}
