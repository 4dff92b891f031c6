"""Your own table of expected differences, without editing the repository.

The environments' tables (containers/divergences/) are compiled into the
test binaries; a table of your own, for your kernel, runtime or board, is
given to the reader instead:

    verdict.py --matrix DIR --divergences [ENV=]FILE
    ci/matrix.sh --env kernel:bzImage --divergences FILE     (every environment of the run)
    run.sh --divergences FILE                                (the bundle of //:dist)

FILE has the format of README.md ("Tables of expected differences": 8
tab-separated columns). Its entries apply to ENV (or, without ENV=, to every
environment of the results) on top of the tables the binaries applied, so an
environment keeps the table it inherits (a runtime named runsc gvisor.tsv)
and adds yours. They are judged the way the compiled-in entries are:

  - a failure of a test an entry covers (by test and Kind pattern, versions
    holding) whose failure matches the entry's signature (errno:, text:,
    re:, hang, crash; alternatives with " OR ") becomes xfail, with the
    entry's origin FILE:LINE, reason and source;
  - a failure that matches none of its entries stays a fail and names them;
  - a pass of a test an entry with expect `fails` covers is xpass (the entry
    is stale);
  - an entry that covers no test of a complete run is stale;
  - a test another table already excused is left as it is.

A table that is not in the format is bad input (status 2), with FILE:LINE.
"""

import fnmatch
import os
import re

import gather

_SIG = re.compile(r"^(errno:E[A-Z0-9]+|text:.+|re:.+|hang|crash)$")
_BOUND = re.compile(r"^(kernel|version)(>=|<)([0-9][0-9A-Za-z.~+-]*)$")
_FLAKY = re.compile(r"^flaky\((\d+)/(\d+)\)$")


def parse(path):
    """The entries of the table FILE; raises gather.BadInput."""
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise gather.BadInput("--divergences: cannot read %s: %s" % (path, e))
    out = []
    for i, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        where = "%s:%d" % (path, i)
        cols = line.split("\t")
        if len(cols) != 8:
            raise gather.BadInput("%s: %d tab-separated columns, not 8 (test kind class expect "
                                  "signature reason source versions; verdict/README.md)" % (where, len(cols)))
        test, kind, cls, expect, sig, reason, source, versions = (c.strip() for c in cols)
        if not test or not kind:
            raise gather.BadInput("%s: empty test or kind pattern" % where)
        if cls not in ("documented", "finding"):
            raise gather.BadInput("%s: class '%s' is not documented or finding" % (where, cls))
        if expect != "fails" and not _FLAKY.match(expect):
            raise gather.BadInput("%s: expect '%s' is not fails or flaky(K/N)" % (where, expect))
        alts = [a.strip() for a in sig.split(" OR ")]
        for a in alts:
            if not _SIG.match(a):
                raise gather.BadInput("%s: signature '%s' is not errno:ENAME, text:..., re:..., hang "
                                      "or crash" % (where, a))
            if a.startswith("re:"):
                try:
                    re.compile(a[3:])
                except re.error as e:
                    raise gather.BadInput("%s: signature %s: %s" % (where, a, e))
        if not reason or not source:
            raise gather.BadInput("%s: the reason and the source must not be empty" % where)
        bounds = []
        if versions != "*":
            for b in versions.split(","):
                m = _BOUND.match(b.strip())
                if not m:
                    raise gather.BadInput("%s: versions '%s': want * or kernel>=X.Y, kernel<X.Y, "
                                          "version>=V, version<V, comma-separated" % (where, versions))
                bounds.append(m.groups())
        out.append({"origin": "%s:%d" % (os.path.basename(path), i), "test": test, "kind": kind,
                    "class": cls, "expect": expect, "signature": sig, "reason": reason,
                    "source": source, "versions": versions, "_bounds": bounds})
    return out


def _version_key(v):
    nums = []
    for part in re.match(r"^[0-9.]*", v).group(0).split("."):
        if part:
            nums.append(int(part))
    return nums


