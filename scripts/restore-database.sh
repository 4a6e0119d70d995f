#!/usr/bin/env bash
# Wrapper for an offline restore (the server must be stopped; with it running use POST /api/admin/backups/:name/restore):
#   scripts/restore-database.sh <backup name or path> [--yes]
# Verifies the backup first, keeps an encrypted pre-restore backup of the current database, then swaps it in.
# Uses BOTFLOW_BIN / BOTFLOW_DATA_DIR like backup-database.sh. Exit code: 0 restored, 1 refused or failed, 2 usage.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 <backup name or path> [--yes]" >&2; exit 2; }
bin=${BOTFLOW_BIN:-$(command -v botflow || echo "$(dirname "$0")/../.build/release/botflow")}
data_dir=${BOTFLOW_DATA_DIR:-./data}
"$bin" backup verify --data-dir "$data_dir" "$1"
exec "$bin" backup restore --data-dir "$data_dir" "$@"
