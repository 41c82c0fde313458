internal import CCrypto
internal import CCurl
internal import CLibPQ
internal import CSQLite

/// Versions of the C libraries that LogsStorage links, as reported at run time.
///
/// A process can log these at startup, so a report from a machine names the libpq, SQLite, libcurl
/// and OpenSSL builds it ran with.
public enum StorageLibraries {
    /// The libpq version, such as "15.20".
    ///
    /// `PQlibVersion()` returns major * 10000 + minor since PostgreSQL 10, and
    /// major * 10000 + minor * 100 + patch before it.
    public static var libpqVersion: String {
        let number = Int(PQlibVersion())
        guard number >= 100_000 else {
            return "\(number / 10_000).\(number / 100 % 100).\(number % 100)"
        }
        return "\(number / 10_000).\(number % 10_000)"
    }

    /// The SQLite version, such as "3.40.1".
    public static var sqliteVersion: String {
        String(cString: sqlite3_libversion())
    }

    /// The libcurl version, such as "7.88.1".
    public static var curlVersion: String {
        String(cString: travis_curl_version_number())
    }

    /// The line `curl_version()` returns, naming libcurl and the TLS, compression and other
    /// libraries it was built with.
    public static var curlDescription: String {
        String(cString: curl_version())
    }

    /// The OpenSSL libcrypto version, such as "3.0.22".
    public static var openSSLVersion: String {
        String(cString: OpenSSL_version(OPENSSL_VERSION_STRING))
    }
}
