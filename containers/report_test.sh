#!/usr/bin/env bash
# Builds the matrix report from the sample JUnit files in containers/testdata
# and checks the Markdown: a finding, a known divergence with its source (also
# inherited by a variant: gvisor-podman reads gvisor.tsv), a skip with its
# reason, a "not run" cell, the man pages each row cites (read from the sample
# sources in testdata/src), the run figures, and that findings come first.
set -euo pipefail

here=$(dirname "$0")
# Under Bazel the data files sit in the runfiles tree, next to this script.
if [ -n "${TEST_SRCDIR:-}" ] && [ -d "$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/containers" ]; then
  here="$TEST_SRCDIR/${TEST_WORKSPACE:-ipcspec}/containers"
fi
out=$(mktemp -d "${TEST_TMPDIR:-/tmp}/report_test.XXXXXX")
trap 'rm -rf "$out"' EXIT

fail() { echo "report_test: FAIL: $*" >&2; echo "--- report.md ---" >&2; cat "$out/report.md" >&2 || true; exit 1; }
has() { grep -qF -- "$1" "$out/report.md" || fail "report.md lacks: $1"; }

python3 "$here/report.py" "$here/testdata/results" --divergences "$here/testdata/divergences" \
  --source-root "$here/testdata/src" --md "$out/report.md" --html "$out/report.html" >/dev/null

has "| pass | 3 | 1 | 1 |"
has "### Findings (failures no divergence table explains): 1"
has '- `PipeIo.WriteToClosedPipeRaisesSigpipe` (suites/pipe; man 7 pipe): gvisor: **FAIL**: man 7 pipe: "If all file descriptors'
has "; pass: host"
has "### Known divergences (documented): 1"
has "known divergence (fail): gVisor does not implement the per-user pipe page limits [https://"
has "gvisor-podman: known divergence (fail): gVisor does not implement the per-user pipe page limits"
has "skip: tcp_loopback: promises no atomic write size"
has "| not run |"
has "### suites/pipe (man 7 pipe, man 2 fcntl)"
has "| \`PipeIo.ReadFromEmptyPipeBlocks\` | man 7 pipe | pass | pass | pass |"
has "| \`PipeIo.PipeBufPagesAreAccounted\` | man 2 fcntl, man 7 pipe | pass |"
has "| **host** | finished | Linux 6.1.0-sample | 12.5 |"
has "| **gvisor-podman** | killed at deadline (900s) |"

# Findings are listed before known divergences.
f=$(grep -n "^### Findings" "$out/report.md" | cut -d: -f1)
d=$(grep -n "^### Known divergences" "$out/report.md" | cut -d: -f1)
[ "$f" -lt "$d" ] || fail "findings are not listed first"

# host is the first column.
has "| test | man page | host | gvisor | gvisor-podman |"

# The HTML shows a failure's message behind <details>.
grep -q '<details><summary><b>FAIL</b>: man 7 pipe: &quot;If all file descriptors' "$out/report.html" \
  || fail "report.html has no <details> with the failure's headline"
grep -q "</summary><pre>suites/pipe/pipe_io_test.cc:25" "$out/report.html" \
  || fail "report.html's <details> does not open to the failure message"

# A divergence without a source is refused.
mkdir -p "$out/baddiv"
printf 'PipeIo.*\tno source given\t\n' > "$out/baddiv/gvisor.tsv"
if python3 "$here/report.py" "$here/testdata/results" --divergences "$out/baddiv" \
     --source-root "$here/testdata/src" \
     --md "$out/x.md" --html "$out/x.html" 2>/dev/null; then
  fail "a divergence entry without a source was accepted"
fi
echo "report_test: PASS"
