#!/usr/bin/env bash
# The environment matrix: the same statically linked test binaries run on
# several kernels and sandboxes, then one side-by-side report.
#
#   ci/matrix.sh --env host,gvisor[,linux-6.1] [--tier quick|thorough]
#                [--out DIR] [--deadline SECONDS] [--bin DIR]
#
#   --env       environments, comma-separated:
#                 host       the binaries on the running kernel
#                 gvisor     each binary under `runsc --network=none do`
#                 linux-6.1  Debian bookworm's 6.1 kernel booted by qemu (TCG)
#                            from an initramfs of busybox-static + the binaries
#   --tier      quick (RC_PARAMS=max_success=25, the default) or thorough
#               (rapidcheck's defaults)
#   --out       results directory (default: matrix-out); DIR/<env>/*.xml are
#               gtest JUnit files, DIR/report.md and DIR/report.html the report
#   --deadline  seconds per environment (default 900); an environment still
#               running then is killed and reported as such, the others go on
#   --binary-timeout  seconds one test binary may run (default 120) before it
#               is killed and reported as a failure; the environment goes on
#   --bin       use these static binaries instead of building them
#               (containers/build_binaries.sh)
#
# Environments run in parallel, at most as many at once as there are cores
# (at most 2 on a 2-core machine). IPCSPEC_TIMEOUT_SCALE (default 1 on host
# and gvisor, 10 under TCG) stretches the tests' deadlines in slow ones.
# IPCSPEC_QEMU_ACCEL=tcg|kvm|auto (default auto: KVM if a probe boot gets to
# userspace within 20 s, else TCG; nested KVM hangs on some machines).
# IPCSPEC_CACHE (default ~/.cache/ipcspec-matrix) keeps downloaded kernels.
# Exit status: 0 when every environment finished and the report has no
# findings, 1 otherwise, 2 on bad usage or a missing prerequisite.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'matrix: %s\n' "$*" >&2; }
die() { printf 'matrix: ERROR: %s\n' "$*" >&2; exit 2; }

envs_arg="" tier=quick out=matrix-out deadline=900 bindir="" btimeout=120
one_env="" # internal: --run-one ENV runs a single environment (under timeout)
while [ $# -gt 0 ]; do
  case "$1" in
    --env) envs_arg=${2:-}; shift 2 ;;
    --env=*) envs_arg=${1#*=}; shift ;;
    --tier) tier=${2:-}; shift 2 ;;
    --tier=*) tier=${1#*=}; shift ;;
    --out) out=${2:-}; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --deadline) deadline=${2:-}; shift 2 ;;
    --deadline=*) deadline=${1#*=}; shift ;;
    --binary-timeout) btimeout=${2:-}; shift 2 ;;
    --binary-timeout=*) btimeout=${1#*=}; shift ;;
    --bin) bindir=${2:-}; shift 2 ;;
    --bin=*) bindir=${1#*=}; shift ;;
    --run-one) one_env=${2:-}; shift 2 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done

cache=${IPCSPEC_CACHE:-$HOME/.cache/ipcspec-matrix}

# ---------------------------------------------------------------- kernels
# linux-VER -> Debian suite and package pattern holding its vmlinuz.
kernel_suite() {
  case "$1" in
    linux-6.1) echo bookworm ;;
    *) return 1 ;;
  esac
}

known_env() {
  case "$1" in
    host|gvisor) return 0 ;;
    linux-*) kernel_suite "$1" >/dev/null ;;
    *) return 1 ;;
  esac
}

