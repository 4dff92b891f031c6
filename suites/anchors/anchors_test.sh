#!/usr/bin/env bash
# Runs the checker's own tests (anchors_selftest.py), then the checker on the
# tables in this folder against the --gtest_list_tests of every test binary
# listed in BUILD (passed as arguments). The counts go to stdout and to the
# test's undeclared outputs (anchor_counts.txt).
set -euo pipefail
here=$(dirname "$0")
if [ -n "${TEST_SRCDIR:-}" ] && [ -d "$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/suites/anchors" ]; then
  here="$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/suites/anchors"
fi
python3 -B "$here/anchors_selftest.py"
out=${TEST_UNDECLARED_OUTPUTS_DIR:-$(mktemp -d)}
python3 -B "$here/anchors.py" --tables "$here" --out "$out/anchor_counts.txt" "$@"
