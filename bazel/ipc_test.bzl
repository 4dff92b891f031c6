"""ipc_test: a cc_test that gets the ipcspec main (sandbox and leak audit)."""

load("@rules_cc//cc:defs.bzl", "cc_library", "cc_test")

def ipc_test(name, srcs, deps = [], size = "small", tags = [], visibility = None, **kwargs):
    """A GoogleTest/rapidcheck test in its own IPC sandbox, audited for leaks.

    Every test of every ipc_test binary runs in a fresh IPC namespace with a
    private mqueue and /dev/shm, and fails if it leaves an IPC object, fd or
    child behind (impl/core/test_main.cc).
    """
    # Selftests (the suites against the mutants) are tagged: they check
    # ipcspec, not the environment, and only --config=full runs them (see
    # .bazelrc).
    if native.package_name().startswith("suites/selftest"):
        tags = tags + ["selftest"]
    # A verdict is about the environment it ran in, which Bazel cannot see:
    # a result cached under another kernel, libc or sandbox would be
    # reported as this one's. `external` makes Bazel run the test every time.
    if "external" not in tags:
        tags = tags + ["external"]
    cc_test(
        name = name,
        srcs = srcs,
        size = size,
        tags = tags,
        # Public: a test is a leaf, and the anchor map's checker
        # (suites/anchors) lists every test binary's tests, so it depends on
        # each of them.
        visibility = visibility or ["//visibility:public"],
        deps = deps + [
            "//impl/core",
            "//impl/core:testing",
            "//impl/core:test_main",
            "@system_test_libs//:gmock",
            "@system_test_libs//:rapidcheck",
        ],
        **kwargs
    )

def ipc_suite(name, srcs, deps = [], kinds = [], **kwargs):
    """An interface suite: its TEST_Ps against the reference Kinds, and the same
    TEST_Ps as a library that an adapter's test links against its own Kinds.

    Makes `name` (an ipc_test: srcs + deps + the reference `kinds`) and
    `name + "_suite"` (the srcs alone, alwayslink), which bazel/adapter.bzl
    lists in ADAPTER_SUITES. The srcs must take their Kinds from the registry
    (INSTANTIATE_TEST_SUITE_P over KindRegistry<I>::Get().Kinds()).
    """
    cc_library(
        name = name + "_suite",
        testonly = True,
        srcs = srcs,
        deps = deps + [
            "//impl/core",
            "//impl/core:testing",
            "@system_test_libs//:gmock",
            "@system_test_libs//:rapidcheck",
        ],
        alwayslink = True,
        visibility = ["//visibility:public"],
    )
    ipc_test(
        name = name,
        srcs = [],
        deps = [":" + name + "_suite"] + kinds,
        **kwargs
    )
