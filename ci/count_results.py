#!/usr/bin/env python3
"""Counts test cases in Bazel's JUnit XML: prints "PASSED FAILED"."""
import pathlib
import sys
import xml.etree.ElementTree as ET

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "bazel-testlogs")
passed = failed = 0
for xml in root.rglob("test.xml"):
    try:
        tree = ET.parse(xml)
    except ET.ParseError:
        failed += 1
        continue
    cases = list(tree.iter("testcase"))
    if not cases:  # a non-gtest test (sh_test): one case, judged by the suite
        suites = list(tree.iter("testsuite"))
        bad = any(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
        failed += bad
        passed += not bad
        continue
    for c in cases:
        if c.find("failure") is not None or c.find("error") is not None:
            failed += 1
        elif c.get("result") == "suppressed" or c.find("skipped") is not None:
            continue
        else:
            passed += 1
print(passed, failed)
