"""The matrix's driver: options, prerequisites, binaries, the environments
in parallel, then the reader's verdict."""

import os
import shutil
import subprocess
import sys
import threading
import time

from . import __doc__ as USAGE
from . import environments as envs_mod
from . import custom_kernel, gtest_filter, kernels, results, runtimes
from .common import ROOT, Deadline, Usage, read, say

OPTS = ("--env", "--tier", "--out", "--deadline", "--binary-timeout", "--bin", "--shard",
        "--filter", "--kernel-config", "--seccomp", "--divergences")


def parse(argv):
    o = {"env": "", "tier": "quick", "out": "matrix-out", "deadline": "900",
         "binary-timeout": "300", "bin": "", "shard": "", "filter": "", "kernel-config": "",
         "seccomp": "", "divergences": ""}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(USAGE.strip("\n"))
            sys.exit(0)
        if a == "--list":
            print("\n".join(envs_mod.ALL_ENVS))
            sys.exit(0)
        key, val = a, None
        if "=" in a and a.split("=", 1)[0] in OPTS:
            key, val = a.split("=", 1)
        if key not in OPTS:
            raise Usage("unknown option '%s' (try --help)" % a)
        if val is None:
            i += 1
            val = argv[i] if i < len(argv) else ""
        o[key[2:]] = val
        i += 1
    if not o["env"]:
        raise Usage("--env is required, e.g. --env host,gvisor or --env all (known: %s)"
                    % " ".join(envs_mod.ALL_ENVS))
    if o["tier"] not in ("quick", "thorough"):
        raise Usage("unknown tier '%s' (quick or thorough)" % o["tier"])
    for k, what in (("deadline", "--deadline"), ("binary-timeout", "--binary-timeout")):
        if not o[k].isdigit():
            raise Usage("%s wants whole seconds, got '%s'" % (what, o[k]))
    o["shard_of"] = None
    if o["shard"]:
        i, _, n = o["shard"].partition("/")
        if not (i.isdigit() and n.isdigit() and 1 <= int(i) <= int(n)):
            raise Usage("--shard wants I/N with 1 <= I <= N (e.g. 2/4), got '%s'" % o["shard"])
        o["shard_of"] = (int(i), int(n))
    o["envs"] = list(envs_mod.ALL_ENVS) if o["env"] == "all" else o["env"].split(",")
    # runtime:PATH[:FLAG...], crun and --seccomp's columns (runtimes.py)
    o["envs"], o["seccomp_pairs"] = runtimes.expand(o["envs"], o["seccomp"], cache_dir())
    o["envs"] = custom_kernel.expand(o["envs"])
    if o["filter"] or any(a == "--filter" or a.startswith("--filter=") for a in argv):
        gtest_filter.check(o["filter"])
    if o["kernel-config"] and not (os.path.isfile(o["kernel-config"]) and custom_kernel.KERNELS):
        raise Usage("--kernel-config wants an existing file and a --env kernel:PATH to check, got '%s'"
                    % o["kernel-config"])
    for e in o["envs"]:
        if not envs_mod.known(e):
            raise Usage("unknown environment '%s' (known: %s, or all)" % (e, " ".join(envs_mod.ALL_ENVS)))
    o["tables"] = [t for t in o["divergences"].split(",") if t]
    if o["divergences"] or any(a == "--divergences" or a.startswith("--divergences=") for a in argv):
        if not o["tables"]:
            raise Usage("--divergences wants [ENV=]FILE[,...]: your table of expected differences")
        ut = verdict_tool("user_tables")
        for spec in o["tables"]:
            env, path = ut.split_spec(spec)
            if env is not None and env not in o["envs"]:
                raise Usage("--divergences %s: %s is not an environment of this run (%s)"
                            % (spec, env, " ".join(o["envs"])))
            if not os.path.isfile(path):
                raise Usage("--divergences: no such file: %s" % path)
            try:
                ut.parse(path)
            except ut.gather.BadInput as e:
                raise Usage(str(e))
    seed = os.environ.get("IPCSPEC_MATRIX_SEED", "1")
    if seed != "random" and not seed.isdigit():
        raise Usage('IPCSPEC_MATRIX_SEED must be a number or "random", not "%s"' % seed)
    o["seed"] = seed
    return o


def cache_dir():
    return os.environ.get("IPCSPEC_CACHE") or os.path.expanduser("~/.cache/ipcspec-matrix")


