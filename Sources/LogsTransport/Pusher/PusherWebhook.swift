import CurlClient
import Foundation
import LogsCore

/// A verified Pusher webhook request, such as the `channel_occupied` and `channel_vacated` events that
/// tell which job channels browsers watch.
public struct PusherWebhook: Sendable, Equatable {
    public struct Event: Sendable, Equatable {
        /// The event name, such as `channel_occupied`.
        public var name: String
        /// The channel, such as `job-42`; nil for events without one.
        public var channel: String?

        public init(name: String, channel: String?) {
            self.name = name
            self.channel = channel
        }
    }

    /// When Pusher sent the webhook, in milliseconds since 1970.
    public var timeMilliseconds: Int64
    public var events: [Event]
}

/// Checks webhook requests the way Pusher's libraries do.
///
/// A webhook is valid when its `X-Pusher-Key` header is the app key, its `X-Pusher-Signature` is the
/// hex HMAC-SHA256 of the raw body under the app secret, and the body is JSON with a `time_ms` within
/// 300 seconds of now. The time check rejects a captured webhook replayed later.
public struct PusherWebhookVerifier: Sendable {
    /// The maximum difference between `time_ms` and now.
    public static let maximumAge: Duration = .seconds(300)

    private let key: String
    private let secret: String
    private let clock: any LogsClock

    public init(settings: LogsConfiguration.Pusher, clock: any LogsClock = SystemClock()) {
        self.init(key: settings.key, secret: settings.secret, clock: clock)
    }

    public init(key: String, secret: String, clock: any LogsClock = SystemClock()) {
        self.key = key
        self.secret = secret
        self.clock = clock
    }

    /// Verifies a webhook request and returns its events.
    ///
    /// - Parameters:
    ///   - key: The `X-Pusher-Key` header, nil when missing.
    ///   - signature: The `X-Pusher-Signature` header, nil when missing.
    ///   - body: The raw request body, exactly as received.
    /// - Throws: `PusherError` with code `.invalidWebhook` and a message naming the failed check.
    public func verify(key: String?, signature: String?, body: Data) throws -> PusherWebhook {
        guard !secret.isEmpty, let key, Self.constantTimeEquals(Data(key.utf8), Data(self.key.utf8)) else {
            throw PusherError(code: .invalidWebhook, message: "X-Pusher-Key is missing or not the app key")
        }
        let expected = Digest.hex(Digest.hmacSHA256(key: Data(secret.utf8), message: body))
        guard let signature, Self.constantTimeEquals(Data(signature.utf8), Data(expected.utf8)) else {
            throw PusherError(
                code: .invalidWebhook, message: "X-Pusher-Signature is missing or does not match the body")
        }
        guard let json = try? JSONValue(parsing: body), json.objectValue != nil else {
            throw PusherError(code: .invalidWebhook, message: "the body is not a JSON object")
        }
        guard let time = json["time_ms"]?.doubleValue, time != 0 else {
            throw PusherError(code: .invalidWebhook, message: "time_ms is missing")
        }
        let now = clock.now().timeIntervalSince1970 * 1000
        guard abs(now - time) <= Self.maximumAge.timeInterval * 1000 else {
            throw PusherError(code: .invalidWebhook, message: "time_ms is more than 300 s from now")
        }
        let events = (json["events"]?.arrayValue ?? []).compactMap { event -> PusherWebhook.Event? in
            guard let name = event["name"]?.stringValue else { return nil }
            return PusherWebhook.Event(name: name, channel: event["channel"]?.stringValue)
        }
        return PusherWebhook(timeMilliseconds: Int64(time), events: events)
    }

    /// Compares without stopping at the first difference, so the time taken does not reveal how much
    /// of a forged signature was right.
    private static func constantTimeEquals(_ left: Data, _ right: Data) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(left, right) {
            difference |= a ^ b
        }
        return difference == 0
    }
}
