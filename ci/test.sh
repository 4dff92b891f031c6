#!/usr/bin/env bash
# Runs the project's tests: `bazel test --config=full //...` (the suite and
# the selftests) plus the suite under AddressSanitizer, then the quick
# environment matrix, then the README's walk-through of a kernel given by
# path compared with the matrix's linux-6.1 (and the same kernel made to
# panic, which must be reported as a panic); the verdict comes from
# the one reader of results (verdict/verdict.py) over this run's records, and
# the last two lines are its closing lines:
#
#   ipcspec: N xfail, N xpass, N broken, N n/a, N flaky-entries
#   ipcspec: N passed, N failed, N skipped
#
#   ci/test.sh              # --config=full and --config=asan, then the matrix
#   ci/test.sh --fast       # bazel test --config=full //... only
#
# Reports: test-results/{results.json,report.md,report.html,junit.xml,results.ktap}
# (columns: host, host-asan, the matrix's environments and kernel-vmlinuz);
# kernel-out/compare.md the comparison.
# Exit status: 0 when Bazel, the matrix and the reader all pass; else the
# first non-zero of them (the reader's 1 when anything fails the run: a
# failure, an unexpected pass, a broken test, an undeclared skip, a stale
# table entry; 2 on unreadable results).
set -uo pipefail
cd "$(dirname "$0")/.."

fast=0
[ "${1:-}" = "--fast" ] && fast=1
# --config=full: the conformance suite and the selftests (.bazelrc).
configs=("--config=full")
[ $fast -eq 0 ] && configs+=("--config=asan")

rc=0
inputs=()
for cfg in "${configs[@]}"; do
  echo "==== bazel test //... ${cfg}"
  # Read only this run's results: results of tests that no longer run (a
  # renamed target, a tag filter) would otherwise linger in the testlogs.
  # shellcheck disable=SC2086
  logs=$(bazel info bazel-testlogs $cfg 2>/dev/null)
  [ -n "$logs" ] || logs=bazel-testlogs
  [ -n "$logs" ] && [ -d "$logs" ] && rm -rf "${logs:?}"/*
  # shellcheck disable=SC2086
  bazel test //... $cfg
  r=$?
  [ $r -ne 0 ] && [ $rc -eq 0 ] && rc=$r
  label=host; [ "$cfg" != "--config=full" ] && label=host-${cfg#--config=}
  inputs+=(--testlogs "$label=$logs")
done

# ==== //:dist holds every test binary of the suite (BUILD lists them) =========
echo "==== //:dist lists every cc_test of the suite"
want=$(bazel query 'kind(cc_test, //...) except attr(tags, "\bno_static\b", //...) except attr(tags, "\bselftest\b", //...)' 2>/dev/null | sort)
have=$(bazel query 'labels(tests, //:dist)' 2>/dev/null | sort)
if [ -z "$want" ] || [ "$want" != "$have" ]; then
  echo "ipcspec dist: //:dist's tests (root BUILD) differ from the suite's cc_tests:"
  diff <(echo "$want") <(echo "$have") | sed -n 's/^[<>]/  &/p'
  [ $rc -eq 0 ] && rc=1
fi

# ==== environment matrix (issue 6; maintained with ci/matrix.sh) =============
# A quick matrix over gVisor and one qemu kernel (Debian bookworm's 6.1, the
# host suite's own kernel, so a new upload elsewhere cannot break CI). Its
# results join the reader's verdict below; its own exit status counts too (an
# environment killed at its deadline, a kernel that does not boot). Skipped
# with --fast or IPCSPEC_CI_MATRIX=0. Report: matrix-out/report.{md,html}.
if [ $fast -eq 0 ] && [ "${IPCSPEC_CI_MATRIX:-1}" != 0 ]; then
  echo "==== ci/matrix.sh --env gvisor,linux-6.1 --tier quick"
  rm -rf matrix-out
  bash ci/matrix.sh --env gvisor,linux-6.1 --tier quick --out matrix-out --deadline 1500
  m=$?
  echo "ipcspec matrix: exit status $m (matrix-out/report.md)"
  [ $m -ne 0 ] && [ $rc -eq 0 ] && rc=$m
  ls matrix-out/*/env.tsv >/dev/null 2>&1 && inputs+=(--matrix matrix-out)
fi
# ==== end of the environment matrix step ======================================

