import Foundation

/// One server-sent event: its `event` name, `id` and `data` lines joined.
struct ServerSentEvent: Sendable, Equatable {
    var name = "message"
    var id: String?
    var data = ""
}

/// Turns the bytes of a `text/event-stream` body into events, chunk by chunk.
///
/// Lines end in LF, CRLF or CR, and a blank line ends an event. A line starting with `:` is a
/// comment, such as the server's keep-alive. One space after a field's colon is dropped. Fields
/// other than `event`, `id` and `data` are ignored.
struct ServerSentEventParser {
    private var buffer: [UInt8] = []
    private var current = ServerSentEvent()
    private var hasData = false
    private var lastByteWasCR = false

    /// Adds a chunk of the body and returns the events it completes.
    mutating func feed(_ chunk: Data) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in chunk {
            if lastByteWasCR, byte == UInt8(ascii: "\n") {
                lastByteWasCR = false
                continue
            }
            lastByteWasCR = byte == UInt8(ascii: "\r")
            guard byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") else {
                buffer.append(byte)
                continue
            }
            let line = String(decoding: buffer, as: UTF8.self)
            buffer.removeAll(keepingCapacity: true)
            if let event = process(line) { events.append(event) }
        }
        return events
    }

    private mutating func process(_ line: String) -> ServerSentEvent? {
        if line.isEmpty {
            defer {
                current = ServerSentEvent()
                hasData = false
            }
            return hasData || current.name != "message" ? current : nil
        }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = Substring(line)
            value = ""
        }
        switch field {
        case "event": current.name = String(value)
        case "id": current.id = String(value)
        case "data":
            current.data += hasData ? "\n" + value : String(value)
            hasData = true
        default: break
        }
        return nil
    }
}
