#!/usr/bin/env bash
# Installs (or upgrades) BotFlow Appliance as a systemd service on Debian/Ubuntu.
#
# Usage: sudo appliance/install.sh [--binary PATH] [--root DIR] [--no-start]
#   --binary PATH  the botflow binary to install (default: dist/botflow from scripts/build-release, else
#                  .build/release/botflow)
#   --root DIR     install into DIR instead of / (a scratch root for packaging or testing: no package installs, no
#                  systemctl; the botflow user is added to DIR/etc/passwd when that file exists)
#   --no-start     install and enable nothing at run time (no daemon-reload, enable or start)
#
# What it does, idempotently:
#   1. checks the run-time libraries the binary links (libc, libsqlite3, libcrypto, zlib; the Swift runtime is
#      static) and on / installs the missing Debian packages;
#   2. creates the system user and group `botflow` (no shell, home /var/lib/botflow);
#   3. installs the binary to /usr/local/bin/botflow, keeping the one it replaces as /usr/local/bin/botflow.previous
#      (rollback: docs/DEPLOYMENT_GUIDE.md "Upgrades and rollback");
#   4. creates /var/lib/botflow (botflow:botflow, 0700) — the data directory;
#   5. installs /etc/botflow/botflow.env from appliance/botflow.env.sample (0600) unless it exists (never
#      overwritten: it holds your settings), and the unit /etc/systemd/system/botflow.service;
#   6. on /: systemctl daemon-reload, enable and (re)start the service, then waits for GET /ready.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$HERE")"
ROOT=/ BINARY="" START=1
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) BINARY=$2; shift 2 ;;
    --root) ROOT=$2; shift 2 ;;
    --no-start) START=0; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$BINARY" ]; then
  for candidate in "$REPO/dist/botflow" "$REPO/.build/release/botflow"; do [ -x "$candidate" ] && BINARY=$candidate && break; done
fi
[ -n "$BINARY" ] && [ -x "$BINARY" ] || { echo "error: no botflow binary; run scripts/build-release or pass --binary" >&2; exit 1; }
ROOT=${ROOT%/}
R=${ROOT:-}            # prefix for paths; empty for /
LIVE=0; [ -z "$R" ] && LIVE=1
[ "$LIVE" = 0 ] || [ "$(id -u)" -eq 0 ] || { echo "error: run as root (sudo) to install into /" >&2; exit 1; }
say() { echo "install: $*"; }

# 1. Run-time libraries.
missing=$(ldd "$BINARY" 2>/dev/null | awk '/not found/ {print $1}' || true)
if [ -n "$missing" ]; then
  if [ "$LIVE" = 1 ] && command -v apt-get >/dev/null; then
    say "installing run-time libraries for: $(echo $missing | tr '\n' ' ')"
    pkgs=(libsqlite3-0 zlib1g libstdc++6 ca-certificates)
    # Ubuntu 24.04 renamed libssl3 to libssl3t64.
    if apt-cache show libssl3t64 >/dev/null 2>&1; then pkgs+=(libssl3t64); else pkgs+=(libssl3); fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
  else
    say "warning: libraries not found on this machine: $(echo $missing | tr '\n' ' ') (the target needs libsqlite3-0, libssl3, zlib1g)"
  fi
fi
# Optional: backups load libdeflate at run time when it is there (about 2× faster; zlib otherwise, same format).
if [ "$LIVE" = 1 ] && command -v apt-get >/dev/null \
   && ! dpkg-query -W -f='${Status}' libdeflate0 2>/dev/null | grep -q "install ok installed"; then
  say "installing libdeflate0 (faster backups)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libdeflate0 \
    || say "warning: libdeflate0 not installed; backups use zlib (slower, same format)"
fi
if ldd "$BINARY" 2>/dev/null | grep -q 'libswiftCore'; then
  say "warning: $BINARY links the Swift runtime dynamically; build it with scripts/build-release (--static-swift-stdlib)"
fi

# 2. The service user.
if [ "$LIVE" = 1 ]; then
  getent group botflow >/dev/null || groupadd --system botflow
  id -u botflow >/dev/null 2>&1 || useradd --system --gid botflow --home-dir /var/lib/botflow --no-create-home \
    --shell /usr/sbin/nologin --comment "BotFlow Appliance" botflow
elif [ -f "$R/etc/passwd" ] && [ -f "$R/etc/group" ]; then
  grep -q '^botflow:' "$R/etc/group" || groupadd --prefix "$R" --system botflow
  grep -q '^botflow:' "$R/etc/passwd" || useradd --prefix "$R" --system --gid botflow --home-dir /var/lib/botflow \
    --no-create-home --shell /usr/sbin/nologin --comment "BotFlow Appliance" botflow
else
  say "scratch root without etc/passwd: the botflow user is created on the target at first install"
fi
owner() { # numeric uid:gid of botflow in the target root, if it exists there
  local passwd="$R/etc/passwd"; [ -f "$passwd" ] || return 0
  awk -F: '$1 == "botflow" {print $3 ":" $4}' "$passwd"
}

# 3. The binary (the replaced one is kept for rollback).
install -d -m 0755 "$R/usr/local/bin"
if [ -f "$R/usr/local/bin/botflow" ] && ! cmp -s "$BINARY" "$R/usr/local/bin/botflow"; then
  cp -p "$R/usr/local/bin/botflow" "$R/usr/local/bin/botflow.previous"
  say "kept the previous binary as /usr/local/bin/botflow.previous"
fi
install -m 0755 "$BINARY" "$R/usr/local/bin/botflow.new"
mv -f "$R/usr/local/bin/botflow.new" "$R/usr/local/bin/botflow"   # atomic replace: a running server keeps its inode

# 4. The data directory.
install -d -m 0700 "$R/var/lib/botflow"
ids=$(owner); [ -n "$ids" ] && chown "$ids" "$R/var/lib/botflow"

# 5. Settings and unit.
install -d -m 0755 "$R/etc/botflow" "$R/etc/systemd/system" "$R/usr/local/share/doc/botflow"
if [ -f "$R/etc/botflow/botflow.env" ]; then
  say "kept the existing /etc/botflow/botflow.env"
else
  install -m 0600 "$HERE/botflow.env.sample" "$R/etc/botflow/botflow.env"
  say "installed /etc/botflow/botflow.env (edit PUBLIC_BASE_URL and FRONTEND_URL)"
fi
install -m 0644 "$HERE/botflow.service" "$R/etc/systemd/system/botflow.service"
for doc in DEPLOYMENT_GUIDE.md CONFIGURATION.md DISASTER_RECOVERY.md OBSERVABILITY.md; do
  [ -f "$REPO/docs/$doc" ] && install -m 0644 "$REPO/docs/$doc" "$R/usr/local/share/doc/botflow/$doc"
done
"$R/usr/local/bin/botflow" --help >/dev/null 2>&1 || say "warning: the installed binary does not run on this machine (libraries?)"

# 6. Start.
if [ "$LIVE" = 1 ] && [ "$START" = 1 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable botflow >/dev/null
  systemctl restart botflow
  port=$(sed -nE 's/^PORT=([0-9]+).*/\1/p' /etc/botflow/botflow.env | tail -1); port=${port:-3001}
  for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then say "botflow is running: http://127.0.0.1:$port/health"; exit 0; fi
    sleep 0.3
  done
  say "botflow did not answer /ready within 30 s; see journalctl -u botflow"
  exit 1
fi
say "installed into ${ROOT:-/}$([ "$LIVE" = 1 ] && [ "$START" = 0 ] && echo '; start with: systemctl daemon-reload && systemctl enable --now botflow')"
