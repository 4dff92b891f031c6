#!/usr/bin/env bash
# First the runner's own checks (a malformed table is refused; a row whose
# mutant the test survives, or whose failure lacks the expected words, fails
# the run), then every row of the tables in this folder.
set -uo pipefail
here=$(dirname "$0")
if [ -n "${TEST_SRCDIR:-}" ] && [ -d "$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/suites/selftest/tables" ]; then
  here="$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/suites/selftest/tables"
fi
mutant=$1; shift
tmp=${TEST_TMPDIR:-$(mktemp -d)}/self
status=0
bins=("$@")
# The self-checks run in the first shard only, each on the whole one-row table.
first_shard=1
[ "${TEST_SHARD_INDEX:-0}" = "0" ] || first_shard=0
# expect WANTED_EXIT WANTED_TEXT TABLE: the runner on a one-table folder.
expect() {
  rm -rf "$tmp" && mkdir -p "$tmp/t"
  printf '%s' "$3" > "$tmp/t/x.tsv"
  env -u TEST_TOTAL_SHARDS -u TEST_SHARD_INDEX -u TEST_SHARD_STATUS_FILE \
    python3 -B "$here/table_mutants.py" --mutant "$mutant" --tables "$tmp/t" "${bins[@]}" > "$tmp/out" 2>&1
  local rc=$?
  if [ $rc -ne "$1" ] || ! grep -qF "$2" "$tmp/out"; then
    echo "FAIL: runner self-check: wanted exit $1 and '$2', got exit $rc:"
    cat "$tmp/out"; status=1
  fi
}
T=$'\t'
hdr="binary${T}test${T}syscall${T}condition${T}errno${T}expect${T}why"$'\n'
row="//suites/pipe:pipe_io_test${T}PipeOffsets.PreadPwriteAndTheirVectorFormsAreEspipe"
if [ $first_shard -eq 1 ]; then
expect 2 "the header must be" "no header"$'\n'
expect 2 "not in TABLE_BINARIES" "${hdr}//nowhere:x${T}Suite.Test${T}pwrite64${T}-${T}0${T}ESPIPE${T}why"$'\n'
expect 2 "not a filter" "${hdr}//suites/pipe:pipe_io_test${T}PipeOffsets.*${T}pwrite64${T}-${T}0${T}ESPIPE${T}why"$'\n'
expect 1 "survived" "${hdr}${row}${T}splice${T}-${T}0${T}ESPIPE${T}a call the test never makes"$'\n'
expect 1 "caught for another reason" "${hdr}${row}${T}pwrite64${T}-${T}0${T}no such words${T}a wrong expectation"$'\n'
expect 1 "the mutant refused" "${hdr}${row}${T}no_such_call${T}-${T}0${T}ESPIPE${T}why"$'\n'
expect 1 "framework's isolation" "${hdr}${row}${T}unshare${T}-${T}0${T}ESPIPE${T}an unconditional isolation mutant"$'\n'
expect 0 "1 caught" "${hdr}${row}${T}pwrite64${T}-${T}0${T}ESPIPE${T}the right row"$'\n'
[ $status -eq 0 ] && echo "table_mutants: runner self-checks pass"
fi

python3 -B "$here/table_mutants.py" --mutant "$mutant" --tables "$here" "$@" || status=1
exit $status
