#!/usr/bin/env python3
"""Side-by-side report of one test suite run in several environments.

    report.py RESULTS_DIR [--divergences DIR] [--md FILE] [--html FILE]
              [--source-root DIR]

RESULTS_DIR holds one directory per environment (host, gvisor, linux-6.1,
...), each with gtest JUnit XML files anywhere below it: Bazel's test.xml or
files written by --gtest_output=xml:FILE. An optional RESULTS_DIR/<env>/env.tsv
(key<TAB>value lines, written by ci/matrix.sh) describes the run: wall time,
kernel, boot time, whether the environment was killed at its deadline.

Rows are test cases (behaviours), grouped by the suite directory of the test's
source file (its mechanism); columns are environments. Each row cites the man
pages its test cites: the "man N page" references in the test's comment and
body, or in the property registration that names it, found in the sources
under --source-root (default: the repository this script is in); a group is
headed by the man page its tests cite most. A cell is one of

    pass | fail (with the message) | skip (with the reason) |
    known divergence (a fail or skip matched by DIR/<env>.tsv) | not run

DIR/<env>.tsv (default: containers/divergences next to this script) has lines
    test-name-pattern <TAB> reason <TAB> source
where the pattern is an fnmatch pattern over "Suite.Test" (gtest's classname
and name, e.g. "Kinds/StreamSuite.ConcurrentWritersAreAtomic/*"). Every entry
must cite its source (a man page, a kernel commit, a gVisor issue ...); an
entry without one is an error. Lines starting with # and blank lines are
ignored.

The summary at the top lists every behaviour whose result differs between
environments: findings first (failures no divergence table explains), then
known divergences, then the rest (skipped or not run in some environment).
Exit status: 0 when the report was written (findings do not change it; the
caller decides), 2 on bad input.
"""

import argparse
import fnmatch
import html
import os
import re
import sys
from collections import Counter
import xml.etree.ElementTree as ET

PASS, FAIL, SKIP, DIVERGENCE, NOTRUN = "pass", "fail", "skip", "divergence", "not run"


class Cell:
    def __init__(self, status, text=""):
        self.status = status  # PASS, FAIL or SKIP as read; DIVERGENCE after matching
        self.text = text      # failure message or skip reason
        self.reason = ""      # divergence reason
        self.source = ""      # divergence source


def die(msg):
    print("report.py: error: " + msg, file=sys.stderr)
    sys.exit(2)


def group_of(file_attr, classname):
    """The mechanism a test belongs to: the directory of its source file."""
    if file_attr:
        d = os.path.dirname(file_attr.lstrip("./"))
        if d:
            return d
    return classname.split("/")[-1] or "(unknown)"


def read_env(env_dir, where):
    """Returns {(group, "Suite.Test"): Cell} for every testcase below env_dir;
    where[(group, "Suite.Test")] = (file, classname, name)."""
    cells = {}
    for root, _dirs, files in os.walk(env_dir):
        for f in sorted(files):
            if not f.endswith(".xml"):
                continue
            path = os.path.join(root, f)
            try:
                tree = ET.parse(path)
            except ET.ParseError as e:
                # A truncated file is itself a result: the binary died mid-write.
                key = ("(unreadable results)", os.path.relpath(path, env_dir))
                cells[key] = Cell(FAIL, "cannot parse %s: %s" % (path, e))
                continue
            for tc in tree.iter("testcase"):
                classname = tc.get("classname", "")
                name = tc.get("name", "")
                full = "%s.%s" % (classname, name) if classname else name
                key = (group_of(tc.get("file", ""), classname), full)
                where.setdefault(key, (tc.get("file", ""), classname, name))
                failures = [x for x in tc if x.tag in ("failure", "error")]
                skipped = [x for x in tc if x.tag == "skipped"]
                if failures:
                    msg = "\n\n".join((x.text or x.get("message") or "").strip()
                                      for x in failures)
                    cell = Cell(FAIL, msg or "failed (no message)")
                elif skipped or tc.get("result") == "skipped":
                    reason = ""
                    if skipped:
                        reason = skipped[0].get("message") or skipped[0].text or ""
                    cell = Cell(SKIP, skip_reason(reason))
                elif tc.get("status") == "notrun":
                    cell = Cell(SKIP, "disabled")
                else:
                    cell = Cell(PASS)
                old = cells.get(key)
                # The same test run several times (runs_per_test): worst result wins.
                if old is None or rank(cell.status) > rank(old.status):
                    cells[key] = cell
    return cells


