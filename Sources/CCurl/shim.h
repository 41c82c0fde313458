#ifndef TRAVIS_LOGS_CCURL_SHIM_H
#define TRAVIS_LOGS_CCURL_SHIM_H

#include <curl/curl.h>

// curl_easy_setopt and curl_easy_getinfo are variadic, so Swift cannot call them. Each wrapper
// below passes exactly one argument of the type that libcurl documents for the option. Calling the
// wrapper of another type is undefined behaviour, as a mismatched argument is in C. The parentheses
// around the function names skip curl's type-checking macros of the same names.

/// Sets an option that takes a long, such as CURLOPT_TIMEOUT_MS, CURLOPT_NOBODY or CURLOPT_UPLOAD.
static inline CURLcode travis_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return (curl_easy_setopt)(handle, option, value);
}

/// Sets an option that takes a curl_off_t, such as CURLOPT_INFILESIZE_LARGE.
static inline CURLcode travis_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return (curl_easy_setopt)(handle, option, value);
}

/// Sets an option that takes a C string, such as CURLOPT_URL or CURLOPT_AWS_SIGV4. Since libcurl
/// 7.17 the handle keeps its own copy, except for CURLOPT_POSTFIELDS, which must outlive the request.
static inline CURLcode travis_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return (curl_easy_setopt)(handle, option, value);
}

/// Sets an option that takes a data pointer, such as CURLOPT_WRITEDATA, CURLOPT_HEADERDATA,
/// CURLOPT_READDATA or CURLOPT_POSTFIELDS. The pointer must stay valid while the handle uses it.
static inline CURLcode travis_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return (curl_easy_setopt)(handle, option, value);
}

/// Sets an option that takes a header or string list, such as CURLOPT_HTTPHEADER. libcurl does not
/// copy the list, so free it with curl_slist_free_all only after the last transfer that uses it.
static inline CURLcode travis_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return (curl_easy_setopt)(handle, option, value);
}

/// Sets CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION or CURLOPT_READFUNCTION. The three callbacks
/// share the signature size_t (char *buffer, size_t size, size_t nitems, void *userdata).
static inline CURLcode travis_curl_easy_setopt_callback(CURL *handle, CURLoption option,
                                                        curl_write_callback callback) {
    return (curl_easy_setopt)(handle, option, callback);
}

/// Reads a long item, such as CURLINFO_RESPONSE_CODE.
static inline CURLcode travis_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return (curl_easy_getinfo)(handle, info, value);
}

/// Reads a double item, such as CURLINFO_TOTAL_TIME.
static inline CURLcode travis_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return (curl_easy_getinfo)(handle, info, value);
}

/// Reads a curl_off_t item, such as CURLINFO_CONTENT_LENGTH_DOWNLOAD_T.
static inline CURLcode travis_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return (curl_easy_getinfo)(handle, info, value);
}

/// Reads a string item, such as CURLINFO_EFFECTIVE_URL. The handle owns the string, which stays
/// valid until the handle is cleaned up or reused. It may be NULL.
static inline CURLcode travis_curl_easy_getinfo_string(CURL *handle, CURLINFO info, const char **value) {
    return (curl_easy_getinfo)(handle, info, (char **)value);
}

/// Returns the version of the linked libcurl alone, such as "7.88.1". curl_version() returns a
/// longer line that also names the TLS and compression libraries.
static inline const char *travis_curl_version_number(void) {
    return curl_version_info(CURLVERSION_NOW)->version;
}

#endif
