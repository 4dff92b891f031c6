// Degraded modes are reported, not silent: with /proc/sysvipc hidden the leak
// audit says it cannot list SysV objects, without an mqueue mount it says it
// cannot list POSIX message queues, and with isolation off the sandbox says
// so. Run by degraded_modes_test.sh, which checks the sentences.
#include <sched.h>
#include <sys/mount.h>

#include <cstdio>
#include <cstdlib>

#include "impl/core/degraded.h"
#include "impl/core/leak_audit.h"
#include "impl/core/sandbox.h"

int main() {
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
