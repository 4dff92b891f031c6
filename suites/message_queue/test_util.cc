#include "suites/message_queue/test_util.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "impl/core/file_descriptor.h"

namespace ipcspec {
namespace {

int GetCaps(__user_cap_data_struct data[2]) {
  __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  return static_cast<int>(syscall(SYS_capget, &h, data));
}

}  // namespace

int DropCapability(int cap) {
  __user_cap_data_struct data[2] = {};
  if (GetCaps(data) != 0) return errno;
  unsigned idx = static_cast<unsigned>(cap) / 32;
  unsigned bit = 1u << (static_cast<unsigned>(cap) % 32);
  data[idx].effective &= ~bit;
  data[idx].permitted &= ~bit;
  data[idx].inheritable &= ~bit;
  __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  if (syscall(SYS_capset, &h, data) != 0) return errno;
  return 0;
}

bool HasCapability(int cap) {
  __user_cap_data_struct data[2] = {};
  if (GetCaps(data) != 0) return false;
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

bool InInitialUserNamespace() {
  FileDescriptor fd(open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  char buf[256];
  ssize_t n = read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return false;
  buf[n] = '\0';
  unsigned long inside = 1, outside = 1, count = 0;
  if (std::sscanf(buf, "%lu %lu %lu", &inside, &outside, &count) != 3) return false;
  return inside == 0 && outside == 0 && count == 4294967295ul;
}

bool CapableInInitialUserNamespace(int cap) {
  return HasCapability(cap) && InInitialUserNamespace();
}

PosixErrorOr<long> ReadProcLong(const std::string& path) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open(" + path + ")");
  char buf[64];
  ssize_t n = read(fd.get(), buf, sizeof buf - 1);
  if (n < 0) return ErrnoError("read(" + path + ")");
  buf[n] = '\0';
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(buf, &end, 10);
  if (end == buf || errno != 0) return PosixError(EINVAL, "parse " + path + ": \"" + buf + "\"");
  return v;
}

PosixError WriteProcLong(const std::string& path, long value) {
  FileDescriptor fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open(" + path + ", O_WRONLY)");
  std::string text = std::to_string(value) + "\n";
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return ErrnoError("write(" + path + ", " + std::to_string(value) + ")");
  }
  return NoError();
}

}  // namespace ipcspec
