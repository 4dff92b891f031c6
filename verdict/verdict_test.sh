#!/usr/bin/env bash
# Runs the reader's tests (verdict_test.py, compare_test.py, ktap_test.py,
# user_tables_test.py, results_schema_test.py against results.schema.json) on
# the fixtures in testdata/, then the reader itself on the sample matrix, leaving its report in the test's
# undeclared outputs (Bazel 4 zips them into test.outputs/outputs.zip).
set -euo pipefail
here=$(dirname "$0")
if [ -n "${TEST_SRCDIR:-}" ] && [ -d "$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/verdict" ]; then
  here="$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/verdict"
fi
python3 -B "$here/verdict_test.py"
python3 -B "$here/compare_test.py"
python3 -B "$here/ktap_test.py"
python3 -B "$here/user_tables_test.py"
python3 -B "$here/results_schema_test.py"
out=${TEST_UNDECLARED_OUTPUTS_DIR:-$(mktemp -d)}
set +e
python3 -B "$here/verdict.py" --matrix "$here/testdata/matrix" --md "$out/sample_report.md" \
  --html "$out/sample_report.html" > "$out/closing.txt" 2>/dev/null
rc=$?
set -e
[ $rc -eq 1 ] || { echo "verdict_test: the sample matrix (with planted findings) exited $rc, want 1"; exit 1; }
[ "$(tail -n 1 "$out/closing.txt")" = "ipcspec: 7 passed, 3 failed, 0 skipped" ] \
  || { echo "verdict_test: closing line: $(tail -n 1 "$out/closing.txt")"; exit 1; }
echo "verdict_test: PASS"
