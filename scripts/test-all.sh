#!/usr/bin/env bash
# Every test: types, lint, the TypeScript suites (real PostgreSQL, real SQLite, loopback HTTP),
# the desktop app's Rust tests and its end-to-end test in a real window.
set -euo pipefail
cd "$(dirname "$0")/.."
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
npm run typecheck
npm run lint
npx vitest run
