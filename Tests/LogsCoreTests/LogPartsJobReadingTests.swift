import Foundation
import Testing

@testable import LogsCore

/// `Job.read(payload:)` keeps a fetched job's `args` as text, and `RawLogPart.parts(of:)` reads
/// the parts straight from it. Both must give what reading the whole job with Foundation gives.
@Suite("log_parts job reading")
struct LogPartsJobReadingTests {
    /// Returns a part's JSON in the drain's form, with sorted keys and base64 content.
    static func base64Part(job: Int, number: String, content: [UInt8], final: Bool = false) -> String {
        let encoded = Data(content).base64EncodedString()
        return #"{"encoding":"base64","final":\#(final),"id":\#(job),"log":"\#(encoded)","number":\#(number)}"#
    }

    static func payload(arguments: String, className: String = JobPayload.ClassName.logParts) -> String {
        #"{"args":\#(arguments),"class":"\#(className)","created_at":1780000000.5,"#
            + #""enqueued_at":1780000000.75,"jid":"0123456789abcdef01234567","queue":"log_parts","retry":3}"#
    }

    /// Reads a job's parts the slow way, with Foundation for the payload and then
    /// `RawLogPart(json:)` for each part object.
    static func foundationParts(of payload: String) throws -> [Result<RawLogPart, LogsError>]? {
        let job = try Job(jsonData: Data(payload.utf8))
        return job.args.first.map(RawLogPart.parts(fromArgument:))
    }

    /// Describes the results as text, because `LogsError` is not `Equatable`.
    static func describe(_ results: [Result<RawLogPart, LogsError>]?) -> [String]? {
        results?.map { result in
            switch result {
            case .success(let part): return "part \(part)"
            case .failure(let error): return "error \(error.reason ?? "") \(error.message)"
            }
        }
    }

