import Foundation
import LogsTransport

/// AMQP log part messages as a Travis worker publishes them: base64 `log`, a `uuid` per job and
/// empty `meta`, persistent, to the exchange `reporting` with routing key `reporting.jobs.logs`.
///
/// Every non-final part is one text line that names its job and part number, so that
/// script/bench/system can check an archived log for lost or repeated parts line by line. The last
/// part of a job is empty with `final: true`, as workers send it.
struct WorkerMessages {
    /// The drain's default exchange, queue and routing key.
    let settings = DrainSettings()
    private var jobUUIDs: [Int64: String] = [:]

    /// Padding that brings a throughput part to about 100 bytes of ANSI-coloured text.
    private static let padding = String(repeating: "x", count: 60)

    /// Returns a throughput part: a coloured line of about 100 bytes.
    mutating func part(jobID: Int64, number: Int) -> Data {
        let text = "\u{1b}[32mjob \(jobID) part \(number) \(Self.padding)\u{1b}[0m\r\n"
        return message(jobID: jobID, number: number, text: text, isFinal: false)
    }

    /// Returns a latency part: a line that contains its publishing time in seconds since 1970.
    mutating func timedPart(jobID: Int64, number: Int) -> Data {
        let sentAt = String(format: "%.6f", Date().timeIntervalSince1970)
        return message(
            jobID: jobID, number: number, text: "job \(jobID) part \(number) sent_at=\(sentAt)\n", isFinal: false)
    }

    /// Returns the empty final part.
    mutating func finalPart(jobID: Int64, number: Int) -> Data {
        message(jobID: jobID, number: number, text: "", isFinal: true)
    }

    private mutating func message(jobID: Int64, number: Int, text: String, isFinal: Bool) -> Data {
        let uuid = jobUUIDs[jobID] ?? UUID().uuidString.lowercased()
        jobUUIDs[jobID] = uuid
        let content = Data(text.utf8).base64EncodedString()
        let json =
            #"{"id":\#(jobID),"log":"\#(content)","encoding":"base64","number":\#(number),"final":\#(isFinal),"#
            + #""uuid":"\#(uuid)","meta":{}}"#
        return Data(json.utf8)
    }

    /// Declares the drain's exchange, queue and dead queue, so that no message published before
    /// the drain starts is dropped.
    func declareTopology(on connection: AMQPConnection) async throws {
        try await connection.declareExchange(settings.exchangeName, type: settings.exchangeType)
        _ = try await connection.declareQueue(settings.queueName)
        try await connection.bindQueue(settings.queueName, to: settings.exchangeName, routingKey: settings.routingKey)
        _ = try await connection.declareQueue(settings.deadQueueName)
    }
}
