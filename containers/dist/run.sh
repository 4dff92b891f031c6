#!/bin/sh
# ipcspec without Bazel: runs the bundle's static test binaries on the
# running kernel (a VM, a board) and writes the results directory the reader
# (verdict/verdict.py --matrix, compare.py, merge) reads, one environment
# like a column of ci/matrix.sh. POSIX sh: runs under busybox sh and bash.
#
#   ./run.sh [--env NAME] [--out DIR] [--filter GTEST_FILTER] [--tier quick|thorough]
#            [--seed N] [--timeout SECONDS] [--divergences FILE] [--list] [BINARY...]
#
#   --env NAME      the environment's column and the table of expected
#                   differences the binaries apply (IPCSPEC_ENV; default host;
#                   ls divergences/ for the tables compiled in, e.g. linux-6.1)
#   --out DIR       results directory (default ipcspec-out); DIR/NAME/ holds
#                   each binary's records, gtest XML, log, runner.tsv, env.tsv
#   --filter F      gtest filter for every binary; a binary with no selected
#                   test is not run (its tests go to DIR/NAME/not_run.txt)
#   --tier T        quick (default: RC_PARAMS="max_success=25 seed=S", S from
#                   --seed, default 1, as ci/matrix.sh's quick tier, so two
#                   runs draw the same cases) or thorough (rapidcheck's
#                   defaults, a random seed)
#   --timeout S     seconds one binary may run before it is killed (default
#                   300; its running test fails with signature hang)
#   --divergences FILE  your own table of expected differences (the format
#                   of verdict/README.md), applied by the reader on top of
#                   the environment's table
#   --list          the binaries, one a line
#   BINARY...       only these binaries (names under bin/)
#
# When python3 is there, the reader runs at the end: DIR/results.json,
# report.md, report.html, junit.xml, results.ktap, and its two closing lines;
# the exit status is the reader's (0 nothing fails the run, 1 something does,
# 2 bad input). Without python3 (a small board), copy DIR back and run
#   python3 verdict/verdict.py --matrix DIR --md report.md
# there; the exit status is then 0 when every binary ran. Bad usage: 2.
set -u
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "run.sh: ERROR: $*" >&2; exit 2; }

env=host out=ipcspec-out filter="" tier=quick seed=1 timeout=300 table="" list=0
while [ $# -gt 0 ]; do
  case $1 in
    --env|--out|--filter|--tier|--seed|--timeout|--divergences)
      [ $# -ge 2 ] || die "$1 wants a value (try --help)"
      v=$2
      case $1 in
        --env) env=$v ;; --out) out=$v ;; --filter) filter=$v ;; --tier) tier=$v ;;
        --seed) seed=$v ;; --timeout) timeout=$v ;; --divergences) table=$v ;;
      esac
      shift 2 ;;
    --list) list=1; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option '$1' (try --help)" ;;
    *) break ;;
  esac
done

