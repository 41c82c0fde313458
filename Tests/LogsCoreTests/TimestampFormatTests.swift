import Foundation
import Testing

@testable import LogsCore

@Suite("TimestampFormat")
struct TimestampFormatTests {
    /// 2026-12-04 10:06:07 UTC.
    private static let instant = Date(timeIntervalSince1970: 1_796_378_767)

    @Test("apiString writes the original's UTC form")
    func apiString() {
        #expect(TimestampFormat.apiString(Self.instant) == "2026-12-04 10:06:07 UTC")
    }

    @Test("apiString drops fractional seconds")
    func apiStringTruncates() {
        #expect(TimestampFormat.apiString(Self.instant.addingTimeInterval(0.999)) == "2026-12-04 10:06:07 UTC")
    }

    @Test("apiString pads small fields and handles the epoch")
    func apiStringPadding() {
        #expect(TimestampFormat.apiString(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00 UTC")
        #expect(TimestampFormat.apiString(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29 00:00:00 UTC")
    }

    @Test("apiString matches Calendar on random times")
    func apiStringMatchesCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<1000 {
            // From 1970 to about 2200, with fractions of a second.
            let date = Date(timeIntervalSince1970: Double.random(in: 0..<7_300_000_000, using: &generator))
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
            let expected = String(
                format: "%04d-%02d-%02d %02d:%02d:%02d UTC", parts.year!, parts.month!, parts.day!, parts.hour!,
                parts.minute!, parts.second!)
            #expect(TimestampFormat.apiString(date) == expected, "at \(date.timeIntervalSince1970)")
        }
    }

    @Test("parse reads ISO 8601 without fractional seconds")
    func parseISO() {
        #expect(TimestampFormat.parse("2026-12-04T10:06:07Z") == Self.instant)
    }

    @Test("parse reads ISO 8601 with fractional seconds")
    func parseFractional() throws {
        let date = try #require(TimestampFormat.parse("2026-12-04T10:06:07.250Z"))

        #expect(abs(date.timeIntervalSince(Self.instant) - 0.25) < 0.000_5)
    }

    @Test("parse reads ISO 8601 with a time zone offset")
    func parseOffset() {
        #expect(TimestampFormat.parse("2026-12-04T11:06:07+01:00") == Self.instant)
    }

    @Test("parse reads the API form")
    func parseAPIForm() {
        #expect(TimestampFormat.parse("2026-12-04 10:06:07 UTC") == Self.instant)
    }

    @Test("apiString reads back through parse")
    func apiRoundTrip() {
        let date = Date(timeIntervalSince1970: 1_234_567_890)

        #expect(TimestampFormat.parse(TimestampFormat.apiString(date)) == date)
    }

    @Test(
        "parse rejects other text",
        arguments: ["", "yesterday", "2026-12-04", "2026-13-04T10:06:07Z", "2026-12-04 10:06:07", "1796378767"]
    )
    func parseRejects(text: String) {
        #expect(TimestampFormat.parse(text) == nil)
    }
}
