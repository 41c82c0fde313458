import LogsCore

/// The metadata of the line a process logs when it starts.
public enum StartupReport {
    /// Returns the version and every effective setting, secrets masked as `travis-logs config`
    /// prints them, with the setting names lower-cased as metadata keys.
    public static func metadata(version: String, configuration: LogsConfiguration) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["version": "\(version)"]
        for (name, value) in configuration.effectiveSettings() {
            metadata[name.lowercased()] = "\(value)"
        }
        return metadata
    }
}
