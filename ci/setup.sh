#!/usr/bin/env bash
# Installs everything ipcspec needs on Debian bookworm. Idempotent: packages
# already present are left alone, and apt-get update runs only when something
# is missing. Exits non-zero naming the package that could not be installed.
#
#   ci/setup.sh            # build and test dependencies
#   ci/setup.sh --matrix   # also what the environment matrix needs (podman, runc, crun, runsc, qemu)
set -euo pipefail

say() { printf 'ipcspec setup: %s\n' "$*"; }
die() { printf 'ipcspec setup: ERROR: %s\n' "$*" >&2; exit 1; }

# Build and test: Bazel and its Debian rule sets, the compiler, GoogleTest and
# rapidcheck, the man pages the tests cite.
packages=(
  bazel-bootstrap      # Bazel 4.2.3
  bazel-rules-cc       # @rules_cc (patched for Bazel 4.2.3 by bazel/system_deps.bzl)
  bazel-rules-java     # @rules_java, registered by Bazel even for C++ builds
  g++
  libgtest-dev
  libgmock-dev
  librapidcheck-dev
  manpages
  manpages-dev
  python3              # ci/bench.sh and the report tools
  python3-yaml         # the workflow lint and the LAVA job test read YAML
  yamllint             # //ci:workflow_lint_test: the GitHub Actions workflow
  python3-jsonschema   # //ci:workflow_lint_test: ci/github-workflow.schema.json
  lava-common          # //containers:matrix_test: LAVA's job schema (lava-job)
  # The IPC libraries behind impl/adapters/ (issue 7)
  libboost-dev         # Boost.Interprocess (header-only)
  libzmq3-dev          # ZeroMQ
  libnng-dev           # nng
  # The IPC libraries of issue 16
  libgrpc++-dev        # gRPC C++ over unix: addresses
  protobuf-compiler    # protoc, driven by bazel/proto.bzl (offline)
  protobuf-compiler-grpc  # grpc_cpp_plugin
  libprotobuf-dev
  dbus-daemon          # a private bus per D-Bus test
  dbus-broker          # the second bus implementation, where it runs without systemd
  libsystemd-dev       # sd-bus
  libpoco-dev          # POCO (NamedMutex, NamedEvent, SharedMemory, Pipe)
  libuv1-dev           # libuv (uv_pipe_t)
)
matrix_packages=(
  podman runc crun
  qemu-system-x86 busybox-static cpio
  zstd                 # --env kernel:PATH: a zstd-compressed image's embedded config
  chromium
)
backports_packages=(runsc)

want_matrix=0
for a in "$@"; do
  case "$a" in
    --matrix) want_matrix=1 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) die "unknown option '$a' (try --help)" ;;
  esac
done
[ "$want_matrix" = 1 ] && packages+=("${matrix_packages[@]}")

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
  command -v sudo >/dev/null || die "not root and no sudo: run as root"
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive

missing() {
  local out=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out+=("$p")
  done
  echo "${out[@]:-}"
}

need=$(missing "${packages[@]}")
need_bp=""
[ "$want_matrix" = 1 ] && need_bp=$(missing "${backports_packages[@]}")

# GitHub's workflow schema for //ci:workflow_lint_test: a file of Debian's
# python3-check-jsonschema (sid only), fetched through a private apt
# configuration into /usr/local/share/ipcspec/ (ci/workflow_lint.py).
root=$(cd "$(dirname "$0")/.." && pwd)
workflow_schema() {
  $SUDO python3 "$root/ci/workflow_lint.py" --fetch-schema \
    || die "could not fetch GitHub's workflow schema (python3-check-jsonschema from sid)"
}

if [ -z "$need" ] && [ -z "$need_bp" ]; then
  say "all packages present: ${packages[*]}"
  workflow_schema
  exit 0
fi

if [ -n "$need_bp" ]; then
  # runsc is in bookworm-backports; add that suite from the mirror already configured.
  if ! grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    # The URI apt itself uses for the main Debian archive (comments and
    # disabled entries in the sources files are not read this way).
    mirror=$(apt-get indextargets --format '$(LABEL)|$(REPO_URI)' 'Identifier: Packages' 2>/dev/null \
               | awk -F'|' '$1 == "Debian" { print $2; exit }')
    [ -n "$mirror" ] || die "cannot find the Debian mirror in /etc/apt to add bookworm-backports"
    say "adding bookworm-backports from $mirror"
    echo "deb $mirror bookworm-backports main" | $SUDO tee /etc/apt/sources.list.d/ipcspec-backports.list >/dev/null
  fi
fi

say "apt-get update"
$SUDO apt-get update -qq || die "apt-get update failed"

install_one_by_one() {
  local extra=("$@")
  for p in $need; do
    say "installing $p"
    $SUDO apt-get install -y -qq --no-install-recommends "$p" >/tmp/ipcspec-apt.log 2>&1 \
      || { tail -n 5 /tmp/ipcspec-apt.log >&2; die "could not install the Debian package '$p'"; }
  done
}

if [ -n "$need" ]; then
  say "installing: $need"
  # shellcheck disable=SC2086
  if ! $SUDO apt-get install -y -qq --no-install-recommends $need >/tmp/ipcspec-apt.log 2>&1; then
    say "batch install failed; trying one package at a time to name the culprit"
    install_one_by_one
  fi
fi
for p in $need_bp; do
  say "installing $p from bookworm-backports"
  $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports "$p" >/tmp/ipcspec-apt.log 2>&1 \
    || { tail -n 5 /tmp/ipcspec-apt.log >&2; die "could not install the Debian package '$p' (bookworm-backports)"; }
done

left=$(missing "${packages[@]}")
[ -z "$left" ] || die "still missing after install: $left"
workflow_schema
say "done"