def check_prereqs(env, cache, o_kernel_config=""):
    def need(cmd, how):
        if not shutil.which(cmd):
            raise Usage("environment %s needs %s: %s" % (env, cmd, how))
    if envs_mod.uses_podman(env):
        need("podman", "apt-get install podman runc (ci/setup.sh --matrix)")
        need("runc", "apt-get install runc (ci/setup.sh --matrix)")
    if env.startswith("gvisor"):
        need("runsc", "apt-get install -t bookworm-backports runsc (ci/setup.sh --matrix)")
    if custom_kernel.is_vm(env):
        need("qemu-system-x86_64", "apt-get install qemu-system-x86")
        static = os.access("/bin/busybox", os.X_OK) and b"program interpreter" not in \
            subprocess.run(["readelf", "-l", "/bin/busybox"], capture_output=True).stdout
        if not static:
            raise Usage("environment %s needs a static /bin/busybox: apt-get install busybox-static" % env)
        need("cpio", "apt-get install cpio")
        if custom_kernel.get(env):
            custom_kernel.prepare(custom_kernel.get(env), cache, o_kernel_config)
        elif not kernels.fetch_kernel(cache, env):
            raise Usage("environment %s: kernel package not found (linux-image-amd64 of Debian %s)"
                        % (env, kernels.SUITES[env]))


def shard_of(names, shard):
    """The binaries of shard (I, N): every N-th of the sorted names, from
    the I-th: the same split on every machine."""
    i, n = shard
    return [b for k, b in enumerate(sorted(names)) if k % n == i - 1]


def select_binaries(bindir, out, tier, shard=None, filt=""):
    """The binaries this tier (and shard, and filter) runs, as links into
    the built set."""
    not_run = os.path.join(out, ".not_run-" + tier + ".txt")
    if tier != "quick" and not shard and not filt:
        if os.path.exists(not_run):
            os.remove(not_run)
        return bindir
    sel = os.path.join(out, ".bin-" + tier)
    shutil.rmtree(sel, ignore_errors=True)
    os.makedirs(sel)
    left_out, kept = [], []
    for b in sorted(os.listdir(bindir)):
        if tier == "quick" and b.startswith("suites_selftest_"):
            left_out += list_tests(os.path.join(bindir, b))
        else:
            kept.append(b)
    if filt:
        kept, unselected = gtest_filter.split(
            filt, {b: list_tests(os.path.join(bindir, b)) for b in kept})
        left_out += unselected
        if not kept:
            raise Usage("--filter '%s' selects no test of the binaries in %s" % (filt, bindir))
    if shard:
        mine = shard_of(kept, shard)
        if not mine:
            raise Usage("shard %d/%d has no binaries: %d in %s for tier %s"
                        % (shard[0], shard[1], len(kept), bindir, tier))
        for b in kept:
            if b not in mine:
                left_out += list_tests(os.path.join(bindir, b))
        kept = mine
    for b in kept:
        os.symlink(os.path.join(bindir, b), os.path.join(sel, b))
    # The tests this tier (or the other shards) leave out: a table entry
    # that covers one of them is not stale for not matching (the reader
    # reads ENV/not_run.txt; merge keeps the tests no cell ran).
    with open(not_run, "w") as fh:
        fh.write("".join(t + "\n" for t in left_out))
    if not kept:
        raise Usage("no binaries left for tier %s in %s" % (tier, bindir))
    return sel


def table_env(env):
    """IPCSPEC_ENV for an environment: its own name, except that an
    environment BASE-HOW (gvisor-podman) with no table of its own is BASE
    run another way and judged by BASE's table (containers/divergences/)."""
    tables = os.path.join(ROOT, "containers", "divergences")
    if env in runtimes.COLUMNS:
        own = runtimes.table_env(env, tables)
        if own:
            return own
        env = runtimes.COLUMNS[env]["base"]
    base = env.split("-", 1)[0]
    if (not os.path.exists(os.path.join(tables, env + ".tsv"))
            and base != env and os.path.exists(os.path.join(tables, base + ".tsv"))):
        return base
    return env


