#!/usr/bin/env bash
# Runs ci/workflow_lint_test.py (the GitHub Actions workflow lints clean and
# the lint catches planted mistakes), under Bazel or from a checkout.
set -euo pipefail
here=$(dirname "$0")
if [ -n "${TEST_SRCDIR:-}" ] && [ -d "$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/ci" ]; then
  here="$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/ci"
fi
python3 -B "$here/workflow_lint_test.py"
