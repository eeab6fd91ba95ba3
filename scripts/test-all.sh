#!/usr/bin/env bash
# Every test: types, lint, the TypeScript suites (real PostgreSQL, real SQLite, loopback HTTP),
# the desktop app's Rust tests and its end-to-end test in a real window.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}"
npm run typecheck
npm run lint
npx vitest run
# The desktop shell's Rust tests, then the app end to end in a real window (Xvfb + WebKitWebDriver).
cargo test --locked --manifest-path apps/desktop/src-tauri/Cargo.toml
bash scripts/desktop-e2e.sh