[ -d "$here/bin" ] || die "no bin/ next to $0: run the run.sh of an unpacked ipcspec bundle"
if [ $list -eq 1 ]; then ls "$here/bin"; exit 0; fi
case $env in ''|*/*|.*|*[!A-Za-z0-9._:+,-]*) die "--env wants a name of letters, digits and ._:+,- (got '$env')" ;; esac
case $tier in quick|thorough) ;; *) die "unknown tier '$tier' (quick or thorough)" ;; esac
case $seed in ''|*[!0-9]*) die "--seed wants a number, got '$seed'" ;; esac
case $timeout in ''|*[!0-9]*) die "--timeout wants whole seconds, got '$timeout'" ;; esac
if [ -n "$filter" ]; then
  case $filter in *[!A-Za-z0-9_./*?:-]*) die "--filter wants gtest's syntax (e.g. 'Pipe*:Fifo*-*Slow*'), got '$filter'" ;; esac
fi
if [ -n "$table" ]; then
  [ -f "$table" ] || die "--divergences: no such file: $table"
  table=$(cd "$(dirname "$table")" && pwd)/$(basename "$table")
fi
for b in "$@"; do [ -x "$here/bin/$b" ] || die "no binary '$b' in $here/bin (try --list)"; done
[ $# -gt 0 ] || set -- $(ls "$here/bin")
[ $# -gt 0 ] || die "no binaries in $here/bin"

mkdir -p "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)
d=$out/$env sel=$out/.bin-$env
rm -rf "$d" "$sel"
mkdir -p "$d" "$sel" || die "cannot create $d"

# gtest's --gtest_list_tests as Suite.Test lines.
tests_of() {
  "$1" --gtest_list_tests 2>/dev/null | awk '
    /^[^ ]/ { s = $1; next }
    /^  / && s != "" { print s $1 }'
}

: > "$d/not_run.txt"
n=0
for b in "$@"; do
  if [ -n "$filter" ] && [ -z "$(GTEST_FILTER=$filter tests_of "$here/bin/$b")" ]; then
    tests_of "$here/bin/$b" >> "$d/not_run.txt"
    continue
  fi
  ln -s "$here/bin/$b" "$sel/$b"
  n=$((n + 1))
done
[ $n -gt 0 ] || die "--filter '$filter' selects no test of the binaries in $here/bin"
[ -s "$d/not_run.txt" ] || rm -f "$d/not_run.txt"

rc_params=""
[ $tier = quick ] && rc_params="max_success=25 seed=$seed"
IPCSPEC_ENV=$env IPCSPEC_ENV_VERSION=$(uname -r) RC_PARAMS=$rc_params GTEST_FILTER=${filter:-*}
IPCSPEC_TIMEOUT_SCALE=${IPCSPEC_TIMEOUT_SCALE:-1}
export IPCSPEC_ENV IPCSPEC_ENV_VERSION RC_PARAMS GTEST_FILTER IPCSPEC_TIMEOUT_SCALE
# Bazel's variables would send the records elsewhere.
unset TEST_UNDECLARED_OUTPUTS_DIR TEST_SRCDIR TEST_TMPDIR XML_OUTPUT_FILE GTEST_OUTPUT 2>/dev/null

echo "run.sh: $n binaries on $(uname -r) as environment $env, tier $tier, into $d" >&2
t0=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipcspec-run.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp" "$sel"' EXIT
trap 'exit 130' INT TERM
# The matrix's own loop (containers/matrix/loop.py): one binary after
# another, each under its timeout, records in DIR/NAME/.
TMPDIR=$tmp sh "$here/loop.sh" "$sel" "$d" "$timeout"
wall=$(( $(date +%s) - t0 ))

# runner.tsv and env.tsv, as containers/matrix/results.py writes them.
{
  printf 'binary\texit\tkilled\tnote\n'
  for b in $(ls "$sel"); do
    rc=$(cat "$d/$b.rc" 2>/dev/null); rm -f "$d/$b.rc"
    case $rc in
      124|137|143) printf '%s\t%s\t1\tkilled: ran longer than the per-binary timeout (%ss)\n' "$b" "$rc" "$timeout" ;;
      '') printf '%s\t\t0\tnot run: the runner stopped\n' "$b" ;;
      *) printf '%s\t%s\t0\t\n' "$b" "$rc" ;;
    esac
  done
} > "$d/runner.tsv"
seedcol=""; [ $tier = quick ] && seedcol=$seed
{
  printf 'status\tfinished\n'
  printf 'wall_seconds\t%s\n' "$wall"
  printf 'tier\t%s\n' "$tier"
  printf 'timeout_scale\t%s\n' "$IPCSPEC_TIMEOUT_SCALE"
  printf 'binaries\t%s\n' "$n"
  printf 'kernel\tLinux %s\n' "$(uname -r)"
  printf 'env_version\t%s\n' "$(uname -r)"
  [ -n "$seedcol" ] && printf 'seed\t%s\n' "$seedcol"
  [ -n "$filter" ] && printf 'filter\t%s\n' "$filter"
  printf 'runner\tipcspec bundle (run.sh)\n'
} > "$d/env.tsv"
echo "run.sh: $env: finished in ${wall}s; results in $d" >&2

if ! command -v python3 >/dev/null 2>&1; then
  echo "run.sh: no python3 here: copy $out to a machine with python3 and run" >&2
  echo "  python3 verdict/verdict.py --matrix DIR --md report.md --html report.html" >&2
  exit 0
fi
set -- --matrix "$out" --env "$env" --json "$out/results.json" --md "$out/report.md" \
  --html "$out/report.html" --junit "$out/junit.xml" --ktap "$out/results.ktap" --source-root "$here/src"
[ -n "$table" ] && set -- "$@" --divergences "$env=$table"
python3 -B "$here/verdict/verdict.py" "$@"
