#!/usr/bin/env bash
# The environment matrix: the same statically linked test binaries run on
# several kernels and sandboxes, then one side-by-side report.
#
#   ci/matrix.sh --env ENV[,ENV...]|all [--tier quick|thorough] [--out DIR]
#                [--deadline SECONDS] [--binary-timeout SECONDS] [--bin DIR]
#   ci/matrix.sh --list
#
#   --env       environments, comma-separated, or "all":
#                 host           the binaries on the running kernel
#                 runc           a podman container (runtime runc) on the host
#                                kernel, image imported from a tar of the binaries
#                 gvisor         gVisor: all binaries under `runsc --network=none do`
#                 gvisor-podman  gVisor as podman's runtime (same image as runc)
#                 linux-5.10     Debian bullseye's kernel        \  booted by qemu
#                 linux-6.1      Debian bookworm's kernel         | (KVM if it works,
#                 linux-6.12     Debian bookworm-backports' kernel| else TCG) from an
#                 linux-sid      the newest kernel in Debian sid /  initramfs of
#                                busybox-static + the binaries
#   --tier      quick (the default): RC_PARAMS="max_success=25 seed=S", and
#               the selftest binaries (suites_selftest_*: they judge the suite
#               against mutants, which does not depend on the environment, and
#               `bazel test` runs them on the host) are left out. S is
#               IPCSPEC_MATRIX_SEED (default 1; "random" for none): every run
#               of the quick tier draws the same cases, so a difference
#               between two runs is the environment's (or timing), never the
#               draw, and a CI failure replays with the seed it prints;
#               thorough: every binary, rapidcheck's default case counts and
#               a random seed
#   --out       results directory (default: matrix-out); DIR/<env>/*.xml are
#               gtest JUnit files, DIR/<env>/env.tsv the run's figures,
#               DIR/report.md and DIR/report.html the report, DIR/times.tsv
#   --deadline  seconds per environment (default 900); an environment still
#               running then is killed and reported as such, the others go on
#   --binary-timeout  seconds one test binary may run (default 120, scaled by
#               IPCSPEC_TIMEOUT_SCALE) before it is killed and reported as a
#               failure; the environment goes on
#   --bin       use these static binaries instead of building them
#               (containers/build_binaries.sh)
#
# Environments run in parallel, as many at once as there are cores (at least
# 1, at most IPCSPEC_MATRIX_JOBS if set). IPCSPEC_TIMEOUT_SCALE (default 1,
# 10 under TCG) stretches the tests' deadlines in slow environments.
# IPCSPEC_QEMU_ACCEL=tcg|kvm|auto (default auto: KVM if a probe boot reaches
# userspace within 20 s, else TCG; nested KVM hangs on some machines).
# IPCSPEC_BOOT_TIMEOUT (default 180) seconds for a kernel to reach userspace.
# IPCSPEC_CACHE (default ~/.cache/ipcspec-matrix) keeps the downloaded kernels,
# their apt lists and podman's image store.
# Kernels come from the Debian mirror the host's apt already uses (read from
# `apt-get indextargets` at run time; IPCSPEC_DEBIAN_MIRROR overrides it),
# through a separate apt configuration under the cache: the host's package
# set is never touched, and apt verifies each package against the suite's
# signed Release file.
# Exit status: 0 when every environment finished and the report has no
# findings, 1 otherwise, 2 on bad usage or a missing prerequisite (unknown
# environment, no runsc/qemu/podman, kernel package not found) or when a
# kernel did not boot.
set -uo pipefail
# The whole script is one brace group: bash parses it completely before it
# runs any of it, so editing this file while a matrix runs cannot derail it.
{
root=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'matrix: %s\n' "$*" >&2; }
die() { printf 'matrix: ERROR: %s\n' "$*" >&2; exit 2; }

ALL_ENVS=(host runc gvisor gvisor-podman linux-5.10 linux-6.1 linux-6.12 linux-sid)

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
    --list) printf '%s\n' "${ALL_ENVS[@]}"; exit 0 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d'; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
  esac
done

cache=${IPCSPEC_CACHE:-$HOME/.cache/ipcspec-matrix}

# ---------------------------------------------------------------- kernels
# linux-VER -> the Debian suite whose linux-image-amd64 is that kernel.
kernel_suite() {
  case "$1" in
    linux-5.10) echo bullseye ;;
    linux-6.1) echo bookworm ;;
    linux-6.12) echo bookworm-backports ;;
    linux-sid) echo sid ;;
    *) return 1 ;;
  esac
}

