#!/usr/bin/env bash
# Every test, in parallel lanes (docs/testing.md, "CI pipeline"):
#
#   typecheck      tsc over every workspace                                      (nice 5)
#   lint           eslint, prettier --check, and the API reference's check (typedoc: broken
#                  {@link}s, undocumented exports)                              (nice 5)
#   vitest         the TypeScript suites: real PostgreSQL, real SQLite, loopback HTTP; two test
#                  files at a time (vitest's default on two cores is one: most of their time is
#                  spent waiting on PostgreSQL, child processes and sockets)
#   packed         test/packed-install.test.ts: npm pack every package (which builds it), install
#                  the tarballs into a project outside the repository and use them there; its own
#                  lane so that its minutes of building and installing start at once and do not
#                  hold one of the vitest lane's two slots (nice 5)
#   schemathesis   scripts/schemathesis.sh: the server's /openapi.json against the running server
#   desktop-build  the desktop app, no bundle (`tauri build --debug`): the run's one Rust build, at
#                  nice 10 so it takes the CPU the test lanes leave idle
#   cargo-test     after desktop-build: the shell's Rust tests, built with the same profile and
#                  features as the app (dev, tauri/custom-protocol), so they reuse every compiled
#                  dependency; the lane fails if the tests need any crate compiled again (nice 10)
#   desktop-e2e    after desktop-build: that app end to end in a real window (Xvfb, WebKitWebDriver)
#
# Each lane writes its own log; the tail of every failing lane's log is printed at the end. The last
# line is "tests: N passed, M failed" over vitest (both lanes), cargo test, schemathesis (its JUnit test cases:
# one per API operation and one for the stateful phase) and the desktop end-to-end test (one). A lane that fails without a failed test to show for it (a
# type error, a compile error, a crash) counts as one failed test, so M is 0 only if every lane passed.
#
# Quicker local runs: FERRY_TEST_LANES="typecheck vitest" runs only the lanes listed (cargo-test
# and desktop-e2e also need desktop-build listed); FERRY_VITEST_ARGS="packages/protocol" passes
# arguments to `vitest run`; FERRY_VITEST_WORKERS=n runs n test files at a time (default 2);
# FERRY_TEST_LOGS=dir keeps the lane logs in dir.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ferry-target}"
# No colour codes in the logs: the counts below are read from them.
export NO_COLOR=1 CARGO_TERM_COLOR=never

