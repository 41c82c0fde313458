import CCurl
import LogsStorage
import Testing

@Suite("Storage C libraries")
struct StorageLibrariesTests {
    @Test(
        "version is dotted digits",
        arguments: [
            ("libpq", StorageLibraries.libpqVersion),
            ("SQLite", StorageLibraries.sqliteVersion),
            ("libcurl", StorageLibraries.curlVersion),
            ("OpenSSL", StorageLibraries.openSSLVersion),
        ]
    )
    func versionIsDottedDigits(library: String, version: String) {
        #expect(isDottedVersion(version), "\(library) reported version \"\(version)\"")
    }

    @Test("curl description names libcurl")
    func curlDescriptionNamesLibcurl() {
        #expect(StorageLibraries.curlDescription.hasPrefix("libcurl/\(StorageLibraries.curlVersion)"))
    }

    @Test("curl string option reads back")
    func curlStringOptionReadsBack() throws {
        let handle = try #require(curl_easy_init())
        defer { curl_easy_cleanup(handle) }
        let url = "http://127.0.0.1:9/logs/1"

        let setResult = travis_curl_easy_setopt_string(handle, CURLOPT_URL, url)
        #expect(setResult == CURLE_OK)

        var effectiveURL: UnsafePointer<CChar>?
        let getResult = travis_curl_easy_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &effectiveURL)
        #expect(getResult == CURLE_OK)
        let readBack = try #require(effectiveURL)
        #expect(String(cString: readBack) == url)
    }

    @Test("curl long option is accepted")
    func curlLongOptionIsAccepted() throws {
        let handle = try #require(curl_easy_init())
        defer { curl_easy_cleanup(handle) }

        #expect(travis_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, 1_500) == CURLE_OK)

        var responseCode = -1
        #expect(travis_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &responseCode) == CURLE_OK)
        #expect(responseCode == 0)
    }
}

/// Returns whether `text` is two or more groups of decimal digits joined by single dots.
private func isDottedVersion(_ text: String) -> Bool {
    let groups = text.split(separator: ".", omittingEmptySubsequences: false)
    guard groups.count >= 2 else {
        return false
    }
    return groups.allSatisfy { group in
        !group.isEmpty && group.allSatisfy(\.isASCII) && group.allSatisfy(\.isNumber)
    }
}