    /// Arguments of every shape that the parts reader handles, each compared with Foundation's reading.
    static let argumentShapes: [String] = [
        "[[" + base64Part(job: 1, number: "1", content: Array("hello\r\n".utf8)) + "]]",
        "[[" + base64Part(job: 1, number: "1", content: [0x41]) + ","
            + base64Part(job: 2, number: #""last""#, content: [0xFF, 0xFE, 0x41], final: true) + "]]",
        #"[{"id":7,"log":"one part, not in a list","number":3}]"#,
        #"[[{"id":"7","log":"digits as strings","number":"12"}]]"#,
        #"[[{"id":1,"number":2}]]"#,
        #"[[{"number":2,"log":"no id"},{"id":1,"log":"no number"},{"id":1,"number":2,"log":"ok"}]]"#,
        #"[[5, "text", null, [1], {"id":1,"number":1,"log":"after non-objects"}]]"#,
        #"[[{"id":0,"number":1},{"id":-1,"number":1},{"id":2147483648,"number":1},{"id":1.5,"number":1}]]"#,
        #"[[{"id":1,"number":-1},{"id":1,"number":"x"},{"id":1,"number":2147483647},{"id":1,"number":null}]]"#,
        #"[[{"id":1,"number":1,"log":5},{"id":1,"number":1,"encoding":"gzip"},{"id":1,"number":1,"encoding":null}]]"#,
        #"[[{"id":1,"id":2,"number":1,"number":2,"log":"first wins","log":"second"}]]"#,
        #"[[{"id":null,"id":2,"number":1}]]"#,
        #"[[{"\u0069d":3,"num\u0062er":4,"l\u006fg":"escaped names"}]]"#,
        #"[[{"id":1,"number":1,"log":"tab\tquote\"backslash\\slash\/u\u00e9\ud83d\ude00é日本"}]]"#,
        #"[[{"id":1,"number":1,"final":true},{"id":1,"number":2,"final":"true"},{"id":1,"number":3,"final":1}]]"#,
        #"[[{"id":1,"number":1,"uuid":"u-1","queued_at":"2026-12-04T10:06:07Z","meta":{"a":[1,2.5,{"b":null}]}}]]"#,
        #"[[{"id":1,"number":1,"uuid":5,"queued_at":false,"meta":"text"}]]"#,
        #"[[{"id":1,"number":1,"extra":{"deep":[[[{"x":"y"}]]]},"ignored":[true,false,null,-0.25]}]]"#,
        #"[[{"id":1,"number":1,"ид":"non-ASCII name","log":"x"}]]"#,
        #"[[{"id":1,"number":1}], "second argument", {"third":[1,2]}]"#,
        "[[]]",
        "[]",
        "[5]",
        "[null]",
        #"[ [ { "id" : 1 , "number" : 1 , "log" : "spaces" } ] ]"#,
        // Left to Foundation by the fast reader: an exponent and a trailing comma.
        #"[[{"id":1,"number":1,"meta":{"n":1e3}}]]"#,
        #"[[{"id":1,"number":1},]]"#,
    ]

    @Test("job read from payload equals Foundation's", arguments: argumentShapes)
    func jobEqualsFoundation(arguments: String) throws {
        let payload = Self.payload(arguments: arguments)
        let expected = try Job(jsonData: Data(payload.utf8))
        let read = try Job.read(payload: payload) ?? Job(jsonData: Data(payload.utf8))

        #expect(read == expected)
        #expect(read.args == expected.args)
        #expect(read.className == expected.className)
        #expect(read.jid == expected.jid)
        #expect(read.enqueuedAt == expected.enqueuedAt)
    }

    @Test("parts read from payload equal Foundation's", arguments: argumentShapes)
    func partsEqualFoundation(arguments: String) throws {
        let payload = Self.payload(arguments: arguments)
        let job = try #require(try Job.read(payload: payload) ?? Job(jsonData: Data(payload.utf8)))

        #expect(Self.describe(RawLogPart.parts(of: job)) == Self.describe(try Self.foundationParts(of: payload)))
    }

    @Test("drain-shaped job keeps its arguments as text")
    func argumentsStayText() throws {
        let payload = Self.payload(arguments: Self.argumentShapes[0])
        let job = try #require(try Job.read(payload: payload))

        #expect(job.arguments.encoded != nil)
    }

    @Test("changed arguments are no longer read from the payload")
    func changedArguments() throws {
        var job = try #require(try Job.read(payload: Self.payload(arguments: Self.argumentShapes[0])))
        job.args = [.array([["id": 9, "number": 1, "log": "replaced"]])]

        #expect(job.arguments.encoded == nil)
        let parts = try #require(RawLogPart.parts(of: job)).map { try $0.get() }
        #expect(parts.map(\.log) == ["replaced"])
    }

    @Test(
        "invalid job payloads fail as with Foundation",
        arguments: [
            #"{"args":5,"class":"C","jid":"j","queue":"q"}"#,
            #"{"class":"C","jid":"j","queue":"q"}"#,
            #"{"args":[],"jid":"j","queue":"q"}"#,
            #"{"args":[[{"id":1}]],"class":"C","queue":"q"}"#,
            #"{"args":[[{"id":1}]],"class":"C","jid":"j"}"#,
        ])
    func invalidJobs(payload: String) throws {
        let foundationError = #expect(throws: LogsError.self) { try Job(jsonData: Data(payload.utf8)) }
        let readError = #expect(throws: LogsError.self) { try Job.read(payload: payload) }

        #expect(readError?.message == foundationError?.message)
    }

    @Test("repeated args key keeps the first value")
    func repeatedArguments() throws {
        let payload =
            #"{"args":[[{"id":1,"number":1}]],"args":[[{"id":2,"number":2}]],"class":"C","jid":"j","queue":"q"}"#
        let read = try #require(try Job.read(payload: payload))

        #expect(read == (try Job(jsonData: Data(payload.utf8))))
        #expect(try RawLogPart.parts(of: read)?.map { try $0.get().jobID } == [JobID(1)])
    }

    @Test("nesting at the depth limit", arguments: [60, 61, 62, 63, 64])
    func depthLimit(depth: Int) throws {
        let meta = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let payload = Self.payload(arguments: #"[[{"id":1,"number":1,"meta":\#(meta)}]]"#)
        let wholeDocument = Array(payload.utf8).withUnsafeBufferPointer { JSONValueReader.read($0) }
        let read = try Job.read(payload: payload)

        #expect((read == nil) == (wholeDocument == nil))
        if let read {
            #expect(Self.describe(RawLogPart.parts(of: read)) == Self.describe(try Self.foundationParts(of: payload)))
        }
    }

    @Test("special bytes at every offset", arguments: Array(0..<17))
    func specialBytesAtEveryOffset(offset: Int) throws {
        let specials = [#"\""#, #"\\"#, #"\n"#, #"\u0000"#, "é", "日", "\u{7F}", "~", " "]
        for special in specials {
            let text = String(repeating: "a", count: offset) + special + String(repeating: "b", count: 20)
            let payload = Self.payload(arguments: #"[[{"id":1,"number":1,"log":"\#(text)","k\#(text)":"\#(text)"}]]"#)
            let job = try #require(try Job.read(payload: payload), "special \(special)")

            #expect(job == (try Job(jsonData: Data(payload.utf8))), "special \(special)")
            #expect(
                Self.describe(RawLogPart.parts(of: job)) == Self.describe(try Self.foundationParts(of: payload)),
                "special \(special)")
        }
        // A raw control character is invalid JSON at any offset.
        let control = String(repeating: "a", count: offset) + "\u{1}" + String(repeating: "b", count: 20)
        let invalid = Self.payload(arguments: #"[[{"id":1,"number":1,"log":"\#(control)"}]]"#)
        #expect(try Job.read(payload: invalid) == nil)
    }

    @Test("bad parts are dropped and the rest of the batch is stored")
    func badPartsKeepTheRest() async throws {
        let harness = PipelineHarness()
        let parts = [
            Self.base64Part(job: 5, number: "1", content: Array("valid\n".utf8)),
            // Invalid UTF-8 becomes U+FFFD.
            Self.base64Part(job: 5, number: "2", content: [0x61, 0xFF, 0xFE, 0x62]),
            // NUL bytes are removed.
            Self.base64Part(job: 5, number: "3", content: [0x6E, 0x00, 0x75, 0x00, 0x6C]),
            Self.base64Part(job: 5, number: #""last""#, content: Array("done".utf8), final: true),
            #"{"encoding":"base64","id":5,"log":"not base64!","number":5}"#,
            #"{"encoding":"base64","id":5,"log":"QUJDR","number":6}"#,
            #"{"id":5,"log":"no number"}"#,
            #"{"log":"no id","number":8}"#,
            #"{"id":5,"number":9,"log":"text \u0000with NUL"}"#,
            #"[1]"#,
        ]
        let payload = Self.payload(arguments: "[[" + parts.joined(separator: ",") + "]]")
        let job = try #require(try Job.read(payload: payload))

        #expect(try await harness.pipeline.dispatcher.perform(job) == .done)

        let stored = await harness.store.allParts().sorted { $0.number < $1.number }
        #expect(stored.map(\.number) == [1, 2, 3, 9, PartNumber.lastValue])
        #expect(stored.map(\.content) == ["valid\n", "a\u{FFFD}\u{FFFD}b", "nul", "text with NUL", "done"])
        #expect(stored.last?.isFinal == true)
        let dropped = { (reason: String) in
            harness.metrics.counter("travis_logs_parts_dropped_total", labels: ["reason": reason]).value
        }
        #expect(dropped("invalid_base64") == 2)
        #expect(dropped("invalid_number") == 1)
        #expect(dropped("missing_job_id") == 1)
        #expect(dropped("not_an_object") == 1)
    }

    @Test("job without arguments is invalid")
    func noArguments() async throws {
        let harness = PipelineHarness()
        let job = try #require(try Job.read(payload: Self.payload(arguments: "[]")))

        let error = await #expect(throws: LogsError.self) { try await harness.pipeline.dispatcher.perform(job) }
        #expect(error?.code == .invalidJob)
    }
}
