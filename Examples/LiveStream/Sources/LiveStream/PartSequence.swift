/// Puts live parts back in number order before they are printed.
///
/// Parts can arrive out of order, because the service forwards them from jobs that run
/// concurrently. A part is released once every lower number was released, so the output is always
/// in order. Parts arrive numbered from 1, as workers send them, and a first part numbered 0 is
/// accepted too.
struct PartSequence {
    private var nextNumber = 1
    private var pending: [Int: [UInt8]] = [:]
    private(set) var finalNumber: Int?
    private(set) var releasedCount = 0

    /// Adds a part and returns the parts it releases, in number order. A repeat of a part that was
    /// already added returns nothing.
    mutating func add(number: Int, bytes: [UInt8], isFinal: Bool) -> [(number: Int, bytes: [UInt8])] {
        if isFinal { finalNumber = number }
        if number == 0, releasedCount == 0 { nextNumber = 0 }
        guard number >= nextNumber, pending[number] == nil else { return [] }
        pending[number] = bytes
        var released: [(number: Int, bytes: [UInt8])] = []
        while let bytes = pending.removeValue(forKey: nextNumber) {
            released.append((nextNumber, bytes))
            nextNumber += 1
            releasedCount += 1
        }
        return released
    }

    /// Whether the final part and every part before it were released.
    var isComplete: Bool {
        guard let finalNumber else { return false }
        return nextNumber > finalNumber
    }

    /// The `Last-Event-ID` to resume after: the highest part released with no gap before it.
    var resumeID: String? {
        releasedCount > 0 ? String(nextNumber - 1) : nil
    }

    /// Releases the parts still held back behind a missing one, in number order.
    mutating func releaseRemaining() -> [(number: Int, bytes: [UInt8])] {
        let remaining = pending.keys.sorted().map { (number: $0, bytes: pending[$0]!) }
        pending.removeAll()
        releasedCount += remaining.count
        return remaining
    }
}