def list_tests(binary):
    """The gtest names of a binary's tests (--gtest_list_tests)."""
    try:
        text = subprocess.run([binary, "--gtest_list_tests"], capture_output=True, text=True,
                              timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    names, suite = [], ""
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            suite = line.split("#")[0].strip()
        elif suite:
            names.append(suite + line.split("#")[0].strip())
    return names


def run_env(env, o, bindir, cache, out):
    """Runs one environment under its deadline and writes its runner.tsv
    and env.tsv. Returns its status."""
    d = os.path.join(out, env)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    scale = os.environ.get("IPCSPEC_TIMEOUT_SCALE") or ("10" if custom_kernel.is_vm(env) else "1")
    btimeout = int(o["binary-timeout"]) * int(float(scale))
    rc_params = ""
    if o["tier"] == "quick":
        rc_params = "max_success=25" + ("" if o["seed"] == "random" else " seed=" + o["seed"])
    version = envs_mod.env_version(env, cache)
    variables = {"IPCSPEC_ENV": table_env(env), "IPCSPEC_ENV_VERSION": version,
                 "IPCSPEC_TIMEOUT_SCALE": scale, "RC_PARAMS": rc_params,
                 "GTEST_FILTER": o["filter"]}
    deadline = Deadline(int(o["deadline"]))
    run = envs_mod.Run(env, bindir, btimeout, variables, cache, deadline)
    t0 = time.monotonic()
    try:
        oc = envs_mod.runner_of(env)(run, d)
    except OSError as e:
        oc = envs_mod.Outcome()
        oc.rc = 1
        with open(os.path.join(d, "run.log"), "a") as fh:
            fh.write("runner error: %s\n" % e)
    wall = time.monotonic() - t0
    if oc.noboot:
        status = "kernel did not boot: " + oc.noboot
        with open(os.path.join(d, "noboot"), "w") as fh:
            fh.write(oc.noboot + "\n")
    elif oc.figures.get("console_problem"):
        status = oc.figures["console_problem"]
    elif deadline.expired or oc.rc is None:
        status = "killed at deadline (%ss)" % o["deadline"]
    elif oc.rc != 0 and custom_kernel.is_vm(env):
        status = "kernel run did not complete (status %s)" % oc.rc
    elif oc.rc != 0:
        status = "runner failed (status %s, see the logs in %s)" % (oc.rc, d)
    else:
        status = "finished"
    not_run = os.path.join(out, ".not_run-" + o["tier"] + ".txt")
    if os.path.exists(not_run):
        shutil.copy(not_run, os.path.join(d, "not_run.txt"))
    results.write_runner_tsv(d, bindir, btimeout, status, oc.cut_short,
                             env_killed=deadline.expired or oc.rc is None)
    if env in ("host", "runc"):
        kernel = "Linux " + os.uname().release
    elif env.startswith("gvisor"):
        kernel = "gVisor " + version
    else:
        kernel = oc.figures.get("kernel", "")
    results.write_env_tsv(d, [
        ("status", status), ("wall_seconds", "%.1f" % wall), ("tier", o["tier"]),
        ("timeout_scale", scale), ("binaries", str(len(os.listdir(bindir)))),
        ("kernel", kernel), ("env_version", version), ("accel", oc.figures.get("accel", "")),
        ("boot_seconds", oc.figures.get("boot_seconds", "")),
        ("boot_wall_seconds", oc.figures.get("boot_wall_seconds", "")),
        ("seed", "" if o["tier"] != "quick" else o["seed"]),
        ("shard", o["shard"]), ("filter", o["filter"]),
        ("kernel_config", oc.figures.get("kernel_config", "")),
        ("console_log", env + "/console.log" if status != "finished"
         and os.path.exists(os.path.join(d, "console.log")) else ""),
    ])
    say("%s: %s in %.1fs%s" % (env, status, wall, "" if status == "finished" or not os.path.exists(
        os.path.join(d, "console.log")) else " (console log: %s/console.log)" % d))
    return status


def report(out, envs, tables=()):
    """The verdict: the reader over the environments' records in out, its
    results and reports beside them (with the user's tables, --divergences)."""
    more = [x for t in tables for x in ("--divergences", os.path.abspath(t) if "=" not in t
                                        or os.path.exists(t) else t)]
    return subprocess.run([sys.executable, os.path.join(ROOT, "verdict", "verdict.py"),
                           "--matrix", out, "--env", ",".join(envs), "--source-root", ROOT] + more + [
                           "--json", os.path.join(out, "results.json"),
                           "--md", os.path.join(out, "report.md"),
                           "--html", os.path.join(out, "report.html"),
                           "--junit", os.path.join(out, "junit.xml"),
                           "--ktap", os.path.join(out, "results.ktap")])


def verdict_tool(name):
    """A module of the reader (verdict/): compare."""
    d = os.path.join(ROOT, "verdict")
    if d not in sys.path:
        sys.path.insert(0, d)
    return __import__(name)


def kernel_path(argv):
    """kernel-path ENV: the file path of a matrix kernel's vmlinuz (fetched
    into the cache if it is not there yet), for --env kernel:PATH."""
    if len(argv) != 1 or argv[0] in ("-h", "--help") or argv[0] not in kernels.SUITES:
        print("usage: ci/matrix.sh kernel-path ENV   (ENV one of: %s)" % " ".join(sorted(kernels.SUITES)),
              file=sys.stderr)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    vm = kernels.fetch_kernel(cache_dir(), argv[0])
    if not vm:
        print("matrix: ERROR: %s: kernel package not found (linux-image-amd64 of Debian %s)"
              % (argv[0], kernels.SUITES[argv[0]]), file=sys.stderr)
        return 2
    print(vm)
    return 0


def main(argv):
    if argv and argv[0] == "compare":
        return verdict_tool("compare").main(argv[1:])
    if argv and argv[0] == "merge":
        from . import merge
        return merge.main(argv[1:])
    if argv and argv[0] == "kernel-path":
        return kernel_path(argv[1:])
    if argv and argv[0] in ("lava-job", "initramfs"):
        from . import lava
        return lava.main(argv[1:], argv[0])
    try:
        o = parse(argv)
        cache = cache_dir()
        for e in o["envs"]:
            check_prereqs(e, cache, o["kernel-config"])
        t_start = time.monotonic()
        os.makedirs(o["out"], exist_ok=True)
        out = os.path.abspath(o["out"])
        bindir = o["bin"]
        if not bindir:
            bindir = os.path.join(out, "bin")
            say("building static test binaries into %s" % bindir)
            if subprocess.run([os.path.join(ROOT, "containers", "build_binaries.sh"), bindir],
                              stdout=sys.stderr).returncode != 0:
                raise Usage("building the binaries failed")
        if not os.path.isdir(bindir):
            raise Usage("no such directory: %s" % bindir)
        bindir = os.path.abspath(bindir)
        if not os.listdir(bindir):
            raise Usage("no binaries in %s" % bindir)
        bindir = select_binaries(bindir, out, o["tier"], o["shard_of"], o["filter"])
        if any(envs_mod.uses_podman(e) for e in o["envs"]):
            say("importing the podman image (store: %s/podman)" % cache)
            if not envs_mod.podman_image(cache, bindir):
                raise Usage("podman import of the test image failed")
    except Usage as e:
        print("matrix: ERROR: %s" % e, file=sys.stderr)
        return 2

    par = int(os.environ.get("IPCSPEC_MATRIX_JOBS") or os.cpu_count() or 1)
    par = max(1, min(par, len(o["envs"])))
    say("environments: %s; tier %s; deadline %ss each; %d at once"
        % (" ".join(o["envs"]), o["tier"], o["deadline"], par))
    statuses = {}
    slots = threading.Semaphore(par)

    def one(e):
        with slots:
            statuses[e] = run_env(e, o, bindir, cache, out)
    threads = [threading.Thread(target=one, args=(e,)) for e in o["envs"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t_end = time.monotonic()

    # The recorded findings' reproducers (containers/matrix/probes.py): in the
    # whole run or its first shard, not in a filtered one.
    if not o["filter"] and (not o["shard_of"] or o["shard_of"][0] == 1) \
            and os.environ.get("IPCSPEC_MATRIX_REPRODUCERS", "1") != "0":
        from . import probes
        probes.run(out, o["envs"])
        # Reproducers generated in the environment (containers/matrix/generated.py).
        from . import generated
        generated.run(out, o["envs"], bindir)
    r = report(out, o["envs"], o["tables"])
    lines = ["env\tstatus\twall_seconds\tboot_seconds"]
    for e in o["envs"]:
        meta = dict(l.split("\t", 1) for l in read(os.path.join(out, e, "env.tsv")).splitlines() if "\t" in l)
        lines.append("%s\t%s\t%s\t%s" % (e, meta.get("status", ""), meta.get("wall_seconds", ""),
                                         meta.get("boot_wall_seconds", "")))
    lines.append("matrix\t-\t%.1f\t" % (t_end - t_start))
    with open(os.path.join(out, "times.tsv"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    status = 0
    for e in o["envs"]:
        if os.path.exists(os.path.join(out, e, "noboot")):
            say("ERROR: %s: kernel did not boot: %s" % (e, read(os.path.join(out, e, "noboot")).strip()))
            status = 2
        elif statuses.get(e) != "finished" and status == 0:
            status = 1
    if o["seccomp_pairs"] and runtimes.compare_seccomp(out, o["seccomp_pairs"],
                                                       verdict_tool("compare").main) == 2:
        status = 2
    if r.returncode == 2:
        status = 2
    elif r.returncode != 0 and status == 0:
        status = 1
    if o["tier"] == "quick" and o["seed"] != "random":
        say("quick tier seed: IPCSPEC_MATRIX_SEED=%s" % o["seed"])
    say("times: %.1fs for the whole matrix (%s/times.tsv)" % (t_end - t_start, out))
    say("report: %s/report.md, %s/report.html (results: %s/results.json)" % (out, out, out))
    return status
