"""Environments run by an OCI runtime the user names, and seccomp profiles.

    --env runtime:PATH[:FLAG...]   podman --runtime PATH --runtime-flag FLAG ...
    --env crun                     runtime:/usr/bin/crun
    --seccomp NAME|FILE[,...]      each podman environment also runs as
                                   ENV+seccomp:NAME under that profile, and
                                   as ENV+seccomp:unconfined, the baseline

A column's name is its spec with the path cut to its basename
(runtime:/opt/bin/runsc:network=none is the column runtime:runsc:network-none). Its
divergence tables (IPCSPEC_ENV, a comma-separated list the binaries apply
together): its own, named after the column or after the runtime's basename
(containers/divergences/crun.tsv), if there is one, and the one it inherits:
runsc is gVisor (gvisor.tsv), crun and runc are runc (runc.tsv). Seccomp
columns are judged by their environment's table: what the profile changes is
what the comparison is for.

crun and the hybrid cgroup layout: crun (every release up to 1.29.1,
src/libcrun/cgroup.c, libcrun_cgroup_enter) refuses to start a container
when /sys/fs/cgroup is the hybrid layout and the cgroup2 hierarchy at
/sys/fs/cgroup/unified has a controller ("cgroups in hybrid mode not
supported, drop all controllers from cgroupv2"), whatever the cgroup manager,
--cgroups=disabled included. When that is the case here, podman (and so
crun) runs in a private mount namespace where the cgroup2 mount is
unmounted: crun then sees the legacy (v1) layout, which it supports. The
host's mounts and controllers are not touched.
"""

import json
import os
import shutil
import subprocess
import tempfile

from .common import Usage, read, say, write

PODMAN_PROFILE = "/usr/share/containers/seccomp.json"
DOCKER_PACKAGE = "golang-github-docker-docker-dev"
DOCKER_MEMBER = "./usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"
NAMED = {"crun": "runtime:/usr/bin/crun"}
CGROUP_UNIFIED = "/sys/fs/cgroup/unified"

# column name -> {"path", "flags", "profile" (a file, "unconfined" or None), "base"}
COLUMNS = {}


def is_runtime_env(env):
    return env in COLUMNS or env in NAMED or env.startswith("runtime:")


def takes_seccomp(env):
    """Environments run by podman take a profile (--security-opt seccomp=)."""
    return env in ("runc", "gvisor-podman") or is_runtime_env(env)


