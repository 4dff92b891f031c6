// The libuv scenarios of libuv_scenarios.h, linked into libuv_test with the
// adapter's Kinds:
//   bazel test //impl/adapters/libuv:libuv_test --test_filter='Libuv*'
// Their mutants: //impl/adapters/libuv:libuv_scenarios_selftest.
#include <iostream>

#include "gtest/gtest.h"
#include "impl/adapters/libuv/libuv_scenarios.h"
#include "impl/verdict/verdict.h"

namespace ipcspec {
namespace {

TEST(LibuvFdPassing, Write2PassesADescriptor) {
  AnnotateTest("LibuvFdPassing.Write2PassesADescriptor", "libuv_ipc_pipe", "libuv",
               "the libuv manual, uv_write2: \"Extended write function for sending handles over "
               "a pipe. The pipe must be initialized with ipc == 1\"; uv_pipe_pending_count: "
               "\"if it's > 0 then initialize a handle of the given type, returned by "
               "uv_pipe_pending_type() and call uv_accept(pipe, handle)\"");
  EXPECT_EQ(CheckWrite2PassesADescriptor(Sabotage::kNone), "");
}

TEST(LibuvFdPassing, Write2ErrorsLeakNothing) {
  AnnotateTest("LibuvFdPassing.Write2ErrorsLeakNothing", "libuv_ipc_pipe", "libuv",
               "the libuv manual, uv_write2: \"The pipe must be initialized with ipc == 1\"; "
               "uv_close: \"Request handle to be closed\" (its descriptors with it); man 7 unix, "
               "SCM_RIGHTS");
  EXPECT_EQ(CheckWrite2ErrorsLeakNothing(Sabotage::kNone), "");
}

TEST(LibuvEintr, SignalIntoBlockedReadLosesNothing) {
  AnnotateTest("LibuvEintr.SignalIntoBlockedReadLosesNothing", "libuv_*", "libuv",
               "the libuv manual, uv_read_cb: nread is > 0 with data, UV_EOF at the end, an "
               "error otherwise (no EINTR is documented: libuv retries epoll_wait); man 7 "
               "signal, \"Interruption of system calls and library functions by signal "
               "handlers\"");
  EXPECT_EQ(CheckSignalIntoBlockedRead(Sabotage::kNone), "");
}

TEST(LibuvEintr, SignalIntoBlockedWriteLosesNothing) {
  AnnotateTest("LibuvEintr.SignalIntoBlockedWriteLosesNothing", "libuv_*", "libuv",
               "the libuv manual, uv_write: the callback is called after the data was written "
               "(no EINTR is documented: libuv retries epoll_wait and write(2)); man 7 signal, "
               "\"Interruption of system calls and library functions by signal handlers\"");
  EXPECT_EQ(CheckSignalIntoBlockedWrite(Sabotage::kNone), "");
}

TEST(LibuvPeerKilled, ReaderKilledUnderBlockedWriteGivesEpipe) {
  AnnotateTest("LibuvPeerKilled.ReaderKilledUnderBlockedWriteGivesEpipe", "libuv_*", "libuv",
               "the libuv manual, uv_write_cb: status < 0 on error; man 7 pipe: \"If all file "
               "descriptors referring to the read end of a pipe have been closed, then a "
               "write(2) will cause a SIGPIPE signal ... fails with the error EPIPE\"");
  EXPECT_EQ(CheckReaderKilledUnderBlockedWrite(Sabotage::kNone), "");
}

TEST(LibuvUnixSocket, BindTruncatesALongPathAndCloseLeavesIt) {
  AnnotateTest("LibuvUnixSocket.BindTruncatesALongPathAndCloseLeavesIt", "libuv_unix_socket",
               "libuv",
               "the libuv manual (1.44), uv_pipe_bind: \"Paths on Unix get truncated to "
               "sizeof(sockaddr_un.sun_path) bytes, typically between 92 and 108 bytes\"; "
               "man 7 unix: a socket file \"must be deleted by the caller when it is no longer "
               "needed\"");
  std::string observed;
  EXPECT_EQ(CheckBindPathAndClose(Sabotage::kNone, &observed), "");
  std::cout << "observed: " << observed << "\n";
}

}  // namespace
}  // namespace ipcspec
