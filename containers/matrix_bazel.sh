#!/usr/bin/env bash
# The environment matrix through Bazel:
#   bazel run //containers:matrix -- --env host,gvisor --out /tmp/matrix
# Runs the workspace's ci/matrix.sh from the directory bazel was started in
# (relative --out and --bin are taken from there). ci/matrix.sh builds the
# static binaries with its own Bazel output base, so it does not wait on this
# Bazel server (which `bazel run` has released by now).
set -euo pipefail
ws=${BUILD_WORKSPACE_DIRECTORY:?"run me with: bazel run //containers:matrix -- ARGS"}
cd "${BUILD_WORKING_DIRECTORY:-$ws}"
exec bash "$ws/ci/matrix.sh" "$@"
