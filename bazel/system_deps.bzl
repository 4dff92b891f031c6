"""Repository rules that expose Debian's system packages to Bazel, offline.

Nothing here downloads: every external repository is built from files that
`ci/setup.sh` installed with apt. A missing file fails the fetch with the
name of the Debian package that provides it.
"""

def _require(ctx, path, package):
    if not ctx.path(path).exists:
        fail("ipcspec: %s is missing; install the Debian package '%s' (run ci/setup.sh)" % (path, package))

def _debian_rules_cc_impl(ctx):
    src = ctx.attr.path
    _require(ctx, src + "/cc/defs.bzl", "bazel-rules-cc")

    # Copy the tree (not a symlink) so two files can be patched in place.
    res = ctx.execute(["cp", "-r", src + "/.", "."])
    if res.return_code != 0:
        fail("ipcspec: copying %s failed: %s" % (src, res.stderr))

    # Debian's rules_cc calls use_cpp_toolchain() from @bazel_tools, which
    # Bazel 4.2.3 does not have. Its value is the C++ toolchain type.
    for f in ["cc/private/rules_impl/compiler_flag.bzl", "cc/private/rules_impl/cc_flags_supplier.bzl"]:
        text = ctx.read(f)
        text = text.replace(', "use_cpp_toolchain")', ")")
        text = text.replace("use_cpp_toolchain()", '["@bazel_tools//tools/cpp:toolchain_type"]')
        ctx.file(f, text)

    # The upstream root BUILD loads bazel_skylib, which is not installed.
    ctx.file("BUILD", 'package(default_visibility = ["//visibility:public"])\n')
    ctx.file("WORKSPACE", 'workspace(name = "rules_cc")\n')

debian_rules_cc = repository_rule(
    implementation = _debian_rules_cc_impl,
    attrs = {"path": attr.string(default = "/usr/share/bazel/rules/cc")},
    local = True,
)

def _system_cc_library_impl(ctx):
    """Symlinks only the named header directories and static libraries.

    Exposing /usr/include itself with -isystem would break libstdc++'s
    #include_next, so each library gets its own include/ holding only its own
    headers.
    """
    build = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, spec in ctx.attr.libraries.items():
        parts = spec.split("|")
        package, headers, archives = parts[0], parts[1], parts[2]
        linkopts = parts[3].split(",") if len(parts) > 3 and parts[3] else []
        deps = parts[4].split(",") if len(parts) > 4 and parts[4] else []
        hdr_globs = []
        for h in headers.split(","):
            _require(ctx, "/usr/include/" + h, package)
            ctx.symlink("/usr/include/" + h, name + "/include/" + h)
            if h.endswith(".h"):
                hdr_globs.append('"%s/include/%s"' % (name, h))
            else:
                hdr_globs.append('"%s/include/%s/**"' % (name, h))
        srcs = []
        for a in archives.split(","):
            if not a:
                continue
            p = ctx.attr.libdir + "/" + a
            _require(ctx, p, package)
            ctx.symlink(p, name + "/lib/" + a)
            srcs.append('"%s/lib/%s"' % (name, a))
        build.append("""cc_library(
    name = "{name}",
    srcs = [{srcs}],
    hdrs = glob([{hdrs}]),
    includes = ["{name}/include"],
    linkopts = [{linkopts}],
    deps = [{deps}],
)
""".format(
            name = name,
            srcs = ", ".join(srcs),
            hdrs = ", ".join(hdr_globs),
            linkopts = ", ".join(['"%s"' % l for l in linkopts]),
            deps = ", ".join(['":%s"' % d for d in deps]),
        ))
    ctx.file("BUILD", "\n".join(build))
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)

system_cc_library = repository_rule(
    implementation = _system_cc_library_impl,
    attrs = {
        # name -> "debian-package|header dirs|static archives|linkopts|deps"
        "libraries": attr.string_dict(mandatory = True),
        "libdir": attr.string(default = "/usr/lib/x86_64-linux-gnu"),
    },
    local = True,
)

def _empty_coverage_tools_impl(ctx):
    # `bazel test` wants @remote_coverage_tools even without --coverage.
    ctx.file("BUILD", """package(default_visibility = ["//visibility:public"])
filegroup(name = "lcov_merger", srcs = [])
filegroup(name = "coverage_report_generator", srcs = [])
filegroup(name = "coverage_output_generator", srcs = [])
""")
    ctx.file("WORKSPACE", 'workspace(name = "remote_coverage_tools")\n')

empty_coverage_tools = repository_rule(implementation = _empty_coverage_tools_impl)

def ipcspec_system_deps():
    debian_rules_cc(name = "rules_cc")
    native.local_repository(name = "rules_java", path = "/usr/share/bazel/rules/java")
    empty_coverage_tools(name = "remote_coverage_tools")
    system_cc_library(
        name = "system_test_libs",
        libraries = {
            "gtest": "libgtest-dev|gtest|libgtest.a|-pthread",
            "gmock": "libgmock-dev|gmock|libgmock.a|-pthread|gtest",
            "rapidcheck": "librapidcheck-dev|rapidcheck,rapidcheck.h|librapidcheck.a||gtest",
        },
    )
