#!/usr/bin/env bash
# Runs the project's tests: `bazel test //...` plus the same under
# AddressSanitizer, then prints one closing line "ipcspec: N passed, N failed".
#
#   ci/test.sh              # bazel test //... and --config=asan
#   ci/test.sh --fast       # bazel test //... only
set -uo pipefail
cd "$(dirname "$0")/.."

configs=("" "--config=asan")
[ "${1:-}" = "--fast" ] && configs=("")

rc=0
passed=0
failed=0
for cfg in "${configs[@]}"; do
  echo "==== bazel test //... ${cfg}"
  # Count only this run's results: results of tests that no longer run (a
  # renamed target, a tag filter) would otherwise linger in the testlogs.
  # shellcheck disable=SC2086
  logs=$(bazel info bazel-testlogs $cfg 2>/dev/null)
  [ -n "$logs" ] || logs=bazel-testlogs
  [ -n "$logs" ] && [ -d "$logs" ] && rm -rf "${logs:?}"/*
  # shellcheck disable=SC2086
  bazel test //... $cfg
  r=$?
  [ $r -ne 0 ] && rc=$r
  # Count test targets from the XML of this run.
  read -r p f < <(python3 ci/count_results.py "$logs")
  passed=$((passed + p))
  failed=$((failed + f))
done
echo "ipcspec: ${passed} passed, ${failed} failed"
exit $rc