# ==== a kernel given by path, compared with linux-6.1 (issue 15) ===============
# The README's walk-through ("Compare two runs"), as it is written there:
# Debian's 6.12 kernel booted *by its file path* (kernel:PATH, its config
# checked before boot), the same binaries, a filter to keep CI's cost small,
# then compare against the linux-6.1 run above. compare's exit status must
# be the documented one (0 without a regression, 1 with; 2 is bad input),
# and a regression fails CI. Skipped with the matrix.
kernel_filter='EventFd*:Pipe*:PosixMq*:SysvMsg*:Memfd*'
if [ $fast -eq 0 ] && [ "${IPCSPEC_CI_MATRIX:-1}" != 0 ] && [ -f matrix-out/linux-6.1/env.tsv ]; then
  echo "==== ci/matrix.sh --env kernel:PATH (Debian's 6.12 by its file path), compare with linux-6.1"
  rm -rf kernel-out
  vmlinuz=$(bash ci/matrix.sh kernel-path linux-6.12)
  k=$?
  if [ $k -eq 0 ]; then
    bash ci/matrix.sh --env "kernel:$vmlinuz" --bin matrix-out/bin --filter "$kernel_filter" --out kernel-out
    k=$?
  fi
  echo "ipcspec kernel:PATH: exit status $k (kernel-out/report.md)"
  [ $k -ne 0 ] && [ $rc -eq 0 ] && rc=$k
  if [ -f kernel-out/kernel-vmlinuz/env.tsv ]; then
    inputs+=(--matrix kernel-out)
    bash ci/matrix.sh compare --env linux-6.1=kernel-vmlinuz matrix-out kernel-out \
      --md kernel-out/compare.md --json kernel-out/compare.json
    c=$?
    regressions=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["regressions"])' \
      kernel-out/compare.json 2>/dev/null)
    want=2
    [ -n "$regressions" ] && { want=0; [ "$regressions" -gt 0 ] && want=1; }
    if [ "$c" -ne "$want" ] || [ "$c" -eq 2 ]; then
      echo "ipcspec compare: exit status $c, not the documented one ($want for ${regressions:-unreadable} regressions)"
      [ $rc -eq 0 ] && rc=1
    else
      echo "ipcspec compare: exit status $c, as documented (${regressions} regressions; kernel-out/compare.md)"
      [ "$c" -ne 0 ] && [ $rc -eq 0 ] && rc=$c
    fi
  fi
  # A kernel that panics is reported as a panic, with its console log: the
  # same kernel with rdinit= a missing init (README, "Your kernel"); the
  # matrix must exit 2 and name the panic. About 30 s under TCG.
  if [ $k -eq 0 ]; then
    echo "==== kernel:PATH that panics (IPCSPEC_KERNEL_APPEND=rdinit=/nonexistent): reported as a panic"
    rm -rf kernel-panic
    IPCSPEC_KERNEL_APPEND=rdinit=/nonexistent bash ci/matrix.sh --env "kernel:$vmlinuz" --bin matrix-out/bin \
      --filter 'EventFd.Flags' --out kernel-panic > kernel-panic.log 2>&1
    p=$?
    status=$(sed -n 's/^status\t//p' kernel-panic/kernel-vmlinuz/env.tsv 2>/dev/null)
    case $p:$status in
      "2:kernel did not boot: kernel panic: Kernel panic - not syncing:"*)
        if [ -s kernel-panic/kernel-vmlinuz/console.log ] && grep -q 'Kernel panic' kernel-panic/kernel-vmlinuz/console.log; then
          echo "ipcspec kernel panic: reported as such (exit 2): $status; console log kernel-panic/kernel-vmlinuz/console.log"
        else
          echo "ipcspec kernel panic: no console log with the panic in kernel-panic/kernel-vmlinuz/"
          [ $rc -eq 0 ] && rc=1
        fi ;;
      *)
        echo "ipcspec kernel panic: not reported as a panic (exit $p, status '$status'); kernel-panic.log:"
        tail -n 20 kernel-panic.log
        [ $rc -eq 0 ] && rc=1 ;;
    esac
  fi
fi
# ==== end of the kernel:PATH step ==============================================

echo "==== the verdict (verdict/verdict.py)"
mkdir -p test-results
python3 verdict/verdict.py "${inputs[@]}" --json test-results/results.json \
  --md test-results/report.md --html test-results/report.html \
  --junit test-results/junit.xml --ktap test-results/results.ktap
v=$?
[ $v -ne 0 ] && [ $rc -eq 0 ] && rc=$v
exit $rc