all_lanes="typecheck lint vitest packed schemathesis desktop-build cargo-test desktop-e2e"
lanes=" ${FERRY_TEST_LANES:-$all_lanes} "
if [ -n "${FERRY_TEST_LOGS:-}" ]; then
  logs=$(mkdir -p "$FERRY_TEST_LOGS" && cd "$FERRY_TEST_LOGS" && pwd)
  rm -f "$logs"/*.log "$logs"/*.secs "$logs"/*.start "$logs"/*.json
else
  logs=$(mktemp -d /tmp/ferry-test-logs.XXXXXX)
fi

lane_typecheck() { nice -n 5 npm run typecheck; }
lane_lint() { nice -n 5 npm run lint && nice -n 5 npm run docs:api:check; }
# shellcheck disable=SC2086 # FERRY_VITEST_ARGS is a list of arguments
packed_test=test/packed-install.test.ts
lane_vitest() { npx vitest run --maxWorkers="${FERRY_VITEST_WORKERS:-2}" --exclude "$packed_test" ${FERRY_VITEST_ARGS:-}; }
lane_packed() { nice -n 5 npx vitest run "$packed_test"; }
lane_schemathesis() { touch "$logs/schemathesis.start" && bash scripts/schemathesis.sh; }
lane_desktop_build() { nice -n 10 npm run --silent build:debug -w @ferry/desktop -- -- --locked; }
# The app build's profile and features, as `tauri build --debug` passes them to cargo.
cargo_flags=(--locked --features tauri/custom-protocol --manifest-path apps/desktop/src-tauri/Cargo.toml)
lane_cargo_test() {
  # The units desktop-build left (all fresh: nothing compiles here), then the test build, which
  # must reuse every one of them (scripts/cargo-reuse.mjs), then the tests.
  nice -n 10 cargo build --bins "${cargo_flags[@]}" --message-format=json >"$logs/cargo-app-units.json"
  nice -n 10 cargo test --no-run "${cargo_flags[@]}" --message-format=json-render-diagnostics >"$logs/cargo-test-units.json"
  if ! node scripts/cargo-reuse.mjs "$logs/cargo-app-units.json" "$logs/cargo-test-units.json"; then
    echo "cargo-test: the test build compiled these crates again, with other features than the app"
    echo "build: pin those features in Cargo.toml (see its bitflags line and docs/testing.md)"
    return 1
  fi
  nice -n 10 cargo test "${cargo_flags[@]}"
}
lane_desktop_e2e() { FERRY_E2E_SKIP_BUILD=1 bash scripts/desktop-e2e.sh; }

# Each lane runs in its own process group (job control), so the lanes still running when this
# script is stopped can be stopped with it.
set -m
declare -A lane_pid=() lane_rc=()
stop_lanes() {
  for pid in "${lane_pid[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  [ -n "${FERRY_TEST_LOGS:-}" ] || rm -rf "$logs"
}
trap stop_lanes EXIT
trap 'exit 130' INT TERM

start_lane() {
  local name=$1
  [[ $lanes == *" $name "* ]] || return 0
  echo "test-all: $name started"
  (
    start=$(date +%s)
    trap 'echo $(($(date +%s) - start)) >"$logs/$name.secs"' EXIT
    "lane_${name//-/_}"
  ) </dev/null >"$logs/$name.log" 2>&1 &
  lane_pid[$name]=$!
}

started=$(date +%s)
for name in typecheck lint vitest packed schemathesis desktop-build; do start_lane "$name"; done
while [ "${#lane_pid[@]}" -gt 0 ]; do
  rc=0
  wait -n -p done_pid "${lane_pid[@]}" || rc=$?
  for name in "${!lane_pid[@]}"; do [ "${lane_pid[$name]}" = "$done_pid" ] && break; done
  unset "lane_pid[$name]"
  lane_rc[$name]=$rc
  echo "test-all: $name $([ "$rc" = 0 ] && echo passed || echo "FAILED (exit $rc)") in $(cat "$logs/$name.secs") s" \
    "($(($(date +%s) - started)) s since the start)"
  if [ "$name" = desktop-build ]; then
    for next in cargo-test desktop-e2e; do
      if [ "$rc" = 0 ]; then
        start_lane "$next"
      elif [[ $lanes == *" $next "* ]]; then
        lane_rc[$next]=skipped
        echo "test-all: $next not run: desktop-build failed"
      fi
    done
  fi
done

# Test counts, from the logs.
# sum REGEX FILE: the sum of the numbers that start each match of REGEX in FILE.
sum() { grep -oE "$1" "$2" 2>/dev/null | awk '{s += $1} END {print s + 0}' || true; }
passed=0 failed=0 lines=()
for name in $all_lanes; do
  rc=${lane_rc[$name]:-}
  [ -n "$rc" ] || continue
  if [ "$rc" = skipped ]; then
    lines+=("$name: not run")
    continue
  fi
  log="$logs/$name.log" p=0 f=0
  case $name in
    vitest | packed)
      tests=$(grep -E '^ +Tests +[0-9]' "$log" | tail -1 || true)
      p=$(sum '[0-9]+ passed' <(echo "$tests")) f=$(sum '[0-9]+ failed' <(echo "$tests")) ;;
    cargo-test) p=$(sum '[0-9]+ passed;' "$log") f=$(sum '[0-9]+ failed;' "$log") ;;
    schemathesis)
      # Its JUnit report: one test case per API operation.
      report=$(find artifacts/schemathesis -name 'junit-*.xml' -newer "$logs/schemathesis.start" 2>/dev/null | sort | tail -1)
      if [ -n "$report" ]; then
        suite=$(grep -oE '<testsuites [^>]*>' "$report")
        attr() { echo "$suite" | grep -oE " $1=\"[0-9]+\"" | grep -oE '[0-9]+' || echo 0; }
        f=$(($(attr failures) + $(attr errors))) p=$(($(attr tests) - f - $(attr skipped)))
      fi ;;
    desktop-e2e) if [ "$rc" = 0 ]; then p=1; else f=1; fi ;;
  esac
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  passed=$((passed + p)) failed=$((failed + f))
  line="$name: $([ "$rc" = 0 ] && echo passed || echo "FAILED (exit $rc)") in $(cat "$logs/$name.secs") s"
  case $name in vitest | packed | cargo-test | schemathesis | desktop-e2e) line+="; tests: $p passed, $f failed" ;; esac
  lines+=("$line")
done

for name in $all_lanes; do
  rc=${lane_rc[$name]:-0}
  [ "$rc" = 0 ] || [ "$rc" = skipped ] && continue
  echo
  echo "===== $name failed (exit $rc); the last 60 lines of $logs/$name.log ====="
  tail -n 60 "$logs/$name.log"
done
echo
printf '%s\n' "${lines[@]}"
echo "all lanes: $(($(date +%s) - started)) s"
echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