def _runtime_column(spec):
    """runtime:PATH[:FLAG...] -> its column name, registered in COLUMNS."""
    parts = spec.split(":")
    path, flags = parts[1] if len(parts) > 1 else "", [f for f in parts[2:]]
    if not path:
        raise Usage("runtime: wants a path to an OCI runtime, e.g. runtime:/usr/bin/crun")
    if any(not f for f in flags):
        raise Usage("runtime:%s: an empty flag (flags are FLAG[:FLAG...], e.g. network=none)"
                    % ":".join(parts[1:]))
    full = shutil.which(path) if "/" not in path else path
    if not full or not os.path.isfile(full) or not os.access(full, os.X_OK):
        raise Usage("unknown runtime '%s': not an executable file" % path)
    try:
        r = subprocess.run([full, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Usage("unknown runtime '%s': %s --version: %s" % (path, full, e))
    if r.returncode != 0 or "version" not in r.stdout.lower():
        raise Usage("unknown runtime '%s': '%s --version' does not answer as an OCI runtime does"
                    % (path, full))
    flags = [f[2:] if f.startswith("--") else f for f in flags]
    # No "=" or "," in a column's name: compare --env OLD=NEW,... reads them.
    name = ":".join(["runtime", os.path.basename(full)] + [f.replace("=", "-") for f in flags])
    COLUMNS[name] = {"path": os.path.abspath(full), "flags": flags, "profile": None,
                     "base": name, "version_text": r.stdout}
    return name


def expand(envs, seccomp, cache):
    """The columns of --env (runtime specs resolved, named runtimes added)
    and of --seccomp. Returns (columns, [(baseline, column)] to compare)."""
    COLUMNS.clear()
    out = []
    for e in envs:
        if e in NAMED:
            exe = NAMED[e].split(":")[1]
            if not os.access(exe, os.X_OK):
                raise Usage("environment %s needs %s: apt-get install %s (ci/setup.sh --matrix)"
                            % (e, exe, e))
            col = _runtime_column(NAMED[e])
            COLUMNS[e] = dict(COLUMNS.pop(col), base=e)
            out.append(e)
        elif e.startswith("runtime:"):
            out.append(_runtime_column(e))
        else:
            out.append(e)
    if len(set(out)) != len(out):
        raise Usage("an environment is named twice: %s" % " ".join(out))
    if not seccomp:
        return out, []
    profiles = [profile(p, cache) for p in seccomp.split(",")]
    cols, pairs = [], []
    for e in out:
        if not takes_seccomp(e):
            raise Usage("environment %s cannot take a seccomp profile (podman's environments "
                        "can: runc, crun, gvisor-podman, runtime:PATH)" % e)
        base = "%s+seccomp:unconfined" % e
        for name, path in [("unconfined", "unconfined")] + profiles:
            col = "%s+seccomp:%s" % (e, name)
            spec = dict(COLUMNS.get(e) or {"path": None, "flags": [], "base": e})
            spec.update(profile=path, base=e)
            COLUMNS[col] = spec
            if col not in cols:
                cols.append(col)
            if name != "unconfined":
                pairs.append((base, col))
    return cols, pairs


def profile(arg, cache):
    """NAME or FILE of --seccomp -> (column suffix, profile file)."""
    if arg == "podman":
        if not os.path.isfile(PODMAN_PROFILE):
            raise Usage("--seccomp podman: no %s (apt-get install golang-github-containers-common)"
                        % PODMAN_PROFILE)
        return "podman", PODMAN_PROFILE
    if arg == "docker":
        return "docker", docker_profile(cache)
    if arg == "unconfined":
        raise Usage("--seccomp unconfined: every --seccomp run has its unconfined baseline already")
    if not arg or not os.path.isfile(arg):
        raise Usage("--seccomp %s: no such file (a profile file, or podman, or docker)" % arg)
    try:
        with open(arg, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise Usage("--seccomp %s: not JSON: %s" % (arg, e))
    if not isinstance(doc, dict) or "defaultAction" not in doc:
        raise Usage("--seccomp %s: not a seccomp profile (no defaultAction)" % arg)
    name = os.path.basename(arg)
    name = name[:-5] if name.endswith(".json") else name
    if name in ("podman", "docker", "unconfined") or not name:
        raise Usage("--seccomp %s: the name %s is reserved; rename the file" % (arg, name))
    return name, os.path.abspath(arg)


def docker_profile(cache):
    """Docker's (moby's) default profile: Debian ships it only inside the Go
    sources of docker (golang-github-docker-docker-dev; docker.io compiles
    it in). That one file is taken from the package, fetched by name with
    the host's apt (which checks it against the signed archive); nothing is
    installed."""
    d = os.path.join(cache, "seccomp")
    f = os.path.join(d, "docker.json")
    if os.path.isfile(f):
        return f
    os.makedirs(d, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=d)
    try:
        r = subprocess.run(["apt-get", "download", "-q", DOCKER_PACKAGE], cwd=tmp,
                           capture_output=True, text=True, timeout=600)
        debs = [x for x in os.listdir(tmp) if x.endswith(".deb")]
        if r.returncode != 0 or not debs:
            raise Usage("--seccomp docker: apt-get download %s failed: %s"
                        % (DOCKER_PACKAGE, (r.stderr.strip().splitlines() or [""])[-1]))
        deb = os.path.join(tmp, debs[0])
        fs = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
        x = subprocess.run(["tar", "-xO", DOCKER_MEMBER], stdin=fs.stdout, capture_output=True)
        fs.wait()
        if x.returncode != 0 or not x.stdout:
            raise Usage("--seccomp docker: %s holds no %s" % (debs[0], DOCKER_MEMBER))
        with open(f + ".part", "wb") as fh:
            fh.write(x.stdout)
        os.rename(f + ".part", f)
        write(os.path.join(d, "docker.package"), debs[0] + "\n")
        return f
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def table_env(env, tables):
    """IPCSPEC_ENV of a runtime or seccomp column (see the module's doc)."""
    spec = COLUMNS[env]
    base = spec["base"]
    if base in ("runc", "gvisor-podman"):
        return None   # the caller's rule for the built-in environments
    exe = os.path.basename(spec["path"])
    have = [t for t in (base, exe, {"runsc": "gvisor", "crun": "runc", "runc": "runc"}.get(exe))
            if t and os.path.exists(os.path.join(tables, t + ".tsv"))]
    own = [t for t in have[:2] if t in (base, exe)][:1]
    inherited = [t for t in have if t not in (base, exe)][:1]
    # Both apply: the binaries read IPCSPEC_ENV as a list of tables.
    return ",".join(own + inherited) or exe


def env_version(env):
    """The runtime's release: crun 1.8.1, runc 1.1.5+ds1, runsc 20240729.0."""
    spec = COLUMNS[env]
    if not spec["path"]:
        return None
    text = spec.get("version_text", "")
    words = (text.splitlines() or [""])[0].split()
    if os.path.basename(spec["path"]) == "runsc":
        return words[2].split("~")[-1] if len(words) > 2 else ""
    return words[words.index("version") + 1] if "version" in words[:-1] else ""


def kernel(env, version):
    """env.tsv's kernel line for a column run by podman."""
    spec = COLUMNS[env]
    if (os.path.basename(spec["path"] or "") == "runsc"
            or (not spec["path"] and spec["base"].startswith("gvisor"))):
        return "gVisor " + version
    return "Linux " + os.uname().release


def hybrid_controllers():
    """The controllers of the hybrid layout's cgroup2 hierarchy ('' when the
    layout is not hybrid or it has none)."""
    mounts = read("/proc/self/mounts").split("\n")
    types = {l.split()[1]: l.split()[2] for l in mounts if len(l.split()) > 2}
    if types.get("/sys/fs/cgroup") != "tmpfs" or types.get(CGROUP_UNIFIED) != "cgroup2":
        return ""
    return read(os.path.join(CGROUP_UNIFIED, "cgroup.controllers")).strip()


def wrapper(env):
    """What goes before podman for this column: crun on a hybrid layout whose
    cgroup2 hierarchy has controllers runs where that mount is hidden."""
    spec = COLUMNS.get(env)
    if not spec or not spec["path"] or os.path.basename(spec["path"]) != "crun":
        return []
    if not hybrid_controllers():
        return []
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            'umount %s && exec "$@"' % CGROUP_UNIFIED, "sh"]


def podman_args(env):
    """podman's runtime and security options for a column."""
    spec = COLUMNS.get(env) or {"path": None, "flags": [], "profile": None, "base": env}
    if spec["path"]:
        args = ["--runtime", spec["path"]]
        for f in spec["flags"]:
            args += ["--runtime-flag", f]
    elif spec["base"] == "runc":
        args = ["--runtime", "runc"]
    else:
        args = ["--runtime", "/usr/bin/runsc", "--runtime-flag", "network=none"]
    runsc = "runsc" in os.path.basename(args[1])
    if spec["profile"] and runsc and spec["profile"] != "unconfined":
        # runsc applies the OCI spec's seccomp profile only when asked.
        args += ["--runtime-flag", "oci-seccomp"]
    return args


def security_opts(env):
    spec = COLUMNS.get(env) or {}
    p = spec.get("profile")
    return ["--security-opt", "seccomp=" + p] if p else []


def describe(env):
    """A line for the environment's log: how it was run."""
    spec = COLUMNS.get(env)
    if not spec:
        return ""
    w = wrapper(env)
    how = "podman %s %s" % (" ".join(podman_args(env)), " ".join(security_opts(env)))
    if w:
        how += ("; crun on a hybrid cgroup layout whose cgroup2 hierarchy has controllers (%s): "
                "run in a private mount namespace without %s" % (hybrid_controllers(), CGROUP_UNIFIED))
    return how.strip()


def compare_seccomp(out, pairs, compare_main):
    """For every profile column, what it changes against the unconfined
    baseline (verdict/compare.py over the one run): OUT/seccomp.md."""
    import contextlib
    import io
    parts = []
    for base, col in pairs:
        md = os.path.join(out, ".seccomp-%d.md" % len(parts))
        o = io.StringIO()
        with contextlib.redirect_stdout(o):
            # Each column's directory is a run of its own: the two pair up.
            rc = compare_main(["--md", md, os.path.join(out, base), os.path.join(out, col)])
        closing = (o.getvalue().strip().splitlines() or [""])[-1]
        say("seccomp: %s against %s: %s" % (col, base, closing))
        parts.append("# %s against %s\n\n%s" % (col, base, read(md)))
        if os.path.exists(md):
            os.remove(md)
        if rc == 2:
            return 2
    write(os.path.join(out, "seccomp.md"), "\n".join(parts))
    say("seccomp: what each profile changes: %s/seccomp.md" % out)
    return 0