def _cmp(a, b):
    x, y = _version_key(a), _version_key(b)
    n = max(len(x), len(y))
    x, y = x + [0] * (n - len(x)), y + [0] * (n - len(y))
    return (x > y) - (x < y)


def _applies(entry, env):
    kernel = re.search(r"\d+\.\d+(\.\d+)?", env.get("kernel") or "")
    have = {"kernel": kernel.group(0) if kernel else "", "version": env.get("env_version") or ""}
    for key, op, value in entry["_bounds"]:
        if not have[key]:
            return False
        c = _cmp(have[key], value)
        if (op == ">=" and c < 0) or (op == "<" and c >= 0):
            return False
    return True


def _matches(signature, t):
    msg = t.get("message") or ""
    seen = t.get("signature_seen") or []
    for a in (x.strip() for x in signature.split(" OR ")):
        if a in ("hang", "crash") and a in seen:
            return True
        if a.startswith("errno:") and (a in seen or re.search(
                r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(a[6:]), msg)):
            return True
        if a.startswith("text:") and a[5:] in msg:
            return True
        if a.startswith("re:") and re.search(a[3:], msg):
            return True
    return False


def split_spec(spec):
    """[ENV=]FILE as (ENV or None, FILE)."""
    if "=" in spec and not os.path.exists(spec):
        env, path = spec.split("=", 1)
        return env, path
    return None, spec


def apply(doc, specs):
    """Applies the tables of SPECS ([ENV=]FILE) to the results document
    DOC, in place; returns DOC with its summary recomputed."""
    envs = {e["name"]: e for e in doc["environments"]}
    for spec in specs:
        env, path = split_spec(spec)
        if env is not None and env not in envs:
            raise gather.BadInput("--divergences %s: no environment %s in the results (they have %s)"
                                  % (spec, env, ", ".join(envs) or "none"))
        entries = parse(path)
        for name in ([env] if env else list(envs)):
            e = envs[name]
            e.setdefault("tables", []).append("user:" + os.path.basename(path))
            complete = e.get("complete", True) and not (e.get("meta") or {}).get("filter")
            for entry in entries:
                applies = _applies(entry, e)
                covered = {}
                for t in doc["tests"]:
                    if t["env"] != name or not gather._cover(entry, t):
                        continue
                    if applies and not doc.get("ignore_tables"):
                        _judge(entry, t)
                    covered[t["outcome"]] = covered.get(t["outcome"], 0) + 1
                live = {k: v for k, v in covered.items() if v and k != "n/a"}
                agg = {k: v for k, v in entry.items() if not k.startswith("_")}
                agg.update({"table": "user:" + os.path.basename(path), "env": name, "applies": applies,
                            "matched": {}, "covered": covered, "left_out": 0,
                            "flaky": entry["expect"].startswith("flaky"),
                            "stale": bool(applies and complete and not live
                                          and not doc.get("ignore_tables"))})
                doc["entries"].append(agg)
    doc["summary"] = gather.summarize(doc)
    return doc


def _judge(entry, t):
    fields = ("origin", "class", "expect", "signature", "reason", "source", "versions")
    if t["outcome"] == "fail":
        if _matches(entry["signature"], t):
            t["outcome"] = "xfail"
            t["entry"] = {k: entry[k] for k in fields}
            t["reason"] = entry["reason"]
            t["unmatched_entries"] = []
        else:
            t.setdefault("unmatched_entries", []).append(entry["origin"])
            t["reason"] = "failure matches no signature of %s: %s" % (
                ", ".join(t["unmatched_entries"]), gather.headline(t.get("message")))
    elif t["outcome"] == "pass" and entry["expect"] == "fails":
        t["outcome"] = "xpass"
        t["entry"] = {k: entry[k] for k in fields}
        t["reason"] = "entry %s expects a failure (%s) and the test passed: the entry is stale" % (
            entry["origin"], entry["signature"])
