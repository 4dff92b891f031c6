"""--env kernel:PATH: a kernel the user brings, booted by qemu like the
Debian kernels (environments.run_qemu, the same initramfs), after a check of
its configuration; and the reading of a kernel's serial console for panics,
oopses, tainting warnings and hangs (every qemu environment).

PATH is a bzImage/vmlinuz file, a Debian kernel package (.deb: its vmlinuz
and its config file are taken out with dpkg-deb), or the version of a kernel
installed under /boot (kernel:6.1.0-28-amd64 is /boot/vmlinuz-6.1.0-28-amd64
with /boot/config-6.1.0-28-amd64). The environment is called
kernel-<basename of PATH> (kernel-<basename>-2, ... when two have the same).

The configuration comes from --kernel-config FILE, else the package's or
/boot's config file, else the image itself (CONFIG_IKCONFIG: the gzip'ed
config between IKCFG_ST and IKCFG_ED, looked for in the image and in its
decompressed payload). The initramfs holds no modules, so an option must be
built in (=y); =m counts as missing. A missing ESSENTIAL option refuses the
environment before boot (exit status 2); a missing NEEDS option leaves out
the binaries that need it, and their tests are reported as skips with
`unmet need: CONFIG_X`.
"""

import bz2
import fnmatch
import glob
import hashlib
import json
import lzma
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib

from .common import Usage, read, say, write

# Without these the environment cannot run at all.
ESSENTIAL = [
    ("CONFIG_BLK_DEV_INITRD", "the binaries are booted in an initramfs"),
    ("CONFIG_RD_GZIP", "the initramfs is gzip-compressed"),
    ("CONFIG_SERIAL_8250_CONSOLE", "the results are read from the serial console (ttyS0)"),
    ("CONFIG_BINFMT_ELF", "the test binaries are static ELF executables"),
    ("CONFIG_BINFMT_SCRIPT", "the initramfs's /init is a busybox sh script"),
    ("CONFIG_PROC_FS", "the tests see a child blocked in /proc/PID/stat"),
    ("CONFIG_DEVTMPFS", "/init mounts devtmpfs on /dev"),
    ("CONFIG_FUTEX", "every test's checkpoints wait on a futex"),
]

# Option -> the binaries (name patterns, as containers/build_binaries.sh
# names them) whose Kinds or suites use it: from their sources and their
# BUILD dependencies on impl/<mechanism>.
NEEDS = [
    ("CONFIG_SYSVIPC", "System V IPC", ["suites_sysv_*", "impl_sysv_*", "suites_message_queue_*",
                                        "suites_semaphore_*", "suites_shared_region_*",
                                        "suites_nonblocking_*", "faults_*"]),
    ("CONFIG_POSIX_MQUEUE", "POSIX message queues", ["suites_posix_mq_*", "impl_posix_mq_*",
                                                     "suites_message_queue_*",
                                                     "suites_nonblocking_*", "faults_*"]),
    ("CONFIG_SHMEM", "shared memory (tmpfs backing)", ["suites_posix_shm_*", "suites_sysv_shm_*",
                                                       "suites_shared_region_*", "suites_mmap_*"]),
    ("CONFIG_TMPFS", "tmpfs on /dev/shm (shm_open, sem_open)",
     ["suites_posix_shm_*", "suites_posix_sem_*", "impl_posix_shm_*", "impl_posix_sem_*",
      "suites_semaphore_*", "suites_shared_region_*", "suites_mmap_*", "faults_*"]),
    ("CONFIG_MEMFD_CREATE", "memfd_create", ["suites_mmap_*", "impl_mmap_*", "suites_shared_region_*",
                                             "suites_pipe_*", "suites_unix_socket_*"]),
    ("CONFIG_UNIX", "Unix domain sockets", ["suites_unix_socket_*", "impl_unix_socket_*",
                                            "suites_datagram_*", "suites_rpc_*", "impl_rpc_*",
                                            "suites_readiness_*", "suites_nonblocking_*",
                                            "suites_pipe_*", "suites_file_lock_*", "faults_eintr_*"]),
    ("CONFIG_INET", "TCP/UDP on 127.0.0.1 (the inet Kinds)",
     ["impl_inet_*", "suites_datagram_*", "suites_readiness_*", "suites_pipe_*",
      "suites_unix_socket_*"]),
    ("CONFIG_EVENTFD", "eventfd", ["suites_eventfd_*", "impl_eventfd_*", "suites_counter_*",
                                   "suites_nonblocking_*", "suites_pipe_*", "suites_readiness_*",
                                   "suites_signal_*"]),
    ("CONFIG_SIGNALFD", "signalfd", ["suites_signal_*", "suites_signal_queue_*", "impl_signal_*",
                                     "suites_nonblocking_*", "suites_pipe_*", "suites_readiness_*"]),
    ("CONFIG_TIMERFD", "timerfd", ["suites_nonblocking_*", "suites_pipe_*"]),
    ("CONFIG_EPOLL", "epoll", ["suites_nonblocking_*", "suites_pipe_*", "suites_readiness_*",
                               "suites_unix_socket_*", "faults_eintr_*"]),
    ("CONFIG_AIO", "Linux AIO (io_setup)", ["faults_eintr_*"]),
    ("CONFIG_FILE_LOCKING", "file locks (flock, fcntl, OFD)",
     ["suites_file_lock_*", "suites_lock_*", "impl_file_lock_*", "suites_nonblocking_*",
      "faults_eintr_*"]),
]


