"""--filter: one gtest filter for every environment.

The filter reaches every binary as GTEST_FILTER (host, runsc do, podman's
-e, the initramfs's exports). A binary none of whose tests the filter
selects is not run at all: its tests are listed in ENV/not_run.txt (not
selected, so no table entry is judged stale for them).
"""

import fnmatch
import re

from .common import Usage

# gtest's patterns: test names with '*' and '?', separated by ':', the
# negative ones after a '-'.
_OK = re.compile(r"^[A-Za-z0-9_./*?:-]+$")


def check(filt):
    """Raises Usage on a filter that is not gtest's syntax."""
    if not filt or not _OK.match(filt):
        raise Usage("--filter wants gtest's syntax, POSITIVE[:POSITIVE...][-NEGATIVE[:NEGATIVE...]] "
                    "of test names with * and ? (e.g. 'Pipe*:Fifo*-*Slow*'), got '%s'" % filt)
    pos, _, neg = filt.partition("-")
    if "-" in neg:
        raise Usage("--filter: one '-' at most (it starts the negative patterns), got '%s'" % filt)
    if not [p for p in pos.split(":") if p] and not [n for n in neg.split(":") if n]:
        raise Usage("--filter has no pattern: '%s'" % filt)


def selects(filt, test):
    """Whether gtest runs TEST (Suite.Name) under FILT."""
    pos, _, neg = filt.partition("-")
    pats = [p for p in pos.split(":") if p] or ["*"]
    if not any(fnmatch.fnmatchcase(test, p) for p in pats):
        return False
    return not any(fnmatch.fnmatchcase(test, n) for n in neg.split(":") if n)


def split(filt, tests_of):
    """(binaries that run, tests left out): TESTS_OF maps a binary to its
    tests; a binary with no selected test does not run."""
    keep, left_out = [], []
    for b, tests in tests_of.items():
        if any(selects(filt, t) for t in tests):
            keep.append(b)
        else:
            left_out += tests
    return keep, left_out
