"""ci/matrix.sh merge [--out DIR] CELL...: the results of several cells (runs
of ci/matrix.sh, e.g. one per --shard I/N on as many machines) as one
results directory, then the reader's report over it, as if one run had run
them all.

Each environment of the cells becomes one directory of DIR (default
matrix-merged): the binaries' records (a file whose name another cell used
gets the cell's number in its pid), their XML and logs, runner.tsv (the
rows of every cell), not_run.txt (the tests no cell ran: a table entry that
covers a test another shard ran is judged), and env.tsv: the first status
that is not "finished" (else finished), the longest wall time, the
binaries of every cell, and the shards merged. An environment sharded I/N
with a shard missing (or given twice) is not finished: the verdict fails.

Exit status: as the matrix's (0 nothing fails the run, 1 something does, 2
bad usage: a CELL that is not a matrix results directory, DIR one of the
CELLs, or results the reader cannot read, or a kernel that did not boot).
"""

import os
import shutil
import sys

from .common import Usage, read, say
from . import results

SPECIAL = ("env.tsv", "runner.tsv", "not_run.txt")


def parse(argv):
    out, cells = "matrix-merged", []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(__doc__.strip("\n"))
            sys.exit(0)
        if a == "--out" or a.startswith("--out="):
            if "=" in a:
                out = a.split("=", 1)[1]
            else:
                i += 1
                out = argv[i] if i < len(argv) else ""
        elif a.startswith("-"):
            raise Usage("merge: unknown option '%s' (merge --help)" % a)
        else:
            cells.append(a)
        i += 1
    if not out:
        raise Usage("merge: --out wants a directory")
    if not cells:
        raise Usage("merge: no cell to merge (merge --out DIR CELL...)")
    for c in cells:
        if not os.path.isdir(c):
            raise Usage("merge: no such directory: %s" % c)
        if not envs_of(c):
            raise Usage("merge: %s is not a matrix results directory (no ENV/env.tsv)" % c)
        if os.path.abspath(c) == os.path.abspath(out):
            raise Usage("merge: --out %s is one of the cells" % out)
    return out, cells


def envs_of(cell):
    return sorted(e for e in os.listdir(cell) if os.path.isfile(os.path.join(cell, e, "env.tsv")))


def _tsv(path):
    return [l.split("\t", 1) for l in read(path).splitlines() if "\t" in l]


def _free(d, name, k):
    """A name for a file of cell k in d that no other cell took."""
    if not os.path.exists(os.path.join(d, name)):
        return name
    if name.endswith(".jsonl"):
        # BINARY.PID.jsonl: the reader takes the binary from the name.
        stem, _, pid = name[:-len(".jsonl")].rpartition(".")
        if stem and pid.isdigit():
            n = 0
            while True:
                cand = "%s.%d%d%s.jsonl" % (stem, k, n, pid)
                if not os.path.exists(os.path.join(d, cand)):
                    return cand
                n += 1
    return "%s.cell%d" % (name, k)


def merge_env(parts, dst):
    """parts: [(cell number, directory of env in that cell)]."""
    os.makedirs(dst)
    rows, metas, not_runs = [], [], []
    for k, src in parts:
        for f in sorted(os.listdir(src)):
            p = os.path.join(src, f)
            if f in SPECIAL:
                continue
            to = os.path.join(dst, _free(dst, f, k))
            if os.path.isdir(p):
                shutil.copytree(p, to, symlinks=True)
            else:
                shutil.copy2(p, to)
        rows += [l for l in read(os.path.join(src, "runner.tsv")).splitlines()[1:] if l.strip()]
        metas.append(dict(_tsv(os.path.join(src, "env.tsv"))))
        not_runs.append(set(l.strip() for l in read(os.path.join(src, "not_run.txt")).splitlines()
                            if l.strip()))
    with open(os.path.join(dst, "runner.tsv"), "w") as fh:
        fh.write("binary\texit\tkilled\tnote\n" + "".join(r + "\n" for r in rows))
    # A test one cell left out and another ran was run.
    left = sorted(set.intersection(*not_runs))
    if left:
        with open(os.path.join(dst, "not_run.txt"), "w") as fh:
            fh.write("".join(t + "\n" for t in left))
    meta = dict(metas[0])
    meta.pop("shard", None)
    status = next((m.get("status") for m in metas if m.get("status", "finished") != "finished"),
                  "finished")
    shards = [m.get("shard", "") for m in metas]
    if any(shards):
        if not all(shards) or len(set(s.split("/")[1] for s in shards)) != 1:
            status = "incomplete: cells of several shardings (%s)" % ", ".join(s or "none" for s in shards)
        else:
            n = int(shards[0].split("/")[1])
            got = [int(s.split("/")[0]) for s in shards]
            missing = [i for i in range(1, n + 1) if i not in got]
            twice = sorted(set(i for i in got if got.count(i) > 1))
            if missing and status == "finished":
                status = "incomplete: shard %s missing" % ", ".join("%d/%d" % (i, n) for i in missing)
            elif twice and status == "finished":
                status = "incomplete: shard %s given twice" % ", ".join("%d/%d" % (i, n) for i in twice)
    walls = [float(m["wall_seconds"]) for m in metas if m.get("wall_seconds", "").replace(".", "", 1).isdigit()]
    meta["status"] = status
    if walls:
        meta["wall_seconds"] = "%.1f" % max(walls)
    meta["binaries"] = str(sum(int(m.get("binaries", "0") or 0) for m in metas
                               if str(m.get("binaries", "0")).isdigit()))
    meta["merged"] = "%d cells%s" % (len(metas), (": shards " + ", ".join(shards)) if any(shards) else "")
    results.write_env_tsv(dst, list(meta.items()))
    return status


def main(argv):
    from .cli import report
    try:
        out, cells = parse(argv)
        out = os.path.abspath(out)
        order, parts = [], {}
        for k, c in enumerate(cells, 1):
            for e in envs_of(c):
                if e not in parts:
                    order.append(e)
                parts.setdefault(e, []).append((k, os.path.join(c, e)))
        os.makedirs(out, exist_ok=True)
        for e in order:
            d = os.path.join(out, e)
            shutil.rmtree(d, ignore_errors=True)
            st = merge_env(parts[e], d)
            say("merge: %s: %d cells, %s" % (e, len(parts[e]), st))
    except Usage as e:
        print("matrix: ERROR: %s" % e, file=sys.stderr)
        return 2
    r = report(out, order)
    status = r.returncode
    for e in order:
        if os.path.exists(os.path.join(out, e, "noboot")):
            say("ERROR: %s: kernel did not boot: %s" % (e, read(os.path.join(out, e, "noboot")).strip()))
            status = 2
    say("report: %s/report.md, %s/report.html (results: %s/results.json)" % (out, out, out))
    return status
