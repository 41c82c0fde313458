import LogsCore

/// Orders one stream's parts so that each number is sent once and in ascending order.
///
/// Parts arrive live, from the store, or both, and live events can come out of order because
/// forwarding jobs run side by side. A part right after the last one sent is released at once.
/// A later part is held until the gap before it fills, or until `gapDeadline`, when the session
/// releases everything held and the gap's parts are dropped if they arrive later.
struct PartSequencer {
    /// The highest number sent, or the client's `Last-Event-ID`. It is nil before the first part.
    private(set) var lastSent: Int?
    /// Parts waiting for the gap before them to fill, by number.
    private var held: [Int: LogPartEvent] = [:]
    /// When the parts held now are released even though the gap before them is still open.
    private(set) var gapDeadline: ContinuousClock.Instant?
    /// When the parts held now began to wait.
    private(set) var gapStart: ContinuousClock.Instant?
    private let gapWait: Duration

    init(lastEventID: Int?, gapWait: Duration) {
        self.lastSent = lastEventID
        self.gapWait = gapWait
    }

    /// Whether parts wait for a gap before them to fill.
    var isHolding: Bool { !held.isEmpty }

    /// The number of the first part after the gap, or nil when none is held.
    var lowestHeldNumber: Int? { held.keys.min() }

    /// Lists the numbers that the held parts wait for, up to `limit` of them, lowest first.
    func missingNumbers(limit: Int) -> [Int] {
        guard let lowestHeld = held.keys.min() else { return [] }
        let first = (lastSent ?? -1) + 1
        guard first < lowestHeld else { return [] }
        return Array(first..<min(lowestHeld, first + limit))
    }

    /// Takes parts in any order and returns those that can be sent now, in order.
    ///
    /// Parts numbered up to `lastSent`, and numbers already held, are dropped.
    mutating func receive(_ parts: [LogPartEvent], now: ContinuousClock.Instant) -> [LogPartEvent] {
        for part in parts.sorted(by: { $0.number < $1.number }) {
            if let lastSent, part.number <= lastSent { continue }
            if held[part.number] == nil { held[part.number] = part }
        }
        let ready = releaseContiguous()
        if held.isEmpty {
            gapDeadline = nil
            gapStart = nil
        } else if gapDeadline == nil || !ready.isEmpty {
            // Each new gap gets the whole wait.
            gapDeadline = now + gapWait
            gapStart = now
        }
        return ready
    }

    /// Moves the time when the held parts are released to `deadline`.
    mutating func postponeGapDeadline(to deadline: ContinuousClock.Instant) {
        guard isHolding else { return }
        gapDeadline = deadline
    }

    /// Returns every held part in order, giving up on the gaps between them.
    mutating func releaseAll() -> [LogPartEvent] {
        let ready = held.keys.sorted().compactMap { held[$0] }
        held.removeAll()
        gapDeadline = nil
        gapStart = nil
        if let last = ready.last { lastSent = last.number }
        return ready
    }

    /// Returns the held parts that follow `lastSent` without a gap.
    ///
    /// Workers number a job's parts from 0 or from 1, so before anything is sent either starts
    /// the sequence. A final part numbered `last` has no known predecessor: it follows once
    /// nothing else is held.
    private mutating func releaseContiguous() -> [LogPartEvent] {
        var ready: [LogPartEvent] = []
        while let next = nextHeld() {
            held[next.number] = nil
            lastSent = next.number
            ready.append(next)
        }
        if held.count == 1, let last = held[PartNumber.lastValue] {
            held.removeAll()
            lastSent = last.number
            ready.append(last)
        }
        return ready
    }

    private func nextHeld() -> LogPartEvent? {
        if let lastSent { return lastSent < PartNumber.lastValue ? held[lastSent + 1] : nil }
        return held[0] ?? held[1]
    }
}
