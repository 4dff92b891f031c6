#!/bin/bash
# The emitter's blocked-child forms on their own (impl/repro/
# blocked_forms_demo.cc): each generated file compiles with
# `cc -Wall -Wextra -Werror` and, within a second, restart.c and eintr.c
# exit 0 here, wrong.c exits 1 (its check names the byte); under the planted
# fault sigaction_drops_sa_restart, restart.c exits 1 (the read failed EINTR
# although SA_RESTART was set).
set -u
ws="${TEST_SRCDIR:?}/${TEST_WORKSPACE:-ipcspec}"
demo="$ws/impl/repro/blocked_forms_demo"
so="$ws/impl/repro/faults/sigaction_drops_sa_restart.so"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/blocked-forms.XXXXXX")"
trap 'rm -rf "$work"' EXIT
. "$ws/impl/repro/planted_lib.sh"

"$demo" "$work" || { echo "FAIL: the demo could not write its files"; exit 1; }
for f in restart eintr wrong; do
  cp "$work/$f.c" "$out/blocked-forms-$f.c"
  if ! cc -Wall -Wextra -Werror -o "$work/$f" "$work/$f.c" > "$work/$f.cc.log" 2>&1; then
    fail "$f.c does not compile:"; cat "$work/$f.cc.log"
  fi
done
# expect NAME RC TEXT [PRELOAD]
expect() {
  local name="$1" want="$2" text="$3" pre="${4:-}"
  if [ -n "$pre" ]; then run_timed "$work/$name.log" env LD_PRELOAD="$pre" "$work/$name"
  else run_timed "$work/$name.log" "$work/$name"; fi
  if [ "$rc" -ne "$want" ]; then
    fail "$name${pre:+ (under $(basename "$pre"))} exited $rc, not $want:"; cat "$work/$name.log"
  elif ! grep -qF -- "$text" "$work/$name.log"; then
    fail "$name exited $rc, but without '$text':"; cat "$work/$name.log"
  elif [ "$ms" -ge 1000 ]; then
    fail "$name took $ms ms (the bound is 1 s)"
  else
    echo "== $name${pre:+ under $(basename "$pre")}: exit $rc in $ms ms"; sed 's/^/     /' "$work/$name.log"
  fi
}
expect restart 0 "OK: "
expect eintr 0 "OK: "
expect wrong 1 "expected the byte 'y'"
expect restart 1 "returned -1 (Interrupted system call)" "$so"
exit "$failed"