# Prints the path of the vmlinuz for ENV, downloading its package once.
fetch_kernel() {
  local env=$1 ver=${1#linux-} dir="$cache/kernels/$1"
  if [ -f "$dir/vmlinuz" ]; then echo "$dir/vmlinuz"; return 0; fi
  mkdir -p "$dir"
  # bookworm is the host's own suite: the host's apt configuration has it.
  local pkg
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null \
          | sed -n "s/.*Depends: \(linux-image-${ver//./\\.}\.[0-9-]*-amd64\)$/\1/p" | head -n 1)
  [ -n "$pkg" ] || { say "no linux-image-$ver*-amd64 in apt (run apt-get update?)"; return 1; }
  ( cd "$dir" && apt-get download "$pkg" >/dev/null 2>&1 ) \
    || { say "apt-get download $pkg failed"; return 1; }
  local x; x=$(mktemp -d)
  dpkg-deb -x "$dir"/"$pkg"_*.deb "$x" || { rm -rf "$x"; return 1; }
  cp "$x"/boot/vmlinuz-* "$dir/vmlinuz" && echo "${pkg}" > "$dir/package"
  rm -rf "$x" "$dir"/*.deb
  [ -f "$dir/vmlinuz" ] && echo "$dir/vmlinuz"
}

check_prereqs() {
  local env=$1
  case "$env" in
    host) ;;
    gvisor)
      command -v runsc >/dev/null \
        || die "environment gvisor needs runsc: apt-get install -t bookworm-backports runsc (ci/setup.sh --matrix)" ;;
    linux-*)
      command -v qemu-system-x86_64 >/dev/null \
        || die "environment $env needs qemu-system-x86_64: apt-get install qemu-system-x86"
      [ -x /bin/busybox ] && ! readelf -l /bin/busybox | grep -q "program interpreter" \
        || die "environment $env needs a static /bin/busybox: apt-get install busybox-static"
      command -v cpio >/dev/null || die "environment $env needs cpio: apt-get install cpio"
      fetch_kernel "$env" >/dev/null \
        || die "environment $env: cannot get the kernel package (linux-image-${env#linux-}*-amd64 from $(kernel_suite "$env"))" ;;
  esac
}

# ------------------------------------------------------- result helpers
# A JUnit file standing for a binary that produced none of its own.
synth_xml() { # FILE BINARY MESSAGE
  local msg
  msg=$(printf '%s' "$3" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g')
  cat > "$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="1" name="AllTests">
  <testsuite name="(binary)" tests="1" failures="1">
    <testcase name="$2" classname="(binary)" file="(binaries)/x" status="run" result="completed">
      <failure message="$msg"><![CDATA[$3]]></failure>
    </testcase>
  </testsuite>
</testsuites>
EOF
}

# Splits a stream holding @@IPCSPEC markers into DIR/<binary>.xml files.
# Lines: "@@IPCSPEC-XML name" ... xml ... "@@IPCSPEC-END name rc".
split_markers() { # DIR < stream
  python3 -c '
import sys, os
d = sys.argv[1]; cur = None; buf = []
for raw in sys.stdin.buffer:
    line = raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
    i = line.find("@@IPCSPEC-")
    if i >= 0:
        w = line[i:].split()
        if w[0] == "@@IPCSPEC-XML" and len(w) > 1:
            cur, buf = w[1], []
            continue
        if w[0] == "@@IPCSPEC-END" and cur:
            if len(w) > 2:
                open(os.path.join(d, cur + ".rc"), "w").write(w[2] + "\n")
            if any("<testsuites" in l for l in buf):
                open(os.path.join(d, cur + ".xml"), "w").write("\n".join(buf) + "\n")
            cur = None
            continue
        if w[0] == "@@IPCSPEC-BOOTED" and len(w) > 1:
            open(os.path.join(d, "booted"), "w").write(w[1] + "\n")
        continue
    if cur is not None:
        buf.append(line)
' "$1"
}

# Every binary with no XML after the run gets a synthetic failing one.
fill_missing() { # ENVDIR REASON
  local b name
  for b in "$bindir"/*; do
    name=$(basename "$b")
    [ -s "$1/$name.xml" ] && continue
    local rc=""; [ -f "$1/$name.rc" ] && rc=$(cat "$1/$name.rc")
    if [ "$rc" = 124 ] || [ "$rc" = 137 ] || [ "$rc" = 143 ]; then
      synth_xml "$1/$name.xml" "$name" "killed: ran longer than the per-binary timeout (${btimeout}s) and wrote no JUnit XML (log: $name.log)"
    elif [ -n "$rc" ]; then
      synth_xml "$1/$name.xml" "$name" "exited with status $rc and wrote no JUnit XML (log: $name.log)"
    else
      synth_xml "$1/$name.xml" "$name" "$2"
    fi
  done
}

# ------------------------------------------------------ the environments
run_host() { # ENVDIR
  local b name rc
  for b in "$bindir"/*; do
    name=$(basename "$b")
    TEST_TMPDIR=$(mktemp -d) timeout -k 5 "$btimeout" "$b" --gtest_output=xml:"$1/$name.xml" > "$1/$name.log" 2>&1
    rc=$?; echo "$rc" > "$1/$name.rc"
  done
}

run_gvisor() { # ENVDIR
  # runsc do gives the command a throw-away overlay over the host's root: the
  # XML is written inside and printed between markers on stdout.
  local b name rc
  for b in "$bindir"/*; do
    name=$(basename "$b")
    runsc --network=none do /bin/sh -c \
      "timeout -k 5 $btimeout \"$b\" --gtest_output=xml:/tmp/ipcspec-$name.xml > /tmp/ipcspec-$name.log 2>&1; rc=\$?;
       echo '@@IPCSPEC-XML $name'; cat /tmp/ipcspec-$name.xml 2>/dev/null; echo \"@@IPCSPEC-END $name \$rc\";
       cat /tmp/ipcspec-$name.log >&2; exit \$rc" \
      2> "$1/$name.log" | split_markers "$1"
    rc=${PIPESTATUS[0]}; echo "$rc" > "$1/$name.rc"
  done
}

make_initramfs() { # ENVDIR OUTFILE
  local r; r=$(mktemp -d)
  mkdir -p "$r"/{bin,proc,sys,dev,tmp,tests,etc}
  cp /bin/busybox "$r/bin/busybox"
  cp "$bindir"/* "$r/tests/"
  cat > "$r/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm /dev/mqueue
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
# The TCP kinds use 127.0.0.1: the loopback interface starts down.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
echo "@@IPCSPEC-BOOTED \$(cut -d' ' -f1 /proc/uptime)"
export RC_PARAMS='${RC_PARAMS:-}' IPCSPEC_TIMEOUT_SCALE='$IPCSPEC_TIMEOUT_SCALE' TEST_TMPDIR=/tmp
[ -n "\$RC_PARAMS" ] || unset RC_PARAMS
for b in /tests/*; do
  n=\${b##*/}
  timeout -s KILL $btimeout \$b --gtest_output=xml:/tmp/\$n.xml > /tmp/\$n.log 2>&1
  rc=\$?
  echo "@@IPCSPEC-XML \$n"
  cat /tmp/\$n.xml 2>/dev/null
  echo "@@IPCSPEC-END \$n \$rc"
  rm -f /tmp/\$n.xml /tmp/\$n.log
