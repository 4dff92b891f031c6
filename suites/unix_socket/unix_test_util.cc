#include "suites/unix_socket/unix_test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "impl/fifo/fifo.h"

namespace ipcspec {

std::string TypeName(int type) {
  switch (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) {
    case SOCK_STREAM: return "SOCK_STREAM";
    case SOCK_DGRAM: return "SOCK_DGRAM";
    case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
  }
  return "type " + std::to_string(type);
}

PosixErrorOr<SocketPair> MakeSocketPair(int type) {
  int sv[2];
  if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoError("socketpair(AF_UNIX, " + TypeName(type) + ")");
  }
  SocketPair p;
  p.a.reset(sv[0]);
  p.b.reset(sv[1]);
  return p;
}

PosixErrorOr<FileDescriptor> MakeSocket(int type) {
  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket(AF_UNIX, " + TypeName(type) + ")");
  return FileDescriptor(fd);
}

std::string UnixAddress::Name() const {
  if (len <= sizeof(sa_family_t)) return "";
  size_t n = len - sizeof(sa_family_t);
  if (addr.sun_path[0] == '\0') return std::string(addr.sun_path + 1, n - 1);
  return std::string(addr.sun_path, strnlen(addr.sun_path, n));
}

std::string UnixAddress::ToString() const {
  if (IsUnnamed()) return "(unnamed)";
  if (len < sizeof(sa_family_t)) return "(addrlen " + std::to_string(len) + ")";
  if (!IsAbstract()) return Name() + " (addrlen " + std::to_string(len) + ")";
  std::string out = "@";
  for (char c : Name()) out += c == '\0' ? std::string("\\0") : std::string(1, c);
  return out + " (addrlen " + std::to_string(len) + ")";
}

bool UnixAddress::operator==(const UnixAddress& o) const {
  return len == o.len && addr.sun_family == o.addr.sun_family &&
         std::memcmp(addr.sun_path, o.addr.sun_path, len - sizeof(sa_family_t)) == 0;
}

UnixAddress AbstractAddress(const std::string& name) {
  UnixAddress a;
  a.addr.sun_family = AF_UNIX;
  a.addr.sun_path[0] = '\0';
  size_t n = std::min(name.size(), sizeof(a.addr.sun_path) - 1);
  std::memcpy(a.addr.sun_path + 1, name.data(), n);
  a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
  return a;
}

std::string UniqueAbstractName(const std::string& tag) {
  static std::atomic<unsigned> counter{0};
  unsigned long long r = 0;
  if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    r = static_cast<unsigned long long>(ts.tv_sec) * 1000000007ull + ts.tv_nsec;
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "ipcspec-unix-%s-%d-%u-%016llx", tag.c_str(), getpid(),
                counter.fetch_add(1), r);
  return buf;
}

PosixErrorOr<UnixAddress> PathAddress(const std::string& path) {
  UnixAddress a;
  a.addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() + 1 > sizeof(a.addr.sun_path)) {
    return PosixError(ENAMETOOLONG, "sockaddr_un for " + path + " (" +
                                        std::to_string(path.size()) + " bytes; sun_path holds " +
                                        std::to_string(sizeof(a.addr.sun_path)) +
                                        " with the NUL)");
  }
  std::memcpy(a.addr.sun_path, path.c_str(), path.size() + 1);
  a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return a;
}

UnixAddress FamilyOnlyAddress() {
  UnixAddress a;
  a.addr.sun_family = AF_UNIX;
  a.len = sizeof(sa_family_t);
  return a;
}

PosixError Bind(int fd, const UnixAddress& a) {
  if (bind(fd, a.get(), a.len) != 0) {
    return ErrnoError("bind(fd=" + std::to_string(fd) + ", " + a.ToString() + ")");
  }
  return NoError();
}

PosixError Connect(int fd, const UnixAddress& a) {
  if (connect(fd, a.get(), a.len) != 0) {
    return ErrnoError("connect(fd=" + std::to_string(fd) + ", " + a.ToString() + ")");
  }
  return NoError();
}

PosixErrorOr<UnixAddress> SockName(int fd) {
  UnixAddress a;
  a.len = sizeof(a.addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&a.addr), &a.len) != 0) {
    return ErrnoError("getsockname(fd=" + std::to_string(fd) + ")");
  }
  return a;
}

