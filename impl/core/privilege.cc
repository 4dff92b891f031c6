#include "impl/core/privilege.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "impl/core/file_descriptor.h"

namespace ipcspec {
namespace {

bool CapGet(__user_cap_data_struct data[2]) {
  __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capget, &hdr, data) == 0;
}

// Reads a small file whole (for /proc); "" on error.
std::string ReadSmall(const char* path) {
  FileDescriptor fd(open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return "";
  char buf[256];
  ssize_t n;
  do {
    n = read(fd.get(), buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

}  // namespace

bool HasEffectiveCapability(int cap) {
  __user_cap_data_struct data[2] = {};
  if (!CapGet(data)) return false;
  return (data[cap / 32].effective >> (cap % 32)) & 1u;
}

std::string EffectiveCapabilities() {
  __user_cap_data_struct data[2] = {};
  if (!CapGet(data)) return "CapEff=? (capget: " + ErrnoName(errno) + ")";
  char buf[64];
  std::snprintf(buf, sizeof buf, "CapEff=%08x%08x", data[1].effective, data[0].effective);
  return buf;
}

int DropCapabilities(const int* caps, size_t n) {
  __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &hdr, data) != 0) return errno;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t clear = ~(1u << (caps[i] % 32));
    data[caps[i] / 32].effective &= clear;
    data[caps[i] / 32].permitted &= clear;
    data[caps[i] / 32].inheritable &= clear;
  }
  if (syscall(SYS_capset, &hdr, data) != 0) return errno;
  // Read back: each capability must really be gone from the effective set.
  __user_cap_data_struct check[2] = {};
  if (syscall(SYS_capget, &hdr, check) != 0) return errno;
  for (size_t i = 0; i < n; ++i) {
    if ((check[caps[i] / 32].effective >> (caps[i] % 32)) & 1u) return EPERM;
  }
  return 0;
}

bool InInitialUserNamespace() {
  std::string map = ReadSmall("/proc/self/uid_map");
  unsigned long inside = 1, outside = 1, count = 0;
  if (std::sscanf(map.c_str(), "%lu %lu %lu", &inside, &outside, &count) != 3) return false;
  return inside == 0 && outside == 0 && count == 4294967295UL;
}

bool CapableInInitialUserNamespace(int cap) {
  return HasEffectiveCapability(cap) && InInitialUserNamespace();
}

std::string UidMapLine() {
  std::string map = ReadSmall("/proc/self/uid_map");
  if (map.empty()) return "(no /proc/self/uid_map)";
  std::string out;
  for (char c : map) {
    if (c == '\n') break;
    bool space = c == ' ' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  return out;
}

uid_t UnusedUid() {
  for (int attempt = 0;; ++attempt) {
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != static_cast<ssize_t>(sizeof rnd)) {
      rnd = static_cast<uint32_t>(getpid()) * 2654435761u + static_cast<uint32_t>(attempt);
    }
    const uid_t uid = 0x40000000u + (rnd & 0xffffffu);
    bool used = false;
    if (DIR* d = opendir("/proc")) {
      while (struct dirent* e = readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, 0) == 0 && st.st_uid == uid) {
          used = true;
          break;
        }
      }
      closedir(d);
    }
    if (!used || attempt >= 16) return uid;
  }
}

PosixErrorOr<long> ReadProcLong(const std::string& path) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open(" + path + ")");
  char buf[64];
  ssize_t n;
  do {
    n = read(fd.get(), buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
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
  if (!fd.valid()) return ErrnoError("open(" + path + ")");
  std::string s = std::to_string(value) + "\n";
  if (write(fd.get(), s.data(), s.size()) != static_cast<ssize_t>(s.size())) {
    return ErrnoError("write(" + path + ", " + std::to_string(value) + ")");
  }
  return NoError();
}

PosixErrorOr<std::string> ReadProcText(const std::string& path) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open(" + path + ")");
  char buf[256];
  ssize_t n;
  do {
    n = read(fd.get(), buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoError("read(" + path + ")");
  return std::string(buf, static_cast<size_t>(n));
}

PosixError WriteProcText(const std::string& path, const std::string& text) {
  FileDescriptor fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open(" + path + ", O_WRONLY)");
  if (write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    return ErrnoError("write(" + path + ", \"" + text + "\")");
  }
  return NoError();
}

PosixErrorOr<unsigned long long> ReadProcUnsigned(const std::string& path) {
  IPCSPEC_ASSIGN_OR_RETURN(std::string s, ReadProcText(path));
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (end == s.c_str() || errno != 0 || s[0] == '-') {
    return PosixError(EINVAL, "parse " + path + ": \"" + s + "\"");
  }
  return v;
}

PosixErrorOr<uint64_t> FdInfoHexField(int fd, const char* key) {
  std::string path = "/proc/self/fdinfo/" + std::to_string(fd);
  FileDescriptor f(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!f.valid()) return ErrnoError("open(" + path + ")");
  char buf[1024];
  ssize_t n;
  do {
    n = read(f.get(), buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoError("read(" + path + ")");
  buf[n] = '\0';
  const char* at = std::strstr(buf, key);
  if (at == nullptr) return PosixError(ENOTSUP, path + " has no " + key + " line");
  return static_cast<uint64_t>(std::strtoull(at + std::strlen(key), nullptr, 16));
}

}  // namespace ipcspec