known_env() {
  case "$1" in
    host|runc|gvisor|gvisor-podman) return 0 ;;
    linux-*) kernel_suite "$1" >/dev/null ;;
    *) return 1 ;;
  esac
}

# The main Debian archive the host's apt is configured with.
debian_mirror() {
  if [ -n "${IPCSPEC_DEBIAN_MIRROR:-}" ]; then echo "$IPCSPEC_DEBIAN_MIRROR"; return 0; fi
  apt-get indextargets --format '$(LABEL)|$(REPO_URI)' 'Identifier: Packages' 2>/dev/null \
    | awk -F'|' '$1 == "Debian" || $1 == "Debian Backports" { print $2; exit }'
}

# apt options for a private configuration of one suite under the cache.
apt_opts() { # SUITE
  local a="$cache/apt/$1"
  echo "-o Dir::Etc::SourceList=$a/sources.list -o Dir::Etc::SourceParts=/dev/null" \
       "-o Dir::Etc::PreferencesParts=/dev/null -o Dir::State::Lists=$a/lists" \
       "-o Dir::Cache=$a/cache -o APT::Architecture=amd64 -o Debug::NoLocking=1"
}

# Prints the path of the vmlinuz for ENV, downloading its package once.
# Messages go to stderr; status 1 when the kernel cannot be had.
fetch_kernel() {
  local env=$1 dir="$cache/kernels/$1" suite
  if [ -s "$dir/vmlinuz" ] && [ -s "$dir/package" ]; then echo "$dir/vmlinuz"; return 0; fi
  suite=$(kernel_suite "$env") || return 1
  local mirror; mirror=$(debian_mirror)
  [ -n "$mirror" ] || { say "$env: cannot find the host's Debian mirror in its apt configuration"; return 1; }
  local a="$cache/apt/$suite"
  mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$dir"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" > "$a/sources.list"
  local -a opts; read -r -a opts <<< "$(apt_opts "$suite")"
  say "$env: apt-get update of $suite from $mirror (private lists in $a)"
  apt-get "${opts[@]}" update -qq > "$a/update.log" 2>&1 \
    || { sed 's/^/  /' "$a/update.log" >&2; say "$env: apt-get update for $suite failed"; return 1; }
  # linux-image-amd64 depends on the suite's current linux-image-ABI-amd64.
  local img
  img=$(apt-cache "${opts[@]}" depends linux-image-amd64 2>/dev/null \
          | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
  [ -n "$img" ] || { say "$env: no linux-image-amd64 in $suite at $mirror"; return 1; }
  # sid's linux-image-VER-amd64 is a small package; vmlinuz is in linux-binary-VER-amd64.
  local pkg=$img bin=linux-binary-${img#linux-image-}
  if apt-cache "${opts[@]}" show "$bin" >/dev/null 2>&1; then pkg=$bin; fi
  say "$env: apt-get download $pkg (verified against $suite's signed Release)"
  rm -f "$dir"/*.deb
  ( cd "$dir" && apt-get "${opts[@]}" download "$pkg" ) > "$dir/download.log" 2>&1 \
    || { sed 's/^/  /' "$dir/download.log" >&2; say "$env: apt-get download $pkg failed"; return 1; }
  local deb; deb=$(ls "$dir"/*.deb 2>/dev/null | head -n 1)
  [ -n "$deb" ] || { say "$env: apt-get download $pkg left no .deb"; return 1; }
  local x; x=$(mktemp -d)
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --wildcards './boot/vmlinuz-*' './usr/lib/modules/*/vmlinuz' 2>/dev/null
  local vm; vm=$(find "$x" -name 'vmlinuz*' -type f | head -n 1)
  if [ -z "$vm" ]; then rm -rf "$x"; say "$env: $pkg holds no vmlinuz"; return 1; fi
  cp "$vm" "$dir/vmlinuz"
  echo "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)" > "$dir/package"
  sha256sum "$deb" | cut -d' ' -f1 > "$dir/deb.sha256"
  rm -rf "$x" "$deb"
  echo "$dir/vmlinuz"
}

podman_cmd() { # podman with the matrix's own store and containers.conf
  CONTAINERS_CONF="$cache/podman/containers.conf" \
    podman --root "$cache/podman/root" --runroot "$cache/podman/run" "$@"
}

check_prereqs() {
  local env=$1
  case "$env" in
    host) ;;
    runc|gvisor-podman)
      command -v podman >/dev/null \
        || die "environment $env needs podman: apt-get install podman runc (ci/setup.sh --matrix)"
      command -v runc >/dev/null \
        || die "environment $env needs runc: apt-get install runc (ci/setup.sh --matrix)" ;;&
    gvisor|gvisor-podman)
      command -v runsc >/dev/null \
        || die "environment $env needs runsc: apt-get install -t bookworm-backports runsc (ci/setup.sh --matrix)" ;;
    linux-*)
      command -v qemu-system-x86_64 >/dev/null \
        || die "environment $env needs qemu-system-x86_64: apt-get install qemu-system-x86"
      [ -x /bin/busybox ] && ! readelf -l /bin/busybox | grep -q "program interpreter" \
        || die "environment $env needs a static /bin/busybox: apt-get install busybox-static"
      command -v cpio >/dev/null || die "environment $env needs cpio: apt-get install cpio"
      fetch_kernel "$env" >/dev/null \
        || die "environment $env: kernel package not found (linux-image-amd64 of Debian $(kernel_suite "$env"))" ;;
  esac
}