def skip_reason(msg):
    """gtest prefixes the reason with the file:line of GTEST_SKIP; drop it."""
    lines = [l for l in msg.strip().splitlines() if l.strip()]
    if len(lines) > 1 and ":" in lines[0] and lines[0].rsplit(":", 1)[1].isdigit():
        lines = lines[1:]
    return " ".join(lines) or "skipped"


def rank(status):
    return {PASS: 0, SKIP: 1, FAIL: 2}.get(status, 0)


def read_divergences(path):
    entries = []
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3 or not all(p.strip() for p in parts):
                die("%s:%d: want 'pattern<TAB>reason<TAB>source', every field "
                    "non-empty (every divergence cites a source)" % (path, n))
            entries.append(tuple(p.strip() for p in parts))
    return entries


def divergences_of(div_dir, env):
    """DIR/<env>.tsv, and for a variant "<base>-<how>" (gvisor-podman) also
    DIR/<base>.tsv: the same sandbox run another way shares its divergences."""
    entries = read_divergences(os.path.join(div_dir, env + ".tsv"))
    if "-" in env:
        entries += read_divergences(os.path.join(div_dir, env.split("-")[0] + ".tsv"))
    return entries


def read_meta(env_dir):
    meta = {}
    p = os.path.join(env_dir, "env.tsv")
    if os.path.exists(p):
        with open(p, encoding="utf-8") as fh:
            for line in fh:
                if "\t" in line:
                    k, v = line.rstrip("\n").split("\t", 1)
                    meta[k] = v
    return meta


MAN_RE = re.compile(r"\bman ([1-8][a-z]*) ([A-Za-z_][A-Za-z0-9_.+-]*[A-Za-z0-9_])")
TEST_RE = re.compile(r"^\s*(?:TEST|TEST_P|TEST_F|TYPED_TEST)\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)")


class Citations:
    """Finds the man pages a test cites, from the sources of its directory."""

    def __init__(self, root):
        self.root = root
        self.files = {}  # directory -> [(path, [lines])]

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
                                got.append((f, fh.read().splitlines()))
                        except OSError:
                            pass
            self.files[d] = got
        return self.files[d]

    @staticmethod
    def _collect(lines, lo, hi, out):
        for l in lines[max(lo, 0):min(hi, len(lines))]:
            for m in MAN_RE.finditer(l):
                c = "man %s %s" % (m.group(1), m.group(2))
                if c not in out:
                    out.append(c)

    def of(self, file_attr, classname, name):
        d = os.path.dirname(file_attr.lstrip("./")) if file_attr else ""
        if not d or d.startswith("("):
            return []
        suite = classname.split("/")[-1]
        base = name.split("/")[0]
        out = []
        for _f, lines in self._dir(d):
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
            for _f, lines in self._dir(d) + self._dir(os.path.dirname(d)):
                for i, l in enumerate(lines):
                    if q in l and not l.lstrip().startswith("//"):
                        self._collect(lines, i, i + 6, out)
        return out[:3]


