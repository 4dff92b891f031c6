#!/bin/bash
# `ipcspec` (//:ipcspec): wrong input is a clear error with exit 2, never a
# silent success; a command reaches its tool.
set -u
bin="${TEST_SRCDIR:?}/${TEST_WORKSPACE:-ipcspec}/ipcspec"
export RUNFILES_DIR="$TEST_SRCDIR"
failed=0
expect() {  # expect WANT_RC TEXT ARGS...
  local want="$1" text="$2"; shift 2
  out=$("$bin" "$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ] || ! grep -qF -- "$text" <<< "$out"; then
    echo "FAIL: ipcspec $*: exit $rc (want $want), output lacks '$text':"; echo "$out"; failed=1
  else
    echo "ok: ipcspec $*: exit $rc"
  fi
}
expect 2 "ipcspec repro TEST"
expect 2 "unknown command 'frobnicate'" frobnicate
expect 2 "no suite with reproducers runs 'NoSuch.Test'" repro NoSuch.Test
expect 2 "usage: repro TEST" repro
exit "$failed"
