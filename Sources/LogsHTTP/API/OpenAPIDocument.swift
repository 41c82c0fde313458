import LogsCore

/// The OpenAPI 3.0 description of the API that `GET /openapi.json` serves.
///
/// A test checks that every route of `LogsAPI.makeRouter()` is described here.
enum OpenAPIDocument {
    static func make(version: String) -> JSONValue {
        [
            "openapi": "3.0.3",
            "info": [
                "title": "travis-logs", "version": .string(version.isEmpty ? "unknown" : version),
                "description": "Receives, stores, streams and serves the logs of CI jobs.",
            ],
            "paths": .object(paths),
            "components": [
                "securitySchemes": [
                    "token": [
                        "type": "apiKey", "in": "header", "name": "Authorization",
                        "description": "token <AUTH_TOKEN>",
                    ],
                    "bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT (RS512, sub = job id)"],
                    "signature": [
                        "type": "apiKey", "in": "header", "name": "Authorization",
                        "description": "token sig:<hex SHA-1 of the parts' tok values joined>",
                    ],
                ],
                "schemas": schemas,
            ],
        ]
    }

    private static var paths: [String: JSONValue] {
        [
            "/uptime": ["get": operation("Reports that the service is up.", auth: nil, ok: json(200, "Uptime"))],
            "/metrics": ["get": operation("Prometheus metrics.", auth: nil, ok: text(200, "text/plain"))],
            "/openapi.json": ["get": operation("This document.", auth: nil, ok: json(200, nil))],
            "/pusher/existence": [
                "post": operation(
                    "Pusher's channel existence webhook.", auth: nil, ok: empty(204),
                    parameters: [header("X-Pusher-Key"), header("X-Pusher-Signature")],
                    body: jsonBody(["type": "object"]), errors: [401, 413])
            ],
            "/logs/multi": [
                "post": operation(
                    "Replaces several logs' content in one transaction.", auth: "token", ok: empty(204),
                    body: jsonBody(["type": "array", "items": ref("LogUpdate")]), errors: [400, 403, 413, 500, 503])
            ],
            // PUT takes a job id and GET an id of either kind; OpenAPI allows one template per path.
            "/logs/{id}": [
                "put": operation(
                    "Replaces the content of job {id}'s log with the body; an empty body clears it.", auth: "token",
                    ok: json(200, "Log"),
                    parameters: [
                        path("id"),
                        query(
                            "removed_by",
                            ["type": "integer", "minimum": 1, "maximum": .integer(RequestParsing.maximumID)]),
                        query("clear", ["type": "boolean"]), query("source", ["type": "string"]),
                    ],
                    // Any bytes are the log's text. The schema is empty because schemathesis reads a
                    // text/plain body of `null` as JSON null, which "type": "string" forbids.
                    body: ["content": ["text/plain": ["schema": [:]]]],
                    errors: [400, 403, 413, 500, 503]),
                "get": operation(
                    "Fetches a log, aggregating its parts on demand.", auth: "token", ok: json(200, "Log"),
                    parameters: [path("id"), query("by", ["type": "string", "enum": ["id", "job_id"]])],
                    errors: [400, 403, 404, 500, 503]),
            ],
            "/logs/{job_id}/id": [
                "get": operation(
                    "Returns the id of a job's log.", auth: "token", ok: json(200, "LogID"),
                    parameters: [path("job_id")],
                    errors: [400, 403, 404, 500])
            ],
            "/logs/{job_id}/stream": [
                "get": operation(
                    "Streams the job's parts as server-sent events.", auth: "token", ok: text(200, "text/event-stream"),
                    parameters: [path("job_id"), header("Last-Event-ID", pattern: "^[0-9]{0,9}$")],
                    errors: [400, 403, 500, 501, 503])
            ],
            "/log-parts/multi": [
                "post": operation(
                    "Receives parts of any jobs, each with its own JWT.", auth: "signature", ok: empty(204),
                    body: jsonBody(["type": "array", "items": ref("MultiLogPart")]), errors: [400, 403, 413, 503])
            ],
            "/log-parts/{job_id}": [
                "get": operation(
                    "Lists a job's stored parts.", auth: "token", ok: json(200, "LogParts"),
                    parameters: [
                        path("job_id"),
                        query(
                            "after", ["type": "integer", "minimum": 0, "maximum": .integer(RequestParsing.maximumID)]),
                        query("part_numbers", ["type": "string", "pattern": "^([0-9]{1,9}(,[0-9]{1,9})*)?$"]),
                        query("require_all", ["type": "boolean"]), query("content", ["type": "boolean"]),
                    ],
                    errors: [400, 403, 404, 500, 503])
            ],
            "/log-parts/{job_id}/{number}": [
                "put": operation(
                    "Receives one part.", auth: "bearer", ok: empty(204),
                    parameters: [
                        path("job_id"),
                        [
                            "name": "number", "in": "path", "required": true,
                            "schema": ["type": "string", "pattern": "^([0-9]{1,9}|last)$"],
                        ],
                    ],
                    body: jsonBody(ref("LogPart")), errors: [400, 403, 413, 500, 503])
            ],
        ]
    }

    private static var schemas: JSONValue {
        let id: JSONValue = ["type": "integer", "minimum": 1, "maximum": .integer(RequestParsing.maximumID)]
        let optionalID: JSONValue = [
            "type": "integer", "minimum": 1, "maximum": .integer(RequestParsing.maximumID), "nullable": true,
        ]
        let time: JSONValue = ["type": "string", "nullable": true, "example": "2026-12-04 10:06:07 UTC"]
        // Workers' parts are final only for JSON true, and any other value is read as false, as the
        // original service reads them, so the schema does not restrict the type.
        let final: JSONValue = ["description": "true for the job's last part; any other value means false"]
        return [
            "Error": ["type": "object", "required": ["error"], "properties": ["error": ["type": "string"]]],
            "Uptime": [
                "type": "object",
                "properties": [
                    "uptime": ["type": "number"], "greeting": ["type": "string"], "pong": ["type": "string"],
                    "now": time, "version": ["type": "string"],
                ],
            ],
            "Log": [
                "type": "object",
                "properties": [
                    "@type": ["type": "string", "enum": ["log"]], "id": optionalID, "job_id": optionalID,
                    "content": ["type": "string", "nullable": true], "removed_by_id": optionalID,
                    "removed_by": optionalID, "created_at": time,
                    "updated_at": time, "aggregated_at": time, "archived_at": time, "purged_at": time,
                    "removed_at": time, "archive_verified": ["type": "boolean", "nullable": true],
                ],
            ],
            "LogID": ["type": "object", "properties": ["id": id, "@type": ["type": "string", "enum": ["log"]]]],
            "LogParts": [
                "type": "object",
                "properties": [
                    "@type": ["type": "string", "enum": ["log_parts"]], "job_id": id,
                    "log_parts": [
                        "type": "array",
                        "items": [
                            "type": "object",
                            "properties": [
                                "id": ["type": "integer"], "number": ["type": "integer"], "content": ["type": "string"],
                                "final": ["type": "boolean"],
                            ],
                        ],
                    ],
                ],
            ],
            "LogUpdate": [
                "type": "object", "required": ["job_id"],
                "properties": [
                    "job_id": id, "content": ["type": "string", "nullable": true], "removed_by": optionalID,
                ],
            ],
            "LogPart": [
                "type": "object", "required": ["@type", "encoding"],
                "properties": [
                    "@type": ["type": "string", "enum": ["log_part"]],
                    "encoding": ["type": "string", "enum": ["base64"]],
                    "content": ["type": "string", "format": "byte", "nullable": true], "final": final,
                ],
            ],
            "MultiLogPart": [
                // A part without a valid tok is dropped, not rejected, as in the original service.
                "type": "object", "required": ["@type", "encoding", "job_id", "number"],
                "properties": [
                    "@type": ["type": "string", "enum": ["log_part"]],
                    "encoding": ["type": "string", "enum": ["base64"]], "job_id": id,
                    "number": [
                        "oneOf": [
                            ["type": "string", "pattern": "^([0-9]{1,9}|last)$"],
                            ["type": "integer", "minimum": 0, "maximum": .integer(RequestParsing.maximumID)],
                        ]
                    ],
                    "content": ["type": "string", "format": "byte", "nullable": true], "final": final,
                    "tok": ["type": "string"],
                ],
            ],
        ]
    }

    private static func operation(
        _ summary: String, auth: String?, ok: (Int, JSONValue), parameters: [JSONValue] = [], body: JSONValue? = nil,
        errors: [Int] = []
    ) -> JSONValue {
        var responses: [String: JSONValue] = [String(ok.0): ok.1]
        for status in errors {
            responses[String(status)] = [
                "description": .string(errorDescription(status)),
                "content": ["application/json": ["schema": ref("Error")]],
            ]
        }
        var members: [String: JSONValue] = [
            "summary": .string(summary), "responses": .object(responses), "parameters": .array(parameters),
        ]
        if let auth { members["security"] = [[auth: []]] }
        if let body { members["requestBody"] = body }
        return .object(members)
    }

    private static func errorDescription(_ status: Int) -> String {
        switch status {
        case 400: return "Invalid input"
        case 401: return "Invalid webhook signature"
        case 403: return "Missing or wrong authorization"
        case 404: return "No such log"
        case 413: return "Body over the route's limit"
        case 500: return "Authentication is not configured on the server"
        case 501: return "Live streams are not configured"
        default: return "Log parts are under maintenance; see Retry-After"
        }
    }

    private static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }

    private static func json(_ status: Int, _ schema: String?) -> (Int, JSONValue) {
        let schemaValue: JSONValue = schema.map(ref) ?? ["type": "object"]
        return (status, ["description": "OK", "content": ["application/json": ["schema": schemaValue]]])
    }

    /// Returns a text response with an empty schema, because schemathesis checks each server-sent
    /// event's data against it and the stream's events carry different JSON objects.
    private static func text(_ status: Int, _ type: String) -> (Int, JSONValue) {
        (status, ["description": "OK", "content": [.init(stringLiteral: type): ["schema": [:]]]])
    }

    private static func empty(_ status: Int) -> (Int, JSONValue) {
        (status, ["description": "No content"])
    }

    private static func jsonBody(_ schema: JSONValue) -> JSONValue {
        ["required": true, "content": ["application/json": ["schema": schema]]]
    }

    private static func path(_ name: String) -> JSONValue {
        [
            "name": .string(name), "in": "path", "required": true,
            "schema": ["type": "integer", "minimum": 1, "maximum": .integer(RequestParsing.maximumID)],
        ]
    }

    private static func query(_ name: String, _ schema: JSONValue) -> JSONValue {
        ["name": .string(name), "in": "query", "required": false, "schema": schema]
    }

    private static func header(_ name: String, pattern: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "string"]
        if let pattern { schema["pattern"] = .string(pattern) }
        return ["name": .string(name), "in": "header", "required": false, "schema": .object(schema)]
    }
}
