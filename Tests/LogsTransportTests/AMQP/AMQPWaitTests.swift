import Glibc
import Testing

@testable import LogsTransport

/// The waits handed to rabbitmq-c, which polls in whole milliseconds rounded down.
@Suite("AMQP wait rounding")
struct AMQPWaitTests {
    static func microseconds(_ wait: timeval) -> Int {
        wait.tv_sec * 1_000_000 + wait.tv_usec
    }

    @Test("zero stays zero")
    func zeroStaysZero() {
        #expect(Self.microseconds(AMQPConnection.timeval(.zero)) == 0)
        #expect(Self.microseconds(AMQPConnection.timeval(.milliseconds(-5))) == 0)
    }

    @Test(
        "rounded up with one millisecond more",
        arguments: [
            (Duration.microseconds(1), 2_000), (.microseconds(300), 2_000), (.milliseconds(1), 2_000),
            (.microseconds(1_001), 3_000), (.milliseconds(250), 251_000), (.microseconds(999_500), 1_001_000),
            (.seconds(3), 3_001_000),
        ])
    func roundedUp(duration: Duration, expected: Int) {
        let wait = AMQPConnection.timeval(duration)
        #expect(Self.microseconds(wait) == expected)
        #expect(wait.tv_usec < 1_000_000)
    }
}
