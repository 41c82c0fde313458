extension LogsConfiguration {
    /// The text shown in place of a secret.
    public static let maskedValue = "[secure]"

    /// Returns whether a variable contains a secret: `AUTH_TOKEN` and every name containing `SECRET`,
    /// `PASS` (which covers `PASSWORD`), `KEY` or `TOKEN`.
    public static func isSecret(variable name: String) -> Bool {
        let upper = name.uppercased()
        return ["SECRET", "PASS", "KEY", "TOKEN"].contains { upper.contains($0) }
    }

    /// Replaces passwords inside a value with `[secure]`.
    ///
    /// Masks the password of URLs (`postgres://user:secret@host/db`) and the value of `password=`
    /// parameters, as in URL queries and libpq conninfo strings (`host=db password=secret`).
    public static func maskingPasswords(in value: String) -> String {
        // Both expressions are compiled on every call, which made the start-up report of every
        // variable cost about 40 ms of CPU, so a value without `@` or `=` is returned at once.
        let utf8 = value.utf8
        guard utf8.contains(UInt8(ascii: "@")) || utf8.contains(UInt8(ascii: "=")) else { return value }
        let userInfo = /(:\/\/[^\/?#\s:@]*:)[^\/?#\s]+@/
        let parameter = /(?i)(password=)('(?:[^'\\]|\\.)*'|[^&\s]+)/
        return value.replacing(userInfo) { "\($0.1)\(maskedValue)@" }
            .replacing(parameter) { "\($0.1)\(maskedValue)" }
    }

    /// Returns a value as it may be shown for `variable`: `[secure]` for a set secret, otherwise the
    /// value with passwords masked.
    static func displayValue(_ value: String, of variable: String) -> String {
        if isSecret(variable: variable) {
            return value.isEmpty ? "" : maskedValue
        }
        return maskingPasswords(in: value)
    }
}
