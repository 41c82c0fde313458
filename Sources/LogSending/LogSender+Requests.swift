import CurlClient
import Foundation
import LogsCore

extension LogSender {
    /// Builds the request for one batch, signing fresh part tokens so that a retry never carries an
    /// expired one.
    func makeRequest(_ parts: [OutgoingLogPart]) -> HTTPRequest {
        switch settings.authentication {
        case .token(let token):
            precondition(parts.count == 1, "PUT /log-parts carries one part")
            return putRequest(parts[0], token: token)
        case .partTokens(let signer):
            return multiRequest(parts, signer: signer)
        }
    }

    /// `PUT /log-parts/:job_id/:number` with `{@type: log_part, encoding: base64, content, final}`.
    private func putRequest(_ part: OutgoingLogPart, token: String) -> HTTPRequest {
        let body: JSONValue = [
            "@type": "log_part",
            "encoding": "base64",
            "content": .string(part.content.base64EncodedString()),
            "final": .bool(part.isFinal),
        ]
        return HTTPRequest(
            method: "PUT", url: endpoint("log-parts/\(settings.jobID.rawValue)/\(part.number)"),
            headers: [("Content-Type", "application/json"), ("Authorization", "token \(token)")],
            body: body.jsonData())
    }

    /// `POST /log-parts/multi` with each part's own token in `tok` and `token sig:` over them all.
    private func multiRequest(_ parts: [OutgoingLogPart], signer: PartTokenSigner) -> HTTPRequest {
        let tokens = parts.map { _ in signer.token(jobID: settings.jobID) }
        let items: [JSONValue] = zip(parts, tokens).map { part, token in
            [
                "@type": "log_part",
                "job_id": .integer(settings.jobID.rawValue),
                "number": .integer(Int64(part.number)),
                "encoding": "base64",
                "content": .string(part.content.base64EncodedString()),
                "final": .bool(part.isFinal),
                "tok": .string(token),
            ]
        }
        return HTTPRequest(
            method: "POST", url: endpoint("log-parts/multi"),
            headers: [
                ("Content-Type", "application/json"),
                ("Authorization", PartTokenSigner.signatureHeader(tokens: tokens)),
            ],
            body: JSONValue.array(items).jsonData())
    }

    /// Joins `path` to the base URL, keeping a path prefix such as `/logs-api` when it has one.
    func endpoint(_ path: String) -> String {
        var base = settings.baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/" + path
    }
}
