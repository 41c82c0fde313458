import LogsCore

extension JSONValueWriter {
    /// Writes a job that has no unknown keys, the same bytes as `write(job.jsonValue)`, without
    /// building and sorting a dictionary per job.
    ///
    /// The members appear in the order `writeObject` sorts the known keys into: by their UTF-8
    /// bytes, so `retried_at` comes before `retry` and `retry` before `retry_count`.
    mutating func writeKnownFields(of job: Job) {
        writeKnownFields(of: job) { $0.writeArray(job.args) }
    }

    /// Writes a job that has no unknown keys as `writeKnownFields(of:)` does, with the value of
    /// `args` written by `writeArguments` in place of `job.args`.
    mutating func writeKnownFields(of job: Job, writeArguments: (inout JSONValueWriter) -> Void) {
        precondition(job.otherFields.isEmpty, "a job with unknown keys goes through write(job.jsonValue)")
        bytes.append(UInt8(ascii: "{"))
        writeKey("args", isFirst: true)
        writeArguments(&self)
        writeKey("class")
        writeString(job.className)
        writeKey("created_at")
        writeDouble(job.createdAt)
        if let enqueuedAt = job.enqueuedAt {
            writeKey("enqueued_at")
            writeDouble(enqueuedAt)
        }
        if let errorClass = job.errorClass {
            writeKey("error_class")
            writeString(errorClass)
        }
        if let errorMessage = job.errorMessage {
            writeKey("error_message")
            writeString(errorMessage)
        }
        if let failedAt = job.failedAt {
            writeKey("failed_at")
            writeDouble(failedAt)
        }
        writeKey("jid")
        writeString(job.jid)
        writeKey("queue")
        writeString(job.queue)
        if let retriedAt = job.retriedAt {
            writeKey("retried_at")
            writeDouble(retriedAt)
        }
        writeKey("retry")
        write(job.retry)
        if let retryCount = job.retryCount {
            writeKey("retry_count")
            append(String(retryCount))
        }
        bytes.append(UInt8(ascii: "}"))
    }

    /// Writes `"key":`, after a comma unless it is the first member. The keys need no escapes.
    private mutating func writeKey(_ key: StaticString, isFirst: Bool = false) {
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }
}
