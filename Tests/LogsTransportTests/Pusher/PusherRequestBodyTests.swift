import Foundation
import LogsCore
import Testing

@testable import LogsTransport

/// The Pusher request body and the live channel message are written by `JSONValueWriter`, so these
/// tests compare them with the bytes that Foundation's encoder (`JSONValue.jsonData()`) writes.
@Suite("Pusher request body")
struct PusherRequestBodyTests {
    static let contents = [
        "line\n", "\u{1B}[32mcaf\u{E9} \u{2713}\u{1B}[0m\r\n", "quote \" backslash \\ slash /",
        "\u{0}\u{1}\u{1F}\u{7F}",
        "tab\tform\u{0C}back\u{08}", "\u{1F600} \u{10FFFF}", "",
    ]

    static func event(_ number: Int, content: String) -> LogPartEvent {
        LogPartEvent(channel: "job-77", jobID: JobID(77), content: content, number: number, isFinal: number == 3)
    }

    @Test("one event body equals Foundation's", arguments: contents)
    func oneEvent(content: String) throws {
        let event = Self.event(1, content: content)

        let (path, body) = PusherBroadcaster.request(for: [event], appID: "4242")

        let expected = JSONValue.object([
            "name": .string(LogPartEvent.eventName), "channels": .array([.string(event.channel)]),
            "data": .string(String(decoding: event.data(), as: UTF8.self)),
        ])
        #expect(path == "/apps/4242/events")
        #expect(body == expected.jsonData())
    }

    @Test("batch body equals Foundation's")
    func batch() throws {
        let events = Self.contents.enumerated().map { Self.event($0.offset + 1, content: $0.element) }

        let (path, body) = PusherBroadcaster.request(for: events[...], appID: "4242")

        let batch = events.map { event in
            JSONValue.object([
                "channel": .string(event.channel), "name": .string(LogPartEvent.eventName),
                "data": .string(String(decoding: event.data(), as: UTF8.self)),
            ])
        }
        #expect(path == "/apps/4242/batch_events")
        #expect(body == JSONValue.object(["batch": .array(batch)]).jsonData())
    }

    @Test("live channel message equals event data", arguments: contents)
    func liveChannelMessage(content: String) {
        let event = Self.event(3, content: content)

        #expect(RedisLiveChannel.message(for: event) == String(decoding: event.data(), as: UTF8.self))
    }

    @Test("short content is never cut")
    func shortContentIsNotCut() {
        // Every byte a control character, which JSON writes as six bytes, at the longest content
        // that the size check passes without serializing.
        let content = String(repeating: "\u{1}", count: (LogPartEvent.maximumDataSize - 100) / 6)
        let event = Self.event(1, content: content)

        let (limited, wasCut) = event.truncated()

        #expect(!wasCut)
        #expect(limited == event)
        #expect(event.data().count <= LogPartEvent.maximumDataSize)
    }

    @Test(
        "job id read from channel message",
        arguments: [
            "plain text", "a \"id\":5, quoted", "ends with a backslash \\", "{\"id\": 9}", "\u{1}\u{7f} and é",
        ])
    func jobIDFromMessage(content: String) {
        let message = RedisLiveChannel.message(for: Self.event(1, content: content))

        #expect(RedisLiveChannel.jobID(inMessage: message) == JobID(77))
    }

    @Test(
        "job id not read from other messages",
        arguments: [
            "", "[]", "{}", "not json", #"{"_log":"x","number":1}"#, #"{"id":0,"_log":"x"}"#, #"{"id":-4}"#,
            #"{"id":"3"}"#, #"{"id":3.5}"#, #"{"nested":{"id":3},"id":4}"#, #"{"_log":"unterminated"#,
        ])
    func noJobIDFromOtherMessages(message: String) {
        #expect(RedisLiveChannel.jobID(inMessage: message) == nil)
    }

    @Test("job id read with whitespace and member order")
    func jobIDWithWhitespace() {
        #expect(RedisLiveChannel.jobID(inMessage: #" { "final" : true , "id" : 12 , "_log" : "a" } "#) == JobID(12))
        #expect(RedisLiveChannel.jobID(inMessage: #"{"number":2,"id":7}"#) == JobID(7))
    }
}
