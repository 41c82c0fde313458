import Foundation

extension Job {
    /// The `class` of the dead-set entry that contains a payload that is not a readable job. No worker
    /// runs this class: a job of it that is retried from the dead set fails and returns there.
    public static let unreadableClassName = "TravisLogs::UnreadableJob"

    /// Returns the `error_class` that failed jobs record for `error`: `LogsError.<code>` for a
    /// `LogsError`, and the type's name otherwise.
    public static func errorClass(of error: any Error) -> String {
        (error as? LogsError).map { "LogsError.\($0.code)" } ?? String(describing: type(of: error))
    }

    /// Returns the dead-set entry for a payload that cannot be read as a job.
    ///
    /// The entry has the members that Sidekiq gives a job that failed for good, `error_class`,
    /// `error_message`, `failed_at` and `retry_count`, so the Sidekiq API and web UI list it with
    /// its error and can delete or retry it by `jid`. The payload's text, unchanged, is the only
    /// argument, as Sidekiq's API shows a payload that it cannot parse.
    ///
    /// - Parameters:
    ///   - payload: the text as it was queued, JSON or not.
    ///   - queue: the queue the payload was taken from, or nil when it is not known.
    ///   - error: why the payload cannot be read.
    ///   - date: when it failed.
    public static func deadEntry(forUnreadable payload: String, queue: String?, error: any Error, at date: Date)
        -> String
    {
        var members: [String: JSONValue] = [
            "class": .string(unreadableClassName), "args": .array([.string(payload)]), "jid": .string(makeJID()),
            "error_class": .string(errorClass(of: error)), "error_message": .string("\(error)"),
            "failed_at": .double(date.timeIntervalSince1970), "retry_count": .integer(0),
        ]
        if let queue { members["queue"] = .string(queue) }
        return JSONValue.object(members).jsonString()
    }
}
