internal import CMicroHTTPD

/// Versions of the C libraries that LogsHTTP links.
public enum HTTPLibraries {
    /// The libmicrohttpd version, such as "0.9.75", as the linked library reports it.
    public static var microHTTPDVersion: String {
        String(cString: MHD_get_version())
    }
}
