#!/usr/bin/env bash
# Installs and starts what the tests need on a Debian machine: PostgreSQL, the Tauri build
# libraries, Xvfb and WebKitWebDriver, Chromium (the web app's browser tests drive it with
# playwright-core), PgBouncer (the scaling tests start a private one; the
# package's own service is not needed), then the npm packages. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

apt_packages=(postgresql libwebkit2gtk-4.1-dev libxdo-dev libssl-dev libayatana-appindicator3-dev
  librsvg2-dev webkit2gtk-driver xvfb xauth dbus build-essential pkg-config openssl imagemagick
  pgbouncer python3-venv curl chromium)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ensure-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# PostgreSQL: start the machine's cluster if it is not accepting connections.
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432
# Tests connect as postgres over TCP without a password (trust auth on loopback).
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  hba=/etc/postgresql/$ver/main/pg_hba.conf
  echo "host all all 127.0.0.1/32 trust" | $SUDO tee -a "$hba" >/dev/null
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
fi

# schemathesis (PyPI), pinned, in its own virtualenv (scripts/schemathesis.sh owns the version).
bash scripts/schemathesis.sh --install