namespace {

// Longest name the tests put in a socket directory, plus its '/' and NUL.
constexpr size_t kNameRoom = 24;

}  // namespace

PosixErrorOr<SocketDir> MakeSocketDir() {
  IPCSPEC_ASSIGN_OR_RETURN(auto d, MakeFifoDir());
  if (d.first.size() + kNameRoom <= sizeof(sockaddr_un{}.sun_path)) {
    return SocketDir{d.first, d.second};
  }
  // Too long for sun_path: remove it now and use a short directory in /tmp.
  d.second->Run();
  std::string templ = "/tmp/ipcspec-unix.XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) return ErrnoError("mkdtemp(" + templ + ")");
  std::string dir = templ;
  auto cleanup = std::make_shared<Cleanup>([dir] {
    if (DIR* dp = opendir(dir.c_str())) {
      while (struct dirent* e = readdir(dp)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") unlink((dir + "/" + n).c_str());
      }
      closedir(dp);
    }
    rmdir(dir.c_str());
  });
  return SocketDir{dir, cleanup};
}

PosixError WaitReadable(int fd, const Deadline& deadline) {
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, deadline.RemainingMs());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoError("poll(fd=" + std::to_string(fd) + ", POLLIN)");
    if (r == 0) {
      return PosixError(ETIMEDOUT, "poll(fd=" + std::to_string(fd) +
                                       ", POLLIN): not readable by the deadline");
    }
    return NoError();
  }
}

PosixErrorOr<bool> ReadableNow(int fd) {
  struct pollfd p = {fd, POLLIN, 0};
  int r;
  do {
    r = poll(&p, 1, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return ErrnoError("poll(fd=" + std::to_string(fd) + ", POLLIN, 0)");
  return r > 0;
}

std::string Received::ToString() const {
  std::ostringstream os;
  os << "recvmsg returned " << n << ", msg_flags=0x" << std::hex << msg_flags << std::dec;
  if (msg_flags & MSG_TRUNC) os << " (MSG_TRUNC)";
  if (msg_flags & MSG_CTRUNC) os << " (MSG_CTRUNC)";
  os << ", " << fds.size() << " fd(s), " << cmsg_count << " control message(s)";
  if (creds) os << ", ucred{pid=" << creds->pid << " uid=" << creds->uid << " gid=" << creds->gid << "}";
  return os.str();
}

PosixErrorOr<Received> Receive(int fd, const RecvOptions& o, const Deadline& deadline) {
  if (o.wait) IPCSPEC_RETURN_IF_ERROR(WaitReadable(fd, deadline));
  std::vector<char> buf(std::max<size_t>(o.buffer, 1));
  // cmsghdr alignment for the control buffer.
  std::vector<cmsghdr> control_storage(o.control / sizeof(cmsghdr) + 2);
  struct iovec iov = {buf.data(), o.buffer};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (o.control > 0) {
    msg.msg_control = control_storage.data();
    msg.msg_controllen = o.control;
  }
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, o.flags | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    return ErrnoError("recvmsg(fd=" + std::to_string(fd) + ", len=" + std::to_string(o.buffer) +
                      ", controllen=" + std::to_string(o.control) + ")");
  }
  Received r;
  r.n = n;
  r.msg_flags = msg.msg_flags;
  r.controllen = static_cast<socklen_t>(msg.msg_controllen);
  r.data.assign(buf.data(), std::min(static_cast<size_t>(n), o.buffer));
  if (o.control > 0) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      ++r.cmsg_count;
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        r.rights_cmsg_len.push_back(c->cmsg_len);
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; ++i) {
          int v;
          std::memcpy(&v, CMSG_DATA(c) + i * sizeof(int), sizeof v);
          r.fds.emplace_back(v);
        }
      } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                 c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
        struct ucred u;
        std::memcpy(&u, CMSG_DATA(c), sizeof u);
        r.creds = u;
      }
    }
  }
  return r;
}

