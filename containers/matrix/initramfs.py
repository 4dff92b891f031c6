"""The initramfs a qemu environment boots: busybox, the test binaries, the
loop, and an init that mounts what the tests need, runs the loop with the
run's environment and powers off."""

import os
import shlex
import shutil
import subprocess
import tempfile

from .loop import LOOP


def _pack(root, out):
    """cpio -o -H newc | gzip -1 of ROOT into OUT."""
    with open(out, "wb") as fh:
        find = subprocess.Popen(["find", "."], cwd=root, stdout=subprocess.PIPE)
        cpio = subprocess.Popen(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root,
                                stdin=find.stdout, stdout=subprocess.PIPE)
        gz = subprocess.Popen(["gzip", "-1"], stdin=cpio.stdout, stdout=fh)
        find.stdout.close()
        cpio.stdout.close()
        gz.wait()
        cpio.wait()
        find.wait()
    if gz.returncode or cpio.returncode:
        raise OSError("packing the initramfs failed")


def make_initramfs(out, bindir, env_vars, btimeout):
    """ENV_VARS: the variables every binary gets (IPCSPEC_ENV, RC_PARAMS...);
    an empty value unsets the variable."""
    r = tempfile.mkdtemp()
    # mkdtemp makes its directory 0700, and cpio packs it as "/": then no
    # user but root could reach /dev/shm or /tmp, and every test that acts
    # as a second user failed there (EACCES, or ENOENT from sem_open).
    os.chmod(r, 0o755)
    try:
        for sub in ("bin", "proc", "sys", "dev", "tmp", "tests", "etc"):
            os.makedirs(os.path.join(r, sub))
        shutil.copy("/bin/busybox", os.path.join(r, "bin", "busybox"))
        for b in sorted(os.listdir(bindir)):
            shutil.copy(os.path.join(bindir, b), os.path.join(r, "tests", b))
        with open(os.path.join(r, "loop.sh"), "w") as fh:
            fh.write(LOOP)
        exports = []
        for k, v in sorted(env_vars.items()):
            if v:
                exports.append("export %s=%s" % (k, shlex.quote(v)))
            else:
                exports.append("unset %s" % k)
        init = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/shm /dev/mqueue
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
# The TCP kinds use 127.0.0.1: the loopback interface starts down.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
echo "@@IPCSPEC-BOOTED $(cut -d' ' -f1 /proc/uptime) $(uname -r)"
%s
sh /loop.sh /tests - %d
# Warnings the quiet console did not show, and the taint: read by
# containers/matrix/custom_kernel.py (read_console).
dmesg | grep -E 'WARNING: CPU:|BUG: |Oops: |INFO: task .* blocked|detected stall' | sed 's/^/@@IPCSPEC-KMSG /'
echo "@@IPCSPEC-TAINTED $(cat /proc/sys/kernel/tainted)"
echo "@@IPCSPEC-DONE $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
""" % ("\n".join(exports), btimeout)
        p = os.path.join(r, "init")
        with open(p, "w") as fh:
            fh.write(init)
        os.chmod(p, 0o755)
        _pack(r, out)
    finally:
        shutil.rmtree(r, ignore_errors=True)


def boot_probe_image(out):
    """An initramfs that only says it booted."""
    r = tempfile.mkdtemp()
    try:
        os.makedirs(os.path.join(r, "bin"))
        shutil.copy("/bin/busybox", os.path.join(r, "bin", "busybox"))
        p = os.path.join(r, "init")
        with open(p, "w") as fh:
            fh.write("#!/bin/busybox sh\n/bin/busybox echo @@KVM-OK\n/bin/busybox poweroff -f\n")
        os.chmod(p, 0o755)
        _pack(r, out)
    finally:
        shutil.rmtree(r, ignore_errors=True)
