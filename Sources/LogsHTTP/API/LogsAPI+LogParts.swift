import Foundation
import LogsCore

extension LogsAPI {
    func addLogPartRoutes(to router: inout Router) {
        router.add("GET", "/log-parts/:job_id") { request in try await getLogParts(request) }
        router.add("PUT", "/log-parts/:job_id/:number") { request in try await putLogPart(request) }
        router.add("POST", "/log-parts/multi") { request in try await postLogParts(request) }
    }

    /// `GET /log-parts/:job_id[?after=N&part_numbers=1,2&require_all=true&content=false]`.
    ///
    /// As in the original, an ignored job lists one "temporarily unavailable" part, a job below
    /// the archive-spoofing minimum lists none, an aggregated log lists one "log aggregated" part,
    /// and `require_all` with a listed part missing lists one "temporarily unavailable" part.
    private func getLogParts(_ request: HTTPRequest) async throws -> HTTPResponse {
        try authenticator.requireToken(request)
        try await checkMaintenance()
        let jobID = try RequestParsing.jobID(request)
        let query = LogPartsQuery(
            after: try RequestParsing.optionalInteger(request, "after"),
            numbers: try RequestParsing.partNumbers(request, "part_numbers"),
            includesContent: try RequestParsing.flag(request, "content") ?? true)
        let requireAll = try RequestParsing.flag(request, "require_all") ?? false
        guard let parts = try await listedParts(jobID: jobID, query: query, requireAll: requireAll) else {
            return .error(404, "no log found for job \(jobID)")
        }
        return .json(["@type": "log_parts", "log_parts": .array(parts), "job_id": .integer(jobID.rawValue)])
    }

    private func listedParts(jobID: JobID, query: LogPartsQuery, requireAll: Bool) async throws -> [JSONValue]? {
        let unavailable = FetchedLog.temporarilyUnavailableText
        if try await pipeline.ignoredIDs.isIgnored(jobID: jobID) {
            return [LogJSON.standInPart(logID: nil, content: unavailable)]
        }
        let minimum = Int64(pipeline.configuration.logs.archiveSpoofing.minAcceptedJobID)
        if jobID.rawValue < minimum { return [] }
        guard let logID = try await pipeline.fetcher.logID(forJobID: jobID) else { return nil }
        if let log = try await pipeline.store.log(id: logID), log.aggregatedAt != nil {
            return [LogJSON.standInPart(logID: logID, content: "log aggregated")]
        }
        switch try await pipeline.fetcher.parts(jobID: jobID, query: query, requireAll: requireAll) {
        case .parts(let parts): return parts.map(LogJSON.part)
        case .missingParts: return [LogJSON.standInPart(logID: logID, content: unavailable)]
        case .logNotFound: return nil
        }
    }

    /// `PUT /log-parts/:job_id/:number`: one part, `{@type: log_part, encoding: base64, content,
    /// final}`, authorized by a bearer JWT for the job or the token; 204.
    private func putLogPart(_ request: HTTPRequest) async throws -> HTTPResponse {
        let header = try requireAuthorizationHeader(request)
        try await checkMaintenance()
        let jobID = try RequestParsing.jobID(request)
        let number = try RequestParsing.partNumber(request.pathParameters["number"])
        if header.hasPrefix("Bearer ") {
            try authenticator.requireJWT(String(header.dropFirst(7)), jobID: jobID)
        } else if header.hasPrefix("token sig:") {
            throw HTTPError.rejected(403, "token sig: authorizes POST /log-parts/multi only")
        } else if header.hasPrefix("token ") {
            try authenticator.requireToken(request)
        } else {
            throw HTTPError.rejected(403, "the Authorization header must be Bearer <JWT> or token <token>")
        }
        let body = try RequestParsing.json(request)
        guard body.objectValue != nil else { throw HTTPError.rejected(400, "the body must be a JSON object") }
        guard body["@type"] == "log_part" else { throw HTTPError.rejected(400, "@type should be log_part") }
        guard body["encoding"] == "base64" else { throw HTTPError.rejected(400, "invalid encoding") }
        let content = try base64Content(body["content"], description: "content")
        let part = RawLogPart(
            jobID: jobID, log: content, number: number, isFinal: body["final"] == .bool(true), encoding: "base64")
        try await pipeline.enqueue([part])
        return .empty(204)
    }