def build(results_dir, div_dir, source_root=None):
    envs = sorted(d for d in os.listdir(results_dir)
                  if os.path.isdir(os.path.join(results_dir, d)))
    # host first: it is the reference the others are read against.
    if "host" in envs:
        envs.remove("host")
        envs.insert(0, "host")
    if not envs:
        die("no environment directories in %s" % results_dir)
    where = {}
    results = {e: read_env(os.path.join(results_dir, e), where) for e in envs}
    meta = {e: read_meta(os.path.join(results_dir, e)) for e in envs}
    for e in envs:
        for pattern, reason, source in divergences_of(div_dir, e):
            for (_g, full), cell in results[e].items():
                if cell.status in (FAIL, SKIP) and fnmatch.fnmatchcase(full, pattern):
                    cell.reason, cell.source = reason, source
                    cell.read_as = cell.status
                    cell.status = DIVERGENCE
    keys = sorted(set(k for e in envs for k in results[e]))
    table = []
    cit = Citations(source_root)
    cites = {}
    for k in keys:
        row = [results[e].get(k, Cell(NOTRUN)) for e in envs]
        table.append((k, row))
        c = cit.of(*where[k])
        if not c:
            # Else the man pages its failure messages cite.
            c = []
            for cell in row:
                Citations._collect(cell.text.splitlines(), 0, 1 << 30, c)
            c = c[:3]
        cites[k] = c
    group_cite = {}
    for g in sorted(set(k[0] for k in keys)):
        n = Counter(c for k in keys if k[0] == g for c in cites[k][:1])
        group_cite[g] = [c for c, _ in n.most_common(2)]
    return envs, table, meta, cites, group_cite


def classify(row):
    """'finding', 'recorded', 'divergence', 'other' or None (all the same).

    'recorded': a failure the divergence table holds as "finding: ..." (an
    environment's behaviour that its documentation does not explain, kept
    in the table with the command that shows it so that CI stays green):
    listed apart from the documented divergences."""
    statuses = [c.status for c in row]
    if FAIL in statuses:
        return "finding"
    if DIVERGENCE in statuses:
        if any(c.status == DIVERGENCE and (c.reason or "").startswith("finding:") for c in row):
            return "recorded"
        return "divergence"
    if len(set(statuses)) > 1:
        return "other"
    return None


def short(cell):
    if cell.status == PASS:
        return "pass"
    if cell.status == FAIL:
        return "**FAIL**: " + headline(cell.text)
    if cell.status == SKIP:
        return "skip: " + cell.text
    if cell.status == DIVERGENCE:
        return "known divergence (%s): %s [%s]" % (cell.read_as, cell.reason, cell.source)
    return "not run"


def headline(text):
    """One line that says what failed: the man page sentence if the message
    cites one, else the first line after gtest's file:line."""
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    for l in lines:
        if l.startswith("man ") or "violates" in l:
            return l[:200]
    if len(lines) > 1 and ":" in lines[0] and lines[0].rsplit(":", 1)[1].isdigit():
        lines = lines[1:]
    return " ".join(lines[:3])[:200] if lines else "failed"


def md_escape(s):
    return s.replace("|", "\\|").replace("\n", " ")


META_COLS = (("status", "status"), ("kernel", "kernel"), ("wall_seconds", "wall s"),
             ("boot_wall_seconds", "boot s"), ("accel", "accel"), ("tier", "tier"))

SECTIONS = (("finding", "Findings (failures no divergence table explains)"),
            ("recorded", "Recorded findings (undocumented behaviour, in the table as \"finding:\")"),
            ("divergence", "Known divergences (documented)"),
            ("other", "Other differences (skipped or not run)"))


def totals(envs, table):
    counts = {}
    for e_i, e in enumerate(envs):
        c = {}
        for _k, row in table:
            c[row[e_i].status] = c.get(row[e_i].status, 0) + 1
        counts[e] = c
    return counts


def summary_detail(envs, row):
    """The cells that are not a pass, and which environments passed."""
    bits = []
    for e, c in zip(envs, row):
        if c.status == DIVERGENCE:
            bits.append("%s: known divergence (%s): %s" % (e, c.read_as, c.reason))
        elif c.status != PASS:
            bits.append("%s: %s" % (e, short(c)))
    passed = [e for e, c in zip(envs, row) if c.status == PASS]
    if passed:
        bits.append("pass: " + ", ".join(passed))
    return "; ".join(bits)


