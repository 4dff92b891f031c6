#!/bin/bash
# ipcspec: the suite's commands for its users, under one name.
#
#   bazel run //:ipcspec -- repro TEST [--seed S] [--env ENV] ...   the standalone C reproducer of a test
#   bazel run //:ipcspec -- orphans [--reap] [--match RE]           orphaned IPC objects
#
# `bazel test //...` runs the suite itself; ci/matrix.sh runs it in other
# environments (README).
set -u
runfiles="${RUNFILES_DIR:-$0.runfiles}"
export RUNFILES_DIR="$runfiles"
usage() {
  sed -n 's/^#   bazel run \/\/:ipcspec -- /  ipcspec /p' "$runfiles/ipcspec/ipcspec.sh" >&2
  exit 2
}
[ $# -ge 1 ] || usage
cmd="$1"; shift
case "$cmd" in
  repro) exec "$runfiles/ipcspec/impl/repro/repro" "$@" ;;
  orphans) exec "$runfiles/ipcspec/faults/orphans" "$@" ;;
  -h|--help|help) usage ;;
  *) echo "ipcspec: unknown command '$cmd'" >&2; usage ;;
esac
