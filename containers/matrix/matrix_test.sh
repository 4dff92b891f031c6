#!/usr/bin/env bash
# Runs containers/matrix/matrix_test.py (the loop, the marker stream, runner.tsv
# and the reader's verdict over them), under Bazel or from a checkout.
set -euo pipefail
here=$(dirname "$0")
if [ -n "${TEST_SRCDIR:-}" ] && [ -d "$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/containers/matrix" ]; then
  here="$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/containers/matrix"
  export VERDICT_PY="$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/verdict/verdict.py"
fi
python3 -B "$here/matrix_test.py"
