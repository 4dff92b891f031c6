#!/usr/bin/env bash
# The README's "Testing your IPC library with ipcspec" stays true: every block
# marked <!-- guide: PATH --> is PATH's exact text, the Kind it shows is the
# one registered in impl/adapters/jobserver/jobserver_kinds.cc, and the files
# and targets it names exist.
set -u
readme=README.md
[ -f "$readme" ] || { echo "FAIL: no README.md in the runfiles"; exit 1; }
status=0
fail() { echo "FAIL: $*"; status=1; }

# 1. Marked blocks equal their files.
n=0
while IFS= read -r path; do
  n=$((n + 1))
  want=$(cat "$path" 2>/dev/null) || { fail "the guide quotes $path, which does not exist"; continue; }
  got=$(awk -v p="<!-- guide: $path -->" '
    $0 == p {on = 1; next}
    on == 1 && /^```/ {if (started) exit; started = 1; next}
    on == 1 && started {print}' "$readme")
  [ "$got" == "$want" ] || fail "the guide's copy of $path differs from the file:
$(diff <(echo "$got") <(echo "$want"))"
done < <(sed -n 's/^<!-- guide: \(.*\) -->$/\1/p' "$readme")
[ $n -ge 1 ] || fail "no <!-- guide: PATH --> block in the README"

# 2. The Kind shown is the Kind registered (each shown line is in the file,
#    comments aside).
kinds=impl/adapters/jobserver/jobserver_kinds.cc
while IFS= read -r line; do
  code=$(sed 's|  *//.*$||' <<<"$line")
  [ -z "${code// /}" ] && continue
  grep -qF -- "$code" "$kinds" || fail "the guide shows '$code', which $kinds does not have"
done < <(awk '/^SemaphoreKind MakeJobServerKind/ {on = 1} on {print} on && /^IPCSPEC_REGISTER_KIND/ {exit}' "$readme")

# 3. What it tells the reader to run exists.
for f in impl/adapters/report.py bazel/adapter.bzl impl/verdict/table.h \
         impl/adapters/jobserver/divergences.tsv; do
  [ -e "$f" ] || fail "the guide names $f, which does not exist"
done
grep -q 'bazel test //impl/adapters/jobserver:jobserver_test' "$readme" \
  || fail "the guide no longer runs the jobserver adapter's test"

[ $status -eq 0 ] && echo PASS
exit $status
