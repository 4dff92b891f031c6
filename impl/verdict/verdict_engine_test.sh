#!/usr/bin/env bash
# The verdict engine end to end, on planted tables (impl/verdict/testdata):
# each planted test is run alone, and its exit status and its JSON record
# must say what verdict/README.md says, for an environment table and a
# library table alike.
set -u
bin=$1
out=${TEST_TMPDIR:-$(mktemp -d)}/verdict_engine
status=0
fail() { echo "FAIL: $*"; status=1; }

# run NAME WANT_EXIT WANT_OUTCOME [ENV...]: runs Planted.NAME, checks both.
run() {
  local name=$1 want_exit=$2 want=$3; shift 3
  local dir=$out/$name.$RANDOM
  mkdir -p "$dir"
  env IPCSPEC_ENV=planted IPCSPEC_RESULTS_DIR="$dir" "$@" "$bin" --gtest_filter="Planted.$name" \
    >"$dir/log" 2>&1
  local rc=$?
  [ "$rc" = "$want_exit" ] || fail "Planted.$name ($*): exit $rc, want $want_exit"
  local got
  got=$(python3 - "$dir" "Planted.$name" <<'PY'
import json, pathlib, sys
recs = [json.loads(l) for f in pathlib.Path(sys.argv[1]).glob("*.jsonl") for l in open(f)]
t = [r for r in recs if r["record"] == "test" and r["test"] == sys.argv[2]]
print(t[0]["outcome"] + " " + (t[0]["need"] or "-") + " " + str(len(t[0]["unmatched_entries"]))
      if t else "none")
PY
)
  [ "${got%% *}" = "$want" ] || { fail "Planted.$name ($*): outcome '$got', want '$want'"; cat "$dir/log"; }
  echo "$got"
}

run MatchingFailure 0 xfail >/dev/null
[ "$(run OtherFailure 1 fail)" = "fail - 1" ] || fail "OtherFailure must name its unmatched entry"
run TabledButPasses 1 xpass >/dev/null
run FlakyPasses 0 pass >/dev/null
run Passes 0 pass >/dev/null
[ "$(run DeclaredSkip 0 skip)" = "skip second-uid 0" ] || fail "DeclaredSkip must name its need"
[ "$(run UndeclaredSkip 1 skip)" = "skip undeclared 0" ] || fail "UndeclaredSkip must be undeclared"
run NotApplicable 0 n/a >/dev/null
run Broken 1 broken >/dev/null
run LibraryMatching 0 xfail >/dev/null
run LibraryOtherSignature 1 fail >/dev/null
run LibraryStale 1 xpass >/dev/null
# Tables off: the raw behaviour.
run MatchingFailure 1 fail IPCSPEC_IGNORE_TABLES=1 >/dev/null
run LibraryMatching 1 fail IPCSPEC_IGNORE_TABLES=1 >/dev/null
# Another environment's table does not apply.
run MatchingFailure 1 fail IPCSPEC_ENV=host >/dev/null
run TabledButPasses 0 pass IPCSPEC_ENV=host >/dev/null

# A crash: the start record with no test record and no end record.
dir=$out/crash; mkdir -p "$dir"
IPCSPEC_ENV=planted IPCSPEC_RESULTS_DIR="$dir" "$bin" --gtest_filter=Planted.Crashes >/dev/null 2>&1
python3 - "$dir" <<'PY' || fail "a crash must leave its start record and no test or end record"
import json, pathlib, sys
recs = [json.loads(l) for f in pathlib.Path(sys.argv[1]).glob("*.jsonl") for l in open(f)]
kinds = [r["record"] for r in recs]
assert kinds == ["run", "start"], kinds
assert recs[1]["test"] == "Planted.Crashes"
PY

# Entry records: per entry, how its tests came out; the one planted for no
# test matched nothing (the reader calls it stale over a whole run).
dir=$out/all; mkdir -p "$dir"
IPCSPEC_ENV=planted IPCSPEC_RESULTS_DIR="$dir" "$bin" --gtest_filter='Planted.*-Planted.Crashes' \
  >/dev/null 2>&1
python3 - "$dir" <<'PY' || fail "entry records"
import json, pathlib, sys
recs = [json.loads(l) for f in pathlib.Path(sys.argv[1]).glob("*.jsonl") for l in open(f)]
entries = {r["test"]: r for r in recs if r["record"] == "entry"}
assert entries["Planted.NoSuchTest"]["matched"] == {}, entries["Planted.NoSuchTest"]
assert entries["Planted.MatchingFailure"]["matched"] == {"xfail": 1}
assert entries["Queue.Planted"]["matched"] == {"fail": 1, "xfail": 1, "xpass": 1}
run = recs[0]
assert run["record"] == "run" and run["env"] == "planted", run
assert recs[-1]["record"] == "end" and recs[-1]["exit"] == 1, recs[-1]
PY
[ $status -eq 0 ] && echo PASS
exit $status
