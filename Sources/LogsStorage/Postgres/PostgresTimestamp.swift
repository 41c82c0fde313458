import Foundation

/// Converts between `Date` and the text form of `timestamp without time zone` holding UTC.
///
/// The server's default `DateStyle` (ISO) prints such values as `2026-12-04 10:06:07.123456`, with
/// the fraction left out when it is zero.
enum PostgresTimestamp {
    static func text(of date: Date) -> String {
        let totalMicroseconds = (date.timeIntervalSince1970 * 1_000_000).rounded()
        var seconds = Int((totalMicroseconds / 1_000_000).rounded(.down))
        var microseconds = Int(totalMicroseconds - Double(seconds) * 1_000_000)
        if microseconds >= 1_000_000 {
            seconds += 1
            microseconds -= 1_000_000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), microseconds)
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]`; returns nil for other shapes, such as `infinity`.
    static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: " ") else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for byte in bytes[range] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int32(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        let seconds = timegm(&parts)
        var fraction = 0.0
        if bytes.count > 20, bytes[19] == UInt8(ascii: "."), let digits = number(20..<bytes.count) {
            fraction = Double(digits) / pow(10, Double(bytes.count - 20))
        }
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
