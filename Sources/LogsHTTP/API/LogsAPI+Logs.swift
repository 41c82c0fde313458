import Foundation
import LogsCore

extension LogsAPI {
    func addLogRoutes(to router: inout Router) {
        let logLimit = settings.maximumLogBodySize
        router.add("PUT", "/logs/:job_id", maximumBodySize: logLimit) { request in try await putLog(request) }
        router.add("POST", "/logs/multi", maximumBodySize: logLimit) { request in try await postLogs(request) }
        router.add("GET", "/logs/:id", prepare: prepareGetLog) { request in try await getLog(request) }
        router.add("GET", "/logs/:job_id/id") { request in try await getLogID(request) }
    }

    /// `PUT /logs/:job_id[?removed_by=N]`: replaces the content with the raw body; an empty body or
    /// `clear=1` clears it. `source` is accepted and ignored.
    private func putLog(_ request: HTTPRequest) async throws -> HTTPResponse {
        try authenticator.requireToken(request)
        let jobID = try RequestParsing.jobID(request)
        let removedBy = try request.query["removed_by"].map { text throws(HTTPError) in
            try RequestParsing.id(text, name: "removed_by")
        }
        let clears = try RequestParsing.flag(request, "clear") ?? false
        guard clears || String(data: request.body, encoding: .utf8) != nil || request.body.isEmpty else {
            throw HTTPError.rejected(400, "the log content must be UTF-8 text")
        }
        try await checkMaintenance()
        let content =
            clears ? nil : String(decoding: request.body, as: UTF8.self).replacingOccurrences(of: "\0", with: "")
        let log = try await pipeline.updater.update(
            LogContentUpdate(jobID: jobID, content: content?.isEmpty == true ? nil : content, removedBy: removedBy))
        return .json(LogJSON.stored(log))
    }

    /// `POST /logs/multi`: `[{job_id, content, removed_by?}]` in one transaction; 204.
    private func postLogs(_ request: HTTPRequest) async throws -> HTTPResponse {
        try authenticator.requireToken(request)
        let items = try RequestParsing.json(request)
        guard let elements = items.arrayValue else {
            throw HTTPError.rejected(400, "the body must be a JSON array of {job_id, content, removed_by} objects")
        }
        var updates: [LogContentUpdate] = []
        for (index, element) in elements.enumerated() {
            updates.append(try logUpdate(element, index: index))
        }
        try await checkMaintenance()
        if !updates.isEmpty {
            _ = try await pipeline.updater.updateAll(updates)
        }
        return .empty(204)
    }

    private func logUpdate(_ element: JSONValue, index: Int) throws(HTTPError) -> LogContentUpdate {
        guard element.objectValue != nil, let jobID = Self.digits(element["job_id"]) else {
            throw .rejected(400, "item \(index) needs a job_id from 1 to \(RequestParsing.maximumID)")
        }
        let content: String?
        switch element["content"] {
        case nil, .null: content = nil
        case .string(let text): content = text.isEmpty ? nil : text.replacingOccurrences(of: "\0", with: "")
        default: throw .rejected(400, "item \(index) has a content that is not a string")
        }
        var removedBy: Int64?
        if let value = element["removed_by"], value != .null {
            guard let parsed = Self.digits(value) else {
                throw .rejected(400, "item \(index) has a removed_by that is not a user id")
            }
            removedBy = parsed
        }
        return LogContentUpdate(jobID: JobID(jobID), content: content, removedBy: removedBy)
    }

    /// Reads an id given as a JSON integer or a string of digits, as the original accepts both.
    static func digits(_ value: JSONValue?) -> Int64? {
        switch value {
        case .integer(let number): return (1...RequestParsing.maximumID).contains(number) ? number : nil
        case .string(let text): return try? RequestParsing.id(text, name: "id")
        default: return nil
        }
    }