# ------------------------------------------------------- result helpers
xml_escape() { sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g'; }

# A JUnit file standing for a binary that produced none of its own.
synth_xml() { # FILE BINARY MESSAGE [LOGFILE]
  local msg body
  msg=$(printf '%s' "$3" | xml_escape)
  body=$3
  if [ -n "${4:-}" ] && [ -s "$4" ]; then
    body="$3"$'\n\nlast lines of the output:\n'"$(tail -n 25 "$4")"
  fi
  body=${body//]]>/]] >}
  cat > "$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="1" failures="1" name="AllTests">
  <testsuite name="(binary)" tests="1" failures="1">
    <testcase name="$2" classname="(binary)" file="(binaries)/x" status="run" result="completed">
      <failure message="$msg"><![CDATA[$body]]></failure>
    </testcase>
  </testsuite>
</testsuites>
EOF
}

# Splits a stream holding @@IPCSPEC markers into DIR/<binary>.{xml,log,rc}.
# Lines: "@@IPCSPEC-XML name" xml "@@IPCSPEC-LOG name" log "@@IPCSPEC-END name rc".
split_markers() { # DIR < stream
  python3 -c '
import sys, os
d = sys.argv[1]; cur = None; kind = None; buf = {"xml": [], "log": []}
for raw in sys.stdin.buffer:
    line = raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
    i = line.find("@@IPCSPEC-")
    if i >= 0:
        w = line[i:].split()
        if w[0] == "@@IPCSPEC-XML" and len(w) > 1:
            cur, kind, buf = w[1], "xml", {"xml": [], "log": []}
            continue
        if w[0] == "@@IPCSPEC-LOG" and cur:
            kind = "log"
            continue
        if w[0] == "@@IPCSPEC-END" and cur:
            if len(w) > 2:
                open(os.path.join(d, cur + ".rc"), "w").write(w[2] + "\n")
            if any("<testsuites" in l for l in buf["xml"]):
                open(os.path.join(d, cur + ".xml"), "w").write("\n".join(buf["xml"]) + "\n")
            if buf["log"]:
                open(os.path.join(d, cur + ".log"), "w").write("\n".join(buf["log"]) + "\n")
            cur = None
            continue
        if w[0] == "@@IPCSPEC-BOOTED" and len(w) > 1:
            open(os.path.join(d, "booted"), "w").write(w[1] + "\n")
        continue
    if cur is not None:
        buf[kind].append(line)
' "$1"
}

# The loop every environment runs: each binary under its own timeout, its
# JUnit XML either into OUT (a directory) or, when OUT is "-", printed between
# markers on stdout (qemu's serial console, runsc do). Runs under busybox sh
# as well as bash; `timeout -s KILL N` means the same to both.
loop_script() {
  cat <<'EOF'
bin=$1 out=$2 t=$3 tmp=${TMPDIR:-/tmp}
for b in "$bin"/*; do
  n=${b##*/}
  mkdir -p "$tmp/ipcspec-run.$n"
  if [ "$out" = - ]; then x=$tmp/ipcspec-$n.xml l=$tmp/ipcspec-$n.log; else x=$out/$n.xml l=$out/$n.log; fi
  TEST_TMPDIR=$tmp/ipcspec-run.$n timeout -s KILL "$t" "$b" --gtest_output=xml:"$x" > "$l" 2>&1
  rc=$?
  rm -rf "$tmp/ipcspec-run.$n"
  if [ "$out" = - ]; then
    echo "@@IPCSPEC-XML $n"
    cat "$x" 2>/dev/null
    if [ ! -s "$x" ]; then echo "@@IPCSPEC-LOG $n"; tail -n 25 "$l"; fi
    echo "@@IPCSPEC-END $n $rc"
    rm -f "$x" "$l"
  else
    echo "$rc" > "$out/$n.rc"
  fi
done
EOF
}

# Every binary with no XML after the run gets a synthetic failing one.
fill_missing() { # ENVDIR REASON
  local b name
  for b in "$bindir"/*; do
    name=$(basename "$b")
    [ -s "$1/$name.xml" ] && continue
    local rc=""; [ -f "$1/$name.rc" ] && rc=$(cat "$1/$name.rc")
    if [ "$rc" = 124 ] || [ "$rc" = 137 ] || [ "$rc" = 143 ]; then
      synth_xml "$1/$name.xml" "$name" "killed: ran longer than the per-binary timeout (${btimeout}s) and wrote no JUnit XML (status $rc)" "$1/$name.log"
    elif [ -n "$rc" ]; then
      synth_xml "$1/$name.xml" "$name" "exited with status $rc and wrote no JUnit XML" "$1/$name.log"
    else
      synth_xml "$1/$name.xml" "$name" "$2" "$1/$name.log"
    fi
  done
}

# ------------------------------------------------------ the environments
# Inside --run-one: btimeout is already scaled; RC_PARAMS and
# IPCSPEC_TIMEOUT_SCALE are exported.

run_host() { # ENVDIR
  local tmp; tmp=$(mktemp -d)
  TMPDIR=$tmp sh -c "$(loop_script)" loop "$bindir" "$1" "$btimeout"
  rm -rf "$tmp"
}

run_gvisor() { # ENVDIR
  # runsc do runs the command in a sandbox over a throw-away overlay of the
  # host's root: the XML files are printed between markers on stdout.
  runsc --network=none do /bin/sh -c "$(loop_script)" loop "$bindir" - "$btimeout" \
    2> "$1/runsc.stderr" | split_markers "$1"
}

# The image for runc and gvisor-podman: busybox and the binaries, imported
# from a tar (offline: nothing is pulled). Done once, before the environments.
podman_image() {
  local img=localhost/ipcspec-matrix:latest r
  mkdir -p "$cache/podman"
  # The sandbox this runs in forbids raising RLIMIT_NOFILE/NPROC, which podman
  # does by default; runc (not crun) works with the hybrid cgroup layout.
  printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' \
    > "$cache/podman/containers.conf"
  r=$(mktemp -d)
  mkdir -p "$r"/{bin,tests,tmp,out,dev/shm,proc,sys}
  chmod 1777 "$r/tmp"
  cp /bin/busybox "$r/bin/busybox"
  for t in sh timeout mkdir rm cat tail ls; do ln -s busybox "$r/bin/$t"; done
  cp "$bindir"/* "$r/tests/"
  loop_script > "$r/loop.sh"
  podman_cmd rmi -f "$img" >/dev/null 2>&1
  tar -C "$r" -cf - . | podman_cmd import -q - "$img" >/dev/null \
    || { rm -rf "$r"; return 1; }
  rm -rf "$r"
  echo "$img"
}

run_podman() { # ENV ENVDIR
  local env=$1 d=$2 name="ipcspec-$1-$$" rt=()
  case "$env" in
    runc) rt=(--runtime runc) ;;
    gvisor-podman) rt=(--runtime /usr/bin/runsc --runtime-flag network=none) ;;
  esac
  # Killed at the deadline: take the container down with us.
  trap 'podman_cmd rm -f -t 0 "$name" >/dev/null 2>&1; exit 143' TERM INT
  podman_cmd "${rt[@]}" run --rm --name "$name" --network=none \
    -e RC_PARAMS="${RC_PARAMS:-}" -e IPCSPEC_TIMEOUT_SCALE="$IPCSPEC_TIMEOUT_SCALE" \
    -v "$d:/out" localhost/ipcspec-matrix:latest \
    /bin/sh /loop.sh /tests /out "$btimeout" > "$d/podman.log" 2>&1 &
  wait $!
  local rc=$?
  podman_cmd rm -f -t 0 "$name" >/dev/null 2>&1
  return $rc
}

make_initramfs() { # OUTFILE
  local r; r=$(mktemp -d)
  mkdir -p "$r"/{bin,proc,sys,dev,tmp,tests,etc}
  cp /bin/busybox "$r/bin/busybox"
  cp "$bindir"/* "$r/tests/"
  loop_script > "$r/loop.sh"
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
echo "@@IPCSPEC-BOOTED \$(cut -d' ' -f1 /proc/uptime) \$(uname -r)"
export RC_PARAMS='${RC_PARAMS:-}' IPCSPEC_TIMEOUT_SCALE='$IPCSPEC_TIMEOUT_SCALE'
[ -n "\$RC_PARAMS" ] || unset RC_PARAMS
sh /loop.sh /tests - $btimeout
echo "@@IPCSPEC-DONE \$(cut -d' ' -f1 /proc/uptime)"
poweroff -f
EOF
  chmod +x "$r/init"
  ( cd "$r" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$1"
  rm -rf "$r"
}

boot_probe_image() { # OUTFILE: an initramfs that only says it booted
  local r; r=$(mktemp -d); mkdir -p "$r/bin"; cp /bin/busybox "$r/bin/"
  printf '#!/bin/busybox sh\n/bin/busybox echo @@KVM-OK\n/bin/busybox poweroff -f\n' > "$r/init"
  chmod +x "$r/init"; ( cd "$r" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$1"
  rm -rf "$r"
}

qemu_accel() { # VMLINUZ
  local want=${IPCSPEC_QEMU_ACCEL:-auto}
  [ "$want" != auto ] && { echo "$want"; return; }
  [ -w /dev/kvm ] || { echo tcg; return; }
  local f="$cache/kvm-verdict"
  [ -f "$f" ] && { cat "$f"; return; }
  # Nested KVM may hang at boot: give a probe boot 20 s to reach userspace.
  local img; img=$(mktemp --suffix=.img); boot_probe_image "$img"
  if timeout -k 2 20 qemu-system-x86_64 -accel kvm -m 256 -nographic -no-reboot \
       -kernel "$1" -initrd "$img" -append 'console=ttyS0 panic=-1 quiet' 2>/dev/null \
       | grep -q '@@KVM-OK'; then
    echo kvm > "$f"
  else
    echo tcg > "$f"
  fi
  rm -f "$img"
  cat "$f"
}

run_qemu() { # ENV ENVDIR
  local env=$1 d=$2 vm accel img
  vm=$(fetch_kernel "$env") || return 1
  accel=$(qemu_accel "$vm")
  echo "$accel" > "$d/accel"
  cp "$cache/kernels/$env/package" "$d/kernel"
  img=$(mktemp --suffix=.img)
  make_initramfs "$img"
  local t0 qpid boot_to=${IPCSPEC_BOOT_TIMEOUT:-180}
  t0=$(date +%s.%N)
  qemu-system-x86_64 -accel "$accel" -m 1024 -smp 1 -nographic -no-reboot \
    -kernel "$vm" -initrd "$img" -append 'console=ttyS0 panic=-1 quiet' < /dev/null \
    > "$d/console.log" 2> "$d/qemu.stderr" &
  qpid=$!
  trap 'kill -9 $qpid 2>/dev/null; exit 143' TERM INT
  # Wait for userspace; a kernel that does not get there is killed.
  while ! grep -q '@@IPCSPEC-BOOTED' "$d/console.log"; do
    local why=""
    if ! kill -0 "$qpid" 2>/dev/null; then
      why="qemu exited before userspace: $(tail -n 1 "$d/qemu.stderr" 2>/dev/null) $(tail -n 2 "$d/console.log" | tr -d '\r' | paste -sd' ')"
    elif python3 -c "import sys,time; sys.exit(0 if time.time()-$t0 > $boot_to else 1)"; then
      why="did not reach userspace within ${boot_to}s (IPCSPEC_BOOT_TIMEOUT; console: $d/console.log)"
    fi
    if [ -n "$why" ]; then
      kill -9 "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null
      echo "$why" > "$d/noboot"
      rm -f "$img"
      return 1
    fi
    sleep 0.2 # polling the console file for the boot marker; not test synchronisation
  done
  python3 -c "import time; print(f'{time.time()-$t0:.2f}')" > "$d/boot_wall"
  wait "$qpid"
  rm -f "$img"
  split_markers "$d" < "$d/console.log"
  grep -q '@@IPCSPEC-DONE' "$d/console.log"
}

run_one() { # ENV (inside timeout)
  local env=$1 d="$out/$1"
  case "$env" in
    host) run_host "$d" ;;
    gvisor) run_gvisor "$d" ;;
    runc|gvisor-podman) run_podman "$env" "$d" ;;
    linux-*) run_qemu "$env" "$d" ;;
  esac
}

if [ -n "$one_env" ]; then
  [ -n "$bindir" ] || die "--run-one needs --bin"
  if [ "$tier" = quick ]; then
    seed=${IPCSPEC_MATRIX_SEED:-1}
    case "$seed" in
      random) export RC_PARAMS=max_success=25 ;;
      *[!0-9]*|'') die "IPCSPEC_MATRIX_SEED must be a number or \"random\", not \"$seed\"" ;;
      *) export RC_PARAMS="max_success=25 seed=$seed" ;;
    esac
  fi
  export IPCSPEC_TIMEOUT_SCALE=${IPCSPEC_TIMEOUT_SCALE:-1}
  run_one "$one_env"
  exit $?
fi

# ------------------------------------------------------------------ main
[ -n "$envs_arg" ] || die "--env is required, e.g. --env host,gvisor or --env all (known: ${ALL_ENVS[*]})"
case "$tier" in quick|thorough) ;; *) die "unknown tier '$tier' (quick or thorough)" ;; esac
case "$deadline" in ''|*[!0-9]*) die "--deadline wants whole seconds, got '$deadline'" ;; esac
case "$btimeout" in ''|*[!0-9]*) die "--binary-timeout wants whole seconds, got '$btimeout'" ;; esac
if [ "$envs_arg" = all ]; then envs=("${ALL_ENVS[@]}"); else IFS=, read -r -a envs <<< "$envs_arg"; fi
for e in "${envs[@]}"; do
  known_env "$e" || die "unknown environment '$e' (known: ${ALL_ENVS[*]}, or all)"
done
for e in "${envs[@]}"; do check_prereqs "$e"; done

t_start=$(date +%s.%N)
mkdir -p "$out"; out=$(cd "$out" && pwd)
if [ -z "$bindir" ]; then
  bindir="$out/bin"
  say "building static test binaries into $bindir"
  "$root/containers/build_binaries.sh" "$bindir" >&2 || die "building the binaries failed"
fi
[ -d "$bindir" ] || die "no such directory: $bindir"
bindir=$(cd "$bindir" && pwd)
ls "$bindir"/* >/dev/null 2>&1 || die "no binaries in $bindir"
if [ "$tier" = quick ]; then
  # The binaries this tier runs, as links into the built set.
  sel="$out/.bin-$tier"; rm -rf "$sel"; mkdir -p "$sel"
  for b in "$bindir"/*; do
    case "${b##*/}" in suites_selftest_*) continue ;; esac
    ln -s "$b" "$sel/${b##*/}"
  done
  bindir=$sel
  ls "$bindir"/* >/dev/null 2>&1 || die "no binaries left for tier $tier in $bindir"
fi

for e in "${envs[@]}"; do
  case "$e" in
    runc|gvisor-podman)
      say "importing the podman image (store: $cache/podman)"
      podman_image >/dev/null || die "podman import of the test image failed"
      break ;;
  esac
done

ncpu=$(nproc 2>/dev/null || echo 1)
case "${IPCSPEC_MATRIX_SEED:-1}" in
  random) ;;
  *[!0-9]*|'') die "IPCSPEC_MATRIX_SEED must be a number or \"random\", not \"${IPCSPEC_MATRIX_SEED:-}\"" ;;
esac
par=${IPCSPEC_MATRIX_JOBS:-$ncpu}
[ "$par" -ge 1 ] 2>/dev/null || par=1
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
        --binary-timeout "$((btimeout * scale))" > "$d/run.log" 2>&1
    rc=$?
    t1=$(date +%s.%N)
    wall=$(python3 -c "print(f'{$t1-$t0:.1f}')")
    # A kernel run cut short still printed the binaries it finished.
    if [[ $e == linux-* ]] && [ -s "$d/console.log" ]; then split_markers "$d" < "$d/console.log"; fi
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
      status="killed at deadline (${deadline}s)"
      fill_missing "$d" "not finished: environment $e was killed at its deadline (${deadline}s)"
    elif [ -f "$d/noboot" ]; then
      status="kernel did not boot: $(cat "$d/noboot")"
      fill_missing "$d" "not run: the kernel of $e did not boot"
    elif [ $rc -ne 0 ] && [[ $e == linux-* ]]; then
      status="kernel run did not complete (status $rc)"
      fill_missing "$d" "no result: the $e run ended without this binary's XML"
    elif [ $rc -ne 0 ]; then
      status="runner failed (status $rc, see run.log)"
      fill_missing "$d" "no result: the $e runner failed (status $rc)"
    else
      status=finished
      fill_missing "$d" "no result"
    fi
    {
      printf 'status\t%s\n' "$status"
      printf 'wall_seconds\t%s\n' "$wall"
      printf 'tier\t%s\n' "$tier"
      printf 'timeout_scale\t%s\n' "$scale"
      printf 'binaries\t%s\n' "$(ls "$bindir" | wc -l)"
      case "$e" in
        host|runc) printf 'kernel\tLinux %s\n' "$(uname -r)" ;;
        gvisor*) printf 'kernel\tgVisor %s\n' "$(runsc --version 2>/dev/null | head -n 1 | awk '{print $3}')" ;;
        linux-*)
          [ -f "$d/kernel" ] && printf 'kernel\t%s\n' "$(cat "$d/kernel")"
          [ -f "$d/accel" ] && printf 'accel\t%s\n' "$(cat "$d/accel")"
          [ -f "$d/booted" ] && printf 'boot_seconds\t%s\n' "$(cut -d' ' -f1 "$d/booted")"
          [ -f "$d/boot_wall" ] && printf 'boot_wall_seconds\t%s\n' "$(cat "$d/boot_wall")" ;;
      esac
    } > "$d/env.tsv"
    rm -f "$d"/*.rc "$d/booted" "$d/kernel" "$d/accel" "$d/boot_wall"
    say "$e: $status in ${wall}s"
  ) &
}

running=0
for e in "${envs[@]}"; do
  if [ "$running" -ge "$par" ]; then wait -n; running=$((running - 1)); fi
  start_env "$e"; running=$((running + 1))
done
wait
t_end=$(date +%s.%N)

# The binaries are an input, not an environment: keep them out of the report.
rdir=$(mktemp -d)
for e in "${envs[@]}"; do ln -s "$out/$e" "$rdir/$e"; done
python3 "$root/containers/report.py" "$rdir" --source-root "$root" \
  --md "$out/report.md" --html "$out/report.html" >&2
rrc=$?
rm -rf "$rdir"
[ $rrc -eq 0 ] || exit 2
{
  printf 'env\tstatus\twall_seconds\tboot_seconds\n'
  for e in "${envs[@]}"; do
    printf '%s\t%s\t%s\t%s\n' "$e" \
      "$(sed -n 's/^status\t//p' "$out/$e/env.tsv")" \
      "$(sed -n 's/^wall_seconds\t//p' "$out/$e/env.tsv")" \
      "$(sed -n 's/^boot_wall_seconds\t//p' "$out/$e/env.tsv")"
  done
  printf 'matrix\t-\t%s\t\n' "$(python3 -c "print(f'{$t_end-$t_start:.1f}')")"
} > "$out/times.tsv"
status=0
for e in "${envs[@]}"; do
  if [ -f "$out/$e/noboot" ]; then
    say "ERROR: $e: kernel did not boot: $(cat "$out/$e/noboot")"; status=2
  fi
  grep -q $'^status\tfinished' "$out/$e/env.tsv" || { [ $status -eq 0 ] && status=1; }
done
if grep -q '^### Findings' "$out/report.md"; then
  say "findings (failures not in a divergence table): $(sed -n 's/^### Findings.*: //p' "$out/report.md")"
  # The findings themselves, so that a CI log alone says what failed where.
  sed -n '/^### Findings/,/^###* [^F]/{/^- /p}' "$out/report.md" | cut -c1-600 >&2
  [ $status -eq 0 ] && status=1
fi
say "times: $(tail -n 1 "$out/times.tsv" | cut -f3)s for the whole matrix ($out/times.tsv)"
say "report: $out/report.md, $out/report.html"
exit $status
}