ssize_t SendFds(int sock, const void* data, size_t n, std::span<const int> fds, int flags) {
  if (fds.size() > kMaxFdsPerSend) {
    errno = E2BIG;
    return -1;
  }
  union {
    cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(int) * kMaxFdsPerSend)];
  } control;
  std::memset(&control, 0, sizeof control);
  struct iovec iov = {const_cast<void*>(data), n};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (!fds.empty()) {
    msg.msg_control = control.bytes;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t r;
  do {
    r = sendmsg(sock, &msg, flags);
  } while (r < 0 && errno == EINTR);
  return r;
}

ssize_t SendCreds(int sock, const void* data, size_t n, const struct ucred& creds, int flags) {
  union {
    cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(struct ucred))];
  } control;
  std::memset(&control, 0, sizeof control);
  struct iovec iov = {const_cast<void*>(data), n};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  std::memcpy(CMSG_DATA(c), &creds, sizeof creds);
  ssize_t r;
  do {
    r = sendmsg(sock, &msg, flags);
  } while (r < 0 && errno == EINTR);
  return r;
}

int RecvOneFd(int sock, char* buf, size_t n, ssize_t* got) {
  union {
    cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(int))];
  } control;
  std::memset(&control, 0, sizeof control);
  struct iovec iov = {buf, n};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  ssize_t r;
  do {
    r = recvmsg(sock, &msg, 0);
  } while (r < 0 && errno == EINTR);
  if (got) *got = r;
  if (r < 0) return -1;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
      c->cmsg_len != CMSG_LEN(sizeof(int))) {
    errno = EBADMSG;
    return -1;
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

PosixErrorOr<int> CountOpenFds() {
  // The DIR's own fd is counted in every call alike.
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return ErrnoError("opendir(/proc/self/fd)");
  int n = 0;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n;
}

PosixError WaitForEof(int fd, const Deadline& deadline) {
  IPCSPEC_RETURN_IF_ERROR(WaitReadable(fd, deadline));
  char b[64];
  ssize_t n;
  do {
    n = read(fd, b, sizeof b);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoError("read(fd=" + std::to_string(fd) + ")");
  if (n > 0) {
    return PosixError(EBADMSG, "read(fd=" + std::to_string(fd) + ") returned " +
                                   std::to_string(n) + " bytes, not end of file");
  }
  return NoError();
}


std::optional<unsigned> MappedIdOtherThan(const std::string& map_file,
                                          std::vector<unsigned> avoid) {
  std::ifstream in(map_file);
  unsigned long inside, outside, count;
  std::vector<std::pair<unsigned long, unsigned long>> ranges;
  while (in >> inside >> outside >> count) ranges.emplace_back(inside, count);
  // Prefer the conventional "nobody" id, then anything in a mapped range.
  std::vector<unsigned long> candidates = {65534, 12345, 1, 2, 3};
  for (auto [first, n] : ranges) {
    for (unsigned long k = 0; k < std::min(n, 8ul); ++k) candidates.push_back(first + k);
  }
  for (unsigned long c : candidates) {
    if (c >= 0xffffffffu) continue;
    if (std::find(avoid.begin(), avoid.end(), static_cast<unsigned>(c)) != avoid.end()) continue;
    for (auto [first, n] : ranges) {
      if (c >= first && c - first < n) return static_cast<unsigned>(c);
    }
  }
  return std::nullopt;
}

Need UnixOobNeed() {
  return Need::Feature("unix-oob", []() -> std::optional<std::string> {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0) {
      return std::nullopt;  // the test fails on it
    }
    FileDescriptor a(sv[0]), b(sv[1]);
    if (send(a.get(), "x", 1, MSG_OOB | MSG_NOSIGNAL) != 1) {
      int err = errno;
      if (err == EOPNOTSUPP || err == EINVAL || err == ENOSYS) {
        return std::string("send(MSG_OOB) on an AF_UNIX stream pair: ") + strerror(err);
      }
      return std::nullopt;
    }
    int answ = 0;
    if (ioctl(b.get(), SIOCATMARK, &answ) != 0) {
      int err = errno;
      if (err == ENOTTY || err == EINVAL || err == EOPNOTSUPP) {
        return std::string("send(MSG_OOB) accepted but SIOCATMARK fails: ") + strerror(err);
      }
    }
    return std::nullopt;
  });
}

}  // namespace ipcspec
