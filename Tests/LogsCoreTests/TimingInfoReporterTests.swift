import Foundation
import Testing

@testable import LogsCore

@Suite("TimingInfoReporter")
struct TimingInfoReporterTests {
    private static func start(_ id: String) -> String {
        "travis_time:start:\(id)\r\u{1B}[0K"
    }

    private static func end(_ id: String, nanoseconds: Int64) -> String {
        "travis_time:end:\(id):start=1567005287739470615,finish=1567005287980185010,duration=\(nanoseconds),"
            + "stage=setup\r\u{1B}[0K"
    }

    @Test("matched markers give one timing")
    func matchedPair() {
        let log =
            "header\n" + Self.start("1c26be1a") + "$ make\r\nok\r\n" + Self.end("1c26be1a", nanoseconds: 240_714_395)

        let timings = TimingInfoReporter.timings(in: log)

        #expect(timings == [TimingInfoReporter.Timing(timerID: "1c26be1a", duration: .nanoseconds(240_714_395))])
    }

    @Test("marker at the very start of the log is read")
    func markerAtStart() {
        let log = Self.start("1c26be1a") + "$ make\r\n" + Self.end("1c26be1a", nanoseconds: 240_714_395)

        let timings = TimingInfoReporter.timings(in: log)

        #expect(timings == [TimingInfoReporter.Timing(timerID: "1c26be1a", duration: .nanoseconds(240_714_395))])
    }

    @Test("consecutive timers give timings in order")
    func consecutive() {
        let log =
            "header\n" + Self.start("aa") + Self.end("aa", nanoseconds: 1) + Self.start("bb") + "output\n"
            + Self.end("bb", nanoseconds: 2)

        let timings = TimingInfoReporter.timings(in: log)

        #expect(timings.map(\.timerID) == ["aa", "bb"])
        #expect(timings.map(\.duration) == [.nanoseconds(1), .nanoseconds(2)])
    }

    @Test("nested timers are matched innermost first")
    func nested() {
        let log =
            "header\n" + Self.start("0a") + "outer\n" + Self.start("0b") + "inner\n" + Self.end("0b", nanoseconds: 5)
            + Self.end("0a", nanoseconds: 9)

        let timings = TimingInfoReporter.timings(in: log)

        #expect(timings.map(\.timerID) == ["0b", "0a"])
        #expect(timings.map(\.duration) == [.nanoseconds(5), .nanoseconds(9)])
    }

    @Test("end without a start is ignored")
    func endWithoutStart() {
        let log =
            "header\n" + Self.end("251e8c30", nanoseconds: 64_037_739) + Self.start("12d8f7e0")
            + Self.end("12d8f7e0", nanoseconds: 7)

        let timings = TimingInfoReporter.timings(in: log)

        #expect(timings.map(\.timerID) == ["12d8f7e0"])
    }

    @Test("repeated end for a closed timer is ignored")
    func repeatedEnd() {
        let log =
            "header\n" + Self.start("17318a13") + Self.end("17318a13", nanoseconds: 488_242_842)
            + Self.end("17318a13", nanoseconds: 527_452_669)

        let timings = TimingInfoReporter.timings(in: log)

        #expect(timings.map(\.duration) == [.nanoseconds(488_242_842)])
    }

    @Test("start without an end gives nothing")
    func startWithoutEnd() {
        #expect(TimingInfoReporter.timings(in: Self.start("ff") + "still running").isEmpty)
    }

    @Test("end without a duration field is dropped")
    func endWithoutDuration() {
        let log = Self.start("ab") + "travis_time:end:ab:start=1,finish=2\r\n"

        #expect(TimingInfoReporter.timings(in: log).isEmpty)
    }

    @Test("log without markers gives nothing")
    func noMarkers() {
        #expect(TimingInfoReporter.timings(in: "").isEmpty)
        #expect(TimingInfoReporter.timings(in: "travis_fold:start:install\r\n$ true\r\n").isEmpty)
    }
}