done
echo "@@IPCSPEC-DONE \$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
EOF
  chmod +x "$r/init"
  ( cd "$r" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$2"
  rm -rf "$r"
}

qemu_accel() {
  local want=${IPCSPEC_QEMU_ACCEL:-auto}
  [ "$want" != auto ] && { echo "$want"; return; }
  [ -w /dev/kvm ] || { echo tcg; return; }
  local f="$cache/kvm-verdict"
  [ -f "$f" ] && { cat "$f"; return; }
  # Nested KVM may hang at boot: give a probe boot 20 s to reach userspace.
  local vm; vm=$(fetch_kernel linux-6.1) || { echo tcg; return; }
  local r; r=$(mktemp -d); mkdir -p "$r/bin"; cp /bin/busybox "$r/bin/"
  printf '#!/bin/busybox sh\n/bin/busybox echo @@KVM-OK\n/bin/busybox poweroff -f\n' > "$r/init"
  chmod +x "$r/init"; ( cd "$r" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$r.img"
  if timeout -k 2 20 qemu-system-x86_64 -accel kvm -m 256 -nographic -no-reboot \
       -kernel "$vm" -initrd "$r.img" -append 'console=ttyS0 panic=-1 quiet' 2>/dev/null \
       | grep -q '@@KVM-OK'; then
    echo kvm > "$f"
  else
    echo tcg > "$f"
  fi
  rm -rf "$r" "$r.img"
  cat "$f"
}

run_qemu() { # ENV ENVDIR
  local env=$1 d=$2 vm accel img
  vm=$(fetch_kernel "$env") || return 1
  accel=$(qemu_accel)
  echo "$accel" > "$d/accel"
  img=$(mktemp --suffix=.img)
  make_initramfs "$d" "$img"
  echo "$(cat "$cache/kernels/$env/package")" > "$d/kernel"
  local t0; t0=$(date +%s.%N)
  qemu-system-x86_64 -accel "$accel" -m 1024 -smp 1 -nographic -no-reboot \
    -kernel "$vm" -initrd "$img" -append 'console=ttyS0 panic=-1 quiet' < /dev/null \
    2> "$d/qemu.stderr" | tee "$d/console.log" | split_markers "$d"
  rm -f "$img"
  grep -q '@@IPCSPEC-DONE' "$d/console.log"
}

run_one() { # ENV (inside timeout)
  local env=$1 d="$out/$1"
  case "$env" in
    host) run_host "$d" ;;
    gvisor) run_gvisor "$d" ;;
    linux-*) run_qemu "$env" "$d" ;;
  esac
}

if [ -n "$one_env" ]; then
  [ -n "$bindir" ] || die "--run-one needs --bin"
  if [ "$tier" = quick ]; then export RC_PARAMS=max_success=25; fi
  run_one "$one_env"
  exit $?
