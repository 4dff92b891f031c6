#!/usr/bin/env bash
# Builds every cc_test of the workspace as a statically linked binary and
# copies them into OUT_DIR (one file per test, named after the target, e.g.
# suites_pipe_pipe_io_test). Static, because the qemu environments boot an
# initramfs that holds no shared libraries; gVisor and host run the same files.
#
#   containers/build_binaries.sh OUT_DIR
#
# Environment: BAZEL (default bazel), BAZEL_OUTPUT_BASE (default
# ~/.cache/bazel-matrix: its own server, so it never fights a developer's).
set -euo pipefail

die() { printf 'build_binaries: ERROR: %s\n' "$*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 OUT_DIR"
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
bazel=${BAZEL:-bazel}
ob=${BAZEL_OUTPUT_BASE:-$HOME/.cache/bazel-matrix}
cd "$root"

# //... would also descend into bazel-* convenience symlinks left at the root;
# query the real top-level directories instead.
universe=()
for d in */; do
  d=${d%/}
  [ -L "$d" ] && continue
  case "$d" in bazel-*) continue ;; esac
  if find "$d" \( -name BUILD -o -name BUILD.bazel \) -print -quit | grep -q .; then
    universe+=("//$d/...")
  fi
done
[ ${#universe[@]} -gt 0 ] || die "no Bazel packages under $root"
query=$(IFS=+; echo "kind(cc_test, ${universe[*]})" | sed 's/+/ + /g')
mapfile -t targets < <("$bazel" --output_base="$ob" query "$query" 2>/dev/null)
[ ${#targets[@]} -gt 0 ] || die "bazel query '$query' found no cc_test"

flags=(--symlink_prefix=/ --dynamic_mode=off --linkopt=-static --compilation_mode=fastbuild)
"$bazel" --output_base="$ob" build "${flags[@]}" "${targets[@]}"
bin=$("$bazel" --output_base="$ob" info "${flags[@]}" bazel-bin 2>/dev/null)

mkdir -p "$out"
n=0
for t in "${targets[@]}"; do
  rel=${t#//}; pkg=${rel%%:*}; name=${rel#*:}
  src="$bin/$pkg/$name"
  [ -x "$src" ] || die "built $t but found no binary at $src"
  if readelf -l "$src" | grep -q "program interpreter"; then
    die "$t is dynamically linked despite --linkopt=-static"
  fi
  dst="$out/$(echo "$pkg/$name" | tr '/' '_')"
  # Debug info is of no use inside the initramfs and makes it ten times larger.
  strip --strip-debug -o "$dst" "$src"
  n=$((n + 1))
done
echo "build_binaries: $n static test binaries in $out"
