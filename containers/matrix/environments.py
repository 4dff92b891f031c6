"""Running the test binaries in one environment.

Every runner gets a Run (what to run and how) and the environment's
directory, and leaves there per binary NAME.xml, NAME.log, NAME.I.jsonl and
NAME.rc (see loop.py). It returns an Outcome: its status, and what the
reader needs to know (the binary cut short when the environment was
killed, a kernel that did not boot).
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

from . import custom_kernel, initramfs, kernels, runtimes
from .common import Deadline, nonempty, popen, read, say, write
from .loop import LOOP, split_markers

ALL_ENVS = ["host", "runc", "crun", "gvisor", "gvisor-podman",
            "linux-5.10", "linux-6.1", "linux-6.12", "linux-sid"]
IMAGE = "localhost/ipcspec-matrix:latest"


def known(env):
    return (env in ("host", "runc", "gvisor", "gvisor-podman") or env in kernels.SUITES
            or custom_kernel.get(env) is not None
            or runtimes.is_runtime_env(env))


class Run:
    """One environment's run: the binaries, the per-binary timeout (already
    scaled), the variables every binary gets, the cache."""

    def __init__(self, env, bindir, btimeout, variables, cache, deadline):
        self.env = env
        self.bindir = bindir
        self.btimeout = btimeout
        self.variables = variables   # IPCSPEC_ENV, IPCSPEC_ENV_VERSION, RC_PARAMS, ...
        self.cache = cache
        self.deadline = deadline

    def environ(self):
        e = dict(os.environ)
        for k, v in self.variables.items():
            if v:
                e[k] = v
            else:
                e.pop(k, None)
        return e


class Outcome:
    def __init__(self):
        self.rc = 0            # the runner's status (None: killed at the deadline)
        self.noboot = ""       # why the kernel did not boot
        self.cut_short = None  # the binary running when the run was cut short
        self.figures = {}      # env.tsv lines the runner adds (accel, boot time)


def podman_cmd(cache, *args):
    return ["env", "CONTAINERS_CONF=%s/podman/containers.conf" % cache,
            "podman", "--root", "%s/podman/root" % cache, "--runroot", "%s/podman/run" % cache] + list(args)


def env_version(env, cache):
    """The environment's own version: IPCSPEC_ENV_VERSION."""
    if env in runtimes.COLUMNS:
        v = runtimes.env_version(env)
        if v is not None:
            return v
        env = runtimes.COLUMNS[env]["base"]
    if env in ("host", "runc"):
        return os.uname().release
    if env.startswith("gvisor"):
        try:
            out = subprocess.run(["runsc", "--version"], capture_output=True, text=True).stdout
        except OSError:
            return ""
        first = (out.splitlines() or [""])[0].split()
        # Debian's "0.0~20240729.0": the release date is gVisor's version
        # (tables compare it: version>=20240729).
        return first[2].split("~")[-1] if len(first) > 2 else ""
    if custom_kernel.get(env):
        return custom_kernel.get(env).version
    pkg = read(os.path.join(cache, "kernels", env, "package")).split()
    return pkg[1] if len(pkg) > 1 else ""


