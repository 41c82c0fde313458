import Foundation

/// The timestamp forms the service reads and writes.
public enum TimestampFormat {
    /// Formats a time as the original's JSON does: `2026-12-04 10:06:07 UTC`.
    public static func apiString(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d UTC", parts.year!, parts.month!, parts.day!, parts.hour!,
            parts.minute!, parts.second!)
    }

    /// Parses ISO 8601 (with or without fractional seconds) or the API form.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        let apiForm = Date.ISO8601FormatStyle(dateTimeSeparator: .space, timeZone: .gmt)
        if text.hasSuffix(" UTC"), let date = try? apiForm.parse(String(text.dropLast(4)) + "Z") { return date }
        return nil
    }
}
