import Foundation
import Synchronization

/// The buffer between a streamed response's producer task and libmicrohttpd's content reader.
///
/// When the reader finds the buffer empty it suspends the connection, so no thread waits for the
/// next event; a write resumes it. Both happen under `lock`, so a resume never overtakes the
/// suspend it follows.
final class ResponseStream: ResponseStreamWriter, Sendable {
    private struct State: Sendable {
        var pending: [Data] = []
        var isSuspended = false
        var isFinished = false
        var isClosed = false
        var producer: Task<Void, Never>?
    }

    private let connection: ConnectionHandle
    private let state = Mutex(State())
    private let onClose: @Sendable (ResponseStream) -> Void

    init(connection: ConnectionHandle, onClose: @escaping @Sendable (ResponseStream) -> Void) {
        self.connection = connection
        self.onClose = onClose
    }

    /// Starts the producer. It is cancelled when the client goes.
    func start(_ producer: @escaping @Sendable (ResponseStreamWriter) async -> Void) {
        let task = Task {
            await producer(self)
            self.finish()
        }
        state.withLock { $0.producer = task }
    }

    @discardableResult
    func write(_ data: Data) -> Bool {
        state.withLock { state in
            guard !state.isClosed, !state.isFinished else { return false }
            state.pending.append(data)
            resumeIfSuspended(&state)
            return true
        }
    }

    var isClosed: Bool {
        state.withLock { $0.isClosed || $0.isFinished }
    }

    /// Ends the body once the pending bytes are sent.
    func finish() {
        state.withLock { state in
            state.isFinished = true
            resumeIfSuspended(&state)
        }
    }

    /// Called from the content reader on libmicrohttpd's thread.
    ///
    /// - Returns: the number of bytes copied, -1 for the end of the body, or 0 after suspending
    ///   the connection until the next write.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        state.withLock { state in
            if !state.pending.isEmpty {
                return copyPending(&state, into: buffer)
            }
            if state.isFinished || state.isClosed {
                return -1
            }
            connection.suspend()
            state.isSuspended = true
            return 0
        }
    }

    /// Called when libmicrohttpd frees the response: the client has gone or the body ended.
    func close() {
        let producer = state.withLock { state in
            state.isClosed = true
            state.pending = []
            return state.producer
        }
        producer?.cancel()
        onClose(self)
    }

    private func resumeIfSuspended(_ state: inout State) {
        guard state.isSuspended else { return }
        state.isSuspended = false
        connection.resume()
    }

    private func copyPending(_ state: inout State, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var copied = 0
        while copied < buffer.count, !state.pending.isEmpty {
            let chunk = state.pending[0]
            let count = min(chunk.count, buffer.count - copied)
            chunk.prefix(count).withUnsafeBytes { bytes in
                buffer.baseAddress!.advanced(by: copied).copyMemory(from: bytes.baseAddress!, byteCount: count)
            }
            copied += count
            if count == chunk.count {
                state.pending.removeFirst()
            } else {
                state.pending[0] = Data(chunk.dropFirst(count))
            }
        }
        return copied
    }
}
