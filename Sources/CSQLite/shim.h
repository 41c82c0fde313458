#ifndef TRAVIS_LOGS_CSQLITE_SHIM_H
#define TRAVIS_LOGS_CSQLITE_SHIM_H

#include <sqlite3.h>

// SQLITE_TRANSIENT is a macro that casts -1 to a function pointer, which Swift does not import.
// Passing it to sqlite3_bind_text or sqlite3_bind_blob makes SQLite copy the bytes before returning.
static inline sqlite3_destructor_type travis_sqlite3_transient(void) {
    return SQLITE_TRANSIENT;
}

#endif
