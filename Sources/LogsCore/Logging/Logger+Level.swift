import Foundation

extension Logger {
    /// The severity of a log event, from least to most severe.
    ///
    /// The raw values are the names used in configuration and in the `level=` field of a log line.
    public enum Level: String, Codable, CaseIterable, Sendable {
        case trace
        case debug
        case info
        case notice
        case warning
        case error
        case critical

        /// Parses a level name, ignoring case and surrounding whitespace.
        ///
        /// Besides the raw values it accepts `warn` and `fatal`, the names Ruby's `Logger` uses, so a
        /// level set for the original service still works.
        public init?(name: String) {
            let normalized = name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            switch normalized {
            case "warn":
                self = .warning
            case "fatal":
                self = .critical
            default:
                self.init(rawValue: normalized)
            }
        }

        @usableFromInline
        var severity: Int {
            switch self {
            case .trace: 0
            case .debug: 1
            case .info: 2
            case .notice: 3
            case .warning: 4
            case .error: 5
            case .critical: 6
            }
        }
    }
}

extension Logger.Level: Comparable {
    @inlinable
    public static func < (lhs: Logger.Level, rhs: Logger.Level) -> Bool {
        lhs.severity < rhs.severity
    }
}

extension Logger.Level: CustomStringConvertible {
    public var description: String {
        rawValue
    }
}
