/// One command of a pipeline: its arguments, or a Lua script to run with `EVALSHA`.
public struct RedisCommand: Sendable, Hashable {
    /// The command and its arguments, such as `["LPUSH", "queue:archive", "{...}"]`; empty for
    /// a script, whose arguments the connection builds once it has the script's SHA-1.
    public var arguments: [String]
    public var script: RedisScript?
    public var keys: [String]

    public init(_ arguments: [String]) {
        self.arguments = arguments
        self.script = nil
        self.keys = []
    }

    public init(_ arguments: String...) {
        self.init(arguments)
    }

    /// A command that runs `script` with `EVALSHA`, loading it first on a connection that has not
    /// loaded it yet.
    public static func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) -> RedisCommand {
        var command = RedisCommand(arguments)
        command.script = script
        command.keys = keys
        return command
    }

    /// The command's name for errors and logs, such as `LPUSH` or the script's name.
    public var name: String {
        if let script { return "EVALSHA \(script.name)" }
        return arguments.first?.uppercased() ?? ""
    }
}

/// A Lua script run on the server, atomically, with `EVALSHA`.
public struct RedisScript: Sendable, Hashable {
    /// A short name used in errors, such as `fetch`.
    public var name: String
    public var source: String

    public init(name: String, source: String) {
        self.name = name
        self.source = source
    }
}
