"""Reports rendered from the results document (results.json) alone:
Markdown, HTML, JUnit XML, KTAP and the closing lines.

Rows are behaviours (tests) grouped by mechanism (their source directory),
headed by the man pages they cite; columns are environments. Sections, in
order: findings (failures, and expected failures whose entry records a
finding), what else fails the run (unexpected passes, broken tests,
undeclared skips, stale entries, unfinished environments), documented
divergences, flaky entries, skips by need, degraded modes, the EINTR table
per environment (when eintr_test wrote its cells), then every behaviour.
"""

import html
import os
import re
from collections import Counter, OrderedDict
from xml.sax.saxutils import quoteattr, escape as xml_escape

from gather import cites_list, headline, strip_where

CELL_CLASS = {"pass": "pass", "fail": "fail", "xfail": "xfail", "xpass": "fail",
              "skip": "skip", "n/a": "na", "broken": "fail", None: "notrun"}

META_COLS = (("status", "status"), ("env_version", "version"), ("kernel", "kernel"),
             ("isolation", "isolation"), ("blocked_detection", "blocked detection"),
             ("wall_seconds", "wall s"), ("boot_wall_seconds", "boot s"),
             ("accel", "accel"), ("tier", "tier"))


# ------------------------------------------------------------- citations
TEST_RE = re.compile(r"^\s*(?:TEST|TEST_P|TEST_F|TYPED_TEST)\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")


class SourceCitations:
    """The man pages a test cites, looked up in the sources of its
    directory: for results that do not carry their citation (the XML
    fallback)."""

    def __init__(self, root):
        self.root = root
        self.files = {}

    def _dir(self, d):
        if d not in self.files:
            got = []
            full = os.path.join(self.root, d) if self.root else None
            if full and os.path.isdir(full):
                for f in sorted(os.listdir(full)):
                    if f.endswith((".cc", ".h")):
                        try:
                            with open(os.path.join(full, f), encoding="utf-8",
                                      errors="replace") as fh:
                                got.append(fh.read().splitlines())
                        except OSError:
                            pass
            self.files[d] = got
        return self.files[d]

    @staticmethod
    def _collect(lines, lo, hi, out):
        for l in lines[max(lo, 0):min(hi, len(lines))]:
            for c in cites_list(l):
                if c not in out:
                    out.append(c)

    def of(self, file_path, test):
        d = os.path.dirname((file_path or "").lstrip("./"))
        if not d or not self.root:
            return []
        cls, _, name = test.rpartition(".")
        suite = cls.split("/")[-1]
        base = name.split("/")[0]
        out = []
        for lines in self._dir(d):
            for i, l in enumerate(lines):
                m = TEST_RE.match(l)
                if m and m.group(1) == suite and m.group(2) == base:
                    j = i
                    while j > 0 and lines[j - 1].lstrip().startswith("//"):
                        j -= 1
                    k = i + 1
                    while k < len(lines) and not lines[k].startswith("}"):
                        k += 1
                    self._collect(lines, j, k + 1, out)
        if not out:
            # A suite property: its registration names it in quotes and cites.
            q = '"%s"' % base
            for lines in self._dir(d) + self._dir(os.path.dirname(d)):
                for i, l in enumerate(lines):
                    if q in l and not l.lstrip().startswith("//"):
                        self._collect(lines, i, i + 6, out)
        return out[:3]


# ----------------------------------------------------------- reproducers
REPRODUCER_LINKS = "containers/probes/findings.tsv"


def reproducer_links(root):
    """{table origin "TABLE:LINE": reproducer name or "missing: WHY"}: the
    links of containers/probes/findings.tsv (by table, test pattern and
    kind) resolved to the lines of the tables, as entries' origins name them."""
    links, out = {}, {}
    path = os.path.join(root or "", REPRODUCER_LINKS)
    if not root or not os.path.isfile(path):
        return out
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) == 4 and not line.startswith("#"):
                links[(f[0], f[1], f[2])] = f[3]
    for table in sorted(set(k[0] for k in links)):
        try:
            with open(os.path.join(root, table), encoding="utf-8", errors="replace") as fh:
                lines = fh.read().splitlines()
        except OSError:
            continue
        for i, line in enumerate(lines, 1):
            f = line.split("\t")
            if len(f) == 8 and not line.startswith("#") and (table, f[0], f[1]) in links:
                out["%s:%d" % (table, i)] = links[(table, f[0], f[1])]
    return out


