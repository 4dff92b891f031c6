"""ipcspec_adapter: an external IPC library behind ipcspec's interfaces.

    load("//bazel:adapter.bzl", "ipcspec_adapter")

    ipcspec_adapter(
        name = "mylib",                  # the library; its Kinds are "mylib_..."
        srcs = ["mylib_kinds.cc"],       # Kinds registered with IPCSPEC_REGISTER_KIND
        divergences = "divergences.tsv", # what the library documents it does differently
        linkopts = ["-lmylib"],
    )

makes `:mylib` (the Kinds, alwayslink) and `:mylib_test`, which runs every
interface suite and fault scenario in ADAPTER_SUITES against the library's
Kinds: `bazel test //impl/adapters/mylib:mylib_test`. Each property runs in a
child process with a deadline (suites/common/isolated.h), and each failure is
judged by the verdict engine against the library's table (verdict/README.md).
"""

load("@rules_cc//cc:defs.bzl", "cc_library")
load("//bazel:ipc_test.bzl", "ipc_test")
load("//bazel:tables.bzl", "ipcspec_tables")

# Every suite and fault scenario written against an interface (ipc_suite
# targets' libraries). A new interface suite is one more line here; an
# adapter never edits this list.
ADAPTER_SUITES = [
    "//suites/byte_stream:byte_stream_test_suite",
    "//suites/counter:counter_test_suite",
    "//suites/datagram:datagram_test_suite",
    "//suites/lock:lock_test_suite",
    "//suites/message_queue:message_queue_test_suite",
    "//suites/nonblocking:nonblocking_kinds_test_suite",
    "//suites/rpc:rpc_test_suite",
    "//suites/semaphore:semaphore_test_suite",
    "//suites/shared_region:shared_region_test_suite",
    "//suites/signal_queue:signal_queue_test_suite",
    "//faults:lock_faults_test_suite",
    "//faults:queue_faults_test_suite",
    "//faults:region_faults_test_suite",
    "//faults:semaphore_faults_test_suite",
    "//faults:stream_faults_test_suite",
]

def ipcspec_adapter(
        name,
        srcs,
        hdrs = [],
        deps = [],
        divergences = "divergences.tsv",
        copts = [],
        linkopts = [],
        size = "medium",
        tags = [],
        **kwargs):
    """The library `name`'s Kinds and the test that runs every suite on them."""
    ipcspec_tables(
        name = name + "_divergences",
        srcs = [divergences],
        library = name,
    )
    cc_library(
        name = name,
        testonly = True,
        srcs = srcs,
        hdrs = hdrs,
        copts = copts,
        linkopts = linkopts,
        deps = deps + [
            ":" + name + "_divergences",
            "//impl/api",
            "//impl/core",
        ],
        alwayslink = True,
        visibility = ["//visibility:public"],
    )

    # The library's Kinds may link shared libraries that have no static
    # archive: the environment matrix (static binaries) leaves them out.
    ipc_test(
        name = name + "_test",
        srcs = [],
        size = size,
        tags = tags + ["adapter", "no_static"],
        deps = [":" + name] + ADAPTER_SUITES,
        visibility = ["//visibility:public"],
        **kwargs
    )
