#!/usr/bin/env bash
# Prints ipcspec's figures for the README:
#   - wall time of `bazel test //...` on a warm build cache (tests re-run:
#     --nocache_test_results), best of N runs;
#   - the number of test cases (gtest cases + other test targets);
#   - the number of rapidcheck cases executed;
#   - the test time of every target;
#   - one run of --config=full (the suite and the selftests: ci/test.sh's);
#     IPCSPEC_BENCH_FULL=0 leaves it out.
#
#   ci/bench.sh [--runs N] [-- extra bazel args]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "usage: ci/bench.sh [--runs N] [-- bazel args]" >&2; exit 2 ;;
  esac
done

echo "ipcspec bench: warming the build cache"
bazel build //... "${extra[@]}" >/dev/null 2>&1

# The project's own selftests add to the suite in --config=full (what
# ci/test.sh runs): one run of that, before the suite's runs whose test logs
# give the per-target figures.
full=""
if [ "${IPCSPEC_BENCH_FULL:-1}" != 0 ]; then
  fs=$(date +%s.%N)
  bazel test //... --config=full --nocache_test_results "${extra[@]}" >/tmp/ipcspec-bench-full.log 2>&1 \
    || { tail -n 30 /tmp/ipcspec-bench-full.log; echo "ipcspec bench: --config=full failed" >&2; exit 1; }
  fe=$(date +%s.%N)
  full=$(python3 -c "print(f'{$fe - $fs:.1f}')")
  echo "wall time of bazel test --config=full //... (suite and selftests, one run): ${full} s"
fi

best=""
all=()
for i in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  bazel test //... --nocache_test_results "${extra[@]}" >/tmp/ipcspec-bench.log 2>&1 \
    || { tail -n 30 /tmp/ipcspec-bench.log; echo "ipcspec bench: the suite failed" >&2; exit 1; }
  end=$(date +%s.%N)
  t=$(python3 -c "print(f'{$end - $start:.1f}')")
  echo "run $i: ${t} s"
  all+=("$t")
  if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $t < $best else 1)"; then best=$t; fi
done

testlogs=$(bazel info bazel-testlogs "${extra[@]}" 2>/dev/null)

# Only the logs the last run wrote: the testlogs tree also keeps what earlier
# invocations left (run_N_of_M of a --runs_per_test, removed targets).
python3 - "$testlogs" "$best" "$start" "${all[@]}" <<'PY'
import pathlib, re, sys, xml.etree.ElementTree as ET
root = pathlib.Path(sys.argv[1]); best = sys.argv[2]; since = float(sys.argv[3]) - 1
def fresh(paths):
    return [p for p in paths if p.stat().st_mtime >= since]
cases = targets = rc = runs = kills = 0
times = []
for log in fresh(root.rglob("test.log")):
    text = log.read_text(errors="replace")
    m = re.findall(r"ipcspec-stats: tests=(\d+) rapidcheck_cases=(\d+)", text)
    if m:
        rc += int(m[-1][1])
    f = re.findall(r"ipcspec-faults: traced_runs=(\d+) kill_points=(\d+)", text)
    if f:
        runs += int(f[-1][0]); kills += int(f[-1][1])
for xml in fresh(root.rglob("test.xml")):
    targets += 1
    t = ET.parse(xml)
    n = len(list(t.iter("testcase")))
    cases += n if n else 1
    # gtest's root <testsuites> holds the binary's total; sh_test XML has only
    # <testsuite> elements.
    suites = list(t.iter("testsuites")) + list(t.iter("testsuite"))
    el = max((float(s.get("time", 0) or 0) for s in suites), default=0.0)
    times.append((el, str(xml.parent.relative_to(root))))
print(f"wall time of bazel test //... (warm cache, best run): {best} s")
walls = sorted(float(x) for x in sys.argv[4:])
print(f"  all runs: {' '.join(f'{w:.1f}' for w in walls)} s (median {walls[len(walls) // 2]:.1f} s)")
print(f"test targets: {targets}")
print(f"test cases: {cases}")
print(f"rapidcheck cases executed: {rc}")
print(f"traced fault runs (ptrace injector): {runs}, of them kill points: {kills}")
print("test time per target (s), slowest first:")
for el, name in sorted(times, reverse=True):
    pkg, _, tgt = name.rpartition("/")  # a root package's target has no "/"
    print(f"  {el:6.2f}  //{pkg}:{tgt}")
PY
