import Foundation

/// The work of one queued job, typed, with the original's Sidekiq class names, queues and
/// argument shapes so that mixed fleets of Ruby and Swift processes run each other's jobs.
public enum JobPayload: Sendable, Hashable {
    /// Store parts; the argument is an array of part objects (or, from older web processes, one).
    case logParts([RawLogPart])
    /// Send parts to browsers; same argument shape as `logParts`.
    case pusherForwarding([RawLogPart])
    case aggregate(LogID)
    case archive(LogID)
    case purge(LogID)
    case timingInfo(JobID)
    case partmanMaintenance

    public enum Queue {
        public static let logParts = "log_parts"
        public static let pusherForwarding = "logs.pusher_forwarding"
        public static let aggregate = "aggregate"
        public static let archive = "archive"
        public static let purge = "purge_log"
        public static let maintenance = "maintenance"
        public static let timingInfo = "timing_info"

        public static let all = [logParts, pusherForwarding, aggregate, archive, purge, maintenance, timingInfo]
    }

    public enum ClassName {
        public static let logParts = "Travis::Logs::Sidekiq::LogParts"
        public static let pusherForwarding = "Travis::Logs::Sidekiq::PusherForwarding"
        public static let aggregate = "Travis::Logs::Sidekiq::Aggregate"
        public static let archive = "Travis::Logs::Sidekiq::Archive"
        public static let purge = "Travis::Logs::Sidekiq::Purge"
        public static let timingInfo = "Travis::Logs::Sidekiq::TimingInfo"
        public static let partmanMaintenance = "Travis::Logs::Sidekiq::PartmanMaintenance"
    }

    static let uniqueClassNames: Set<String> = [ClassName.aggregate, ClassName.timingInfo]

    public var className: String {
        switch self {
        case .logParts: return ClassName.logParts
        case .pusherForwarding: return ClassName.pusherForwarding
        case .aggregate: return ClassName.aggregate
        case .archive: return ClassName.archive
        case .purge: return ClassName.purge
        case .timingInfo: return ClassName.timingInfo
        case .partmanMaintenance: return ClassName.partmanMaintenance
        }
    }

    public var queue: String {
        switch self {
        case .logParts: return Queue.logParts
        case .pusherForwarding: return Queue.pusherForwarding
        case .aggregate: return Queue.aggregate
        case .archive: return Queue.archive
        case .purge: return Queue.purge
        case .timingInfo: return Queue.timingInfo
        case .partmanMaintenance: return Queue.maintenance
        }
    }

    /// The Sidekiq `retry` option of the original's worker class.
    public var retry: JSONValue {
        self == .partmanMaintenance ? .bool(false) : .integer(3)
    }

    public var args: [JSONValue] {
        switch self {
        case .logParts(let parts), .pusherForwarding(let parts):
            return [.array(parts.map(\.jsonValue))]
        case .aggregate(let logID), .archive(let logID), .purge(let logID):
            return [.integer(logID.rawValue)]
        case .timingInfo(let jobID):
            return [.integer(jobID.rawValue)]
        case .partmanMaintenance:
            return []
        }
    }

    /// Makes the Sidekiq job that carries this payload.
    public func makeJob(at date: Date) -> Job {
        Job(className: className, queue: queue, args: args, retry: retry, createdAt: date)
    }

    /// Reads the payload of a queued job.
    ///
    /// For `logParts` and `pusherForwarding`, parts that do not parse are dropped here; use
    /// `RawLogPart.parts(fromArgument:)` to see them.
    ///
    /// - Throws: `LogsError` with code `.unknownJobClass`, or `.invalidJob` when the arguments do
    ///   not fit the class.
    public init(job: Job) throws {
        switch job.className {
        case ClassName.logParts:
            self = .logParts(try Self.parts(of: job))
        case ClassName.pusherForwarding:
            self = .pusherForwarding(try Self.parts(of: job))
        case ClassName.aggregate:
            self = .aggregate(LogID(try Self.integerArgument(of: job)))
        case ClassName.archive:
            self = .archive(LogID(try Self.integerArgument(of: job)))
        case ClassName.purge:
            self = .purge(LogID(try Self.integerArgument(of: job)))
        case ClassName.timingInfo:
            self = .timingInfo(JobID(try Self.integerArgument(of: job)))
        case ClassName.partmanMaintenance:
            self = .partmanMaintenance
        default:
            throw LogsError(.unknownJobClass, "no handler for job class \"\(job.className)\" (jid \(job.jid))")
        }
    }

    private static func parts(of job: Job) throws -> [RawLogPart] {
        guard let results = RawLogPart.parts(of: job) else {
            throw LogsError(.invalidJob, "\(job.className) job \(job.jid) has no argument")
        }
        return results.compactMap { try? $0.get() }
    }

    private static func integerArgument(of job: Job) throws -> Int64 {
        let argument = job.args.first
        if let value = argument?.integerValue { return value }
        if let text = argument?.stringValue, let value = Int64(text) { return value }
        throw LogsError(.invalidJob, "\(job.className) job \(job.jid) needs one integer argument")
    }
}
