"""Fetching the kernels the qemu environments boot.

Kernels come from the Debian mirror the host's apt already uses (read from
`apt-get indextargets` at run time; IPCSPEC_DEBIAN_MIRROR overrides it),
through a separate apt configuration under the cache: the host's package set
is never touched, and apt verifies each package against the suite's signed
Release file.
"""

import glob
import hashlib
import os
import shutil
import subprocess
import tempfile

from .common import nonempty, say

# linux-VER -> the Debian suite whose linux-image-amd64 is that kernel.
SUITES = {
    "linux-5.10": "bullseye",
    "linux-6.1": "bookworm",
    "linux-6.12": "bookworm-backports",
    "linux-sid": "sid",
}


def debian_mirror():
    """The main Debian archive the host's apt is configured with."""
    if os.environ.get("IPCSPEC_DEBIAN_MIRROR"):
        return os.environ["IPCSPEC_DEBIAN_MIRROR"]
    try:
        out = subprocess.run(["apt-get", "indextargets", "--format", "$(LABEL)|$(REPO_URI)",
                              "Identifier: Packages"], capture_output=True, text=True).stdout
    except OSError:
        return ""
    for line in out.splitlines():
        label, _, uri = line.partition("|")
        if label in ("Debian", "Debian Backports"):
            return uri
    return ""


def apt_opts(cache, suite):
    """apt options for a private configuration of one suite under the cache."""
    a = os.path.join(cache, "apt", suite)
    return ["-o", "Dir::Etc::SourceList=%s/sources.list" % a,
            "-o", "Dir::Etc::SourceParts=/dev/null", "-o", "Dir::Etc::PreferencesParts=/dev/null",
            "-o", "Dir::State::Lists=%s/lists" % a, "-o", "Dir::Cache=%s/cache" % a,
            "-o", "APT::Architecture=amd64", "-o", "Debug::NoLocking=1"]


def _run_logged(cmd, log, cwd=None):
    with open(log, "w") as fh:
        r = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=cwd)
    if r.returncode != 0:
        with open(log, errors="replace") as fh:
            for line in fh:
                say("  " + line.rstrip("\n"))
    return r.returncode == 0


def fetch_kernel(cache, env):
    """The path of the vmlinuz for ENV, downloading its package once; None
    when the kernel cannot be had (the reason is said on stderr)."""
    d = os.path.join(cache, "kernels", env)
    vm = os.path.join(d, "vmlinuz")
    pkgfile = os.path.join(d, "package")
    # The package's config-VER is kept beside it as "config" (kernel:PATH of
    # this file checks it before boot); "config.none" when it has none.
    cfg = os.path.join(d, "config")
    if nonempty(vm) and nonempty(pkgfile) and (nonempty(cfg) or os.path.exists(cfg + ".none")):
        return vm
    suite = SUITES.get(env)
    if not suite:
        return None
    mirror = debian_mirror()
    if not mirror:
        say("%s: cannot find the host's Debian mirror in its apt configuration" % env)
        return None
    a = os.path.join(cache, "apt", suite)
    for p in (os.path.join(a, "lists", "partial"), os.path.join(a, "cache", "archives", "partial"), d):
        os.makedirs(p, exist_ok=True)
    with open(os.path.join(a, "sources.list"), "w") as fh:
        fh.write("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n"
                 % (mirror, suite))
    opts = apt_opts(cache, suite)
    say("%s: apt-get update of %s from %s (private lists in %s)" % (env, suite, mirror, a))
    if not _run_logged(["apt-get"] + opts + ["update", "-qq"], os.path.join(a, "update.log")):
        say("%s: apt-get update for %s failed" % (env, suite))
        return None
    # linux-image-amd64 depends on the suite's current linux-image-ABI-amd64.
    dep = subprocess.run(["apt-cache"] + opts + ["depends", "linux-image-amd64"],
                         capture_output=True, text=True).stdout
    img = ""
    for line in dep.splitlines():
        line = line.strip()
        if line.startswith("Depends: linux-image-") and line.endswith("-amd64") \
                and line[len("Depends: linux-image-"):][:1].isdigit():
            img = line[len("Depends: "):]
            break
    if not img:
        say("%s: no linux-image-amd64 in %s at %s" % (env, suite, mirror))
        return None
    # sid's linux-image-VER-amd64 is a small package; vmlinuz is in linux-binary-VER-amd64.
    pkg = img
    binpkg = "linux-binary-" + img[len("linux-image-"):]
    if subprocess.run(["apt-cache"] + opts + ["show", binpkg], capture_output=True).returncode == 0:
        pkg = binpkg
    say("%s: apt-get download %s (verified against %s's signed Release)" % (env, pkg, suite))
    for old in glob.glob(os.path.join(d, "*.deb")):
        os.remove(old)
    if not _run_logged(["apt-get"] + opts + ["download", pkg], os.path.join(d, "download.log"), cwd=d):
        say("%s: apt-get download %s failed" % (env, pkg))
        return None
    debs = sorted(glob.glob(os.path.join(d, "*.deb")))
    if not debs:
        say("%s: apt-get download %s left no .deb" % (env, pkg))
        return None
    deb = debs[0]
    x = tempfile.mkdtemp()
    try:
        tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", x, "--wildcards", "./boot/vmlinuz-*", "./boot/config-*",
                        "./usr/lib/modules/*/vmlinuz", "./usr/lib/modules/*/config"],
                       stdin=tar.stdout, stderr=subprocess.DEVNULL)
        tar.wait()
        found = [os.path.join(r, f) for r, _d, fs in os.walk(x) for f in fs if f.startswith("vmlinuz")]
        if not found:
            say("%s: %s holds no vmlinuz" % (env, pkg))
            return None
        shutil.copy(found[0], vm)
        configs = [os.path.join(r, f) for r, _d, fs in os.walk(x) for f in fs
                   if f == "config" or f.startswith("config-")]
        for old in (cfg, cfg + ".none"):
            if os.path.exists(old):
                os.remove(old)
        if configs:
            shutil.copy(configs[0], cfg)
        else:
            open(cfg + ".none", "w").close()
    finally:
        shutil.rmtree(x, ignore_errors=True)

    def field(f):
        return subprocess.run(["dpkg-deb", "-f", deb, f], capture_output=True, text=True).stdout.strip()
    with open(os.path.join(d, "package"), "w") as fh:
        fh.write("%s %s\n" % (field("Package"), field("Version")))
    with open(deb, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    with open(os.path.join(d, "deb.sha256"), "w") as fh:
        fh.write(digest + "\n")
    os.remove(deb)
    return vm
