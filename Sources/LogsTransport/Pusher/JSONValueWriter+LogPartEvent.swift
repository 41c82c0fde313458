import LogsCore

extension JSONValueWriter {
    /// Writes an event's data, the same bytes as `JSONValueWriter.write(event.dataValue)`, without
    /// building the dictionary: the members in the order of their sorted keys, `_log`, `final`,
    /// `id` and `number`.
    mutating func writeData(of event: LogPartEvent) {
        appendLiteral(#"{"_log":"#)
        writeString(event.content)
        appendLiteral(event.isFinal ? #","final":true,"id":"# : #","final":false,"id":"#)
        appendInteger(event.jobID.rawValue)
        appendLiteral(#","number":"#)
        appendInteger(Int64(event.number))
        bytes.append(UInt8(ascii: "}"))
    }

    /// Writes a Pusher request body for the events: for one event the `events` body
    /// `{"channels":[...],"data":"...","name":"job:log"}`, for more the `batch_events` body
    /// `{"batch":[{"channel":...,"data":...,"name":...},...]}`. The bytes equal those of the
    /// `JSONValue` objects with these members, and each event's data is written as a JSON string
    /// that contains its JSON.
    mutating func writePusherBody(for events: ArraySlice<LogPartEvent>) {
        var data = JSONValueWriter(reservingCapacity: 256)
        if events.count == 1, let event = events.first {
            appendLiteral(#"{"channels":["#)
            writeString(event.channel)
            appendLiteral(#"],"data":"#)
            writeEventDataString(event, scratch: &data)
            appendLiteral(#","name":"#)
            writeString(LogPartEvent.eventName)
            bytes.append(UInt8(ascii: "}"))
            return
        }
        appendLiteral(#"{"batch":["#)
        for (index, event) in events.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            appendLiteral(#"{"channel":"#)
            writeString(event.channel)
            appendLiteral(#","data":"#)
            writeEventDataString(event, scratch: &data)
            appendLiteral(#","name":"#)
            writeString(LogPartEvent.eventName)
            bytes.append(UInt8(ascii: "}"))
        }
        appendLiteral("]}")
    }

    /// Writes the event's data JSON as a JSON string, using `scratch` for the inner JSON.
    private mutating func writeEventDataString(_ event: LogPartEvent, scratch: inout JSONValueWriter) {
        scratch.bytes.removeAll(keepingCapacity: true)
        scratch.writeData(of: event)
        scratch.bytes.withUnsafeBufferPointer { writeString(utf8: $0) }
    }
}
