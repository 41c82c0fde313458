import LogsCore

/// The `NAME[,WEIGHT]` form of a worker's `--queue` option, as Sidekiq's `-q` takes it.
public enum WeightedQueueArgument {
    /// Parses `log_parts` or `log_parts,3`; the weight is a whole number from 1 to 1000 and
    /// defaults to 1.
    ///
    /// - Returns: nil when the name is empty, contains whitespace, or the weight is invalid.
    public static func parse(_ text: String) -> WeightedQueue? {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count == 1 || fields.count == 2 else { return nil }
        let name = String(fields[0])
        guard !name.isEmpty, !name.contains(where: \.isWhitespace) else { return nil }
        guard fields.count == 2 else { return WeightedQueue(name) }
        guard let weight = Int(fields[1]), (1...1000).contains(weight) else { return nil }
        return WeightedQueue(name, weight: weight)
    }

    /// The description of a valid value, for error messages.
    public static let expected = "a queue name, optionally followed by a comma and a weight from 1 to 1000"
}
