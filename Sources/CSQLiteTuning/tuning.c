#include <sqlite3.h>
#include "CSQLiteTuning.h"

// SQLite keeps allocation statistics by default: every sqlite3_malloc/free takes a global mutex to update them.
// Nothing here reads them, and the writer allocates for every row it inserts.
int botflow_sqlite_disable_memstatus(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
