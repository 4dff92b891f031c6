#!/usr/bin/env bash
# Builds every cc_test of the workspace as a statically linked binary and
# copies them into OUT_DIR (one file per test, named after the target, e.g.
# suites_pipe_pipe_io_test). Static, because the qemu environments boot an
# initramfs that holds no shared libraries; gVisor and host run the same files.
#
#   containers/build_binaries.sh OUT_DIR
#
# Targets tagged "no_static" are left out (e.g. adapter tests that link a
# third-party library with no static archive). A target that still fails to
# build or link statically is named on stderr and skipped; the others go on.
# Exit status: 0 when at least one binary was produced, 1 otherwise.
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
set_expr=$(IFS=+; echo "${universe[*]}" | sed 's/+/ + /g')
query="kind(cc_test, $set_expr) except attr(tags, '\\bno_static\\b', $set_expr)"
mapfile -t targets < <("$bazel" --output_base="$ob" query "$query" 2>/dev/null)
[ ${#targets[@]} -gt 0 ] || die "bazel query '$query' found no cc_test"

flags=(--symlink_prefix=/ --dynamic_mode=off --linkopt=-static --compilation_mode=fastbuild)
bin=$("$bazel" --output_base="$ob" info "${flags[@]}" bazel-bin 2>/dev/null)
[ -n "$bin" ] || die "bazel info bazel-bin failed"
# A binary left from an earlier build must not pass for this one's: remove the
# outputs first, so a target that fails now has none.
for t in "${targets[@]}"; do
  rel=${t#//}; rm -f "$bin/${rel%%:*}/${rel#*:}"
done
# --keep_going: one target that cannot link statically does not stop the rest.
if ! "$bazel" --output_base="$ob" build --keep_going "${flags[@]}" "${targets[@]}"; then
  echo "build_binaries: some targets failed to build; skipping them (see above)" >&2
fi

mkdir -p "$out"
n=0 skipped=()
for t in "${targets[@]}"; do
  rel=${t#//}; pkg=${rel%%:*}; name=${rel#*:}
  src="$bin/$pkg/$name"
  if [ ! -x "$src" ]; then
    echo "build_binaries: SKIP $t: did not build as a static binary" >&2
    skipped+=("$t"); continue
  fi
  if readelf -l "$src" | grep -q "program interpreter"; then
    echo "build_binaries: SKIP $t: dynamically linked despite --linkopt=-static" >&2
    skipped+=("$t"); continue
  fi
  dst="$out/$(echo "$pkg/$name" | tr '/' '_')"
  # Debug info is of no use inside the initramfs and makes it ten times larger.
  strip --strip-debug -o "$dst" "$src"
  n=$((n + 1))
done
echo "build_binaries: $n static test binaries in $out; ${#skipped[@]} skipped${skipped[*]:+: ${skipped[*]}}"
[ "$n" -gt 0 ] || die "no binary could be built"