    /// `POST /log-parts/multi`: parts of any jobs, each with its own JWT in `tok`, authorized by
    /// `token sig:` or the token. Parts whose `tok` is invalid are dropped, counted and logged; 204.
    private func postLogParts(_ request: HTTPRequest) async throws -> HTTPResponse {
        let header = try requireAuthorizationHeader(request)
        try await checkMaintenance()
        let body = try RequestParsing.json(request)
        guard let items = body.arrayValue else {
            throw HTTPError.rejected(400, "the body must be a JSON array of log parts")
        }
        if header.hasPrefix("token sig:") {
            try authenticator.requireSignature(header, tokens: items.map(Self.tokenText))
        } else if header.hasPrefix("token ") {
            try authenticator.requireToken(request)
        } else {
            throw HTTPError.rejected(403, "the Authorization header must be token sig:<signature> or token <token>")
        }
        var accepted: [RawLogPart] = []
        for (index, item) in items.enumerated() {
            let part = try multiPart(item, index: index)
            if let failure = authenticator.partTokenFailure(Self.tokenText(item), jobID: part.jobID) {
                dropUnauthorized(part, failure: failure)
                continue
            }
            accepted.append(part)
        }
        try await pipeline.enqueue(accepted)
        return .empty(204)
    }

    private func requireAuthorizationHeader(_ request: HTTPRequest) throws(HTTPError) -> String {
        guard let header = request.header("Authorization") else {
            throw .rejected(403, "the Authorization header is missing")
        }
        return header
    }

    private func multiPart(_ item: JSONValue, index: Int) throws(HTTPError) -> RawLogPart {
        guard item.objectValue != nil, item["@type"] == "log_part" else {
            throw .rejected(400, "part \(index): @type should be log_part")
        }
        guard item["encoding"] == "base64" else { throw .rejected(400, "part \(index): invalid encoding") }
        guard let jobID = Self.digits(item["job_id"]) else {
            throw .rejected(400, "part \(index): job_id must be an integer from 1 to \(RequestParsing.maximumID)")
        }
        let number: PartNumber
        switch item["number"] {
        case .string(let text): number = try RequestParsing.partNumber(text)
        case .integer(let value): number = try RequestParsing.partNumber(String(value))
        default: throw .rejected(400, "part \(index): number must be an integer or \"last\"")
        }
        if let token = item["tok"], token.stringValue == nil {
            throw .rejected(400, "part \(index): tok must be a string")
        }
        let content = try base64Content(item["content"], description: "part \(index): content")
        return RawLogPart(
            jobID: JobID(jobID), log: content, number: number, isFinal: item["final"] == .bool(true),
            encoding: "base64")
    }

    private func base64Content(_ value: JSONValue?, description: String) throws(HTTPError) -> String {
        let text: String
        switch value {
        case nil, .null: text = ""
        case .string(let string): text = string
        default: throw .rejected(400, "\(description) must be a base64 string")
        }
        let probe = RawLogPart(jobID: JobID(1), log: text, number: .number(0), encoding: "base64")
        guard (try? PartNormalizer().contentBytes(of: probe)) != nil else {
            throw .rejected(400, "\(description) is not valid base64")
        }
        return text
    }

    private func dropUnauthorized(_ part: RawLogPart, failure: Authenticator.Failure) {
        pipeline.metrics.counter(
            "travis_logs_parts_dropped_total", labels: ["reason": "unauthorized_\(failure.reason)"],
            help: "Log parts that could never be stored."
        ).increment()
        pipeline.logger.warning(
            "dropped unauthorized log part",
            metadata: [
                "job_id": "\(part.jobID)", "number": "\(part.number.storedValue)", "reason": "\(failure.reason)",
            ])
    }

    /// Returns a part's `tok` as the signature covers it: strings as they are, other values as text.
    static func tokenText(_ item: JSONValue) -> String {
        switch item["tok"] {
        case nil, .null: return ""
        case .string(let text): return text
        case .some(let other): return other.jsonString()
        }
    }
}
