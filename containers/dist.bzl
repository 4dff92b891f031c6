"""ipcspec_dist: the distributable bundle (README, "Your kernel, and one
filter everywhere"): a tarball of statically linked test binaries, the runner that runs
them without Bazel (containers/dist/run.sh, the matrix's own loop), the
tables of expected differences and the reader of results (verdict/*.py).

    ipcspec_dist(name, tests)   # writes NAME.tar.gz

The test binaries are built a second time, linked with -static (a Starlark
transition adds --linkopt=-static), like containers/build_binaries.sh: a VM's
initramfs or a board holds no shared libraries. A binary that still has a
program interpreter fails the build, naming the target.
"""

def _plain(opts):
    return [o for o in opts if not o.startswith(("-fsanitize", "-fno-sanitize"))]

def _static_transition_impl(settings, attr):
    # Sanitizers (--config=asan, ubsan) do not link statically and are of no
    # use in a bundle: they are left out, so that `bazel test --config=asan
    # //...`, which builds //containers:dist_test's bundle, still builds.
    plain = _plain
    linkopts = plain(settings["//command_line_option:linkopt"])
    if "-static" not in linkopts:
        linkopts.append("-static")
    return {
        "//command_line_option:linkopt": linkopts,
        "//command_line_option:copt": plain(settings["//command_line_option:copt"]),
    }

_static_transition = transition(
    implementation = _static_transition_impl,
    inputs = ["//command_line_option:linkopt", "//command_line_option:copt"],
    outputs = ["//command_line_option:linkopt", "//command_line_option:copt"],
)

_TestSources = provider(fields = ["srcs"])

def _sources_impl(target, ctx):
    # The test's own sources: the report looks up the man pages a test
    # cites next to its file (verdict/render.py, --source-root).
    return [_TestSources(srcs = depset(getattr(ctx.rule.files, "srcs", [])))]

_sources = aspect(implementation = _sources_impl)

def _binary_name(label):
    # The name containers/build_binaries.sh gives it: the package path and
    # the target's name, "/" as "_" (suites_pipe_pipe_io_test).
    return (label.package + "/" + label.name).replace("/", "_")

def _dist_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".tar.gz")
    top = ctx.attr.top
    cmds = [
        "set -eu",
        "stage=$(mktemp -d)",
        "trap 'rm -rf \"$stage\"' EXIT",
        "d=$stage/%s" % top,
        "mkdir -p $d/bin $d/verdict $d/divergences $d/src",
    ]
    inputs = []
    names = {}
    for t in ctx.attr.tests:
        exe = t[DefaultInfo].files_to_run.executable
        name = _binary_name(t.label)
        if name in names:
            fail("two test binaries named %s: %s and %s" % (name, names[name], t.label))
        names[name] = t.label
        inputs.append(exe)
        cmds.append(
            "if readelf -l %s | grep -q 'program interpreter'; then " % exe.path +
            "echo 'ipcspec_dist: %s is not statically linked (it has a program interpreter)' >&2; exit 1; fi" % t.label,
        )
        # Debug info is of no use on a board and makes the bundle ten times larger.
        cmds.append("strip --strip-debug -o $d/bin/%s %s" % (name, exe.path))
        for src in t[_TestSources].srcs.to_list():
            if src.is_source and src.extension in ("cc", "h"):
                inputs.append(src)
                cmds.append("mkdir -p $d/src/%s && cp %s $d/src/%s" % (src.dirname, src.path, src.short_path))
    for f in ctx.files.runner:
        inputs.append(f)
        cmds.append("cp %s $d/%s && chmod 755 $d/%s" % (f.path, f.basename, f.basename))
    for f in ctx.files.docs:
        inputs.append(f)
        cmds.append("cp %s $d/%s" % (f.path, f.basename))
    for f in ctx.files.reader:
        inputs.append(f)
        cmds.append("cp %s $d/verdict/%s" % (f.path, f.basename))
    for f in ctx.files.tables:
        inputs.append(f)
        cmds.append("cp %s $d/divergences/%s" % (f.path, f.basename))
    cmds.append("printf '%%s\\n' %s > $d/BINARIES" % " ".join(sorted(names.keys())))
    # Reproducible: sorted names, no owners, one mtime, gzip without a name.
    cmds.append(
        "tar -C $stage --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - %s | gzip -n > %s" %
        (top, out.path),
    )
    ctx.actions.run_shell(
        inputs = inputs,
        outputs = [out],
        command = "\n".join(cmds),
        mnemonic = "IpcspecDist",
        progress_message = "Packing %d static test binaries into %s" % (len(names), out.short_path),
    )
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

ipcspec_dist = rule(
    implementation = _dist_impl,
    attrs = {
        "tests": attr.label_list(cfg = _static_transition, mandatory = True, aspects = [_sources]),
        "runner": attr.label_list(allow_files = True),
        "docs": attr.label_list(allow_files = True),
        "reader": attr.label_list(allow_files = True),
        "tables": attr.label_list(allow_files = True),
        "top": attr.string(default = "ipcspec"),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
