#!/usr/bin/env bash
# The bundle without Bazel (//:dist; this test unpacks //containers:dist_small,
# the same rule over one binary): unpacked in a temporary directory, its
# run.sh runs a part of it with Bazel's variables and runfiles out of sight,
# and its results are read back: the reader's verdict, results.json, KTAP
# (checked with verdict/ktap_test.py's parser of KTAP version 1), runner.tsv
# and env.tsv. Planted binaries (a failing test, a crash) show that the
# runner's results can fail the run; bad input exits 2 with a message.
set -euo pipefail
ws=${TEST_SRCDIR:?run me with bazel test //containers:dist_test}/${TEST_WORKSPACE:-ipcspec}
tarball=$ws/containers/dist_small.tar.gz
ktap_dir=$ws/verdict
tmp=$(mktemp -d "${TEST_TMPDIR:-/tmp}/dist.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "dist_test: FAIL: $*" >&2; exit 1; }

tar -C "$tmp" -xzf "$tarball"
b=$tmp/ipcspec
for f in run.sh loop.sh README.md BINARIES src/suites/eventfd/eventfd_test.cc verdict/verdict.py verdict/gather.py verdict/render.py \
         verdict/compare.py divergences/gvisor.tsv divergences/linux-6.1.tsv; do
  [ -f "$b/$f" ] || fail "the bundle lacks $f"
done
[ "$(cat "$b/BINARIES")" = suites_eventfd_eventfd_test ] || fail "BINARIES: $(cat "$b/BINARIES")"
[ -x "$b/run.sh" ] || fail "run.sh is not executable"
readelf -l "$b/bin/suites_eventfd_eventfd_test" | grep -q 'program interpreter' &&
  fail "bin/suites_eventfd_eventfd_test is not statically linked"

# No Bazel: a clean environment, a directory outside the runfiles, and sh
# (busybox's when there is one: what a board or the initramfs has).
shell=sh
[ -x /bin/busybox ] && shell="/bin/busybox sh"
run() {
  (cd "$tmp" && env -i PATH=/usr/bin:/bin HOME="$tmp" TMPDIR="$tmp" $shell "$@")
}

# A part of the bundle: two eventfd tests, the quick tier.
filter='EventFd.Flags:EventFdNoOffset.*'
set +e
run ipcspec/run.sh --env host --out "$tmp/out" --filter "$filter" > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
set -e
cat "$tmp/stderr" >&2
[ $rc -eq 0 ] || fail "run.sh exited $rc: $(cat "$tmp/stdout")"
[ "$(tail -n 1 "$tmp/stdout")" = "ipcspec: 2 passed, 0 failed, 0 skipped" ] ||
  fail "closing line: $(tail -n 1 "$tmp/stdout")"
for f in results.json report.md report.html junit.xml results.ktap host/runner.tsv host/env.tsv; do
  [ -s "$tmp/out/$f" ] || fail "no $f in the results directory"
done
grep -qx $'suites_eventfd_eventfd_test\t0\t0\t' "$tmp/out/host/runner.tsv" ||
  fail "runner.tsv: $(cat "$tmp/out/host/runner.tsv")"
grep -qx $'filter\t'"$filter" "$tmp/out/host/env.tsv" || fail "env.tsv lacks the filter"
grep -qx $'seed\t1' "$tmp/out/host/env.tsv" || fail "env.tsv lacks the quick tier's seed"
ls "$tmp" | grep -q '^ipcspec-run\.' && fail "run.sh left its temporary directory"
[ -e "$tmp/out/.bin-host" ] && fail "run.sh left its selection of binaries"

python3 -B - "$tmp/out" "$ktap_dir" <<'EOF'
import json, os, sys
out, ktap_dir = sys.argv[1:]
sys.path.insert(0, ktap_dir)
import ktap_test
doc = json.load(open(os.path.join(out, "results.json")))
got = sorted((t["env"], t["test"], t["outcome"]) for t in doc["tests"])
want = [("host", "EventFd.Flags", "pass"), ("host", "EventFdNoOffset.PreadPwriteAreEspipe", "pass")]
assert got == want, got
env = doc["environments"][0]
assert env["name"] == "host" and env["env_version"] == os.uname().release, env
md = open(os.path.join(out, "report.md")).read()
assert "| `EventFd.Flags` | man 2 eventfd | pass |" in md, md
top = ktap_test.parse(open(os.path.join(out, "results.ktap")).read())
leaves = []
def walk(t):
    for r in t.results:
        if r.subtest is not None and r.subtest.results:
            walk(r.subtest)
        else:
            leaves.append((r.ok, r.description))
walk(top)
assert sorted(d.split()[-1] for ok, d in leaves if ok) == [
    "EventFd.Flags", "EventFdNoOffset.PreadPwriteAreEspipe"], leaves
import jsonschema
schema = json.load(open(os.path.join(ktap_dir, "results.schema.json")))
jsonschema.Draft202012Validator(schema).validate(doc)
print("dist_test: results.json (its schema) and KTAP as expected")
EOF

# Non-vacuous: planted binaries (shell scripts writing records the way the
# C++ binaries do): one failing test, one binary that crashes mid-test. The
# runner's results must fail the run and name both.
cat > "$b/bin/zz_planted" <<'EOF'
#!/bin/sh
[ "$1" = --gtest_list_tests ] && { printf 'Planted.\n  Fails\n  Crashes\n'; exit 0; }
f=$IPCSPEC_RESULTS_DIR/zz_planted.$$.jsonl
echo '{"record":"run","binary":"zz_planted","env":"'"$IPCSPEC_ENV"'","env_version":"'"$IPCSPEC_ENV_VERSION"'","kernel":"k","isolation":"none","blocked_detection":"state","degraded":[],"ignore_tables":false,"filter":"*","tables":[]}' >> "$f"
echo '{"record":"start","test":"Planted.Fails"}' >> "$f"
echo '{"record":"test","test":"Planted.Fails","property":"","kind":"-","outcome":"fail","signature_seen":["errno:EINVAL"],"message":"write: EINVAL (planted)","need":"","entry":null,"unmatched_entries":[],"cites":"man 2 eventfd","seed":"1","duration_ms":1,"file":"planted.cc","line":1}' >> "$f"
echo '{"record":"start","test":"Planted.Crashes"}' >> "$f"
kill -SEGV $$
EOF
chmod 755 "$b/bin/zz_planted"
set +e
run ipcspec/run.sh --env host --out "$tmp/out2" zz_planted > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
set -e
[ $rc -eq 1 ] || fail "a run with a failing and a crashing test exited $rc, not 1: $(cat "$tmp/stdout" "$tmp/stderr")"
[ "$(tail -n 1 "$tmp/stdout")" = "ipcspec: 0 passed, 2 failed, 0 skipped" ] ||
  fail "planted closing line: $(tail -n 1 "$tmp/stdout")"
grep -q 'Planted.Crashes' "$tmp/out2/report.md" || fail "the report does not name the crashed test"
python3 -B - "$tmp/out2/results.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
got = sorted((t["test"], t["outcome"], t["signature_seen"]) for t in doc["tests"])
assert got == [("Planted.Crashes", "fail", ["crash"]), ("Planted.Fails", "fail", ["errno:EINVAL"])], got
EOF
# A table of one's own (--divergences): the failure it describes becomes
# xfail with its origin; the crash it does not describe still fails the run.
printf 'Planted.Fails\t*\tdocumented\tfails\terrno:EINVAL\tmy board refuses it\tmy notes\t*\n' > "$tmp/mine.tsv"
set +e
run ipcspec/run.sh --env board --out "$tmp/out3" --divergences "$tmp/mine.tsv" zz_planted > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
set -e
[ $rc -eq 1 ] || fail "with a table of one's own: exit $rc, not 1: $(cat "$tmp/stderr")"
[ "$(tail -n 2 "$tmp/stdout" | head -n 1)" = "ipcspec: 1 xfail, 0 xpass, 0 broken, 0 n/a, 0 flaky-entries" ] ||
  fail "with a table of one's own: $(tail -n 2 "$tmp/stdout")"
grep -q 'mine.tsv:1' "$tmp/out3/results.json" || fail "results.json does not name the entry mine.tsv:1"
rm "$b/bin/zz_planted"

# Bad input: status 2 and a message naming what is wrong.
bad() {
  local why=$1; shift
  set +e
  run ipcspec/run.sh "$@" > "$tmp/stdout" 2> "$tmp/stderr"
  local r=$?
  set -e
  [ $r -eq 2 ] || fail "run.sh $* exited $r, not 2"
  grep -q "run.sh: ERROR: .*$why" "$tmp/stderr" || fail "run.sh $*: no '$why' in: $(cat "$tmp/stderr")"
}
bad "unknown tier 'deep'" --tier deep
bad "unknown option '--bogus'" --bogus
bad "selects no test" --filter 'Nothing.*' --out "$tmp/o3"
bad "gtest's syntax" --filter 'a b'
bad "no binary 'nope'" nope
bad "--timeout wants whole seconds" --timeout 1s
bad "--env wants a name" --env ../x
bad "no such file" --divergences "$tmp/missing.tsv"
echo "dist_test: PASS"
