#!/usr/bin/env bash
# Cron-friendly wrapper: create a manual backup (docs/DISASTER_RECOVERY.md) and, with --prune, apply retention.
# Uses the installed binary (BOTFLOW_BIN, else `botflow` on PATH, else .build/release/botflow) and the same
# environment as the server (BOTFLOW_DATA_DIR, BACKUP_DIRS, BACKUP_ENCRYPTION_KEY…). Exit code: 0 ok, 1 failed.
#   e.g. crontab:  30 3 * * *  BOTFLOW_DATA_DIR=/var/lib/botflow /opt/botflow/scripts/backup-database.sh --prune
set -euo pipefail
bin=${BOTFLOW_BIN:-$(command -v botflow || echo "$(dirname "$0")/../.build/release/botflow")}
data_dir=${BOTFLOW_DATA_DIR:-./data}
"$bin" backup create --data-dir "$data_dir"
if [ "${1:-}" = "--prune" ]; then
  "$bin" backup prune --data-dir "$data_dir"
fi
