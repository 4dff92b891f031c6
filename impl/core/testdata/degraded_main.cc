// Degraded modes are reported, not silent: with /proc/sysvipc hidden the leak
// audit says it cannot list SysV objects, without an mqueue mount it says it
// cannot list POSIX message queues, and with isolation off the sandbox says
// so. Run by degraded_modes_test.sh, which checks the sentences.
//
// With the argument "sockets": isolated as every test binary is (a network
// namespace of its own), but with the AF_UNIX socket list unreadable: the
// leak audit says it cannot count sockets.
#include <sched.h>
#include <sys/mount.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "impl/core/degraded.h"
#include "impl/core/leak_audit.h"
#include "impl/core/sandbox.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "sockets") {
    ipcspec::IpcSandbox::Get().InitProcess();
    std::printf("network namespace: %s\n",
                ipcspec::IpcSandbox::Get().private_network_namespace()
                    ? "own"
                    : ipcspec::IpcSandbox::Get().why_no_network_namespace().c_str());
    ipcspec::SetUnixSocketListForTesting("/proc/ipcspec-no-such-file");
    ipcspec::TakeInventory();
    for (const std::string& s : ipcspec::DegradedModes()) std::printf("degraded: %s\n", s.c_str());
    return 0;
  }
  // A private mount namespace of this process alone, where an empty tmpfs
  // hides /proc/sysvipc.
  if (unshare(CLONE_NEWNS) != 0) {
    std::perror("unshare(CLONE_NEWNS)");
    return 2;
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    std::perror("mount(/, MS_PRIVATE)");
    return 2;
  }
  if (mount("tmpfs", "/proc/sysvipc", "tmpfs", 0, nullptr) != 0) {
    std::perror("mount(tmpfs, /proc/sysvipc)");
    return 2;
  }
  // And no mqueue mount: hide /dev/mqueue too where it exists.
  mount("tmpfs", "/dev", "tmpfs", 0, nullptr);
  setenv("IPCSPEC_SANDBOX", "off", 1);
  ipcspec::IpcSandbox::Get().InitProcess();
  ipcspec::TakeInventory();
  for (const std::string& s : ipcspec::DegradedModes()) std::printf("degraded: %s\n", s.c_str());
  return 0;
}