# ------------------------------------------------------------------ model
class View:
    """What every renderer needs, computed once from the document."""

    def __init__(self, doc, source_root=None):
        self.doc = doc
        self.envs = [e["name"] for e in doc["environments"]]
        self.env = {e["name"]: e for e in doc["environments"]}
        self.s = doc["summary"]
        src = SourceCitations(source_root)
        self.rows = OrderedDict()   # (group, test) -> {env: record}
        self.cites = {}
        for t in doc["tests"]:
            k = (t.get("group") or "(unknown)", t["test"])
            self.rows.setdefault(k, {})[t["env"]] = t
            c = cites_list(t.get("cites"))
            if not c:
                c = src.of(t.get("file"), t["test"])
            if not c:
                c = cites_list(t.get("message"))[:3]
            if c and not self.cites.get(k):
                self.cites[k] = c
        self.rows = OrderedDict(sorted(self.rows.items()))
        self.group_cite = {}
        for g in sorted(set(k[0] for k in self.rows)):
            n = Counter(c for k in self.rows if k[0] == g for c in self.cites.get(k, [])[:1])
            self.group_cite[g] = [c for c, _ in n.most_common(2)]
        self.entries = doc["entries"]
        tests = doc["tests"]
        self.findings_new = [t for t in tests if t["outcome"] == "fail"]
        self.findings_recorded = [t for t in tests if t["outcome"] == "xfail"
                                  and (t.get("entry") or {}).get("class") == "finding"]
        self.documented = [t for t in tests if t["outcome"] == "xfail"
                           and (t.get("entry") or {}).get("class") != "finding"]
        self.xpass = [t for t in tests if t["outcome"] == "xpass"]
        self.broken = [t for t in tests if t["outcome"] == "broken"]
        self.undeclared = [t for t in tests if t["outcome"] == "skip"
                           and t.get("need") == "undeclared"]
        self.stale = [e for e in self.entries if e.get("stale")]
        self.flaky = [e for e in self.entries if e.get("flaky") and e.get("applies")]
        self.eintr = EintrView(doc, self.envs)
        # Each recorded finding's reproducer (containers/probes), and each
        # reproducer's run per environment (containers/matrix/probes.py).
        self.repro_links = reproducer_links(source_root)
        self.repro_runs = OrderedDict()
        for t in sorted(tests, key=lambda t: t["test"]):
            if t.get("binary") == "reproducers" and t["test"].startswith("Reproducer.") \
                    and t["test"] != "Reproducer.EveryFindingRowIsLinked":
                self.repro_runs.setdefault(t["test"][len("Reproducer."):], {})[t["env"]] = t
        self.skips = OrderedDict()
        for t in sorted((t for t in tests if t["outcome"] == "skip"),
                        key=lambda t: (t.get("need") != "undeclared", t.get("need"), t["test"])):
            self.skips.setdefault(t.get("need") or "undeclared", []).append(t)

    def cite_of(self, t):
        return self.cites.get((t.get("group") or "(unknown)", t["test"]), [])

    def reproducer_of(self, t):
        """The reproducer linked to the entry a finding matched: a name, a
        "missing: WHY", or "" (no link known)."""
        return self.repro_links.get((t.get("entry") or {}).get("origin", ""), "")


# ------------------------------------------------------- the EINTR table
# What a cell's text may say besides a behaviour (faults/eintr/eintr_test.cc).
EINTR_NOT_RUN = "not run"
EINTR_NO_BEHAVIOUR = ("not reproducible here", "unverified")
EINTR_BEHAVIOURS = ("restarted", "EINTR", "partial count", "success, time remaining")
EINTR_COUNTS = (("page", "as the page"), ("not_page", "differs from the page"),
                ("not_ref", "differs from %s"), ("not reproducible here", "not reproducible"),
                ("unverified", "unverified"), ("no result", "no result"),
                (EINTR_NOT_RUN, "not run"))


def eintr_behaviour(seen):
    """What a cell says the call did ("restarted", "EINTR", ..., or the text
    of another result), for comparing cells; None when it says no behaviour:
    not run, not reproducible here, unverified, no result."""
    if not seen or seen == EINTR_NOT_RUN or seen in EINTR_NO_BEHAVIOUR or \
            seen.startswith("no result"):
        return None
    return next((b for b in EINTR_BEHAVIOURS if seen.startswith(b)), seen)


