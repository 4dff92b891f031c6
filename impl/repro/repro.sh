#!/bin/bash
# ipcspec repro: writes the standalone C reproducer of one property test.
#
#   bazel run //impl/repro:repro -- TEST [--seed S] [--reproduce R] [--out DIR]
#
# TEST is the test's name as a failure prints it
# (Kinds/StreamSuite.ModelSequences/fifo). With the seed (or the `reproduce=`
# string) of a failure, the same shrunk counterexample is replayed and written
# as C; when the property passes here, the longest passing case of the run is
# written instead (it exits 0 where the environment behaves as documented:
# run it in the environment you suspect). DIR defaults to the directory you
# ran bazel from.
#
# With --env ENV the test runs INSIDE that environment (host, or gvisor:
# `runsc --network=none do`, as the matrix runs it; containers/matrix/
# generated.py), with IPCSPEC_REPRO=always; the reproducer it writes there
# is compiled here with plain cc and run both in ENV and on the host, and
# both results are printed (a finding: exit 1 in ENV, exit 0 on the host).
set -u
usage() {
  echo "usage: repro TEST [--seed S] [--reproduce R] [--out DIR] [--env ENV]" >&2
  echo "  TEST: a property test's name, e.g. Kinds/StreamSuite.ModelSequences/fifo (impl/repro/suites.tsv lists the suites; README, \"Reproducers\")" >&2
  echo "  --seed S, --reproduce R: replay that case (rapidcheck's seed, or the reproduce= string of a failure)" >&2
  echo "  --out DIR: where the .c file goes (default: the directory you ran bazel from)" >&2
  echo "  --env ENV: find it in ENV: host, or gvisor (runsc --network=none do; bash ci/setup.sh --matrix installs runsc);" >&2
  echo "             the reproducer is then compiled with cc and run in ENV and on the host, and both results printed" >&2
  exit 2
}
[ $# -ge 1 ] || usage
test_name="$1"; shift
seed="" reproduce="" out="${BUILD_WORKING_DIRECTORY:-$PWD}" env=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed="${2:?}"; shift 2 ;;
    --reproduce) reproduce="${2:?}"; shift 2 ;;
    --out) out="${2:?}"; shift 2 ;;
    --env) env="${2:?}"; shift 2 ;;
    *) usage ;;
  esac
done
case "$out" in /*) ;; *) out="${BUILD_WORKING_DIRECTORY:-$PWD}/$out" ;; esac
runfiles="${RUNFILES_DIR:-$0.runfiles}/ipcspec"
table="$runfiles/impl/repro/suites.tsv"
target=""
while IFS=$'\t' read -r pattern label; do
  case "$pattern" in ''|'#'*) continue ;; esac
  # shellcheck disable=SC2254
  case "$test_name" in $pattern) target="$label"; break ;; esac
done < "$table"
if [ -z "$target" ]; then
  echo "repro: no suite with reproducers runs '$test_name'; these do:" >&2
  grep -v '^#' "$table" | sed 's/^/  /' >&2
  exit 2
fi
pkg="${target#//}"; bin="$runfiles/${pkg%%:*}/${pkg#*:}"
params=""
[ -n "$seed" ] && params="seed=$seed"
[ -n "$reproduce" ] && params="$params reproduce=$reproduce"
mkdir -p "$out" || exit 2
if [ -n "$env" ]; then
  # The workspace (for containers/matrix): bazel run's, or where this
  # script's source lives.
  root="${BUILD_WORKSPACE_DIRECTORY:-}"
  [ -n "$root" ] || root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
  if [ ! -f "$root/containers/matrix/generated.py" ]; then
    echo "repro: --env needs the workspace's containers/matrix (not found under $root)" >&2
    exit 2
  fi
  PYTHONPATH="$root/containers${PYTHONPATH:+:$PYTHONPATH}" exec python3 -B -m matrix.generated \
    --env "$env" --binary "$(readlink -f "$bin")" --test "$test_name" --target "$target" \
    --seed "$seed" --reproduce "$reproduce" --out "$out"
fi
log="$(mktemp "${TMPDIR:-/tmp}/ipcspec-repro-log.XXXXXX")"
trap 'rm -f "$log"' EXIT
IPCSPEC_REPRO=always IPCSPEC_REPRO_DIR="$out" RC_PARAMS="$params" TEST_TARGET="$target" \
  "$bin" --gtest_filter="$test_name" > "$log" 2>&1
rc=$?
src=$(sed -n 's/^\(ipcspec: \)\{0,1\}Reproducer (standalone C, [0-9]* step(s)): \(.*\.c\)$/\2/p' "$log" | head -1)
if [ -z "$src" ]; then
  cat "$log" >&2
  grep -q "Reproducer: none" "$log" && exit 1
  echo "repro: no reproducer written (is '$test_name' a test of $target?)" >&2
  exit 1
fi
if [ "$rc" -ne 0 ]; then
  echo "The property FAILED here; its shrunk counterexample is in:"
else
  echo "The property passed here; its longest case is in:"
fi
echo "  $src"
libs=$(sed -n 's/^ \*   cc -o repro repro\.c\(.*\) && \.\/repro$/\1/p' "$src" | head -1)
echo "Build and run it anywhere: cc -o repro $src$libs && ./repro"
