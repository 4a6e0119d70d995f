# Shared by the scripts: find the Swift toolchain and install missing system packages (Debian/Ubuntu).
# shellcheck shell=bash

# Puts the Swift toolchain on PATH when it is installed but not on PATH (e.g. /opt/swift).
ensure_swift() {
  if ! command -v swift >/dev/null 2>&1; then
    for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
      [ -x "$dir/swift" ] && export PATH="$dir:$PATH" && break
    done
  fi
  command -v swift >/dev/null 2>&1 || { echo "error: the Swift 6 toolchain is required (https://swift.org/install)" >&2; exit 1; }
}

# ensure_packages PKG… — installs the Debian packages that are missing, non-interactively, only when needed.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing missing system packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The libraries the appliance links: SQLite (GRDB), OpenSSL libcrypto (PBKDF2, AES-CBC), zlib (backups); and
# libdeflate0, which backups load at run time when present (2× faster gzip level 6; zlib is the fallback).
BOTFLOW_SYSTEM_PACKAGES=(libsqlite3-dev libssl-dev zlib1g-dev libdeflate0)
