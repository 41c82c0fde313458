/// A `Broadcaster` that keeps every event it is given, for tests.
public actor RecordingBroadcaster: Broadcaster {
    public private(set) var events: [LogPartEvent] = []
    private var failuresLeft = 0

    public init() {}

    /// Makes the next `count` broadcasts fail.
    public func failNext(_ count: Int) {
        failuresLeft = count
    }

    public func broadcast(_ events: [LogPartEvent]) throws {
        if failuresLeft > 0 {
            failuresLeft -= 1
            throw ArchiveFault(message: "injected broadcast failure")
        }
        self.events.append(contentsOf: events)
    }
}
