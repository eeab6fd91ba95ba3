#!/usr/bin/env bash
# The desktop app end to end in a real window: builds the app (`tauri build --debug --no-bundle`,
# cached Cargo target dir), starts Xvfb and a D-Bus session, makes a fresh PostgreSQL database,
# and runs apps/desktop/e2e/run.ts, which drives the app through WebKitWebDriver, starts and stops
# the server, and checks the notes with the `ferry` CLI as a second device.
#
# The debug build is the one CI makes (scripts/test-all.sh, desktop-build lane) and the one
# `cargo test` of the shell shares: the production features (the front end embedded, served by
# the custom protocol, under the CSP) without the release optimiser (docs/testing.md, "CI
# pipeline"). FERRY_E2E_RELEASE=1 builds and drives the release app instead.
#
# Screenshots go to artifacts/desktop/. Set FERRY_E2E_SKIP_BUILD=1 to reuse the last build,
# FERRY_E2E_UPDATE_DOCS=1 to copy the docs screenshot to docs/screenshot.png,
# FERRY_E2E_VERBOSE=1 to see the server and driver logs. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}"
admin_url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
if [ "${FERRY_E2E_RELEASE:-0}" = 1 ]; then
  app="$CARGO_TARGET_DIR/release/ferry-desktop" build_script=build
else
  app="$CARGO_TARGET_DIR/debug/ferry-desktop" build_script=build:debug
fi

for tool in Xvfb WebKitWebDriver dbus-run-session psql; do
  command -v "$tool" >/dev/null || { echo "desktop-e2e: $tool is missing (run scripts/ensure-services.sh)" >&2; exit 1; }
done

if [ "${FERRY_E2E_SKIP_BUILD:-0}" != 1 ]; then
  start=$(date +%s)
  npm run --silent "$build_script" -w @ferry/desktop
  echo "desktop-e2e: build took $(( $(date +%s) - start )) s"
fi
[ -x "$app" ] || { echo "desktop-e2e: no app at $app" >&2; exit 1; }

work=$(mktemp -d /tmp/ferry-desktop-e2e.XXXXXX)
artifacts="$repo/artifacts/desktop"
mkdir -p "$artifacts"
rm -f "$artifacts"/*.png

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
server_port=$(free_port)
driver_port=$(free_port)

dbname="ferry_desktop_e2e_$$_$RANDOM"
psql "$admin_url" -qAtc "CREATE DATABASE $dbname" >/dev/null
database_url="${admin_url%/*}/$dbname"

xvfb_pid=""
cleanup() {
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  psql "$admin_url" -qAtc "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Xvfb picks a free display itself and writes its number to fd 3.
exec 3>"$work/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
exec 3>&-
for _ in $(seq 1 50); do [ -s "$work/display" ] && break; sleep 0.1; done
display=":$(head -1 "$work/display")"
[ "$display" != ":" ] || { echo "desktop-e2e: Xvfb did not start" >&2; cat "$work/xvfb.log" >&2; exit 1; }

docs_shot=""
if [ "${FERRY_E2E_UPDATE_DOCS:-0}" = 1 ]; then docs_shot="$repo/docs/screenshot.png"; fi

# WebKitGTK under Xvfb: no GPU compositing, no DMA-BUF renderer, no accessibility bus.
env DISPLAY="$display" \
  WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 NO_AT_BRIDGE=1 \
  FERRY_E2E_APP="$app" FERRY_E2E_WORK="$work" FERRY_E2E_ARTIFACTS="$artifacts" \
  FERRY_E2E_DATABASE_URL="$database_url" FERRY_E2E_SERVER_PORT="$server_port" \
  FERRY_E2E_DRIVER_PORT="$driver_port" FERRY_E2E_DOCS_SCREENSHOT="$docs_shot" \
  dbus-run-session -- npx tsx --conditions=ferry-source "${FERRY_E2E_SCRIPT:-apps/desktop/e2e/run.ts}" 2> >(grep -v -E 'dbus-daemon|xdg-desktop-portal|Gtk-WARNING|pw.conf|SpiRegistry|max threads|^$' >&2)
