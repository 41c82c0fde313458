import Foundation
import Synchronization
import Testing

@testable import LogsCore

@Suite("ManualClock", .timeLimit(.minutes(1)))
struct ManualClockTests {
    /// Waits in real time until `condition` holds, for at most ten seconds.
    private func eventually(_ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
        return condition()
    }

    @Test("now starts at the given date and moves only when advanced")
    func now() {
        let start = Date(timeIntervalSince1970: 1_000)
        let clock = ManualClock(now: start)

        let before = clock.now()
        clock.advance(by: .milliseconds(1_500))

        #expect(before == start)
        #expect(clock.now() == Date(timeIntervalSince1970: 1_001.5))
    }

    @Test("sleeper wakes only at its deadline")
    func wakesAtDeadline() async throws {
        let clock = ManualClock()
        let woke = WakeFlag()
        let sleeper = Task {
            try await clock.sleep(for: .seconds(10))
            woke.set()
        }

        let registered = try await eventually { clock.sleeperCount == 1 }
        clock.advance(by: .seconds(9))
        try await Task.sleep(for: .milliseconds(20))
        let wokeEarly = woke.isSet
        let countBeforeDeadline = clock.sleeperCount
        clock.advance(by: .seconds(1))
        let outcome = await sleeper.resultWithin(.seconds(10))

        #expect(registered)
        #expect(wokeEarly == false)
        #expect(countBeforeDeadline == 1)
        #expect(outcome != nil, "the sleeper did not wake at its deadline")
        #expect(woke.isSet)
        #expect(clock.sleeperCount == 0)
    }

    @Test("advance wakes only the sleepers that are due")
    func wakesOnlyDue() async throws {
        let clock = ManualClock()
        let short = Task { try await clock.sleep(for: .seconds(5)) }
        let long = Task { try await clock.sleep(for: .seconds(60)) }

        let registered = try await eventually { clock.sleeperCount == 2 }
        clock.advance(by: .seconds(5))
        let shortOutcome = await short.resultWithin(.seconds(10))
        let remaining = clock.sleeperCount
        clock.advance(by: .seconds(55))
        let longOutcome = await long.resultWithin(.seconds(10))

        #expect(registered)
        #expect(shortOutcome != nil, "the 5 s sleeper did not wake")
        #expect(remaining == 1)
        #expect(longOutcome != nil, "the 60 s sleeper did not wake")
        #expect(clock.sleeperCount == 0)
    }

    @Test("zero or negative sleep returns at once")
    func zeroSleep() async throws {
        let clock = ManualClock()

        try await clock.sleep(for: .zero)
        try await clock.sleep(for: .seconds(-1))

        #expect(clock.sleeperCount == 0)
    }

    @Test("cancellation wakes a sleeper with CancellationError")
    func cancellation() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(3600)) }

        let registered = try await eventually { clock.sleeperCount == 1 }
        sleeper.cancel()
        let result = await sleeper.resultWithin(.seconds(10))

        #expect(registered)
        #expect(throws: CancellationError.self) { try result?.get() }
        #expect(clock.sleeperCount == 0)
    }

    @Test("sleep in a cancelled task throws at once")
    func alreadyCancelled() async {
        let clock = ManualClock()
        let sleeper = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await clock.sleep(for: .seconds(3600))
        }

        let result = await sleeper.resultWithin(.seconds(10))

        #expect(throws: CancellationError.self) { try result?.get() }
        #expect(clock.sleeperCount == 0)
    }

    @Test("sleeperCount counts every waiting task")
    func sleeperCount() async throws {
        let clock = ManualClock()
        let sleepers = (1...5).map { seconds in Task { try await clock.sleep(for: .seconds(seconds)) } }

        let registered = try await eventually { clock.sleeperCount == 5 }
        clock.advance(by: .seconds(2))
        let afterTwo = try await eventually { clock.sleeperCount == 3 }
        clock.advance(by: .seconds(3))
        var woken = 0
        for sleeper in sleepers where await sleeper.resultWithin(.seconds(10)) != nil {
            woken += 1
        }

        #expect(registered)
        #expect(afterTwo)
        #expect(woken == 5)
        #expect(clock.sleeperCount == 0)
    }

    @Test("SystemClock sleeps in real time")
    func systemClock() async throws {
        let clock = SystemClock()
        let start = ContinuousClock.now

        try await clock.sleep(for: .milliseconds(20))

        #expect(ContinuousClock.now - start >= .milliseconds(20))
        #expect(abs(clock.now().timeIntervalSinceNow) < 1)
    }

    @Test("Duration converts to seconds")
    func timeInterval() {
        #expect(Duration.seconds(3).timeInterval == 3)
        #expect(Duration.milliseconds(1_500).timeInterval == 1.5)
        #expect(Duration.seconds(-2).timeInterval == -2)
    }
}

/// A flag a sleeping task sets when it wakes.
private final class WakeFlag: Sendable {
    private let value = Mutex(false)

    var isSet: Bool {
        value.withLock { $0 }
    }

    func set() {
        value.withLock { $0 = true }
    }
}

extension Task where Success: Sendable {
    /// Returns the task's result, or nil when it has not finished within `limit` of real time.
    ///
    /// A test awaiting a sleeper that a broken clock never wakes then fails instead of hanging. The
    /// helper task that awaits the result is left behind in that case.
    func resultWithin(_ limit: Duration) async -> Result<Success, Failure>? {
        let box = ResultBox<Success, Failure>()
        Task<Void, Never> { box.store(await self.result) }
        let deadline = ContinuousClock.now + limit
        while box.result == nil && ContinuousClock.now < deadline {
            try? await Task<Never, Never>.sleep(for: .milliseconds(2))
        }
        return box.result
    }
}

/// The result of a task, filled in when it finishes.
private final class ResultBox<Success: Sendable, Failure: Error>: Sendable {
    private let value = Mutex<Result<Success, Failure>?>(nil)

    var result: Result<Success, Failure>? {
        value.withLock { $0 }
    }

    func store(_ result: Result<Success, Failure>) {
        value.withLock { $0 = result }
    }
}
