extension Logger {
    /// The text of a log event.
    ///
    /// As in swift-log, a message is written as a string literal or an interpolation; there is no
    /// initializer that takes a `String` value.
    public struct Message: ExpressibleByStringLiteral, ExpressibleByStringInterpolation, Equatable, Sendable {
        private var value: String

        public init(stringLiteral value: String) {
            self.value = value
        }

        public init(stringInterpolation: DefaultStringInterpolation) {
            self.value = String(stringInterpolation: stringInterpolation)
        }
    }
}

extension Logger.Message: CustomStringConvertible {
    public var description: String {
        value
    }
}
