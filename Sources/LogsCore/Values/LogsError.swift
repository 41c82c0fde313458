/// The error thrown by LogsCore's values and services.
///
/// `code` names what failed for callers; `message` states it for people and never contains log
/// content, tokens or secrets. Codes are a struct over a private enum so that new ones can be added
/// without breaking callers that switch over them.
public struct LogsError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case invalidJSON = "invalid_json"
            case invalidLogPart = "invalid_log_part"
            case invalidJob = "invalid_job"
            case underMaintenance = "under_maintenance"
            case logNotFound = "log_not_found"
            case archiveMissing = "archive_missing"
            case archivedContentRequired = "archived_content_required"
            case archiveVerificationFailed = "archive_verification_failed"
            case unknownJobClass = "unknown_job_class"
            case invalidArgument = "invalid_argument"
        }

        fileprivate let base: Base

        public static let invalidJSON = Code(base: .invalidJSON)
        /// A log part that can never be stored; `LogsError.reason` names the check it failed.
        public static let invalidLogPart = Code(base: .invalidLogPart)
        /// A queued job whose JSON is not a Sidekiq job or whose arguments do not fit its class.
        public static let invalidJob = Code(base: .invalidJob)
        /// The maintenance switch is on; `LogsError.retryAfter` is its remaining time.
        public static let underMaintenance = Code(base: .underMaintenance)
        public static let logNotFound = Code(base: .logNotFound)
        /// A purged log has no archived object to merge a late part into.
        public static let archiveMissing = Code(base: .archiveMissing)
        /// A store refused to append parts to a purged log because no archived text was given.
        public static let archivedContentRequired = Code(base: .archivedContentRequired)
        public static let archiveVerificationFailed = Code(base: .archiveVerificationFailed)
        public static let unknownJobClass = Code(base: .unknownJobClass)
        public static let invalidArgument = Code(base: .invalidArgument)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// A short machine-readable cause, used as a metrics label (for example `invalid_base64`).
    public var reason: String?
    /// How long to wait before trying again, for `.underMaintenance`.
    public var retryAfter: Duration?

    public init(_ code: Code, _ message: String, reason: String? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.reason = reason
        self.retryAfter = retryAfter
    }

    public var description: String { message }
}
