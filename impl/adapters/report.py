#!/usr/bin/env python3
"""The adapters' report: which properties and fault scenarios each external
library passes, fails or skips, and why.

    bazel test //impl/adapters/...
    python3 impl/adapters/report.py [--testlogs DIR] [--out FILE] [LIBRARY ...]

Reads the gtest XML of every //impl/adapters/<library>:<library>_test under
the testlogs directory (default: `bazel info bazel-testlogs`), and writes a
Markdown report (default: standard output): per library, a table with one row
per Interface.Property and one column per Kind. A cell is

    pass        the property holds
    FAIL        a finding: not in the library's divergences.tsv
    divergence  a known divergence (the reason and source follow the table)
    skip        the property does not apply (the reason follows the table)

Exit status: 0, or 1 when a library has a finding, 2 on bad input.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

SUITE_TO_INTERFACE = {
    "StreamSuite": "ByteStream", "StreamFaults": "ByteStream",
    "MessageQueueSuite": "MessageQueue", "QueueFaults": "MessageQueue",
    "SharedRegionSuite": "SharedRegion", "SemaphoreSuite": "Semaphore",
    "SemaphoreFaults": "Semaphore", "LockSuite": "Lock", "CounterSuite": "Counter",
    "SignalQueueSuite": "SignalQueue", "DatagramSuite": "Datagram", "RpcSuite": "Rpc",
}


def die(msg):
    print(f"adapters report: ERROR: {msg}", file=sys.stderr)
    sys.exit(2)


def first_line(text):
    for line in (text or "").splitlines():
        line = line.strip()
        if line and not re.match(r"^[\w/.-]+\.(cc|h):\d+$", line):
            return line
    return ""


def read_results(xml_path):
    """Yields (interface, property, scenario?, kind, status, detail)."""
    try:
        root = ET.parse(xml_path).getroot()
    except (ET.ParseError, OSError) as e:
        die(f"cannot read {xml_path}: {e}")
    for case in root.iter("testcase"):
        cls, name = case.get("classname", ""), case.get("name", "")
        if not cls.startswith("Kinds/") or "/" not in name:
            continue
        suite = cls.split("/", 1)[1]
        prop, kind = name.split("/", 1)
        interface = SUITE_TO_INTERFACE.get(suite, suite)
        scenario = suite.endswith("Faults")
        failure = case.find("failure")
        skipped = case.find("skipped")
        if failure is not None:
            status, detail = "FAIL", failure.get("message") or failure.text or ""
        elif skipped is not None or case.get("result") == "skipped":
            text = skipped.get("message", "") if skipped is not None else ""
            body = "\n".join(l for l in text.splitlines()
                             if not re.match(r"^[\w/.-]+\.(cc|h):\d+$", l.strip()))
            if body.strip().startswith("known divergence:"):
                status, detail = "divergence", body.strip()[len("known divergence:"):].strip()
            else:
                status, detail = "skip", body.strip()
        else:
            status, detail = "pass", ""
        yield interface, prop, scenario, kind, status, detail


def report_library(lib, results, out):
    kinds = sorted({r[3] for r in results})
    rows = collections.OrderedDict()
    for interface, prop, scenario, kind, status, detail in sorted(results):
        rows.setdefault((interface, prop, scenario), {})[kind] = (status, detail)
    counts = collections.Counter(r[4] for r in results)
    out.write(f"## {lib}\n\n")
    out.write(", ".join(f"{counts[s]} {s}" for s in ("pass", "FAIL", "divergence", "skip")) + "\n\n")
    notes = []
    out.write("| property | " + " | ".join(f"`{k}`" for k in kinds) + " |\n")
    out.write("|---|" + "---|" * len(kinds) + "\n")
    for (interface, prop, scenario), cells in rows.items():
        label = f"{interface}.{prop}" + (" (fault scenario)" if scenario else "")
        line = []
        for k in kinds:
            if k not in cells:
                line.append("")
                continue
            status, detail = cells[k]
            if status in ("pass",):
                line.append("pass")
                continue
            notes.append((status, f"{interface}.{prop}", k, detail))
            line.append(f"{'**FAIL**' if status == 'FAIL' else status} [{len(notes)}]")
        out.write(f"| {label} | " + " | ".join(line) + " |\n")
    if notes:
        out.write("\n")
        for i, (status, test, kind, detail) in enumerate(notes, 1):
            summary = first_line(detail) if status != "divergence" else detail.splitlines()[0]
            out.write(f"{i}. {status}: `{test}` on `{kind}`: {summary}\n")
    out.write("\n")
    return counts["FAIL"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--testlogs")
    ap.add_argument("--out")
    ap.add_argument("libraries", nargs="*")
    a = ap.parse_args()
    testlogs = a.testlogs
    if not testlogs:
        try:
            testlogs = subprocess.run(["bazel", "info", "bazel-testlogs"], capture_output=True,
                                      text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as e:
            die(f"no --testlogs given and `bazel info bazel-testlogs` failed: {e}")
    base = os.path.join(testlogs, "impl", "adapters")
    if not os.path.isdir(base):
        die(f"no adapter results under {base}: run `bazel test //impl/adapters/...` first")
    libs = sorted(d for d in os.listdir(base)
                  if os.path.isfile(os.path.join(base, d, f"{d}_test", "test.xml")))
    if a.libraries:
        unknown = [l for l in a.libraries if l not in libs]
        if unknown:
            die(f"no results for {', '.join(unknown)} (have: {', '.join(libs) or 'none'})")
        libs = a.libraries
    if not libs:
        die(f"no <library>_test/test.xml under {base}")
    out = open(a.out, "w") if a.out else sys.stdout
    out.write("# ipcspec: external IPC libraries\n\n")
    out.write("Each property and fault scenario of ipcspec's interfaces, against each library's "
              "Kinds. pass: holds; **FAIL**: a finding (not in the library's divergences.tsv); "
              "divergence: documented by the library (reason and source below); skip: does not "
              "apply (reason below).\n\n")
    findings = sum(report_library(lib, list(read_results(
        os.path.join(base, lib, f"{lib}_test", "test.xml"))), out) for lib in libs)
    if a.out:
        out.close()
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