def parse_config(text):
    """{CONFIG_X: value} of a .config ('n' for '# CONFIG_X is not set')."""
    opts = {}
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$", line)
        if m:
            opts[m.group(1)] = m.group(2)
            continue
        m = re.match(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$", line)
        if m:
            opts[m.group(1)] = "n"
    return opts


def shown(value):
    """What a config says of an option, in words."""
    return {"n": "not set", "absent": "absent", "m": "=m (a module: the initramfs loads none)"}.get(
        value, "=" + value)


def check_config(opts):
    """(essential missing, needs missing): [(option, value, why)], value
    being what the config says ('m', 'n' or 'absent')."""
    def lacking(table):
        out = []
        for row in table:
            v = opts.get(row[0], "absent")
            if v != "y":
                out.append((row[0], v, row[1]))
        return out
    return lacking(ESSENTIAL), lacking(NEEDS)


# --- The configuration embedded in an image (CONFIG_IKCONFIG) -------------

def _ikconfig_in(data):
    i = data.find(b"IKCFG_ST")
    if i < 0:
        return None
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        return d.decompress(data[i + 8:]).decode("utf-8", "replace")
    except zlib.error:
        return None


def _decompressors():
    """(magic, decompress(bytes) -> bytes) of what Python has."""
    def gz(b):
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(b)

    def xz(b):
        return lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(b)

    def lzma_alone(b):
        return lzma.LZMADecompressor(lzma.FORMAT_ALONE).decompress(b)

    def bzip(b):
        return bz2.BZ2Decompressor().decompress(b)
    out = [(b"\x1f\x8b\x08", gz), (b"\xfd7zXZ\x00", xz), (b"\x5d\x00\x00", lzma_alone),
           (b"BZh", bzip)]
    try:
        import zstandard  # the zstandard module, where this Python has it
        out.append((b"\x28\xb5\x2f\xfd",
                    lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b)))
    except ImportError:
        if shutil.which("zstd"):
            # Debian's zstd: it writes the first frame out, then stops at
            # what follows it (the kernel's appended size).
            out.append((b"\x28\xb5\x2f\xfd",
                        lambda b: subprocess.run(["zstd", "-dcq"], input=b, capture_output=True,
                                                 timeout=60).stdout))
    return out


def _payload(data):
    """A bzImage's compressed payload (boot protocol 2.08+), else None."""
    if len(data) < 0x250 or data[0x202:0x206] != b"HdrS":
        return None
    setup = (data[0x1f1] or 4) + 1
    off, length = struct.unpack_from("<II", data, 0x248)
    start = setup * 512 + off
    return data[start:start + length] if length and start + length <= len(data) else None


def embedded_config(data):
    """The config embedded in a kernel image (or None): in the bytes as they
    are, in a bzImage's payload, or after the first compressed stream that
    decompresses (scripts/extract-ikconfig does the same with every
    decompressor it has)."""
    found = _ikconfig_in(data)
    if found is not None:
        return found
    payload = _payload(data)
    candidates = [payload] if payload else []
    candidates.append(data)
    for blob in candidates:
        for magic, fn in _decompressors():
            i = blob.find(magic)
            tries = 0
            while i >= 0 and tries < 4:
                try:
                    found = _ikconfig_in(fn(blob[i:]))
                except (OSError, EOFError, lzma.LZMAError, ValueError, zlib.error,
                        subprocess.TimeoutExpired):
                    found = None
                except Exception:  # noqa: BLE001 - zstandard's errors
                    found = None
                if found is not None:
                    return found
                i = blob.find(magic, i + 1)
                tries += 1
    return None


