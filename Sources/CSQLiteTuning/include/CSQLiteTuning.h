#ifndef CSQLITETUNING_H
#define CSQLITETUNING_H

/// Process-wide SQLite settings that must be made before SQLite initialises (sqlite3_config is variadic, so Swift
/// cannot call it directly). Returns SQLite's result code: SQLITE_MISUSE (21) when SQLite was already initialised,
/// in which case nothing changed.
int botflow_sqlite_disable_memstatus(void);

#endif
