#!/usr/bin/env bash
# The verdict engine end to end, on planted tables (impl/verdict/testdata):
# each planted test is run alone, and its exit status and its JSON record
# must say what verdict/README.md says, for an environment table and a
# library table alike.
set -u
bin=$1
reader=${2:-}
out=${TEST_TMPDIR:-$(mktemp -d)}/verdict_engine
status=0
fail() { echo "FAIL: $*"; status=1; }

# run NAME WANT_EXIT WANT_OUTCOME [ENV...]: runs Planted.NAME, checks both.
run() {
  local name=$1 want_exit=$2 want=$3; shift 3
  local dir=$out/$name.$RANDOM
  mkdir -p "$dir"
  env -u XML_OUTPUT_FILE -u TEST_UNDECLARED_OUTPUTS_DIR -u GTEST_OUTPUT \
    IPCSPEC_ENV=planted IPCSPEC_RESULTS_DIR="$dir" "$@" "$bin" --gtest_filter="Planted.$name" \
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
# A list of environments (a runtime's own table and the one it inherits):
# each one's table applies, and the run record names it.
run MatchingFailure 0 xfail IPCSPEC_ENV=mine,planted >/dev/null
run TabledButPasses 0 pass IPCSPEC_ENV=mine,host >/dev/null
grep -hq '"record":"run".*"env":"mine,planted".*"tables":\[[^]]*planted' "$out"/MatchingFailure.*/*.jsonl \
  || fail "IPCSPEC_ENV=mine,planted: the run record must list the planted table"

# The reader judges the dead tests against their entries: each crash run
# alone (it kills the binary), the records gathered as a matrix environment.
if [ -n "$reader" ]; then
  m=$out/matrix; mkdir -p "$m/planted"
  printf 'status\tfinished\n' >"$m/planted/env.tsv"
  printf 'binary\texit\tkilled\tnote\n' >"$m/planted/runner.tsv"
  for t in Crashes CrashesAsTabled CrashesOtherSignature LibraryCrashesAsTabled; do
    env -u XML_OUTPUT_FILE -u TEST_UNDECLARED_OUTPUTS_DIR IPCSPEC_ENV=planted \
      IPCSPEC_RESULTS_DIR="$m/planted" "$bin" --gtest_filter="Planted.$t" >/dev/null 2>&1
  done
  # The runner's view, as ci/matrix writes it: one line per binary.
  printf 'planted_bin\t134\t0\t\n' >>"$m/planted/runner.tsv"
  # A crash leaves the run record, the entries in force, the start record
  # (with the entries that cover the test by name), and no test or end record.
  python3 - "$m/planted" <<'PY' || fail "a crash must leave the entries, its start record and no test or end record"
import json, pathlib, sys
for f in pathlib.Path(sys.argv[1]).glob("*.jsonl"):
    recs = [json.loads(l) for l in open(f)]
    starts = [r for r in recs if r["record"] == "start"]
    if starts[0]["test"] != "Planted.CrashesAsTabled":
        continue
    kinds = [r["record"] for r in recs]
    assert [k for k in kinds if k != "entry"] == ["run", "start"], kinds
    assert "entry" in kinds and kinds.index("start") > max(
        i for i, k in enumerate(kinds) if k == "entry"), "entries first"
    assert starts[0]["covering"] == ["impl/verdict/testdata/planted.tsv:8"], starts[0]
    break
else:
    raise AssertionError("no records of Planted.CrashesAsTabled")
PY
  python3 "$reader" --matrix "$m" --json "$out/results.json" >"$out/reader.txt" 2>&1
  rc=$?
  [ $rc -eq 1 ] || { fail "the reader exited $rc on the crashes, want 1"; cat "$out/reader.txt"; }
  python3 - "$out/results.json" <<'PY' || fail "the reader's judgement of the crashed tests"
import json, sys
doc = json.load(open(sys.argv[1]))
t = {r["test"]: r for r in doc["tests"]}
def want(name, outcome, origin=None, unmatched=()):
    r = t["Planted." + name]
    assert r["outcome"] == outcome, (name, r["outcome"], r["reason"])
    assert r["signature_seen"] == ["crash"], (name, r["signature_seen"])
    if origin:
        assert (r["entry"] or {}).get("origin") == origin, (name, r["entry"])
    assert r["unmatched_entries"] == list(unmatched), (name, r["unmatched_entries"])
want("CrashesAsTabled", "xfail", "impl/verdict/testdata/planted.tsv:8")
want("CrashesOtherSignature", "fail", unmatched=["impl/verdict/testdata/planted.tsv:9"])
want("Crashes", "fail")
# The library Kind's crash, covered through its annotate record.
want("LibraryCrashesAsTabled", "xfail", "impl/verdict/testdata/plantlib.tsv:3")
assert t["Planted.LibraryCrashesAsTabled"]["kind"] == "plantlib_a"
entries = {e["origin"]: e for e in doc["entries"]}
assert entries["impl/verdict/testdata/planted.tsv:8"]["matched"] == {"xfail": 1}
assert entries["impl/verdict/testdata/planted.tsv:9"]["matched"] == {"fail": 1}
assert entries["impl/verdict/testdata/plantlib.tsv:3"]["matched"] == {"xfail": 1}
# Filtered runs: no entry is judged stale.
assert not any(e["stale"] for e in doc["entries"]), [e["origin"] for e in doc["entries"] if e["stale"]]
PY
  # Tables off: the tabled crash is a finding.
  python3 "$reader" --matrix "$m" --ignore-tables --json "$out/raw.json" >/dev/null 2>&1
  python3 - "$out/raw.json" <<'PY' || fail "--ignore-tables: a tabled crash is a finding"
import json, sys
t = {r["test"]: r for r in json.load(open(sys.argv[1]))["tests"]}
assert t["Planted.CrashesAsTabled"]["outcome"] == "fail", t["Planted.CrashesAsTabled"]
PY
fi

# Entry records: written first; each test record says which entries cover it,
# and the entry planted for no test covers nothing (the reader calls it stale
# over a whole run).
dir=$out/all; mkdir -p "$dir"
env -u XML_OUTPUT_FILE -u TEST_UNDECLARED_OUTPUTS_DIR IPCSPEC_ENV=planted IPCSPEC_RESULTS_DIR="$dir" \
  "$bin" --gtest_filter='Planted.*-Planted.*Crashes*' \
  >/dev/null 2>&1
python3 - "$dir" <<'PY' || fail "entry records"
import json, pathlib, sys
recs = [json.loads(l) for f in pathlib.Path(sys.argv[1]).glob("*.jsonl") for l in open(f)]
entries = {r["test"]: r for r in recs if r["record"] == "entry"}
matched = {}
for r in recs:
    if r["record"] == "test":
        for o in r["covering"]:
            matched.setdefault(o, {}).setdefault(r["outcome"], 0)
            matched[o][r["outcome"]] += 1
def m(test):
    return matched.get(entries[test]["origin"], {})
assert m("Planted.NoSuchTest") == {}, m("Planted.NoSuchTest")
assert m("Planted.MatchingFailure") == {"xfail": 1}
assert m("Queue.Planted") == {"fail": 1, "xfail": 1, "xpass": 1}, m("Queue.Planted")
assert all(e["applies"] for e in entries.values())
run = recs[0]
assert run["record"] == "run" and run["env"] == "planted", run
assert recs[-1]["record"] == "end" and recs[-1]["exit"] == 1, recs[-1]
PY
# Origins name the table's own line (FILE:LINE, 1-based).
python3 - "$dir" <<'PY' || fail "origins must name the entry's line"
import json, pathlib, sys
recs = [json.loads(l) for f in pathlib.Path(sys.argv[1]).glob("*.jsonl") for l in open(f)]
e = {r["test"]: r["origin"] for r in recs if r["record"] == "entry"}
assert e["Planted.MatchingFailure"] == "impl/verdict/testdata/planted.tsv:2", e
assert e["Queue.Planted"] == "impl/verdict/testdata/plantlib.tsv:2", e
PY
[ $status -eq 0 ] && echo PASS
exit $status