def image_version(data):
    """The kernel_version string of a bzImage's setup header."""
    if len(data) < 0x210 or data[0x202:0x206] != b"HdrS":
        return ""
    off = struct.unpack_from("<H", data, 0x20e)[0]
    if not off:
        return ""
    s = data[off + 0x200:off + 0x200 + 256].split(b"\0")[0]
    return s.decode("ascii", "replace").split(" ")[0]


# --- Kernels the user gives -----------------------------------------------

class Kernel:
    def __init__(self, name, spec):
        self.name = name          # the environment's name: kernel-<basename>
        self.spec = spec          # PATH as given
        self.vmlinuz = ""
        self.version = ""         # IPCSPEC_ENV_VERSION
        self.describe = ""        # env.tsv's kernel
        self.config_from = ""     # where the config came from ("" if none)
        self.missing = []         # NEEDS options missing: [(option, value, why)]
        self.left_out = {}        # binary -> the option it lacks


KERNELS = {}


def _base(spec):
    b = os.path.basename(spec.rstrip("/")) or "kernel"
    if b.endswith(".deb"):
        b = b[:-4]
    return re.sub(r"[^A-Za-z0-9._+-]", "_", b)


def expand(envs):
    """The --env list with every kernel:PATH replaced by its environment's
    name (registered here). Bad input raises Usage."""
    KERNELS.clear()
    out = []
    for e in envs:
        if not e.startswith("kernel:"):
            out.append(e)
            continue
        spec = e[len("kernel:"):]
        if not spec:
            raise Usage("--env kernel:PATH wants a bzImage/vmlinuz, a kernel .deb or a version "
                        "installed under /boot, got nothing after 'kernel:'")
        name = "kernel-" + _base(spec)
        n = 2
        while name in KERNELS or name in out:
            name = "kernel-%s-%d" % (_base(spec), n)
            n += 1
        KERNELS[name] = Kernel(name, spec)
        out.append(name)
    return out


def get(env):
    return KERNELS.get(env)


def is_vm(env):
    """Booted by qemu: a Debian kernel (linux-*) or one given by path."""
    return env.startswith("linux-") or env in KERNELS


