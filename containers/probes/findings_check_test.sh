#!/usr/bin/env bash
# //containers/probes:findings_check_test: every finding row of gVisor's table
# is linked to a reproducer (or listed as missing one), and the checker is
# not vacuous: each planted defect (an unlinked row, a stale link, a link to
# no program, a program without alarm(), one not built, one with a local
# header) makes it fail with its message.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ -n "${TEST_SRCDIR:-}" ]; then root="$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}"; fi
check="$root/containers/probes/findings_check.py"
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/findings_check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "== the tree as it is"
python3 -B "$check" --root "$root" --tables gvisor --list-missing

fresh() {
  rm -rf "$tmp/t"
  mkdir -p "$tmp/t/containers/probes" "$tmp/t/containers/divergences"
  cp "$root"/containers/probes/{BUILD,findings.tsv,reproducers.tsv} "$tmp/t/containers/probes/"
  cp "$root"/containers/probes/*.c "$tmp/t/containers/probes/"
  cp "$root"/containers/divergences/gvisor.tsv "$tmp/t/containers/divergences/"
}
fails=0
mutant() {  # NAME EXPECTED-TEXT: the checker must fail and say EXPECTED-TEXT
  local name=$1 want=$2 out rc=0
  out=$(python3 -B "$check" --root "$tmp/t" --tables gvisor 2>&1) || rc=$?
  if [ "$rc" -ne 1 ] || ! grep -qF -- "$want" <<<"$out"; then
    echo "FAIL: mutant '$name' not caught (exit $rc; wanted a message with: $want)"
    echo "$out" | head -5
    fails=1
  else
    echo "caught: $name: $(grep -F -- "$want" <<<"$out" | head -1)"
  fi
}
P=$tmp/t/containers/probes

fresh; grep -v $'\tmsgrcv_overrun$' "$root/containers/probes/findings.tsv" > "$P/findings.tsv"
mutant "a finding row with no link" "has no line in containers/probes/findings.tsv"
fresh; printf 'containers/divergences/gvisor.tsv\tNo.SuchTest\t*\tmsgrcv_overrun\n' >> "$P/findings.tsv"
mutant "a stale link" "stale link"
fresh; sed -i 's/\tmsgrcv_overrun$/\tno_such_program/' "$P/findings.tsv"
mutant "a link to no reproducer" "reproducer 'no_such_program' is not in"
fresh; sed -i 's/alarm(/no_alarm(/g' "$P/msgrcv_overrun.c"
mutant "a reproducer without alarm()" "bounds no blocking call with alarm()"
fresh; sed -i '/"msgrcv_overrun",/d' "$P/BUILD"
mutant "a reproducer not built" "is not built by containers/probes/BUILD"
fresh; sed -i '1i #include "impl/core/fd.h"' "$P/msgrcv_overrun.c"
mutant "a reproducer with a local header" "includes a local header"
fresh; rm "$P/msgrcv_overrun.c"
mutant "a reproducer with no source" "has no source"
fresh; sed -i 's/^msgrcv_overrun\tgvisor\t/msgrcv_overrun\t-\t/' "$P/reproducers.tsv"
mutant "a reproducer that fails nowhere" "fails nowhere"
exit $fails
