#pragma once
// The system SQLite (libsqlite3-dev), used only by the SQLiteStore target.
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast of -1 to a function pointer, which Swift cannot import.
// It tells sqlite3_bind_text/blob to copy the bytes before returning.
static inline sqlite3_destructor_type csqlite_transient(void) {
    return SQLITE_TRANSIENT;
}
