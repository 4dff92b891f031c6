#!/usr/bin/env bash
# The environment matrix (containers/matrix/, a Python program): the same
# statically linked test binaries on several kernels and sandboxes, one
# side-by-side report from the reader of results (verdict/verdict.py).
#
#   ci/matrix.sh --env ENV[,ENV...]|all [--tier quick|thorough] [--out DIR]
#                [--deadline SECONDS] [--binary-timeout SECONDS] [--bin DIR] [--shard I/N]
#                [--filter GTEST_FILTER] [--kernel-config FILE]   # ENV may be kernel:PATH
#                [--seccomp PROFILE[,...]] [--divergences [ENV=]FILE[,...]]
#   ci/matrix.sh --list
#   ci/matrix.sh kernel-path ENV   # the file a matrix kernel is cached in (for --env kernel:PATH)
#   ci/matrix.sh compare OLD NEW   # two runs, behaviour by behaviour (verdict/compare.py)
#   ci/matrix.sh merge --out DIR CELL...   # cells (--shard) into one report
#   ci/matrix.sh initramfs --bin DIR --out FILE   # the qemu environments' initramfs
#   ci/matrix.sh lava-job --kernel URL --initramfs URL [--out FILE]   # a LAVA job
#   ci/matrix.sh --help       # every option, variable and exit status
root=$(cd "$(dirname "$0")/.." && pwd)
PYTHONPATH="$root/containers${PYTHONPATH:+:$PYTHONPATH}" exec python3 -B -m matrix "$@"