class EintrView:
    """The EINTR table per environment: rows (table, call, how) in the
    table's order, one cell per environment. A cell is what the environment
    did; "not run" when it has no eintr_test result for the row, "no result"
    when the test ran and wrote no cell (it stopped before the interruption:
    the call unsupported, its harness failed). `not_page`: the
    behaviour differs from what man 7 signal says; `not_ref`: it differs from
    the reference column's behaviour (host, else the first environment)."""

    def __init__(self, doc, envs):
        self.envs = envs
        self.ref = "" if len(envs) < 2 else "host" if "host" in envs else envs[0]
        by_row = OrderedDict()
        for c in doc.get("eintr") or []:
            by_row.setdefault((c["table"], c["call"], c["how"]), {})[c["env"]] = c
        keys = sorted(by_row, key=lambda k: k[0] == "stop")   # stable: the table's order
        tests = {(t["env"], t["test"]): t for t in doc["tests"]}
        self.rows = {"handler": [], "stop": []}
        self.counts = {e: Counter() for e in envs}
        for k in keys:
            cells = by_row[k]
            row = next(iter(cells.values()))
            out = {}
            for e in envs:
                c = cells.get(e)
                t = tests.get((e, c["test"] if c else row["test"]))
                if c and c["seen"]:
                    seen = c["seen"]
                    text = "not reproducible" if seen == "not reproducible here" else seen
                    if c.get("data"):
                        text += " (data: %s)" % c["data"]
                elif t:
                    seen = text = "no result (%s)" % t["outcome"]
                else:
                    seen = text = EINTR_NOT_RUN
                out[e] = {"seen": seen, "text": text, "test": t, "cell": c,
                          "behaviour": eintr_behaviour(seen)}
            ref = out.get(self.ref, {}).get("behaviour")
            for e, x in out.items():
                b = x["behaviour"]
                x["not_page"] = b is not None and b != row["page"]
                x["not_ref"] = e != self.ref and b is not None and ref is not None and b != ref
                cnt = self.counts[e]
                if b is None:
                    cnt["no result" if x["seen"].startswith("no result") else x["seen"]] += 1
                else:
                    cnt["not_page" if x["not_page"] else "page"] += 1
                    cnt["not_ref"] += x["not_ref"]
            self.rows[row["table"] if row["table"] in self.rows else "handler"].append((row, out))

    def __bool__(self):
        return bool(self.rows["handler"] or self.rows["stop"])

    def marks(self, x):
        m = (["≠ page"] if x["not_page"] else []) + (["≠ " + self.ref] if x["not_ref"] else [])
        return m

    def css(self, x):
        if x["seen"] == EINTR_NOT_RUN:
            return "notrun"
        if x["seen"].startswith("no result"):
            return CELL_CLASS.get(x["test"]["outcome"], "fail")
        if x["behaviour"] is None:
            return "skip"
        return "fail" if x["not_ref"] else "xfail" if x["not_page"] else "pass"

    def tables(self):
        """(title, whether it has a SA_RESTART column, rows) of each table
        that has rows: the handler table, then the stop-signal table."""
        return [(t, how, self.rows[k]) for k, t, how in (
            ("handler", "Interrupted by a signal handler", True),
            ("stop", "Stopped and continued (SIGSTOP, SIGCONT), no handler", False))
            if self.rows[k]]

    def count_labels(self):
        """(key, title) of the counts; no "differs from" with one column."""
        return [(k, t % self.ref if "%s" in t else t) for k, t in EINTR_COUNTS
                if self.ref or k != "not_ref"]

    def intro(self):
        ref = ('"≠ %s": it differs from %s\'s. ' % (self.ref, self.ref)) if self.ref else ""
        return EINTR_INTRO % ref


EINTR_INTRO = (
    "man 7 signal, \"Interruption of system calls and library functions by signal handlers\" "
    "(a handler, with and without SA_RESTART) and \"... by stop signals\" (SIGSTOP, then "
    "SIGCONT, no handler): what each environment did (faults/eintr/eintr_test.cc). "
    "\"≠ page\": the behaviour differs from what the page says. %s"
    "*not reproducible*: the call cannot be made to block there; "
    "*unverified*: no /proc/PID/syscall to see that the child slept in the call again; "
    "*no result*: the test ran and stopped before the call was interrupted (its verdict in "
    "parentheses: the call unsupported, the harness broken); *not run*: no eintr_test result "
    "for the row in that environment. The verdicts are in the sections above "
    "(containers/divergences/ lists the expected differences).")


def closing_lines(s):
    return ("ipcspec: %d xfail, %d xpass, %d broken, %d n/a, %d flaky-entries"
            % (s["xfail"], s["xpass"], s["broken"], s["n/a"], s["flaky_entries"]),
            "ipcspec: %d passed, %d failed, %d skipped" % (s["passed"], s["failed"], s["skipped"]))


def short(t):
    """One cell's text."""
    if t is None:
        return "not run"
    o = t["outcome"]
    e = t.get("entry") or {}
    if o == "pass":
        return "pass"
    if o == "fail":
        sig = (" [%s]" % ", ".join(t["signature_seen"])) if t.get("signature_seen") else ""
        return "**FAIL**%s: %s" % (sig, t.get("reason") or headline(t.get("message")) or "failed")
    if o == "xfail":
        return "xfail (%s%s): %s [%s]" % (e.get("class", "?"),
                                        ", flaky" if str(e.get("expect", "")).startswith("flaky") else "",
                                        e.get("reason", ""), e.get("origin", ""))
    if o == "xpass":
        return "**XPASS** (stale entry %s)" % e.get("origin", "?")
    if o == "skip":
        return ("**skip (undeclared)**: %s" % t.get("reason")) if t.get("need") == "undeclared" \
            else "skip (%s)%s" % (t.get("need"), ": " + t["reason"] if t.get("reason") else "")
    if o == "n/a":
        return "n/a" + (": " + t["reason"] if t.get("reason") else "")
    if o == "broken":
        return "**BROKEN**: " + (t.get("reason") or headline(t.get("message")))
    return o


