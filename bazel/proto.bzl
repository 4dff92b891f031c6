"""cc_grpc_proto: C++ message and service code from one .proto file, offline.

    load("//bazel:proto.bzl", "cc_grpc_proto")

    cc_grpc_proto(
        name = "ipcspec_rpc_proto",     # a cc_library: x.pb.h and x.grpc.pb.h
        src = "ipcspec_rpc.proto",
    )

Runs the system's protoc (Debian protobuf-compiler) with the system's
grpc_cpp_plugin (Debian protobuf-compiler-grpc) in a genrule, and compiles
what they generate against the system headers, linking the system's shared
libprotobuf and libgrpc++ (`pkg-config --libs grpc++ protobuf`: the shared
libraries pull in their own dependencies, so the first names suffice).
Nothing is downloaded. The generated code checks at compile time that it
comes from the protoc of the installed libprotobuf (PROTOBUF_VERSION).

The include path of the generated headers is the package's path:
`#include "impl/adapters/grpc/ipcspec_rpc.grpc.pb.h"`.
"""

load("@rules_cc//cc:defs.bzl", "cc_library")

PROTOC = "/usr/bin/protoc"
GRPC_CPP_PLUGIN = "/usr/bin/grpc_cpp_plugin"

# The link flags of Debian's grpc++ and protobuf packages, shared libraries:
# of `pkg-config --libs grpc++ protobuf`, the libraries whose symbols the
# generated code and grpcpp's inline headers reference directly (absl's Mutex
# in grpcpp/impl/codegen/sync.h); the others come in as the shared
# libraries' own dependencies.
GRPC_LINKOPTS = [
    "-lgrpc++",
    "-lgrpc",
    "-lgpr",
    "-lprotobuf",
    "-labsl_synchronization",
    "-lpthread",
]

def cc_grpc_proto(name, src, deps = [], visibility = None, testonly = False):
    """A cc_library of `src`'s messages and services (protoc + grpc_cpp_plugin)."""
    if not src.endswith(".proto"):
        fail("cc_grpc_proto: src must be a .proto file, got " + src)
    base = src[:-len(".proto")]
    hdrs = [base + ".pb.h", base + ".grpc.pb.h"]
    srcs = [base + ".pb.cc", base + ".grpc.pb.cc"]
    native.genrule(
        name = name + "_gen",
        srcs = [src],
        outs = hdrs + srcs,
        # --proto_path=. : the output paths are the package's paths under
        # $(GENDIR), which is what the generated sources #include.
        cmd = " ".join([
            "test -x " + PROTOC + " || { echo 'cc_grpc_proto: " + PROTOC +
            " missing: apt-get install protobuf-compiler (ci/setup.sh)' >&2; exit 1; };",
            "test -x " + GRPC_CPP_PLUGIN + " || { echo 'cc_grpc_proto: " + GRPC_CPP_PLUGIN +
            " missing: apt-get install protobuf-compiler-grpc (ci/setup.sh)' >&2; exit 1; };",
            PROTOC,
            "--proto_path=.",
            "--cpp_out=$(GENDIR)",
            "--grpc_out=$(GENDIR)",
            "--plugin=protoc-gen-grpc=" + GRPC_CPP_PLUGIN,
            "$(location " + src + ")",
        ]),
        testonly = testonly,
        visibility = ["//visibility:private"],
    )
    cc_library(
        name = name,
        srcs = srcs,
        hdrs = hdrs,
        # Generated code: not ours to lint.
        copts = ["-Wno-unused-parameter", "-Wno-sign-compare"],
        linkopts = GRPC_LINKOPTS,
        deps = deps,
        testonly = testonly,
        visibility = visibility,
    )