def run_host(run, d):
    o = Outcome()
    tmp = tempfile.mkdtemp()
    try:
        env = run.environ()
        env["TMPDIR"] = tmp
        with open(os.path.join(d, "run.out"), "wb") as log:
            p = popen(["sh", "-c", LOOP, "loop", run.bindir, d, str(run.btimeout)], run.deadline,
                      env=env, stdout=log, stderr=subprocess.STDOUT)
            o.rc = run.deadline.wait(p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if o.rc is None:
        o.cut_short = _running_dir_mode(run.bindir, d)
    return o


def _running_dir_mode(bindir, d):
    """In directory mode, the binary that has a log but no .rc yet."""
    for b in sorted(os.listdir(bindir)):
        if os.path.exists(os.path.join(d, b + ".log")) and not os.path.exists(os.path.join(d, b + ".rc")):
            return b
    return None


def run_gvisor(run, d):
    """runsc do runs the command in a sandbox over a throw-away overlay of
    the host's root: the results are printed between markers on stdout."""
    o = Outcome()
    stream = os.path.join(d, "stream.log")
    with open(stream, "wb") as out, open(os.path.join(d, "runsc.stderr"), "wb") as err:
        p = popen(["runsc", "--network=none", "do", "/bin/sh", "-c", LOOP, "loop",
                   run.bindir, "-", str(run.btimeout)], run.deadline,
                  env=run.environ(), stdout=out, stderr=err)
        o.rc = run.deadline.wait(p)
    o.cut_short = split_markers(stream, d)
    return o


def podman_image(cache, bindir):
    """The image for runc and gvisor-podman: busybox and the binaries,
    imported from a tar (offline: nothing is pulled). Done once."""
    os.makedirs(os.path.join(cache, "podman"), exist_ok=True)
    # The sandbox this runs in forbids raising RLIMIT_NOFILE/NPROC, which
    # podman does by default. runc is the default runtime; crun runs too, with the
    # cgroup2 mount hidden (runtimes.wrapper: it refuses the hybrid layout here).
    write(os.path.join(cache, "podman", "containers.conf"),
          '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n')
    r = tempfile.mkdtemp()
    os.chmod(r, 0o755)  # the image's "/": mkdtemp's 0700 would shut out a second user
    try:
        for sub in ("bin", "tests", "tmp", "out", "dev/shm", "proc", "sys"):
            os.makedirs(os.path.join(r, sub))
        os.chmod(os.path.join(r, "tmp"), 0o1777)
        shutil.copy("/bin/busybox", os.path.join(r, "bin", "busybox"))
        for t in ("sh", "timeout", "mkdir", "rm", "cat", "tail", "ls", "cp"):
            os.symlink("busybox", os.path.join(r, "bin", t))
        for b in sorted(os.listdir(bindir)):
            shutil.copy(os.path.join(bindir, b), os.path.join(r, "tests", b))
        write(os.path.join(r, "loop.sh"), LOOP)
        subprocess.run(podman_cmd(cache, "rmi", "-f", IMAGE), capture_output=True)
        tar = subprocess.Popen(["tar", "-C", r, "-cf", "-", "."], stdout=subprocess.PIPE)
        imp = subprocess.run(podman_cmd(cache, "import", "-q", "-", IMAGE), stdin=tar.stdout,
                             capture_output=True)
        tar.wait()
        return imp.returncode == 0
    finally:
        shutil.rmtree(r, ignore_errors=True)


def run_podman(run, d):
    o = Outcome()
    name = "ipcspec-%s-%d" % (re.sub(r"[^A-Za-z0-9_.-]", "_", run.env), os.getpid())
    rt = runtimes.podman_args(run.env)
    wrap = runtimes.wrapper(run.env)
    if run.env in runtimes.COLUMNS:
        o.figures["kernel"] = runtimes.kernel(run.env, run.variables.get("IPCSPEC_ENV_VERSION", ""))
    envs = []
    for k, v in sorted(run.variables.items()):
        if v:
            envs += ["-e", "%s=%s" % (k, v)]
    # Killed at the deadline: take the container down too.
    run.deadline.on_kill.append(lambda: subprocess.run(
        wrap + podman_cmd(run.cache, "rm", "-f", "-t", "0", name), capture_output=True))
    with open(os.path.join(d, "podman.log"), "wb") as log:
        if runtimes.describe(run.env):
            log.write(("ipcspec: %s\n" % runtimes.describe(run.env)).encode())
            log.flush()
        p = popen(wrap + podman_cmd(run.cache, *rt, "run", "--rm", "--name", name, "--network=none",
                                    *runtimes.security_opts(run.env),
                                    *envs, *_out_volume(d), IMAGE,
                             "/bin/sh", "/loop.sh", "/tests", "/out", str(run.btimeout)),
                  run.deadline, stdout=log, stderr=subprocess.STDOUT)
        o.rc = run.deadline.wait(p)
    subprocess.run(wrap + podman_cmd(run.cache, "rm", "-f", "-t", "0", name), capture_output=True)
    if o.rc is None:
        o.cut_short = _running_dir_mode(run.bindir, d)
    return o


def _out_volume(d):
    """The results directory as /out (a column's name may hold a ':', which
    -v would read as a separator)."""
    return ["--mount", "type=bind,src=%s,dst=/out" % d] if ":" in d else ["-v", "%s:/out" % d]


def qemu_accel(cache, vmlinuz):
    """KVM if a probe boot reaches userspace within 20 s, else TCG (nested
    KVM hangs on some machines); IPCSPEC_QEMU_ACCEL=tcg|kvm forces one."""
    want = os.environ.get("IPCSPEC_QEMU_ACCEL", "auto")
    if want != "auto":
        return want
    if not os.access("/dev/kvm", os.W_OK):
        return "tcg"
    f = os.path.join(cache, "kvm-verdict")
    if nonempty(f):
        return read(f).strip()
    img = tempfile.mktemp(suffix=".img")
    initramfs.boot_probe_image(img)
    try:
        out = subprocess.run(["qemu-system-x86_64", "-accel", "kvm", "-m", "256", "-nographic",
                              "-no-reboot", "-kernel", vmlinuz, "-initrd", img, "-append",
                              "console=ttyS0 panic=-1 quiet"], capture_output=True, timeout=20).stdout
        verdict = "kvm" if b"@@KVM-OK" in out else "tcg"
    except subprocess.TimeoutExpired:
        verdict = "tcg"
    finally:
        os.remove(img)
    write(f, verdict + "\n")
    return verdict


def run_qemu(run, d):
    o = Outcome()
    custom = custom_kernel.get(run.env)
    vm = custom.vmlinuz if custom else kernels.fetch_kernel(run.cache, run.env)
    if not vm:
        o.rc = 1
        o.noboot = "kernel package not found"
        return o
    accel = qemu_accel(run.cache, vm)
    o.figures["accel"] = accel
    o.figures["kernel"] = read(os.path.join(run.cache, "kernels", run.env, "package")).strip()
    bindir = run.bindir
    if custom:
        o.figures["kernel"] = custom.describe
        o.figures["kernel_config"] = custom.config_from or "not found: not checked"
        bindir = custom_kernel.select(custom, run.bindir, d)
    img = tempfile.mktemp(suffix=".img")
    initramfs.make_initramfs(img, bindir, run.variables, run.btimeout)
    console = os.path.join(d, "console.log")
    boot_to = float(os.environ.get("IPCSPEC_BOOT_TIMEOUT", "180"))
    t0 = time.monotonic()
    try:
        with open(console, "wb") as out, open(os.path.join(d, "qemu.stderr"), "wb") as err:
            p = popen(["qemu-system-x86_64", "-accel", accel, "-m", "1024", "-smp", "1",
                       "-nographic", "-no-reboot", "-kernel", vm, "-initrd", img, "-append",
                       "console=ttyS0 panic=-1 quiet " + os.environ.get("IPCSPEC_KERNEL_APPEND", "")],
                      run.deadline, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            # Wait for userspace; a kernel that does not get there is killed.
            while b"@@IPCSPEC-BOOTED" not in _bytes(console):
                why = ""
                if p.poll() is not None:
                    tail = " ".join(l.strip() for l in read(console).splitlines()[-2:])
                    why = "qemu exited before userspace: %s %s" % (
                        (read(os.path.join(d, "qemu.stderr")).splitlines() or [""])[-1], tail)
                elif time.monotonic() - t0 > boot_to:
                    why = ("did not reach userspace within %ds (IPCSPEC_BOOT_TIMEOUT; console: %s)"
                           % (boot_to, console))
                elif run.deadline.left() <= 0:
                    run.deadline.kill(p)
                    o.rc = None
                    return o
                if why:
                    run.deadline.kill(p, at_deadline=False)
                    seen = custom_kernel.console_problem(console)
                    if seen:
                        why = seen + ", before userspace"
                    o.rc, o.noboot = 1, why
                    return o
                time.sleep(0.2)  # polling the console file for the boot marker; not test synchronisation
            o.figures["boot_wall_seconds"] = "%.2f" % (time.monotonic() - t0)
            o.rc = run.deadline.wait(p)
            silent = time.time() - os.path.getmtime(console)
            hang = ("qemu killed at the deadline with the console silent for %ds, longer than "
                    "a binary may run (%ds)" % (silent, run.btimeout)
                    if o.rc is None and silent > run.btimeout else "")
            o.figures["console_problem"] = custom_kernel.console_problem(console, hang)
    finally:
        if os.path.exists(img):
            os.remove(img)
        o.cut_short = split_markers(console, d)
    if o.cut_short is None and b"@@IPCSPEC-DONE" not in _bytes(console):
        # The loop prints a binary's markers when it ends: the one running
        # when the kernel stopped is the first with no exit status.
        o.cut_short = next((b for b in sorted(os.listdir(bindir))
                            if not os.path.exists(os.path.join(d, b + ".rc"))), None)
    booted = read(os.path.join(d, "booted")).split()
    if booted:
        o.figures["boot_seconds"] = booted[0]
        os.remove(os.path.join(d, "booted"))
    if o.rc is not None and b"@@IPCSPEC-DONE" not in _bytes(console):
        o.rc = o.rc or 1
    return o


def _bytes(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return b""


RUNNERS = {"host": run_host, "gvisor": run_gvisor, "runc": run_podman,
           "gvisor-podman": run_podman}


def runner_of(env):
    return RUNNERS.get(env) or (run_podman if runtimes.is_runtime_env(env) else run_qemu)


def uses_podman(env):
    return env in ("runc", "gvisor-podman") or runtimes.is_runtime_env(env)
