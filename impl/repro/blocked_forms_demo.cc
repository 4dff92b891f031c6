// The blocked-child forms of the emitter (Recording::ForkBlocked,
// AwaitBlocked, SignalBlocked, AwaitChild, KillBlocked) on their own: writes
// a few reproducers over a pipe into the directory argv[1], for
// //impl/repro:blocked_forms_test to compile and run (with and without a
// planted fault). Each scenario is what man 7 pipe and man 7 signal promise:
//   restart.c   a reader blocked in read(2) gets SIGUSR1 (handler with
//               SA_RESTART): the handler runs, the read is restarted and
//               sleeps again, then a byte wakes it; a second blocked reader
//               is SIGKILLed in its read. Exit 0 here.
//   eintr.c     the same without SA_RESTART: the read fails EINTR. Exit 0.
//   wrong.c     restart.c whose check expects another byte: exit 1 (the
//               check of a blocked child's call is not vacuous).
// man 7 signal: "If a blocked call to one of the following interfaces is
// interrupted by a signal handler, then the call is automatically restarted
// after the signal handler returns if the SA_RESTART flag was used;
// otherwise the call fails with the error EINTR: read(2), readv(2),
// write(2), writev(2), and ioctl(2) calls on "slow" devices. ... (a pipe)".
#include <signal.h>
#include <sys/syscall.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "impl/repro/repro.h"

namespace {

using ipcspec::CSnippet;
using ipcspec::repro::Recording;

constexpr const char* kBlocks =
    "man 7 pipe: \"If a process attempts to read from an empty pipe, then read(2) will block "
    "until data is available.\"";
constexpr const char* kRestart =
    "man 7 signal: a blocked read(2) on a pipe interrupted by a handler is \"automatically "
    "restarted after the signal handler returns if the SA_RESTART flag was used; otherwise the "
    "call fails with the error EINTR\"";

CSnippet Pipe() {
  CSnippet c;
  c.globals = "static int rfd = -1, wfd = -1;  /* the read end and the write end */\n";
  c.setup =
      "{\n  int fds[2];\n  if (pipe2(fds, O_CLOEXEC) != 0) setup_failed(\"pipe2\");\n"
      "  rfd = fds[0];\n  wfd = fds[1];\n}\n";
  c.teardown = "if (rfd >= 0) close(rfd);\nif (wfd >= 0) close(wfd);\n";
  return c;
}

std::string ReadByte(int handler, char want) {
  std::string code;
  if (handler >= 0) code += "install_handler(SIGUSR1, " + std::to_string(handler) + ");\n";
  code += "{\n  char c = 0;\n  ssize_t n = read(rfd, &c, 1);\n";
  if (want == 0) {
    code += std::string("  if (n != -1 || errno != EINTR)\n    broken(") +
            ipcspec::repro::Lit(kRestart) +
            ", \"the interrupted read (no SA_RESTART) returned %zd (%s), not EINTR\", n, "
            "n < 0 ? strerror(errno) : \"no error\");\n";
  } else {
    code += std::string("  if (n != 1 || c != '") + want + "')\n    broken(" +
            ipcspec::repro::Lit(handler == 1 ? kRestart : kBlocks) +
            ", \"the blocked read returned %zd (%s), byte 0x%02x; expected the byte '" + want +
            "'\", n, n < 0 ? strerror(errno) : \"ok\", (unsigned char)c);\n";
  }
  return code + "}\n";
}

void Write(const std::string& path, const Recording& r, const std::string& name) {
  Recording::Header h{"blocked_forms/" + name, "pipe", "pipe2(2), blocking ends",
                      "the emitter's blocked-child forms", std::string(kBlocks) + "; " + kRestart,
                      "", ""};
  std::ofstream(path + "/" + name + ".c") << r.Render(h, Pipe());
}

Recording Restart(char want) {
  Recording r;
  r.ForkBlocked(0, "child: SIGUSR1 handler with SA_RESTART; blocking read of the empty pipe",
                ReadByte(1, want), {SYS_read}, kBlocks,
                std::string("the restarted read returns the byte written: ") + kRestart);
  r.SignalBlocked(0, SIGUSR1, "SIGUSR1 into the blocked read; its handler runs");
  r.AwaitBlocked(0, "the read is restarted and sleeps again", {SYS_read},
                 std::string("SA_RESTART: the read is restarted, so it blocks again: ") +
                     kRestart);
  r.Step("write one byte", "if (write(wfd, \"x\", 1) != 1) setup_failed(\"write\");\n",
         "a 1-byte write to an empty pipe returns at once");
  r.AwaitChild(0, "the restarted read returns", kBlocks);
  r.ForkBlocked(1, "child: blocking read of the empty pipe (to be killed)",
                "{\n  char c;\n  ssize_t n = read(rfd, &c, 1);\n  broken(" +
                    ipcspec::repro::Lit(kBlocks) +
                    ", \"the read of an empty pipe returned %zd before the kill\", n);\n}\n",
                {SYS_read}, kBlocks, kBlocks);
  r.KillBlocked(1, SIGKILL, "SIGKILL the reader blocked in read");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  Write(dir, Restart('x'), "restart");
  Write(dir, Restart('y'), "wrong");
  Recording e;
  e.ForkBlocked(0, "child: SIGUSR1 handler without SA_RESTART; blocking read of the empty pipe",
                ReadByte(0, 0), {SYS_read}, kBlocks, kRestart);
  e.SignalBlocked(0, SIGUSR1, "SIGUSR1 into the blocked read; its handler runs");
  e.AwaitChild(0, "the interrupted read returns", kRestart);
  Write(dir, e, "eintr");
  return 0;
}
