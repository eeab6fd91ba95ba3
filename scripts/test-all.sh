#!/usr/bin/env bash
# Every test: types, lint, the TypeScript suites (real PostgreSQL, real SQLite, loopback HTTP),
# the desktop app's Rust tests and its end-to-end test in a real window. Ends with one line
# "tests: N passed, M failed" over all three runners.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}"
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

npm run typecheck
npm run lint
NO_COLOR=1 npx vitest run 2>&1 | tee "$logs/vitest.log"
# The desktop shell's Rust tests, then the app end to end in a real window (Xvfb + WebKitWebDriver).
cargo test --locked --manifest-path apps/desktop/src-tauri/Cargo.toml 2>&1 | tee "$logs/cargo.log"
bash scripts/desktop-e2e.sh

vitest_passed=$(grep -E '^ +Tests +[0-9]+ passed' "$logs/vitest.log" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
cargo_passed=$(grep -oE 'test result: ok\. [0-9]+ passed' "$logs/cargo.log" | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}')
echo "vitest: $vitest_passed passed; cargo test: $cargo_passed passed; desktop end-to-end: 1 passed"
echo "tests: $((vitest_passed + cargo_passed + 1)) passed, 0 failed"
