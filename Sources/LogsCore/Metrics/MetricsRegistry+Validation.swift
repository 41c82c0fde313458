extension MetricsRegistry {
    /// Checks a metric name against Prometheus' rule `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func validate(metricName name: String) {
        precondition(
            isValidName(name, allowsColon: true),
            "invalid metric name \"\(name)\": expected [a-zA-Z_:][a-zA-Z0-9_:]*"
        )
    }

    /// Checks a label name against `[a-zA-Z_][a-zA-Z0-9_]*`; names starting with `__` are reserved.
    static func validate(labelName: String, metricName: String) {
        precondition(
            isValidName(labelName, allowsColon: false) && !labelName.hasPrefix("__"),
            "invalid label name \"\(labelName)\" on metric \(metricName): expected [a-zA-Z_][a-zA-Z0-9_]* "
                + "not starting with __"
        )
    }

    static func validate(buckets: [Double], name: String) {
        precondition(buckets.allSatisfy(\.isFinite), "histogram \(name) has a bucket that is not finite")
        precondition(
            zip(buckets, buckets.dropFirst()).allSatisfy { $0 < $1 },
            "histogram \(name) has buckets that are not strictly increasing"
        )
    }

    private static func isValidName(_ name: String, allowsColon: Bool) -> Bool {
        guard let first = name.unicodeScalars.first else {
            return false
        }
        func isLetter(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || scalar == "_"
                || (allowsColon && scalar == ":")
        }
        return isLetter(first) && name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }
}