    /// Serves a kept `GET /logs/:id` body without a task when the row version read for the request
    /// equals the kept one.
    ///
    /// The version read completes the request from the thread that read it. Requests without a
    /// kept body, with a bad token or id, or whose row changed go to `getLog`, which responds to
    /// them and keeps the new body. The maintenance switch is not read here, because a kept body
    /// depends on the aggregated row alone and `getLog` serves it under maintenance too.
    // NOTE: so while the switch cannot be read (Redis down), kept bodies are still served here,
    // where `getLog` returns 500 for the same request.
    private func prepareGetLog(_ request: HTTPRequest) -> Router.Preparation {
        guard let lookup = try? logLookup(request), let kept = renderedLogs.entry(for: lookup) else {
            return .runHandler
        }
        let fetcher = pipeline.fetcher
        return .suspend { completion in
            let isChecking = fetcher.checkUnchanged(lookup, version: kept.version) { isUnchanged in
                if isUnchanged {
                    completion.respond(kept.response)
                } else {
                    completion.runHandler()
                }
            }
            if !isChecking { completion.runHandler() }
        }
    }

    /// Checks the token and reads the `GET /logs/:id` lookup from the path and `by`.
    private func logLookup(_ request: HTTPRequest) throws(HTTPError) -> LogFetcher.Lookup {
        try authenticator.requireToken(request)
        switch request.query["by"] ?? "job_id" {
        case "job_id": return .jobID(JobID(try RequestParsing.id(request.pathParameters["id"], name: "id")))
        case "id": return .id(LogID(try RequestParsing.id(request.pathParameters["id"], name: "id")))
        case let other: throw .rejected(400, "by must be id or job_id, got \(RequestParsing.shown(other))")
        }
    }

    /// `GET /logs/:id[?by=id|job_id]`: the log with its content aggregated on demand; `by`
    /// defaults to `job_id`.
    private func getLog(_ request: HTTPRequest) async throws -> HTTPResponse {
        let lookup = try logLookup(request)
        let underMaintenance = try await pipeline.maintenance.isEnabled()
        let cached = renderedLogs.entry(for: lookup)
        let result = try await pipeline.fetcher.fetch(
            lookup, aggregateOnDemand: !underMaintenance, unlessVersion: cached?.version)
        switch result {
        case .unchanged:
            // The fetcher reports unchanged only when given a version, and that came from `cached`.
            guard let cached else {
                throw HTTPError.rejected(500, "internal error: the log is unchanged, but no response was kept")
            }
            return cached.response
        case .fetched(nil, _):
            renderedLogs.remove(lookup)
            return .error(404, "no log found for \(request.query["by"] ?? "job_id") \(request.pathParameters["id"]!)")
        case .fetched(let log?, let version):
            return try await response(for: log, version: version, lookup: lookup, underMaintenance: underMaintenance)
        }
    }

    /// Renders a fetched log, and keeps the body when the log has a row version.
    private func response(
        for log: FetchedLog, version: LogRowVersion?, lookup: LogFetcher.Lookup, underMaintenance: Bool
    ) async throws -> HTTPResponse {
        if underMaintenance, log.kind == .stored, log.aggregatedAt == nil || log.content == nil {
            // Aggregating on demand reads log_parts, which maintenance locks.
            try await checkMaintenance()
        }
        let body = JSONWriter.data(LogJSON.fetched(log))
        guard let version else {
            renderedLogs.remove(lookup)
            return .json(encoded: body)
        }
        let buffer = ResponseBuffer(copying: body)
        return renderedLogs.store(buffer, version: version, for: lookup)
    }

    /// `GET /logs/:job_id/id`: `{id, @type: log}`.
    private func getLogID(_ request: HTTPRequest) async throws -> HTTPResponse {
        try authenticator.requireToken(request)
        let jobID = try RequestParsing.jobID(request)
        guard let logID = try await pipeline.fetcher.logID(forJobID: jobID) else {
            return .error(404, "no log found for job \(jobID)")
        }
        return .json(["id": .integer(logID.rawValue), "@type": "log"])
    }
}
