import Foundation
import LogsCore
import LogsStorage
import LogsTransport

/// The production store, archive and Pusher broadcaster, chosen from the configuration.
struct ProductionComponents {
    var store: any PartStore
    var archive: any Archive
    var pusher: (any Broadcaster)?

    /// Builds the PostgreSQL store from `DATABASE_URL`, the S3 archive from the `TRAVIS_S3_*` and
    /// `TRAVIS_LOG_OPTIONS_S3_BUCKET` settings, and Pusher when `TRAVIS_PUSHER_APP_ID` is set.
    ///
    /// - Throws: `S3Error` or `PusherError` with code `.invalidConfiguration` naming the missing
    ///   variables; an unconfigured archive is an error only while archiving is on.
    init(
        configuration: LogsConfiguration, applicationName: String, statementTimeout: Duration, logger: Logger,
        metrics: MetricsRegistry
    ) throws {
        let postgres = PostgresConfiguration(
            configuration: configuration, applicationName: applicationName, statementTimeout: statementTimeout)
        store = PostgresPartStore(configuration: postgres, logger: logger)

        if configuration.logs.archive || !configuration.s3.accessKeyID.isEmpty {
            archive = try S3Archive(settings: configuration.s3, logger: logger)
        } else {
            archive = UnconfiguredArchive()
        }

        if configuration.pusher.appID.isEmpty {
            pusher = nil
        } else {
            pusher = try PusherBroadcaster(settings: configuration.pusher, logger: logger, metrics: metrics)
        }
    }
}

/// The archive of a process run with `TRAVIS_LOGS_ARCHIVE=false` and no S3 settings: aggregation
/// queues no archive jobs then, and a job queued by another process fails with a clear error.
struct UnconfiguredArchive: Archive {
    private func unavailable() -> LogsError {
        LogsError(
            .invalidArgument,
            "no archive is configured; set TRAVIS_S3_ACCESS_KEY_ID, TRAVIS_S3_SECRET_ACCESS_KEY and "
                + "TRAVIS_LOG_OPTIONS_S3_BUCKET (or TRAVIS_S3_HOSTNAME)")
    }

    func store(_ content: Data, jobID: JobID) async throws { throw unavailable() }

    func objectInfo(jobID: JobID) async throws -> ArchivedObject? { throw unavailable() }

    func content(jobID: JobID) async throws -> Data? { throw unavailable() }
}
