#!/usr/bin/env python3
"""Lints the GitHub Actions workflows, since no runner is reachable from
here: yamllint (ci/yamllint.yml), two schemas (python3-jsonschema): GitHub's
workflow schema as check-jsonschema vendors it (from SchemaStore; Debian
ships it in python3-check-jsonschema, in sid only, whose program needs a
newer jsonschema than bookworm's: `--fetch-schema`, run by ci/setup.sh,
takes the schema file out of that package into SCHEMA_DIR) and ipcspec's
stricter ci/github-workflow.schema.json (closed mappings, versioned actions),
and what a schema cannot see:

  - every job a job needs exists, and every needs.X it reads is one it needs;
  - every matrix.X a job reads is an axis of its matrix, every steps.X it
    reads is the id of one of its earlier steps;
  - a matrix axis "env" holds every environment of ci/matrix.sh (--list) and
    no other, and an
    axis "shard" the numbers 1..SHARDS of the workflow's env;
  - every artifact a job downloads is uploaded by a job it needs;
  - every script a step runs (bash ci/X.sh, containers/X.sh) exists.

  python3 ci/workflow_lint.py [WORKFLOW...]   (default .github/workflows/*.yml)
  python3 ci/workflow_lint.py --fetch-schema  (once; SCHEMA_DIR is
      $IPCSPEC_WORKFLOW_SCHEMA_DIR or /usr/local/share/ipcspec/github-workflows)

Exit status: 0 clean, 1 a problem (each printed as FILE:LINE: message or
FILE: message), 2 bad usage or a missing linter package."""

