#!/bin/bash
# Shared by the planted-fault tests (impl/repro/planted_*_test.sh): source it
# after setting `faults` (the directory of the fault libraries) and `work`
# (a scratch directory). `check` runs one property under one fault and checks
# its generated reproducer; `on_demand` checks the reproducers a suite writes
# for its passing properties (IPCSPEC_REPRO=always) on this machine.
out="${TEST_UNDECLARED_OUTPUTS_DIR:-${TEST_TMPDIR:-/tmp}}"
# The suites run inside a test must not write over its JUnit XML.
unset XML_OUTPUT_FILE
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# ms since the epoch
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# run_timed LOG CMD...: runs CMD (stdout+stderr to LOG) with a 10 s bound;
# sets rc and ms.
run_timed() {
  local log="$1"; shift
  local t0; t0=$(now_ms)
  timeout -k 2 10 "$@" > "$log" 2>&1
  rc=$?
  ms=$(( $(now_ms) - t0 ))
}

# The link flags a reproducer asks for (its "cc -o repro repro.c ..." line).
libs_of() { sed -n 's/^ \*   cc -o repro repro\.c\(.*\) && \.\/repro$/\1/p' "$1" | head -1; }

# check FAULT FILTER SEED SUITE_TEXT REPRO_TEXT [BINARY TARGET]
check() {
  local fault="$1" filter="$2" seed="$3" suite_text="$4" repro_text="$5"
  local bin="${6:-$suite}" target="${7:-//suites/byte_stream:byte_stream_test}"
  local so="$faults/$fault.so" dir="$work/$fault"
  mkdir -p "$dir"
  echo "== $fault: $filter (seed $seed)"
  if [ ! -f "$so" ]; then fail "$fault: no $so (a data dependency missing?)"; return; fi
  LD_PRELOAD="$so" IPCSPEC_REPRO_DIR="$dir" RC_PARAMS="seed=$seed" \
    TEST_TARGET="$target" TEST_UNDECLARED_OUTPUTS_DIR="$dir" \
    timeout -k 2 60 "$bin" --gtest_filter="$filter" \
    > "$dir/suite.log" 2>&1
  local src_rc=$?
  if [ "$src_rc" -eq 0 ]; then
    fail "$fault: $filter passed under the fault"; return
  fi
  if ! grep -qF -- "$suite_text" "$dir/suite.log"; then
    fail "$fault: $filter failed, but not with '$suite_text':"; tail -30 "$dir/suite.log"; return
  fi
  local src
  src=$(sed -n 's/^Reproducer (standalone C, [0-9]* step(s)): \(.*\.c\)$/\1/p' "$dir/suite.log" | head -1)
  if [ -z "$src" ] || [ ! -f "$src" ]; then
    fail "$fault: the failure names no reproducer file:"; tail -30 "$dir/suite.log"; return
  fi
  cp "$src" "$out/planted-$fault.c"
  # shellcheck disable=SC2046
  if ! cc -o "$dir/repro" "$src" $(libs_of "$src") > "$dir/cc.log" 2>&1; then
    fail "$fault: cc -o repro $src $(libs_of "$src") failed:"; cat "$dir/cc.log"; return
  fi
  run_timed "$dir/with.log" env LD_PRELOAD="$so" "$dir/repro"
  if [ "$rc" -ne 1 ]; then
    fail "$fault: the reproducer under the fault exited $rc, not 1:"; cat "$dir/with.log"
  elif ! grep -qF -- "$repro_text" "$dir/with.log"; then
    fail "$fault: the reproducer failed, but without '$repro_text':"; cat "$dir/with.log"
  elif [ "$ms" -ge 1000 ]; then
    fail "$fault: the reproducer under the fault took $ms ms (the bound is 1 s)"
  else
    echo "   under the fault: exit 1 in $ms ms:"; sed 's/^/     /' "$dir/with.log"
  fi
  run_timed "$dir/without.log" "$dir/repro"
  if [ "$rc" -ne 0 ]; then
    fail "$fault: the reproducer without the fault exited $rc, not 0:"; cat "$dir/without.log"
  elif [ "$ms" -ge 1000 ]; then
    fail "$fault: the reproducer without the fault took $ms ms (the bound is 1 s)"
  else
    echo "   without it:      exit 0 in $ms ms"
  fi
}


# on_demand NAME BINARY FILTER FILE_PREFIX KIND...: runs BINARY's FILTER with
# IPCSPEC_REPRO=always; each KIND's reproducer FILE_PREFIX-KIND.c must exist,
# compile with `cc -Wall -Wextra -Werror` (plus its own link flags) and exit 0
# here within a second. Leaves the suite's log in $work/NAME/suite.log.
on_demand() {
  local name="$1" bin="$2" filter="$3" prefix="$4"; shift 4
  local d="$work/$name"; mkdir -p "$d"
  echo "== on demand (IPCSPEC_REPRO=always): $filter"
  IPCSPEC_REPRO=always IPCSPEC_REPRO_DIR="$d" TEST_UNDECLARED_OUTPUTS_DIR="$d" \
    timeout -k 2 120 "$bin" --gtest_filter="$filter" > "$d/suite.log" 2>&1 \
    || { fail "$name: the suite failed on this machine"; tail -40 "$d/suite.log"; }
  local kind src
  for kind in "$@"; do
    src="$d/$prefix-$kind.c"
    if [ ! -f "$src" ]; then fail "$name/$kind: no reproducer written on demand"; continue; fi
    # shellcheck disable=SC2046
    if ! cc -Wall -Wextra -Werror -o "$d/r" "$src" $(libs_of "$src") > "$d/cc.log" 2>&1; then
      fail "$name/$kind: cc -Wall -Wextra -Werror failed:"; cat "$d/cc.log"; continue
    fi
    run_timed "$d/run.log" "$d/r"
    if [ "$rc" -ne 0 ]; then fail "$name/$kind: its reproducer exited $rc here:"; cat "$d/run.log"
    elif [ "$ms" -ge 1000 ]; then fail "$name/$kind: its reproducer took $ms ms (the bound is 1 s)"
    else echo "   $kind: exit 0 in $ms ms"; fi
  done
}