def _cache_dir(cache, path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    d = os.path.join(cache, "custom-kernels", h.hexdigest()[:16])
    os.makedirs(d, exist_ok=True)
    return d


def _from_deb(k, path, cache):
    d = _cache_dir(cache, path)
    vm, cfg = os.path.join(d, "vmlinuz"), os.path.join(d, "config")

    def field(f):
        return subprocess.run(["dpkg-deb", "-f", path, f], capture_output=True,
                              text=True).stdout.strip()
    if not os.path.isfile(vm):
        x = tempfile.mkdtemp()
        try:
            tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", path], stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL)
            subprocess.run(["tar", "-x", "-C", x, "--wildcards", "./boot/vmlinuz-*",
                            "./boot/config-*", "./usr/lib/modules/*/vmlinuz",
                            "./usr/lib/modules/*/config"],
                           stdin=tar.stdout, stderr=subprocess.DEVNULL)
            tar.wait()
            files = [os.path.join(r, f) for r, _d, fs in os.walk(x) for f in fs]
            vms = [f for f in files if os.path.basename(f).startswith("vmlinuz")]
            cfgs = [f for f in files if os.path.basename(f).startswith("config")]
            if not vms:
                raise Usage("%s: %s is not a kernel package: it holds no vmlinuz" % (k.name, path))
            if cfgs:
                shutil.copy(cfgs[0], cfg)
            shutil.copy(vms[0], vm)
        finally:
            shutil.rmtree(x, ignore_errors=True)
    k.vmlinuz = vm
    k.version = field("Version")
    k.describe = "%s %s" % (field("Package"), k.version)
    if os.path.isfile(cfg):
        k.config_from = "the package's config file (copied to %s)" % cfg
        return cfg
    return ""


def prepare(k, cache, kernel_config=""):
    """Finds the image and its config, checks the config. Raises Usage on
    a path that is no kernel or a missing essential option."""
    spec = k.spec
    config = ""
    if os.path.isfile(spec):
        with open(spec, "rb") as fh:
            head = fh.read(8)
        if head == b"!<arch>\n":
            config = _from_deb(k, spec, cache)
        else:
            with open(spec, "rb") as fh:
                data = fh.read()
            if data[0x202:0x206] != b"HdrS":
                raise Usage("%s: %s is not a kernel image (no bzImage header 'HdrS'), nor a "
                            "Debian package" % (k.name, spec))
            k.vmlinuz = os.path.abspath(spec)
            k.version = image_version(data)
            k.describe = "%s (%s)" % (k.version or "?", spec)
            b = os.path.basename(spec)
            if b.startswith("vmlinuz-"):
                c = os.path.join(os.path.dirname(spec), "config-" + b[len("vmlinuz-"):])
                if os.path.isfile(c):
                    config = c
            elif b == "vmlinuz" and os.path.isfile(os.path.join(os.path.dirname(spec), "config")):
                # A kernel the matrix cached (ci/matrix.sh kernel-path ENV).
                config = os.path.join(os.path.dirname(spec), "config")
    elif "/" not in spec and os.path.isfile("/boot/vmlinuz-" + spec):
        k.spec = "/boot/vmlinuz-" + spec
        return prepare(k, cache, kernel_config)
    else:
        raise Usage("%s: no such kernel: %s (give a bzImage/vmlinuz file, a kernel .deb, or the "
                    "version of a kernel under /boot: %s)"
                    % (k.name, spec, " ".join(sorted(
                        os.path.basename(p)[len("vmlinuz-"):] for p in glob.glob("/boot/vmlinuz-*")))
                       or "none there"))
    text = ""
    if kernel_config:
        text, k.config_from = read(kernel_config), kernel_config
    elif config:
        text, k.config_from = read(config), k.config_from or config
    else:
        with open(k.vmlinuz, "rb") as fh:
            emb = embedded_config(fh.read())
        if emb is not None:
            text, k.config_from = emb, "embedded in the image (IKCONFIG)"
    if not k.config_from:
        say("%s: no configuration found (not in the package, not under /boot, not embedded): "
            "not checked; give one with --kernel-config FILE" % k.name)
        return
    opts = parse_config(text)
    if not opts:
        raise Usage("%s: %s is not a kernel configuration (no CONFIG_ line)" % (k.name, k.config_from))
    essential, needs = check_config(opts)
    say("%s: configuration from %s: %d of %d options ipcspec needs are built in"
        % (k.name, k.config_from, len(ESSENTIAL) + len(NEEDS) - len(essential) - len(needs),
           len(ESSENTIAL) + len(NEEDS)))
    for opt, v, why in needs:
        say("%s: %s is %s, not built in (=y): %s; the binaries that need it are skipped"
            % (k.name, opt, shown(v), why))
    if essential:
        raise Usage("%s: refused before boot: the kernel's configuration (%s) lacks %s"
                    % (k.name, k.config_from, "; ".join(
                        "%s (%s; needed built in: %s)" % (o, shown(v), why)
                        for o, v, why in essential)))
    k.missing = needs


def select(k, bindir, d):
    """The binaries this kernel runs: a directory of links to those of
    BINDIR whose needs its configuration meets. For each one left out,
    D/NAME.1.jsonl holds a skip of each of its tests with the option as the
    unmet need, and D/NAME.rc 0 (the reader takes them as run)."""
    k.left_out = {}
    for b in sorted(os.listdir(bindir)):
        for opt, _v, _why in k.missing:
            pats = next(p for o, _w, p in NEEDS if o == opt)
            if any(fnmatch.fnmatchcase(b, p) for p in pats):
                k.left_out[b] = opt
                break
    lines = ["option\tvalue\twhy\tbinaries left out"]
    for opt, v, why in k.missing:
        lines.append("%s\t%s\t%s\t%s" % (opt, v, why, " ".join(
            b for b, o in sorted(k.left_out.items()) if o == opt)))
    write(os.path.join(d, "config-check.tsv"), "\n".join(lines) + "\n")
    if not k.left_out:
        return bindir
    from .cli import list_tests
    sel = os.path.join(os.path.dirname(d), ".bin-" + k.name)
    shutil.rmtree(sel, ignore_errors=True)
    os.makedirs(sel)
    for b in sorted(os.listdir(bindir)):
        src = os.path.join(bindir, b)
        if b not in k.left_out:
            os.symlink(src, os.path.join(sel, b))
            continue
        opt = k.left_out[b]
        tests = list_tests(src)
        recs = [{"record": "run", "binary": b, "env": k.name, "env_version": k.version,
                 "kernel": k.version, "isolation": "none", "blocked_detection": "state",
                 "degraded": [], "ignore_tables": False, "filter": "*", "tables": []}]
        for t in tests:
            recs.append({"record": "test", "test": t, "property": "", "kind": "-",
                         "outcome": "skip", "need": opt, "signature_seen": [],
                         "message": "unmet need: %s: %s in the kernel's configuration, not built "
                                    "in (checked before boot; the binary was not run)"
                                    % (opt, shown(dict((o, v) for o, v, _w in k.missing)[opt])),
                         "entry": None, "unmatched_entries": [], "duration_ms": 0})
        recs.append({"record": "end", "tests": len(tests), "exit": 0})
        write(os.path.join(d, b + ".1.jsonl"), "".join(json.dumps(r) + "\n" for r in recs))
        write(os.path.join(d, b + ".rc"), "0\n")
    say("%s: left out for their unmet needs: %s" % (k.name, ", ".join(
        "%s (%s)" % (b, o) for b, o in sorted(k.left_out.items()))))
    return sel


# --- The serial console ---------------------------------------------------

# /proc/sys/kernel/tainted bits -> letters (Documentation/admin-guide/tainted-kernels.rst)
TAINT = "PFSRMBUDAWCIOELKXTN"

CONSOLE_PATTERNS = [
    ("kernel panic", re.compile(r"Kernel panic - not syncing:.*")),
    ("oops", re.compile(r"\bOops: .*")),
    ("kernel BUG", re.compile(r"\bBUG: .*")),
    ("kernel warning", re.compile(r"\bWARNING: CPU: .*")),
    ("hang", re.compile(r"INFO: task .* blocked for more than .*|"
                        r"rcu: INFO: .*detected stalls?.*|watchdog: BUG: soft lockup.*")),
]


def _clean(line):
    line = line.replace("\r", "").rstrip("\n")
    return re.sub(r"^\[\s*\d+\.\d+\]\s*", "", line)


def read_console(text):
    """What went wrong in a kernel's console output: [(what, line)], what
    being 'kernel panic', 'oops', 'kernel BUG', 'kernel warning', 'hang' or
    'tainted'. Lines between a binary's markers are its own output, not the
    kernel's, unless the kernel's timestamp starts them; the init's
    @@IPCSPEC-KMSG lines (warnings from dmesg) and @@IPCSPEC-TAINTED count."""
    found = []
    in_binary = False
    for raw in text.splitlines():
        line = raw.replace("\r", "")
        stamped = bool(re.match(r"^\s*\[\s*\d+\.\d+\]", line))
        if "@@IPCSPEC-" in line and not line.lstrip().startswith("{"):
            w = line[line.find("@@IPCSPEC-"):].split()
            if w[0] == "@@IPCSPEC-XML":
                in_binary = True
            elif w[0] == "@@IPCSPEC-END":
                in_binary = False
            elif w[0] == "@@IPCSPEC-TAINTED" and len(w) > 1 and w[1].isdigit() and int(w[1]):
                n = int(w[1])
                flags = "".join(c for i, c in enumerate(TAINT) if n >> i & 1)
                found.append(("tainted", "kernel tainted at the end of the run: %d (%s)" % (n, flags)))
            elif w[0] == "@@IPCSPEC-KMSG":
                line, stamped = " ".join(w[1:]), True
            else:
                continue
        if in_binary and not stamped:
            continue
        c = _clean(line)
        for what, rx in CONSOLE_PATTERNS:
            m = rx.search(c)
            if m:
                if what == "kernel BUG" and "soft lockup" in c:
                    what = "hang"
                if not any(f[0] == what for f in found):  # the first of each kind
                    found.append((what, m.group(0).strip()))
                break
    return found


def console_problem(path, hang=""):
    """The environment's status when its console shows a kernel problem,
    else ''. hang: why the runner judged the kernel hung (qemu killed with
    the console silent for longer than a binary may run), reported as a
    hang unless the console shows a panic or a hang itself."""
    found = read_console(read(path))
    order = ["kernel panic", "oops", "kernel BUG", "hang", "kernel warning", "tainted"]
    found.sort(key=lambda f: order.index(f[0]))
    if hang and not any(f[0] in ("kernel panic", "hang") for f in found):
        last = [l for l in (_clean(x) for x in read(path).splitlines()) if l.strip()]
        found.insert(0, ("hang", "%s; last console line: %s"
                         % (hang, last[-1][:160] if last else "(none)")))
    if not found:
        return ""
    first = found[0]
    more = "" if len(found) == 1 else " (and %d more: %s)" % (
        len(found) - 1, ", ".join(sorted(set(f[0] for f in found[1:]))))
    return "%s: %s%s" % (first[0], first[1][:200], more)