def write_md(envs, table, meta, cites, group_cite, out):
    lines = ["# ipcspec environment matrix", ""]
    lines.append("| environment | " + " | ".join(t for _k, t in META_COLS) + " |")
    lines.append("|---|" + "---|" * len(META_COLS))
    for e in envs:
        lines.append("| **%s** | " % e + " | ".join(
            md_escape(meta[e].get(k, "")) for k, _t in META_COLS) + " |")
    lines.append("")
    counts = totals(envs, table)
    lines.append("| totals | " + " | ".join(envs) + " |")
    lines.append("|---|" + "---|" * len(envs))
    for s in (PASS, FAIL, SKIP, DIVERGENCE, NOTRUN):
        lines.append("| %s | " % s + " | ".join(str(counts[e].get(s, 0)) for e in envs) + " |")
    lines.append("")
    lines.append("## Differences between environments")
    lines.append("")
    any_diff = False
    for kind, title in SECTIONS:
        rows = [(k, r) for k, r in table if classify(r) == kind]
        if not rows:
            continue
        any_diff = True
        lines.append("### %s: %d" % (title, len(rows)))
        lines.append("")
        for k, row in rows:
            g, full = k
            where = g + ("; " + ", ".join(cites[k]) if cites[k] else "")
            lines.append("- `%s` (%s): %s" % (full, where, md_escape(summary_detail(envs, row))))
        lines.append("")
    if not any_diff:
        lines.append("None: every behaviour has the same result in every environment.")
        lines.append("")
    lines.append("## All behaviours, by mechanism")
    group = None
    for k, row in table:
        g, full = k
        if g != group:
            group = g
            head = "### " + g
            if group_cite.get(g):
                head += " (" + ", ".join(group_cite[g]) + ")"
            lines += ["", head, "", "| test | man page | " + " | ".join(envs) + " |",
                      "|---|---|" + "---|" * len(envs)]
        lines.append("| `%s` | %s | " % (md_escape(full), md_escape(", ".join(cites[k]))) +
                     " | ".join(md_escape(short(c)) for c in row) + " |")
    lines.append("")
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))


CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:110em}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #bbb;padding:3px 7px;vertical-align:top;font-size:13px}
th{background:#eee;text-align:left;position:sticky;top:0}
td.name{font-family:monospace;min-width:22em;max-width:34em;overflow-wrap:anywhere}
td.cite{font-size:12px;color:#444;max-width:14em}
td.pass{background:#d9f2d9}td.fail{background:#f7c6c6}td.skip{background:#eeeeee;color:#555}
td.divergence{background:#fbe7b5}td.notrun{background:#fff;color:#999}
td.pass,td.fail,td.skip,td.divergence,td.notrun{width:14em;min-width:8em;max-width:22em;overflow-wrap:anywhere}
summary{cursor:pointer}
details pre{white-space:pre-wrap;max-width:60em;font-size:12px}
h2{border-bottom:2px solid #ccc}
.count{font-weight:normal;color:#666}
"""


def html_cell(c):
    esc = html.escape
    if c.status == PASS:
        return '<td class="pass">pass</td>'
    if c.status == FAIL:
        return ('<td class="fail"><details><summary><b>FAIL</b>: %s</summary><pre>%s</pre>'
                '</details></td>' % (esc(headline(c.text)[:120]), esc(c.text)))
    if c.status == SKIP:
        return '<td class="skip">skip: %s</td>' % esc(c.text)
    if c.status == DIVERGENCE:
        return ('<td class="divergence"><details><summary>known divergence (%s): %s</summary>'
                '<i>source: %s</i><pre>%s</pre></details></td>'
                % (esc(c.read_as), esc(c.reason), esc(c.source), esc(c.text)))
    return '<td class="notrun">not run</td>'


def write_html(envs, table, meta, cites, group_cite, out):
    esc = html.escape
    p = ['<!DOCTYPE html><html><head><meta charset="utf-8">',
         "<title>ipcspec environment matrix</title><style>%s</style></head><body>" % CSS,
         "<h1>ipcspec environment matrix</h1>"]
    p.append("<table><tr><th>environment</th>%s</tr>"
             % "".join("<th>%s</th>" % esc(t) for _k, t in META_COLS))
    for e in envs:
        st = meta[e].get("status", "")
        cls = "" if st in ("", "finished") else ' class="fail"'
        p.append("<tr><td><b>%s</b></td>%s</tr>" % (esc(e), "".join(
            "<td%s>%s</td>" % (cls if k == "status" else "", esc(meta[e].get(k, "")))
            for k, _t in META_COLS)))
    p.append("</table>")
    counts = totals(envs, table)
    p.append("<table><tr><th>totals</th>%s</tr>" % "".join("<th>%s</th>" % esc(e) for e in envs))
    for s in (PASS, FAIL, SKIP, DIVERGENCE, NOTRUN):
        cls = {PASS: "pass", FAIL: "fail", SKIP: "skip", DIVERGENCE: "divergence",
               NOTRUN: "notrun"}[s]
        p.append('<tr><td class="%s">%s</td>%s</tr>' % (cls, esc(s), "".join(
            "<td>%d</td>" % counts[e].get(s, 0) for e in envs)))
    p.append("</table><h2>Differences between environments</h2>")
    head = ("<tr><th>test</th><th>man page</th>" +
            "".join("<th>%s</th>" % esc(e) for e in envs) + "</tr>")
    any_diff = False
    for kind, title in SECTIONS:
        rows = [(k, r) for k, r in table if classify(r) == kind]
        if not rows:
            continue
        any_diff = True
        p.append('<h3>%s <span class="count">(%d)</span></h3><table>%s'
                 % (esc(title), len(rows), head))
        for k, row in rows:
            g, full = k
            p.append('<tr><td class="name">%s<br><small>%s</small></td><td class="cite">%s</td>%s</tr>'
                     % (esc(full), esc(g), esc(", ".join(cites[k])),
                        "".join(html_cell(c) for c in row)))
        p.append("</table>")
    if not any_diff:
        p.append("<p>None: every behaviour has the same result in every environment.</p>")
    p.append("<h2>All behaviours, by mechanism</h2>")
    group = None
    for k, row in table:
        g, full = k
        if g != group:
            if group is not None:
                p.append("</table>")
            group = g
            gc = " (%s)" % ", ".join(group_cite[g]) if group_cite.get(g) else ""
            p.append("<h3>%s%s</h3><table>%s" % (esc(g), esc(gc), head))
        p.append('<tr><td class="name">%s</td><td class="cite">%s</td>%s</tr>'
                 % (esc(full), esc(", ".join(cites[k])), "".join(html_cell(c) for c in row)))
    if group is not None:
        p.append("</table>")
    p.append("</body></html>\n")
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("\n".join(p))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results_dir")
    ap.add_argument("--divergences", default=os.path.join(here, "divergences"))
    ap.add_argument("--source-root", default=os.path.dirname(here))
    ap.add_argument("--md")
    ap.add_argument("--html")
    a = ap.parse_args()
    if not os.path.isdir(a.results_dir):
        die("no such directory: %s" % a.results_dir)
    envs, table, meta, cites, group_cite = build(a.results_dir, a.divergences, a.source_root)
    md = a.md or os.path.join(a.results_dir, "report.md")
    ht = a.html or os.path.join(a.results_dir, "report.html")
    write_md(envs, table, meta, cites, group_cite, md)
    write_html(envs, table, meta, cites, group_cite, ht)
    findings = sum(1 for _k, r in table if classify(r) == "finding")
    print("report.py: %d behaviours, %d environments, %d findings; wrote %s and %s"
          % (len(table), len(envs), findings, md, ht))


if __name__ == "__main__":
    main()
