#!/usr/bin/env bash
# Runs eintr_mutants.py on the EINTR table binary (see BUILD).
set -uo pipefail
here=$(dirname "$0")
if [ -n "${TEST_SRCDIR:-}" ] && [ -d "$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/suites/selftest/eintr" ]; then
  here="$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/suites/selftest/eintr"
fi
exec python3 -B "$here/eintr_mutants.py" "$@"