fi

# ------------------------------------------------------------------ main
[ -n "$envs_arg" ] || die "--env is required, e.g. --env host,gvisor"
case "$tier" in quick|thorough) ;; *) die "unknown tier '$tier' (quick or thorough)" ;; esac
case "$deadline" in ''|*[!0-9]*) die "--deadline wants whole seconds, got '$deadline'" ;; esac
case "$btimeout" in ''|*[!0-9]*) die "--binary-timeout wants whole seconds, got '$btimeout'" ;; esac
IFS=, read -r -a envs <<< "$envs_arg"
for e in "${envs[@]}"; do
  known_env "$e" || die "unknown environment '$e' (known: host, gvisor, linux-6.1)"
done
for e in "${envs[@]}"; do check_prereqs "$e"; done

mkdir -p "$out"; out=$(cd "$out" && pwd)
if [ -z "$bindir" ]; then
  bindir="$out/bin"
  say "building static test binaries into $bindir"
  "$root/containers/build_binaries.sh" "$bindir" >&2 || die "building the binaries failed"
fi
bindir=$(cd "$bindir" && pwd)
ls "$bindir"/* >/dev/null 2>&1 || die "no binaries in $bindir"

ncpu=$(nproc 2>/dev/null || echo 1)
par=$(( ncpu < 2 ? 1 : 2 ))
[ "${#envs[@]}" -lt "$par" ] && par=${#envs[@]}
say "environments: ${envs[*]}; tier $tier; deadline ${deadline}s each; $par at once"

start_env() { # ENV
  local e=$1 d="$out/$1" scale=${IPCSPEC_TIMEOUT_SCALE:-}
  rm -rf "$d"; mkdir -p "$d"
  case "$e" in linux-*) scale=${scale:-10} ;; *) scale=${scale:-1} ;; esac
  (
    t0=$(date +%s.%N)
    IPCSPEC_TIMEOUT_SCALE=$scale timeout -k 10 "$deadline" \
      "$0" --run-one "$e" --bin "$bindir" --out "$out" --tier "$tier" \
        --binary-timeout "$btimeout" > "$d/run.log" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    wall=$(python3 -c "print(f'{$t1-$t0:.1f}')")
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
      status="killed at deadline (${deadline}s)"
      fill_missing "$d" "not finished: environment $e was killed at its deadline (${deadline}s)"
    elif [ $rc -ne 0 ] && [[ $e == linux-* ]]; then
      status="kernel run did not complete (status $rc)"
      fill_missing "$d" "no result: the $e run ended without this binary's XML"
    else
      status=finished
      fill_missing "$d" "no result"
    fi
    {
      printf 'status\t%s\n' "$status"
      printf 'wall_seconds\t%s\n' "$wall"
      printf 'tier\t%s\n' "$tier"
      printf 'timeout_scale\t%s\n' "$scale"
      case "$e" in
        host) printf 'kernel\t%s\n' "$(uname -r)" ;;
        gvisor) printf 'kernel\tgVisor %s\n' "$(runsc --version 2>/dev/null | head -n 1 | awk '{print $3}')" ;;
        linux-*)
          [ -f "$d/kernel" ] && printf 'kernel\t%s\n' "$(cat "$d/kernel")"
          [ -f "$d/accel" ] && printf 'accel\t%s\n' "$(cat "$d/accel")"
          [ -f "$d/booted" ] && printf 'boot_seconds\t%s\n' "$(cat "$d/booted")" ;;
      esac
    } > "$d/env.tsv"
    rm -f "$d"/*.rc "$d/booted" "$d/kernel" "$d/accel"
    say "$e: $status in ${wall}s"
  ) &
}

running=0
for e in "${envs[@]}"; do
  if [ "$running" -ge "$par" ]; then wait -n; running=$((running - 1)); fi
  start_env "$e"; running=$((running + 1))
done
wait

# The binaries are an input, not an environment: keep them out of the report.
rdir=$(mktemp -d)
for e in "${envs[@]}"; do ln -s "$out/$e" "$rdir/$e"; done
python3 "$root/containers/report.py" "$rdir" --md "$out/report.md" --html "$out/report.html" >&2
rrc=$?
rm -rf "$rdir"
[ $rrc -eq 0 ] || exit 2
status=0
for e in "${envs[@]}"; do grep -q $'^status\tfinished' "$out/$e/env.tsv" || status=1; done
grep -q '^### Findings' "$out/report.md" && status=1
say "report: $out/report.md, $out/report.html"
exit $status