def md_escape(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def _where(v, t):
    c = v.cite_of(t)
    return t.get("group", "") + ("; " + ", ".join(c) if c else "")


def _test_line(v, t, text):
    return "- `%s` on **%s** (%s): %s" % (t["test"], t["env"], _where(v, t), md_escape(text))


def _totals(v):
    rows = []
    for o in ("pass", "fail", "xfail", "xpass", "skip", "n/a", "broken"):
        rows.append((o, [sum(1 for t in v.doc["tests"] if t["env"] == e and t["outcome"] == o)
                         for e in v.envs]))
    rows.append(("stale entries", [sum(1 for x in v.stale if x["env"] == e) for e in v.envs]))
    return rows


def _flaky_counts(e):
    c = e.get("covered") or {}
    return "this run: %d failed as expected, %d passed" % (c.get("xfail", 0), c.get("pass", 0))


def _repro_md(v, t):
    r = v.reproducer_of(t)
    if not r:
        return ""
    if r.startswith("missing:"):
        return " [reproducer %s]" % r
    run = v.repro_runs.get(r, {}).get(t["env"])
    seen = ""
    if run:
        lines = [l for l in (run.get("message") or "").splitlines()[1:] if l.strip()]
        seen = "; here: %s%s" % (run["outcome"], (", " + lines[0]) if lines else "")
    return " [reproducer: [`containers/probes/%s.c`](#reproducer-%s)%s]" % (r, r, seen)


def write_md(v, path):
    L = ["# ipcspec results", ""]
    if v.doc.get("ignore_tables"):
        L += ["**Tables ignored** (`--ignore-tables`): the raw behaviour; every expected "
              "failure is a failure.", ""]
    L += ["| environment | " + " | ".join(t for _k, t in META_COLS) + " | binaries |",
          "|---|" + "---|" * (len(META_COLS) + 1)]
    for n in v.envs:
        e = v.env[n]
        vals = []
        for k, _t in META_COLS:
            vals.append(md_escape(e.get(k) or e.get("meta", {}).get(k, "")))
            if k == "status" and e.get("meta", {}).get("console_log"):
                vals[-1] += " ([console log](%s))" % e["meta"]["console_log"]
        L.append("| **%s** | %s | %d (%d with records) |" % (
            n, " | ".join(vals), e["binaries"], e["binaries_with_records"]))
    L += ["", "| outcome | " + " | ".join(v.envs) + " |", "|---|" + "---|" * len(v.envs)]
    for o, counts in _totals(v):
        L.append("| %s | %s |" % (o, " | ".join(str(c) for c in counts)))
    L += [""] + list(closing_lines(v.s)) + [""]

    L += ["## Findings: %d" % (len(v.findings_new) + len(v.findings_recorded)), ""]
    if v.findings_new:
        L += ["### Failures no table entry explains: %d" % len(v.findings_new), ""]
        for t in v.findings_new:
            sig = (" [seen: %s]" % ", ".join(t["signature_seen"])) if t.get("signature_seen") else ""
            L.append(_test_line(v, t, (t.get("reason") or headline(t.get("message"))) + sig))
        L.append("")
    if v.findings_recorded:
        L += ["### Recorded findings (expected failures whose entry has class `finding`): %d"
              % len(v.findings_recorded), ""]
        for t in v.findings_recorded:
            e = t["entry"]
            L.append(_test_line(v, t, "%s [%s; %s; source: %s]" % (
                e.get("reason", ""), e.get("origin", ""), e.get("expect", ""), e.get("source", ""))
                + _repro_md(v, t)))
        L.append("")
    if not v.findings_new and not v.findings_recorded:
        L += ["None.", ""]
    if v.repro_runs:
        L += ["## Reproducers of the recorded findings", "",
              "Standalone programs (`containers/probes/NAME.c`, `cc -o NAME NAME.c`): exit 1 "
              "where the finding shows, 0 where the behaviour is as documented "
              "(`containers/probes/reproducers.tsv`); their output in each environment:", ""]
        for name, by_env in v.repro_runs.items():
            L += ['### <a id="reproducer-%s"></a>`%s`' % (name, name), "",
                  "[containers/probes/%s.c](containers/probes/%s.c)" % (name, name), ""]
            for env in v.envs:
                t = by_env.get(env)
                if t:
                    L += ["%s, %s:" % (env, t["outcome"]), "", "```",
                          (t.get("message") or "").rstrip(), "```", ""]

    bad = v.xpass or v.broken or v.undeclared or v.stale or v.s["unfinished_environments"]
    if bad:
        L += ["## Also failing the run", ""]
        for t in v.xpass:
            L.append(_test_line(v, t, "unexpected pass: " + t.get("reason", "")))
        for t in v.broken:
            L.append(_test_line(v, t, "broken (could not set up): " + (t.get("reason") or "")))
        for t in v.undeclared:
            L.append(_test_line(v, t, "undeclared skip: " + (t.get("reason") or "")))
        for e in v.stale:
            L.append("- stale entry `%s` on **%s**: `%s` kind `%s` (%s) matched no test: %s"
                     % (e["origin"], e["env"], e["test"], e["kind"], e["expect"], md_escape(e["reason"])))
        for n in v.s["unfinished_environments"]:
            L.append("- environment **%s**: %s" % (n, md_escape(v.env[n]["status"])))
        L.append("")

    L += ["## Documented divergences: %d" % len(v.documented), ""]
    for t in v.documented:
        e = t["entry"]
        L.append(_test_line(v, t, "%s [%s; source: %s]" % (
            e.get("reason", ""), e.get("origin", ""), e.get("source", ""))))
    L.append("")

    L += ["## Flaky entries: %d" % len(v.flaky), ""]
    for e in v.flaky:
        L.append("- `%s` on **%s**: `%s` kind `%s`, observed %s (%s); %s: %s" % (
            e["origin"], e["env"], e["test"], e["kind"], e["expect"][len("flaky"):],
            md_escape(e["source"]), _flaky_counts(e), md_escape(e["reason"])))
    L.append("")

    L += ["## Skips by need: %d" % sum(len(x) for x in v.skips.values()), ""]
    for need, ts in v.skips.items():
        L.append("### %s: %d%s" % (need, len(ts), " (undeclared: fails the run)"
                                   if need == "undeclared" else ""))
        L.append("")
        for t in ts:
            L.append(_test_line(v, t, t.get("reason") or ""))
        L.append("")

    L += ["## Degraded modes", ""]
    anyd = False
    for n in v.envs:
        for d in v.env[n]["degraded"]:
            anyd = True
            L.append("- **%s**: %s (%d binaries)" % (n, md_escape(d["mode"]), d["binaries"]))
        if not v.env[n]["complete"] and v.env[n]["incomplete"]:
            L.append("- **%s**: incomplete run, stale entries not judged: %s" % (
                n, md_escape("; ".join(v.env[n]["incomplete"][:5]))))
    if not anyd:
        L.append("No degraded mode reported.")
    L.append("")

    L += ["## Stale entries: %d" % len(v.stale), ""]
    for e in v.stale:
        L.append("- `%s` on **%s**: `%s` kind `%s` %s `%s`: %s" % (
            e["origin"], e["env"], e["test"], e["kind"], e["expect"], e["signature"],
            md_escape(e["reason"])))
    L.append("")

    if v.eintr:
        L += _eintr_md(v.eintr)
    L.append("## All behaviours, by mechanism")
    group = None
    for k, cells in v.rows.items():
        g, test = k
        if g != group:
            group = g
            head = "### " + g
            if v.group_cite.get(g):
                head += " (" + ", ".join(v.group_cite[g]) + ")"
            L += ["", head, "", "| test | man page | " + " | ".join(v.envs) + " |",
                  "|---|---|" + "---|" * len(v.envs)]
        L.append("| `%s` | %s | %s |" % (md_escape(test), md_escape(", ".join(v.cites.get(k, []))),
                                        " | ".join(md_escape(short(cells.get(e))) for e in v.envs)))
    L.append("")
    _write(path, "\n".join(L))


def _eintr_md(x):
    L = ["## EINTR table per environment", "", md_escape(x.intro()), "",
         "| environment | " + " | ".join(t for _k, t in x.count_labels()) + " |",
         "|---|" + "---|" * len(x.count_labels())]
    for e in x.envs:
        L.append("| **%s** | %s |" % (e, " | ".join(str(x.counts[e][k]) for k, _t in x.count_labels())))
    L.append("")
    for title, how, rows in x.tables():
        L += ["### " + title, "", "| call | %sman 7 signal | table expects | %s |"
              % ("SA_RESTART | " if how else "", " | ".join(x.envs)),
              "|---|" + ("---|" if how else "") + "---|---|" + "---|" * len(x.envs)]
        notes = []
        for row, out in rows:
            cells = []
            for e in x.envs:
                c = out[e]
                m = x.marks(c)
                cells.append(("**%s** (%s)" % (md_escape(c["text"]), ", ".join(m))) if m
                             else md_escape(c["text"]))
            L.append("| %s | %s%s | %s | %s |" % (
                md_escape(row["call"]),
                (md_escape(row["how"].replace(" SA_RESTART", "")) + " | ") if how else "",
                md_escape(row["page"]), md_escape(row["expected"]), " | ".join(cells)))
            if row.get("note") and row["call"] not in (n[0] for n in notes):
                notes.append((row["call"], row["note"]))
        if notes:
            L += ["", "Notes:"] + ["- %s: %s" % (md_escape(c), md_escape(n)) for c, n in notes]
        L.append("")
    return L


CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:110em}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #bbb;padding:3px 7px;vertical-align:top;font-size:13px}
th{background:#eee;text-align:left;position:sticky;top:0}
td.name{font-family:monospace;min-width:22em;max-width:34em;overflow-wrap:anywhere}
td.cite{font-size:12px;color:#444;max-width:14em}
td.pass{background:#d9f2d9}td.fail{background:#f7c6c6}td.skip{background:#eeeeee;color:#555}
td.xfail{background:#fbe7b5}td.na{background:#f6f6f6;color:#888}td.notrun{background:#fff;color:#999}
td.pass,td.fail,td.skip,td.xfail,td.na,td.notrun{width:14em;min-width:8em;max-width:22em;overflow-wrap:anywhere}
summary{cursor:pointer}
details pre{white-space:pre-wrap;max-width:60em;font-size:12px}
h2{border-bottom:2px solid #ccc}
.count{font-weight:normal;color:#666}
.closing{font-family:monospace;background:#f4f4f4;padding:.5em}
"""


def html_cell(t):
    esc = html.escape
    cls = CELL_CLASS.get(t["outcome"] if t else None, "notrun")
    if t is None:
        return '<td class="notrun">not run</td>'
    o = t["outcome"]
    if o == "pass":
        return '<td class="pass">pass</td>'
    text = short(t).replace("**", "")
    body = t.get("message") or ""
    e = t.get("entry") or {}
    if e:
        body = "entry %s: %s %s %s\nsource: %s\n\n%s" % (
            e.get("origin", ""), e.get("class", ""), e.get("expect", ""), e.get("signature", ""),
            e.get("source", ""), body)
    if t.get("unmatched_entries"):
        body = "matches no signature of: %s\n\n%s" % (", ".join(t["unmatched_entries"]), body)
    if not body.strip():
        return '<td class="%s">%s</td>' % (cls, esc(text))
    return ('<td class="%s"><details><summary>%s</summary><pre>%s</pre></details></td>'
            % (cls, esc(text[:160]), esc(body)))


def _eintr_html(x):
    esc = html.escape
    p = ["<h2>EINTR table per environment</h2>",
         "<p>%s</p>" % esc(x.intro().replace("*", "")),
         "<table><tr><th>environment</th>%s</tr>"
         % "".join("<th>%s</th>" % esc(t) for _k, t in x.count_labels())]
    for e in x.envs:
        p.append("<tr><td><b>%s</b></td>%s</tr>" % (
            esc(e), "".join("<td>%d</td>" % x.counts[e][k] for k, _t in x.count_labels())))
    p.append("</table>")
    for title, how, rows in x.tables():
        p.append("<h3>%s</h3><table><tr><th>call</th>%s<th>man 7 signal</th><th>table expects</th>%s</tr>"
                 % (esc(title), "<th>SA_RESTART</th>" if how else "",
                    "".join("<th>%s</th>" % esc(e) for e in x.envs)))
        for row, out in rows:
            name = esc(row["call"])
            if row.get("note") or row.get("sentence"):
                name = "<details><summary>%s</summary><pre>%s</pre></details>" % (name, esc(
                    "\n\n".join(s for s in (row.get("sentence"), row.get("note")) if s)))
            cells = []
            for e in x.envs:
                c = out[e]
                text = c["text"] + "".join(" [%s]" % m for m in x.marks(c))
                t = c["test"]
                body = []
                if t:
                    body.append("%s: %s" % (t["test"], short(t).replace("**", "")))
                detail = (c["cell"] or {}).get("detail")
                if detail and not any(detail in b for b in body):
                    body.append(detail)
                inner = esc(text) if not body else "<details><summary>%s</summary><pre>%s</pre></details>" % (
                    esc(text), esc("\n\n".join(body)))
                cells.append('<td class="%s">%s</td>' % (x.css(c), inner))
            p.append('<tr><td class="name">%s</td>%s<td>%s</td><td>%s</td>%s</tr>' % (
                name, "<td>%s</td>" % esc(row["how"].replace(" SA_RESTART", "")) if how else "",
                esc(row["page"]), esc(row["expected"]), "".join(cells)))
        p.append("</table>")
    return p


def write_html(v, path):
    esc = html.escape
    p = ['<!DOCTYPE html><html><head><meta charset="utf-8">',
         "<title>ipcspec results</title><style>%s</style></head><body>" % CSS,
         "<h1>ipcspec results</h1>"]
    if v.doc.get("ignore_tables"):
        p.append("<p><b>Tables ignored</b>: the raw behaviour.</p>")
    p.append('<pre class="closing">%s</pre>' % esc("\n".join(closing_lines(v.s))))
    p.append("<table><tr><th>environment</th>%s<th>binaries</th></tr>"
             % "".join("<th>%s</th>" % esc(t) for _k, t in META_COLS))
    for n in v.envs:
        e = v.env[n]
        cells = []
        for k, _t in META_COLS:
            val = e.get(k) or e.get("meta", {}).get(k, "")
            bad = k == "status" and val not in ("", "finished")
            link = e.get("meta", {}).get("console_log") if k == "status" else ""
            cells.append('<td%s>%s%s</td>' % (' class="fail"' if bad else "", esc(str(val)),
                                              ' (<a href="%s">console log</a>)' % esc(link)
                                              if link else ""))
        p.append("<tr><td><b>%s</b></td>%s<td>%d (%d with records)</td></tr>"
                 % (esc(n), "".join(cells), e["binaries"], e["binaries_with_records"]))
    p.append("</table><table><tr><th>outcome</th>%s</tr>"
             % "".join("<th>%s</th>" % esc(e) for e in v.envs))
    for o, counts in _totals(v):
        p.append('<tr><td class="%s">%s</td>%s</tr>' % (
            CELL_CLASS.get(o, "fail"), esc(o), "".join("<td>%d</td>" % c for c in counts)))
    p.append("</table>")

    def repro_cell(t):
        r = v.reproducer_of(t)
        if not r:
            return "<td></td>"
        if r.startswith("missing:"):
            return '<td class="notrun">%s</td>' % esc(r)
        run = v.repro_runs.get(r, {}).get(t["env"])
        link = '<a href="containers/probes/%s.c">%s.c</a>' % (esc(r), esc(r))
        if not run:
            return "<td>%s</td>" % link
        return ('<td class="%s">%s<details><summary>%s here</summary><pre>%s</pre></details></td>'
                % (CELL_CLASS.get(run["outcome"], "fail"), link, esc(run["outcome"]),
                   esc(run.get("message") or "")))

    def tests_table(title, ts, note=None, repro=False):
        p.append('<h3>%s <span class="count">(%d)</span></h3>' % (esc(title), len(ts)))
        if not ts:
            return
        p.append("<table><tr><th>test</th><th>environment</th><th>man page</th><th>result</th>%s</tr>"
                 % ("<th>reproducer</th>" if repro else ""))
        for t in ts:
            p.append('<tr><td class="name">%s<br><small>%s</small></td><td>%s</td>'
                     '<td class="cite">%s</td>%s%s</tr>' % (
                         esc(t["test"]), esc(t.get("group", "")), esc(t["env"]),
                         esc(", ".join(v.cite_of(t))), html_cell(t),
                         repro_cell(t) if repro else ""))
        p.append("</table>")

    p.append("<h2>Findings</h2>")
    tests_table("Failures no table entry explains", v.findings_new)
    tests_table("Recorded findings (expected failures whose entry has class finding)",
                v.findings_recorded, repro=True)
    p.append("<h2>Also failing the run</h2>")
    tests_table("Unexpected passes (stale entries)", v.xpass)
    tests_table("Broken (could not set up)", v.broken)
    tests_table("Undeclared skips", v.undeclared)

    def entries_table(title, es, extra):
        p.append('<h3>%s <span class="count">(%d)</span></h3>' % (esc(title), len(es)))
        if not es:
            return
        p.append("<table><tr><th>entry</th><th>environment</th><th>test</th><th>kind</th>"
                 "<th>expect</th><th>signature</th><th>reason</th><th>source</th><th>%s</th></tr>"
                 % esc(extra[0]))
        for e in es:
            p.append("<tr>%s</tr>" % "".join("<td>%s</td>" % esc(str(x)) for x in (
                e["origin"], e["env"], e["test"], e["kind"], e["expect"], e["signature"],
                e["reason"], e["source"], extra[1](e))))
        p.append("</table>")

    entries_table("Stale entries (matched no test)", v.stale, ("class", lambda e: e["class"]))
    if v.s["unfinished_environments"]:
        p.append("<p>Unfinished environments: %s</p>" % esc(", ".join(
            "%s (%s)" % (n, v.env[n]["status"]) for n in v.s["unfinished_environments"])))
    p.append("<h2>Documented divergences</h2>")
    tests_table("Expected failures documented by the environment or library", v.documented)
    p.append("<h2>Flaky entries</h2>")
    entries_table("Intermittent behaviour, with its observed frequency", v.flaky,
                  ("this run", _flaky_counts))
    p.append("<h2>Skips by need</h2>")
    for need, ts in v.skips.items():
        tests_table(need + (" (fails the run)" if need == "undeclared" else ""), ts)
    p.append("<h2>Degraded modes</h2><ul>")
    for n in v.envs:
        for d in v.env[n]["degraded"]:
            p.append("<li><b>%s</b>: %s (%d binaries)</li>" % (esc(n), esc(d["mode"]), d["binaries"]))
        if not v.env[n]["complete"] and v.env[n]["incomplete"]:
            p.append("<li><b>%s</b>: incomplete run, stale entries not judged: %s</li>" % (
                esc(n), esc("; ".join(v.env[n]["incomplete"][:5]))))
    p.append("</ul>")
    if v.eintr:
        p += _eintr_html(v.eintr)
    p.append("<h2>All behaviours, by mechanism</h2>")
    head = ("<tr><th>test</th><th>man page</th>" +
            "".join("<th>%s</th>" % esc(e) for e in v.envs) + "</tr>")
    group = None
    for k, cells in v.rows.items():
        g, test = k
        if g != group:
            if group is not None:
                p.append("</table>")
            group = g
            gc = " (%s)" % ", ".join(v.group_cite[g]) if v.group_cite.get(g) else ""
            p.append("<h3>%s%s</h3><table>%s" % (esc(g), esc(gc), head))
        p.append('<tr><td class="name">%s</td><td class="cite">%s</td>%s</tr>' % (
            esc(test), esc(", ".join(v.cites.get(k, []))),
            "".join(html_cell(cells.get(e)) for e in v.envs)))
    if group is not None:
        p.append("</table>")
    p.append("</body></html>\n")
    _write(path, "\n".join(p))


def write_junit(v, path):
    out = ['<?xml version="1.0" encoding="UTF-8"?>']
    s = v.s
    out.append('<testsuites name="ipcspec" tests="%d" failures="%d" skipped="%d">' % (
        s["tests"] + s["stale_entries"], s["failed"], s["skipped"] + s["n/a"]))
    for n in v.envs:
        ts = [t for t in v.doc["tests"] if t["env"] == n]
        stale = [e for e in v.stale if e["env"] == n]
        fails = sum(1 for t in ts if t["outcome"] in ("fail", "xpass", "broken")
                    or (t["outcome"] == "skip" and t.get("need") == "undeclared")) + len(stale)
        skips = sum(1 for t in ts if t["outcome"] in ("skip", "n/a")
                    and t.get("need") != "undeclared")
        out.append('  <testsuite name=%s tests="%d" failures="%d" skipped="%d">' % (
            quoteattr(n), len(ts) + len(stale), fails, skips))
        for t in ts:
            attrs = 'classname=%s name=%s' % (quoteattr(t["binary"]), quoteattr(t["test"]))
            if t.get("duration_ms") is not None:
                attrs += ' time="%.3f"' % (t["duration_ms"] / 1000.0)
            o = t["outcome"]
            if o == "pass":
                out.append("    <testcase %s/>" % attrs)
                continue
            out.append("    <testcase %s>" % attrs)
            msg = short(t).replace("**", "")
            if o in ("fail", "xpass", "broken") or (o == "skip" and t.get("need") == "undeclared"):
                out.append("      <failure message=%s type=%s>%s</failure>" % (
                    quoteattr(msg[:500]), quoteattr(o), xml_escape(t.get("message") or "")))
            elif o in ("skip", "n/a"):
                out.append("      <skipped message=%s/>" % quoteattr(msg[:500]))
            elif o == "xfail":
                out.append("      <system-out>%s</system-out>" % xml_escape(msg))
            out.append("    </testcase>")
        for e in stale:
            out.append('    <testcase classname="table" name=%s>' % quoteattr("stale entry " + e["origin"]))
            out.append("      <failure message=%s type=\"stale\"/>" % quoteattr(
                "entry %s (%s, kind %s) applies and matched no test" % (e["origin"], e["test"], e["kind"])))
            out.append("    </testcase>")
        out.append("  </testsuite>")
    out.append("</testsuites>\n")
    _write(path, "\n".join(out))


def _ktap_desc(s):
    """Text for a KTAP description or diagnostic data: one line, no "#"."""
    return re.sub(r"\s+", " ", re.sub(r"#", " ", str(s or ""))).strip()


def _ktap_test(t, j, pad):
    """The lines of one test's result (diagnostic lines first), and whether
    it fails its parent."""
    o = t["outcome"]
    name = _ktap_desc(t["test"]) or "(unnamed)"
    reason = _ktap_desc(t.get("reason") or headline(t.get("message")))[:200].rstrip()
    if o == "pass":
        return ["%sok %d %s" % (pad, j, name)], False
    if o == "xfail":
        e = t.get("entry") or {}
        return ["%sok %d %s # XFAIL %s" % (pad, j, name, _ktap_desc(
            "%s (%s)" % (e.get("reason", ""), e.get("origin", "")))[:200].rstrip())], False
    if o == "n/a":
        return ["%sok %d %s # SKIP not applicable%s" % (pad, j, name, ": " + reason if reason else "")], False
    if o == "skip" and t.get("need") != "undeclared":
        return ["%sok %d %s # SKIP unmet need: %s%s" % (
            pad, j, name, _ktap_desc(t.get("need")), ": " + reason if reason else "")], False
    # What fails the run: the message as diagnostic lines, then "not ok".
    what = {"fail": "fail", "xpass": "unexpected pass", "broken": "broken",
            "skip": "undeclared skip (fails the run)"}.get(o, o)
    diag = ["%s# %s: %s" % (pad, what, reason)]
    for line in strip_where(t.get("message") or "").splitlines()[:12]:
        if line.strip():
            diag.append("%s#   %s" % (pad, _ktap_desc(line)[:300]))
    if o == "broken":
        directive = " # ERROR " + (reason or "could not set up")
    elif o == "fail" and "hang" in (t.get("signature_seen") or []):
        directive = " # TIMEOUT " + (reason or "deadline")
    else:
        directive = ""
    return diag + ["%snot ok %d %s%s" % (pad, j, name, directive.rstrip())], True


def write_ktap(v, path):
    """KTAP version 1 (the kernel's Documentation/dev-tools/ktap.rst): one
    test per environment, one subtest per test binary, one per test below
    it; two spaces of indentation per level. Expected failures are "ok" with
    XFAIL, declared skips and n/a "ok" with SKIP, a broken test "not ok" with
    ERROR, a hang "not ok" with TIMEOUT; what fails the run is "not ok", its
    message in diagnostic lines before it; stale entries are "not ok" tests
    of their environment."""
    out = ["KTAP version 1", "1..%d" % len(v.envs)]
    for i, n in enumerate(v.envs, 1):
        ts = [t for t in v.doc["tests"] if t["env"] == n]
        binaries = sorted(set(t["binary"] for t in ts))
        stale = [e for e in v.stale if e["env"] == n]
        out += ["  KTAP version 1", "  # Subtest: %s" % _ktap_desc(n),
                "  1..%d" % (len(binaries) + len(stale))]
        status = v.env[n].get("status", "finished")
        ok_env = status == "finished"
        for b, binary in enumerate(binaries, 1):
            mine = [t for t in ts if t["binary"] == binary]
            out += ["    KTAP version 1", "    # Subtest: %s" % _ktap_desc(binary),
                    "    1..%d" % len(mine)]
            ok_bin = True
            for j, t in enumerate(mine, 1):
                lines, bad = _ktap_test(t, j, "    ")
                out += lines
                ok_bin = ok_bin and not bad
            out.append("  %s %d %s" % ("ok" if ok_bin else "not ok", b, _ktap_desc(binary)))
            ok_env = ok_env and ok_bin
        for j, e in enumerate(stale, len(binaries) + 1):
            ok_env = False
            out += ["  # stale entry: %s (kind %s, %s) applies and matched no test" % (
                        _ktap_desc(e["test"]), _ktap_desc(e["kind"]), _ktap_desc(e["expect"])),
                    "  not ok %d stale entry %s" % (j, _ktap_desc(e["origin"]))]
        directive = "" if status == "finished" else " # ERROR " + _ktap_desc(status)
        out.append("%s %d %s%s" % ("ok" if ok_env else "not ok", i, _ktap_desc(n), directive))
    _write(path, "\n".join(out) + "\n")


def _write(path, text):
    if path == "-":
        import sys
        sys.stdout.write(text)
        return
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
