#!/usr/bin/env python3
"""results.json checked against its own rules: verdict/results.schema.json
(JSON Schema draft 2020-12, validated with Debian's python3-jsonschema, the
package the workflow lint uses). Every form of input the reader takes is
judged and its document validated: the sample matrix, the EINTR matrix, a
killed environment, the two runs of testdata/compare, bazel-testlogs trees
(records, a crash, an adapter's table, the XML fallback), --ignore-tables and
a table of one's own (--divergences). Mutants of a valid document (an
unknown outcome, an xfail without its entry, a skip without its need, a
signature that is not one, a missing count) must be refused, so the schema
is not vacuous.

    python3 verdict/results_schema_test.py    (bazel test //verdict:verdict_test)
"""

import copy
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import verdict  # noqa: E402
from verdict_test import call_main, lay_target  # noqa: E402

DATA = os.path.join(HERE, "testdata")

try:
    import jsonschema
except ImportError as e:   # a declared need of the test, not of the reader
    sys.exit("results_schema_test: %s: apt-get install python3-jsonschema (ci/setup.sh)" % e)

with open(os.path.join(HERE, "results.schema.json")) as _fh:
    SCHEMA = json.load(_fh)


def errors(doc):
    v = jsonschema.Draft202012Validator(SCHEMA)
    return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message) for e in v.iter_errors(doc)]


class Schema(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def doc(self, *args):
        js = os.path.join(self.tmp, "r%d.json" % len(os.listdir(self.tmp)))
        rc, _out, err, doc = call_main(verdict.main, list(args), js)
        self.assertIn(rc, (0, 1), err)
        return doc

    def test_the_schema_is_a_schema(self):
        jsonschema.Draft202012Validator.check_schema(SCHEMA)

    def test_every_form_of_input_gives_a_valid_document(self):
        table = os.path.join(self.tmp, "mine.tsv")
        with open(table, "w") as fh:
            fh.write("PipeIo.Regresses\t*\tdocumented\tfails\terrno:EPIPE\tmine\tmy notes\t*\n"
                     "PipeIo.Nothing\t*\tfinding\tflaky(1/3)\thang\tmine\tobserved: me\tkernel>=6.1\n")
        logs = os.path.join(self.tmp, "testlogs")
        for target, jsonl, xml in (("suites/pipe/pipe_io_test", "good_pipe.jsonl", None),
                                   ("suites/fifo/fifo_test", "bad_outcomes.jsonl", None),
                                   ("suites/posix_mq/posix_mq_test", "crash.jsonl", None),
                                   ("impl/adapters/demo/demo_test", "planted_library.jsonl", None),
                                   ("suites/pipe/pipe_more_test", None, "pipe_io_test.xml")):
            if xml:
                with open(os.path.join(DATA, "testlogs", xml)) as fh:
                    xml = fh.read()
            lay_target(logs, target, jsonl=jsonl, xml=xml)
        docs = {
            "matrix": self.doc("--matrix", os.path.join(DATA, "matrix")),
            "matrix_eintr": self.doc("--matrix", os.path.join(DATA, "matrix_eintr")),
            "matrix_killed": self.doc("--matrix", os.path.join(DATA, "matrix_killed")),
            "compare/old": self.doc("--matrix", os.path.join(DATA, "compare", "old")),
            "compare/new+mine": self.doc("--matrix", os.path.join(DATA, "compare", "new"),
                                         "--divergences", table),
            "ignore-tables": self.doc("--matrix", os.path.join(DATA, "compare", "new"), "--ignore-tables"),
            "testlogs": self.doc("--testlogs", logs),
        }
        for name, doc in docs.items():
            self.assertEqual(errors(doc), [], name)
            self.assertTrue(doc["tests"], name)
        self.assertIn("suites/pipe/pipe_more_test", set(t["binary"] for t in docs["testlogs"]["tests"]))
        outcomes = set(t["outcome"] for d in docs.values() for t in d["tests"])
        self.assertTrue({"pass", "fail", "xfail", "skip", "broken"} <= outcomes, outcomes)

    def test_mutants_are_refused(self):
        doc = self.doc("--matrix", os.path.join(DATA, "compare", "new"))
        self.assertEqual(errors(doc), [])

        def first(d, outcome):
            return next(t for t in d["tests"] if t["outcome"] == outcome)

        def set_outcome(d):
            first(d, "pass")["outcome"] = "passed"

        def xfail_without_entry(d):
            first(d, "xfail")["entry"] = None

        def skip_without_need(d):
            first(d, "skip")["need"] = ""

        def bad_signature(d):
            first(d, "fail")["signature_seen"] = ["EPIPE"]

        def count_missing(d):
            del d["summary"]["stale_entries"]

        def negative_count(d):
            d["summary"]["passed"] = -1

        def unknown_key(d):
            d["results"] = []

        def wrong_format(d):
            d["format"] = "ipcspec-results 2"

        def entry_class(d):
            d["entries"][0]["class"] = "maybe"

        for mutant in (set_outcome, xfail_without_entry, skip_without_need, bad_signature,
                       count_missing, negative_count, unknown_key, wrong_format, entry_class):
            d = copy.deepcopy(doc)
            mutant(d)
            self.assertNotEqual(errors(d), [], mutant.__name__)


if __name__ == "__main__":
    unittest.main(verbosity=2)
