/// A command line that cannot be run as written; the process prints it and exits with status 2.
public struct ArgumentError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Sendable {
            case unknownCommand = "unknown_command"
            case unknownOption = "unknown_option"
            case missingValue = "missing_value"
            case unexpectedValue = "unexpected_value"
            case invalidValue = "invalid_value"
            case missingOption = "missing_option"
            case missingArgument = "missing_argument"
            case unexpectedArgument = "unexpected_argument"
        }

        fileprivate let base: Base

        public static let unknownCommand = Code(base: .unknownCommand)
        public static let unknownOption = Code(base: .unknownOption)
        /// An option that takes a value was last on the line or followed by another option.
        public static let missingValue = Code(base: .missingValue)
        /// A flag was given a value with `--flag=value`.
        public static let unexpectedValue = Code(base: .unexpectedValue)
        public static let invalidValue = Code(base: .invalidValue)
        public static let missingOption = Code(base: .missingOption)
        public static let missingArgument = Code(base: .missingArgument)
        public static let unexpectedArgument = Code(base: .unexpectedArgument)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The sentence printed after the command's name, naming the option or value at fault.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// The exit status of a process stopped by an argument error.
    public static let exitStatus: Int32 = 2
}