import fnmatch
import glob
import json
import os
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_DIR = os.environ.get("IPCSPEC_WORKFLOW_SCHEMA_DIR") or "/usr/local/share/ipcspec/github-workflows"
SCHEMA_PACKAGE, SCHEMA_SUITE = "python3-check-jsonschema", "sid"
VENDOR = "usr/lib/python3/dist-packages/check_jsonschema/builtin_schemas/vendor"
EXPR = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def load(path):
    import yaml
    with open(path, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    # YAML 1.1 (PyYAML) reads the key "on" as the boolean true; GitHub
    # reads it as "on".
    if isinstance(doc, dict) and True in doc:
        doc["on"] = doc.pop(True)
    return doc


def yamllint_problems(path):
    from yamllint import config, linter
    conf = config.YamlLintConfig(file=os.path.join(ROOT, "ci", "yamllint.yml"))
    with open(path, encoding="utf-8") as fh:
        return ["%s:%d: yamllint: %s" % (path, p.line, p.message) for p in linter.run(fh, conf, path)]


def schema_problems(path, doc):
    import jsonschema
    out = []
    github = os.path.join(SCHEMA_DIR, "github-workflows.json")
    if not os.path.isfile(github):
        return ["%s: no GitHub workflow schema at %s: run bash ci/setup.sh "
                "(python3 ci/workflow_lint.py --fetch-schema)" % (path, github)]
    for what, f in (("schema", os.path.join(ROOT, "ci", "github-workflow.schema.json")),
                    ("GitHub schema", github)):
        with open(f) as fh:
            schema = json.load(fh)
        v = jsonschema.Draft7Validator(schema)
        for e in sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            out.append("%s: %s: at %s: %s" % (path, what, where, e.message[:300]))
    return out


def fetch_schema():
    """GitHub's workflow schema out of Debian's python3-check-jsonschema
    (sid), through a private apt configuration (containers/matrix/kernels.py:
    the host's mirror, the suite's signed Release; the host's packages are
    not touched), checked against the sha256 the package ships with it."""
    import hashlib
    import subprocess
    import tempfile
    if os.path.isfile(os.path.join(SCHEMA_DIR, "github-workflows.json")):
        print("workflow_lint: GitHub workflow schema present in %s" % SCHEMA_DIR)
        return 0
    sys.path.insert(0, os.path.join(ROOT, "containers"))
    from matrix import kernels
    cache = os.environ.get("IPCSPEC_CACHE") or os.path.expanduser("~/.cache/ipcspec-matrix")
    mirror = kernels.debian_mirror()
    if not mirror:
        print("workflow_lint: cannot find the Debian mirror in the apt configuration", file=sys.stderr)
        return 1
    a = os.path.join(cache, "apt", SCHEMA_SUITE)
    for p in (os.path.join(a, "lists", "partial"), os.path.join(a, "cache", "archives", "partial")):
        os.makedirs(p, exist_ok=True)
    with open(os.path.join(a, "sources.list"), "w") as fh:
        fh.write("deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n"
                 % (mirror, SCHEMA_SUITE))
    opts = kernels.apt_opts(cache, SCHEMA_SUITE)
    tmp = tempfile.mkdtemp()
    try:
        print("workflow_lint: apt-get download %s (%s)" % (SCHEMA_PACKAGE, SCHEMA_SUITE))
        if not (kernels._run_logged(["apt-get"] + opts + ["update", "-qq"], os.path.join(tmp, "update.log"))
                and kernels._run_logged(["apt-get"] + opts + ["download", SCHEMA_PACKAGE],
                                        os.path.join(tmp, "download.log"), cwd=tmp)):
            print("workflow_lint: could not download %s from %s" % (SCHEMA_PACKAGE, SCHEMA_SUITE),
                  file=sys.stderr)
            return 1
        deb = glob.glob(os.path.join(tmp, "*.deb"))[0]
        x = os.path.join(tmp, "x")
        subprocess.run(["dpkg-deb", "-x", deb, x], check=True)
        src = os.path.join(x, VENDOR)
        with open(os.path.join(src, "github-workflows.json"), "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
        with open(os.path.join(src, "github-workflows.sha256")) as fh:
            if fh.read().split()[0] != digest:
                print("workflow_lint: github-workflows.json does not match its sha256", file=sys.stderr)
                return 1
        version = SCHEMA_PACKAGE + " " + subprocess.run(["dpkg-deb", "-f", deb, "Version"],
                                                        capture_output=True, text=True).stdout.strip()
        os.makedirs(SCHEMA_DIR, exist_ok=True)
        for f in ("github-workflows.json", "LICENSE.schemastore", "README.md"):
            if os.path.isfile(os.path.join(src, f)):
                shutil.copy(os.path.join(src, f), os.path.join(SCHEMA_DIR, f))
        with open(os.path.join(SCHEMA_DIR, "source"), "w") as fh:
            fh.write("from the Debian package %s (%s), %s\n" % (version, SCHEMA_SUITE, VENDOR))
        print("workflow_lint: GitHub workflow schema in %s (%s)" % (SCHEMA_DIR, version))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def expressions(node):
    """Every ${{ ... }} in a job, and each `if:` (an expression without the
    braces)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "if" and isinstance(v, str):
                yield v
            yield from expressions(v)
    elif isinstance(node, list):
        for v in node:
            yield from expressions(v)
    elif isinstance(node, str):
        yield from EXPR.findall(node)


def matrix_envs():
    sys.path.insert(0, os.path.join(ROOT, "containers"))
    from matrix import environments
    return environments.ALL_ENVS


def uploads(job):
    return [s.get("with", {}).get("name", "artifact") for s in job.get("steps", [])
            if str(s.get("uses", "")).startswith("actions/upload-artifact@")]


def job_problems(path, doc):
    out = []
    jobs = doc.get("jobs") or {}
    shards = str((doc.get("env") or {}).get("SHARDS", ""))
    for name, job in jobs.items():
        def bad(msg):
            out.append("%s: job %s: %s" % (path, name, msg))
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else list(needs)
        for n in needs:
            if n not in jobs:
                bad("needs '%s', which is no job of the workflow" % n)
        matrix = (job.get("strategy") or {}).get("matrix")
        axes = set(matrix) - {"include", "exclude"} if isinstance(matrix, dict) else set()
        for inc in (matrix or {}).get("include", []) if isinstance(matrix, dict) else []:
            axes |= set(inc)
        ids = []
        for k, step in enumerate(job.get("steps", [])):
            text = list(expressions(step))
            for e in text:
                for s in re.findall(r"\bsteps\.([A-Za-z_][A-Za-z0-9_-]*)", e):
                    if s not in ids:
                        bad("step %d reads steps.%s: no earlier step has that id" % (k + 1, s))
            if "id" in step:
                ids.append(step["id"])
            for script in re.findall(r"\bbash\s+((?:ci|containers)/[A-Za-z0-9_./-]+\.sh)\b",
                                     str(step.get("run", ""))):
                if not os.path.isfile(os.path.join(ROOT, script)):
                    bad("step %d runs %s, which does not exist" % (k + 1, script))
        for e in expressions(job):
            for m in re.findall(r"\bmatrix\.([A-Za-z_][A-Za-z0-9_-]*)", e):
                if m not in axes:
                    bad("reads matrix.%s, which is no axis of its matrix (%s)"
                        % (m, ", ".join(sorted(axes)) or "none"))
            for n in re.findall(r"\bneeds\.([A-Za-z_][A-Za-z0-9_-]*)", e):
                if n not in needs:
                    bad("reads needs.%s but does not need that job" % n)
        if isinstance(matrix, dict):
            if "env" in matrix:
                known = matrix_envs()
                for e in matrix["env"]:
                    if e not in known:
                        bad("matrix env '%s' is no environment of ci/matrix.sh (%s)" % (e, " ".join(known)))
                for e in known:
                    if e not in matrix["env"]:
                        bad("matrix env has no cell for '%s', an environment of ci/matrix.sh" % e)
            if "shard" in matrix:
                if not shards.isdigit():
                    bad("a shard axis needs the workflow's env SHARDS (the number of shards)")
                elif sorted(matrix["shard"]) != list(range(1, int(shards) + 1)):
                    bad("matrix shard %s is not 1..SHARDS (%s): a shard would be missing or twice"
                        % (matrix["shard"], shards))
        made = [EXPR.sub("*", u) for n in needs if n in jobs for u in uploads(jobs[n])]
        for s in job.get("steps", []):
            if not str(s.get("uses", "")).startswith("actions/download-artifact@"):
                continue
            w = s.get("with", {})
            want = w.get("name") or w.get("pattern")
            if want and not any(fnmatch.fnmatch(m, want) or fnmatch.fnmatch(want, m) for m in made):
                bad("downloads '%s', which no job it needs uploads (%s)" % (want, ", ".join(made) or "none"))
    return out


def lint(path):
    problems = yamllint_problems(path)
    try:
        doc = load(path)
    except Exception as e:  # noqa: BLE001 - any parse error is the finding
        return problems + ["%s: not YAML: %s" % (path, e)]
    if not isinstance(doc, dict):
        return problems + ["%s: not a workflow (a mapping at the top)" % path]
    return problems + schema_problems(path, doc) + job_problems(path, doc)


def main(argv):
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip("\n"))
        return 0
    if argv == ["--fetch-schema"]:
        return fetch_schema()
    paths = argv or sorted(glob.glob(os.path.join(ROOT, ".github", "workflows", "*.yml")))
    if not paths:
        print("workflow_lint: no workflow in .github/workflows/", file=sys.stderr)
        return 2
    try:
        import jsonschema  # noqa: F401
        import yaml  # noqa: F401
        import yamllint  # noqa: F401
    except ImportError as e:
        print("workflow_lint: %s: apt-get install yamllint python3-jsonschema python3-yaml (ci/setup.sh)"
              % e, file=sys.stderr)
        return 2
    problems = []
    for p in paths:
        if not os.path.isfile(p):
            print("workflow_lint: no such file: %s" % p, file=sys.stderr)
            return 2
        problems += lint(p)
    for p in problems:
        print(p)
    print("workflow_lint: %d workflow(s), %d problem(s)" % (len(paths), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
