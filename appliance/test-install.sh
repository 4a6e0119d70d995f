#!/usr/bin/env bash
# Tests appliance/install.sh against scratch roots (no systemctl, nothing outside the scratch directories changes):
# a bare root, a root with its own etc/passwd (user creation through useradd --prefix), and an upgrade that must keep
# the previous binary and the operator's settings. Also checks the unit with systemd-analyze when it is available.
# Usage: appliance/test-install.sh [binary] (default: dist/botflow, else .build/release/botflow)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
BIN=${1:-}
[ -n "$BIN" ] || for c in "$HERE/../dist/botflow" "$HERE/../.build/release/botflow"; do [ -x "$c" ] && BIN=$c && break; done
[ -x "${BIN:-}" ] || { echo "no binary (pass one)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
HOST_PASSWD=$(sha256sum </etc/passwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
mode() { stat -c '%a' "$1"; }

# 1. Bare scratch root.
"$HERE/install.sh" --binary "$BIN" --root "$WORK/bare" >/dev/null
[ -x "$WORK/bare/usr/local/bin/botflow" ] || fail "binary"
[ "$(mode "$WORK/bare/var/lib/botflow")" = 700 ] || fail "data dir mode"
[ "$(mode "$WORK/bare/etc/botflow/botflow.env")" = 600 ] || fail "env file mode"
[ "$(mode "$WORK/bare/etc/systemd/system/botflow.service")" = 644 ] || fail "unit mode"
cmp -s "$HERE/botflow.env.sample" "$WORK/bare/etc/botflow/botflow.env" || fail "env file content"

# 2. Root with its own account files: the user is created there, and owns the data directory.
mkdir -p "$WORK/users/etc"
printf 'root:x:0:0:root:/root:/bin/bash\n' >"$WORK/users/etc/passwd"
printf 'root:x:0:\n' >"$WORK/users/etc/group"
printf 'root:*:19000:0:99999:7:::\n' >"$WORK/users/etc/shadow"
printf 'root:*::\n' >"$WORK/users/etc/gshadow"
"$HERE/install.sh" --binary "$BIN" --root "$WORK/users" >/dev/null
line=$(grep '^botflow:' "$WORK/users/etc/passwd") || fail "botflow user not created"
case "$line" in *:/var/lib/botflow:/usr/sbin/nologin) ;; *) fail "user line: $line" ;; esac
uid=$(echo "$line" | cut -d: -f3)
[ "$(stat -c '%u' "$WORK/users/var/lib/botflow")" = "$uid" ] || fail "data dir owner"
[ "$(sha256sum </etc/passwd)" = "$HOST_PASSWD" ] || fail "the host's /etc/passwd changed"

# 3. Upgrade: settings kept, previous binary kept, user not duplicated.
echo "PUBLIC_BASE_URL=https://bots.example.com" >>"$WORK/users/etc/botflow/botflow.env"
cp "$BIN" "$WORK/new-botflow"; printf 'x' >>"$WORK/new-botflow"
"$HERE/install.sh" --binary "$WORK/new-botflow" --root "$WORK/users" >/dev/null
grep -q '^PUBLIC_BASE_URL=https://bots.example.com$' "$WORK/users/etc/botflow/botflow.env" || fail "settings overwritten"
cmp -s "$BIN" "$WORK/users/usr/local/bin/botflow.previous" || fail "previous binary not kept"
cmp -s "$WORK/new-botflow" "$WORK/users/usr/local/bin/botflow" || fail "new binary not installed"
[ "$(grep -c '^botflow:' "$WORK/users/etc/passwd")" = 1 ] || fail "user duplicated"

# 4. The unit parses (systemd-analyze complains only about what a scratch root lacks).
if command -v systemd-analyze >/dev/null; then
  out=$(systemd-analyze verify "$HERE/botflow.service" 2>&1 || true)
  echo "$out" | grep -vE 'is not executable|not found|Failed to create' | grep -q . && fail "systemd-analyze: $out"
  systemd-analyze security --offline=yes "$HERE/botflow.service" 2>/dev/null | tail -1
fi
echo "install.sh: all scratch-root checks passed"
