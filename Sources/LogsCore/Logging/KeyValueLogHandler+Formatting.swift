extension KeyValueLogHandler {
    /// The field names that every line starts with; a metadata key equal to one gets a `_` prefix.
    static let reservedKeys: Set<String> = ["time", "level", "label", "msg"]

    /// Formats one event as a single line without a trailing newline.
    ///
    /// A value is written bare unless it is empty or contains a space, `"`, `=`, `\`, other whitespace
    /// or a control character. Then it is put in double quotes, with `\` and `"` escaped by a
    /// backslash, newline, carriage return and tab written as `\n`, `\r` and `\t`, and other control
    /// characters (including U+2028 and U+2029) as `\u` and four hex digits. So a line never breaks.
    /// Metadata keys keep ASCII letters, digits and `_ . - / :`; any other character becomes `_`.
    public static func formatLine(
        time: String,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata
    ) -> String {
        var fields: [(key: String, value: String)] = []
        flatten(metadata, prefix: nil, into: &fields)
        fields.sort { $0.key < $1.key }

        var line = "time=\(formatValue(time)) level=\(level.rawValue)"
        line += " label=\(formatValue(label)) msg=\(formatValue(message))"
        for field in fields {
            line += " \(field.key)=\(formatValue(field.value))"
        }
        return line
    }

    private static func flatten(
        _ metadata: Logger.Metadata,
        prefix: String?,
        into fields: inout [(key: String, value: String)]
    ) {
        for (key, value) in metadata {
            var path = sanitize(key: key)
            if let prefix {
                path = prefix + "." + path
            } else if reservedKeys.contains(path) {
                path = "_" + path
            }
            if case .dictionary(let nested) = value, !nested.isEmpty {
                flatten(nested, prefix: path, into: &fields)
            } else {
                fields.append((path, render(value)))
            }
        }
    }

    /// Renders a value as text: arrays as `[a,b]`, dictionaries inside arrays as `{key:value}`.
    private static func render(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let string):
            string
        case .stringConvertible(let convertible):
            convertible.description
        case .array(let elements):
            "[" + elements.map(render).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            "{" + dictionary.sorted { $0.key < $1.key }.map { "\($0.key):\(render($0.value))" }.joined(separator: ",")
                + "}"
        }
    }

    private static func sanitize(key: String) -> String {
        guard !key.isEmpty else {
            return "_"
        }
        var result = String.UnicodeScalarView()
        for scalar in key.unicodeScalars {
            let isAllowed = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))
            result.append(isAllowed || "_.-/:".unicodeScalars.contains(scalar) ? scalar : "_")
        }
        return String(result)
    }

    private static func formatValue(_ value: String) -> String {
        guard value.isEmpty || value.unicodeScalars.contains(where: needsQuotes) else {
            return value
        }
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if isControl(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    private static func needsQuotes(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\"" || scalar == "=" || scalar == "\\" || scalar.properties.isWhitespace
            || isControl(scalar)
    }

    /// C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028
            || scalar.value == 0x2029
    }
}
