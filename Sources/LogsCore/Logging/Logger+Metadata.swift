extension Logger {
    /// Structured values attached to log events, keyed by names such as `job_id` or `queue`.
    public typealias Metadata = [String: MetadataValue]

    /// One metadata value: a string, a value shown by its description, or a nested array or dictionary.
    public enum MetadataValue: Sendable {
        case string(String)
        case stringConvertible(any CustomStringConvertible & Sendable)
        case dictionary(Metadata)
        case array([MetadataValue])
    }
}

extension Logger.MetadataValue: Equatable {
    /// Compares two values; a `stringConvertible` value equals another one with the same description.
    public static func == (lhs: Logger.MetadataValue, rhs: Logger.MetadataValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let left), .string(let right)):
            left == right
        case (.stringConvertible(let left), .stringConvertible(let right)):
            left.description == right.description
        case (.dictionary(let left), .dictionary(let right)):
            left == right
        case (.array(let left), .array(let right)):
            left == right
        default:
            false
        }
    }
}

extension Logger.MetadataValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .string(let string):
            string
        case .stringConvertible(let value):
            value.description
        case .dictionary(let dictionary):
            dictionary.mapValues(\.description).description
        case .array(let array):
            array.map(\.description).description
        }
    }
}

extension Logger.MetadataValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension Logger.MetadataValue: ExpressibleByStringInterpolation {
    public init(stringInterpolation: DefaultStringInterpolation) {
        self = .string(String(stringInterpolation: stringInterpolation))
    }
}

extension Logger.MetadataValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Logger.MetadataValue...) {
        self = .array(elements)
    }
}

extension Logger.MetadataValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, Logger.MetadataValue)...) {
        self = .dictionary(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
