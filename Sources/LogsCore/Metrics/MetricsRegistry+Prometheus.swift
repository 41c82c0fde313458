extension MetricsRegistry {
    /// Renders every series in the Prometheus text exposition format, version 0.0.4.
    ///
    /// Families are sorted by name and series by their label pairs, so equal registries give equal
    /// text. `# HELP` appears only for families that were given a help text. Each value is read at
    /// render time; a histogram's buckets, sum and count come from one snapshot.
    public func renderPrometheus() -> String {
        let families = families.withLock { $0 }
        var output = ""
        for family in families.values.sorted(by: { $0.name < $1.name }) {
            if let help = family.help {
                output += "# HELP \(family.name) \(Self.escapeHelp(help))\n"
            }
            output += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            let sortedSeries = family.series.map { (labels: $0.key.sorted { $0.key < $1.key }, series: $0.value) }
                .sorted { Self.isOrderedBefore($0.labels, $1.labels) }
            for (labels, series) in sortedSeries {
                output += Self.renderSeries(name: family.name, labels: labels, series: series)
            }
        }
        return output
    }

    private static func renderSeries(name: String, labels: [(key: String, value: String)], series: Series) -> String {
        switch series {
        case .counter(let counter):
            return "\(name)\(renderLabels(labels)) \(counter.value)\n"
        case .gauge(let gauge):
            return "\(name)\(renderLabels(labels)) \(formatNumber(gauge.value))\n"
        case .histogram(let histogram):
            let snapshot = histogram.snapshot()
            var text = ""
            for (bound, count) in zip(snapshot.upperBounds, snapshot.cumulativeCounts) {
                text += "\(name)_bucket\(renderLabels(labels + [("le", formatNumber(bound))])) \(count)\n"
            }
            text += "\(name)_bucket\(renderLabels(labels + [("le", "+Inf")])) \(snapshot.count)\n"
            text += "\(name)_sum\(renderLabels(labels)) \(formatNumber(snapshot.sum))\n"
            text += "\(name)_count\(renderLabels(labels)) \(snapshot.count)\n"
            return text
        }
    }

    private static func renderLabels(_ labels: [(key: String, value: String)]) -> String {
        guard !labels.isEmpty else {
            return ""
        }
        return "{" + labels.map { "\($0.key)=\"\(escapeLabelValue($0.value))\"" }.joined(separator: ",") + "}"
    }

    private static func isOrderedBefore(_ lhs: [(key: String, value: String)], _ rhs: [(key: String, value: String)])
        -> Bool
    {
        for (left, right) in zip(lhs, rhs) where left != right {
            return left.key != right.key ? left.key < right.key : left.value < right.value
        }
        return lhs.count < rhs.count
    }

    /// Formats a sample value: whole numbers without a fraction, `+Inf`, `-Inf` and `NaN` as
    /// Prometheus spells them, other values in Swift's shortest round-trip form (`0.005`, `1e-05`).
    static func formatNumber(_ value: Double) -> String {
        if value.isNaN {
            return "NaN"
        }
        if value.isInfinite {
            return value < 0 ? "-Inf" : "+Inf"
        }
        if value == value.rounded(), abs(value) < 1e15 {
            return String(Int64(value))
        }
        return value.description
    }

    /// Escapes a label value: backslash, double quote and line feed.
    static func escapeLabelValue(_ value: String) -> String {
        escape(value, quotes: true)
    }

    /// Escapes a help text: backslash and line feed.
    static func escapeHelp(_ help: String) -> String {
        escape(help, quotes: false)
    }

    private static func escape(_ text: String, quotes: Bool) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\"" where quotes: result += "\\\""
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
