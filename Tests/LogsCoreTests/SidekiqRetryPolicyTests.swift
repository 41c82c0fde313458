import Foundation
import Testing

@testable import LogsCore

@Suite("SidekiqRetryPolicy")
struct SidekiqRetryPolicyTests {
    private static let now = Date(timeIntervalSince1970: 1_800_000_000)
    private let policy = SidekiqRetryPolicy(jitter: { count in 7 * (count + 1) })

    private func job(retry: JSONValue = 3) -> Job {
        Job(className: "C", queue: "archive", args: [1], jid: "j", retry: retry, createdAt: Self.now)
    }

    @Test("first failure sets retry_count 0 and failed_at")
    func firstFailure() throws {
        let decision = policy.decide(for: job(), errorClass: "LogsError.x", message: "boom", now: Self.now)

        guard case .retry(let updated, let date) = decision else {
            Issue.record("expected a retry, got \(decision)")
            return
        }
        #expect(updated.retryCount == 0)
        #expect(updated.failedAt == Self.now.timeIntervalSince1970)
        #expect(updated.retriedAt == nil)
        #expect(updated.errorClass == "LogsError.x")
        #expect(updated.errorMessage == "boom")
        #expect(updated.jid == "j")
        #expect(date == Self.now.addingTimeInterval(0 + 15 + 7))
    }

    @Test("later failure adds 1 and sets retried_at, keeping failed_at")
    func laterFailure() throws {
        var failed = job()
        failed.retryCount = 0
        failed.failedAt = 1_700_000_000
        let later = Self.now.addingTimeInterval(100)

        let decision = policy.decide(for: failed, errorClass: "E", message: "again", now: later)

        guard case .retry(let updated, let date) = decision else {
            Issue.record("expected a retry, got \(decision)")
            return
        }
        #expect(updated.retryCount == 1)
        #expect(updated.failedAt == 1_700_000_000)
        #expect(updated.retriedAt == later.timeIntervalSince1970)
        #expect(updated.errorMessage == "again")
        #expect(date == later.addingTimeInterval(1 + 15 + 14))
    }

    @Test("delay is count^4 + 15 + jitter", arguments: [0, 1, 2, 3, 10, 24])
    func delay(count: Int) {
        let expected = TimeInterval(count * count * count * count + 15 + 7 * (count + 1))

        #expect(policy.delay(forRetry: count) == expected)
    }

    @Test("default jitter stays below 10 * (count + 1)")
    func defaultJitter() {
        let policy = SidekiqRetryPolicy()
        for count in [0, 1, 5] {
            for _ in 0..<200 {
                let jitter = policy.delay(forRetry: count) - TimeInterval(count * count * count * count + 15)

                #expect(jitter >= 0)
                #expect(jitter < TimeInterval(10 * (count + 1)))
            }
        }
    }

    @Test("job is dead after its maximum retries")
    func deadAfterMaximum() {
        var failed = job(retry: 3)
        var decisions: [SidekiqRetryPolicy.Decision] = []
        for attempt in 0..<4 {
            let decision = policy.decide(for: failed, errorClass: "E", message: "m", now: Self.now)
            decisions.append(decision)
            if case .retry(let updated, _) = decision {
                failed = updated
            } else {
                #expect(attempt == 3, "left the retry set at attempt \(attempt)")
            }
        }

        guard case .dead(let buried) = decisions.last else {
            Issue.record("expected the dead set, got \(String(describing: decisions.last))")
            return
        }
        #expect(buried.retryCount == 3)
        #expect(buried.errorClass == "E")
        #expect(buried.retriedAt == Self.now.timeIntervalSince1970)
    }

    @Test("retry: true allows 25 retries")
    func retryTrue() {
        var failed = job(retry: true)
        failed.retryCount = 23

        let last = policy.decide(for: failed, errorClass: "E", message: "m", now: Self.now)
        failed.retryCount = 24
        let exhausted = policy.decide(for: failed, errorClass: "E", message: "m", now: Self.now)

        #expect(last.isRetry)
        #expect(exhausted.isDead)
    }

    @Test("retry: 0 goes to the dead set at once")
    func retryZero() {
        let decision = policy.decide(for: job(retry: 0), errorClass: "E", message: "m", now: Self.now)

        #expect(decision.isDead)
    }

    @Test("retry: false is discarded")
    func retryFalse() {
        let decision = policy.decide(for: job(retry: false), errorClass: "E", message: "m", now: Self.now)

        #expect(decision == .discard)
    }

    @Test("dead: false is discarded once retries are used up")
    func deadFalse() {
        var failed = job(retry: 0)
        failed.otherFields["dead"] = false

        let decision = policy.decide(for: failed, errorClass: "E", message: "m", now: Self.now)

        #expect(decision == .discard)
    }
}

extension SidekiqRetryPolicy.Decision {
    fileprivate var isRetry: Bool {
        if case .retry = self { return true }
        return false
    }

    fileprivate var isDead: Bool {
        if case .dead = self { return true }
        return false
    }
}
