// Helpers for the AF_UNIX documented-semantics tests (suites/unix_socket):
// sockets and addresses, sendmsg/recvmsg with ancillary data, receiving with
// a deadline, counting open fds. SIGPIPE blocking and capabilities are
// impl/core's (sigpipe.h, privilege.h), used directly.
//
// Functions marked "child-safe" only make system calls and touch the stack:
// a forked child may call them (no allocation, no locks).
#pragma once

#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "impl/core/child_report.h"  // what children report
#include "impl/core/cleanup.h"
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/posix_error.h"
#include "impl/core/privilege.h"
#include "impl/core/sigpipe.h"

namespace ipcspec {

// "SOCK_DGRAM", "SOCK_SEQPACKET", "SOCK_STREAM".
std::string TypeName(int type);

struct SocketPair {
  FileDescriptor a;
  FileDescriptor b;
};

// socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0); `type` may carry SOCK_NONBLOCK.
PosixErrorOr<SocketPair> MakeSocketPair(int type);
// socket(AF_UNIX, type | SOCK_CLOEXEC, 0).
PosixErrorOr<FileDescriptor> MakeSocket(int type);

// A sockaddr_un with the length that goes with it.
struct UnixAddress {
  sockaddr_un addr{};
  socklen_t len = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&addr); }
  bool IsAbstract() const { return len > sizeof(sa_family_t) && addr.sun_path[0] == '\0'; }
  bool IsUnnamed() const { return len == sizeof(sa_family_t); }
  // The name bytes: the abstract name after the leading NUL, or the path.
  std::string Name() const;
  // "@name" (NULs in the name shown as \0), "/path", or "(unnamed)".
  std::string ToString() const;
  bool operator==(const UnixAddress& o) const;
};

// An abstract address: sun_path[0] = '\0' followed by `name`, addrlen covering
// exactly the name (man 7 unix, "abstract").
UnixAddress AbstractAddress(const std::string& name);
// A fresh abstract name nobody else uses: "ipcspec-unix-TAG-PID-COUNTER-RANDOM"
// (tests of several processes can share a network namespace).
std::string UniqueAbstractName(const std::string& tag);
// A pathname address with addrlen = offsetof(sun_path) + strlen + 1.
// ENAMETOOLONG when the path does not fit in sun_path with its NUL.
PosixErrorOr<UnixAddress> PathAddress(const std::string& path);
// The autobind request: addrlen == sizeof(sa_family_t).
UnixAddress FamilyOnlyAddress();

PosixError Bind(int fd, const UnixAddress& a);
PosixError Connect(int fd, const UnixAddress& a);
PosixErrorOr<UnixAddress> SockName(int fd);

// A directory for socket files: MakeFifoDir() (//impl/fifo), or, when its
// path leaves too little of sun_path's 108 bytes, /tmp/ipcspec-unix.XXXXXX
// from mkdtemp. The cleanup removes every file in it, then the directory.
struct SocketDir {
  std::string path;
  std::shared_ptr<Cleanup> cleanup;
  std::string Join(const std::string& name) const { return path + "/" + name; }
};
PosixErrorOr<SocketDir> MakeSocketDir();

// Waits (poll) until fd is readable or has hung up. ETIMEDOUT at the deadline.
PosixError WaitReadable(int fd, const Deadline& deadline);
// Whether fd is readable right now (poll with a zero timeout).
PosixErrorOr<bool> ReadableNow(int fd);

// One recvmsg.
struct Received {
  ssize_t n = -1;                      // recvmsg's return value
  int msg_flags = 0;                   // msg.msg_flags after the call
  std::string data;                    // the bytes placed in the buffer
  std::vector<FileDescriptor> fds;     // every fd of every SCM_RIGHTS message
  std::vector<size_t> rights_cmsg_len; // cmsg_len of each SCM_RIGHTS message
  std::optional<struct ucred> creds;   // the SCM_CREDENTIALS message, if any
  int cmsg_count = 0;
  socklen_t controllen = 0;            // msg.msg_controllen after the call
  std::string ToString() const;
};

struct RecvOptions {
  size_t buffer = 4096;     // data buffer size
  size_t control = 0;       // control buffer size (0: msg_control = NULL)
  int flags = 0;            // recvmsg flags; MSG_DONTWAIT is always added
  bool wait = true;         // poll for readability (with the deadline) first
};
// Waits for readability (unless !wait), then recvmsg(fd, ..., flags |
// MSG_DONTWAIT). The call's errno on failure.
PosixErrorOr<Received> Receive(int fd, const RecvOptions& o,
                               const Deadline& deadline = Deadline::Default());

// sendmsg with one SCM_RIGHTS message holding `fds` (none when empty) and
// the data. Returns sendmsg's result; errno is sendmsg's. Child-safe; at most
// kMaxFdsPerSend fds.
inline constexpr size_t kMaxFdsPerSend = 300;
ssize_t SendFds(int sock, const void* data, size_t n, std::span<const int> fds, int flags = 0);
// sendmsg with one SCM_CREDENTIALS message. Child-safe.
ssize_t SendCreds(int sock, const void* data, size_t n, const struct ucred& creds,
                  int flags = 0);
// Blocking recvmsg of one message expecting one fd: returns the fd, or -1
// with errno (EBADMSG when no fd came). Child-safe.
int RecvOneFd(int sock, char* buf, size_t n, ssize_t* got);

// The number of open fds of this process (/proc/self/fd).
PosixErrorOr<int> CountOpenFds();

// Whether reading fd (a pipe read end) gives end of file: waits for it until
// the deadline (ETIMEDOUT then). Unread data is an error (EBADMSG).
PosixError WaitForEof(int fd, const Deadline& deadline);

// An id mapped in this user namespace (/proc/self/uid_map or gid_map) that
// is none of `avoid`, or nullopt.
std::optional<unsigned> MappedIdOtherThan(const std::string& map_file,
                                          std::vector<unsigned> avoid);

// `feature:unix-oob`: one byte sent with MSG_OOB on a fresh stream pair is
// accepted and the receiving end has an urgent mark to ask about
// (SIOCATMARK). A kernel without CONFIG_AF_UNIX_OOB refuses the send
// (EOPNOTSUPP); gVisor accepts the flag but has no mark (SIOCATMARK fails
// ENOTTY): neither has the feature.
Need UnixOobNeed();

}  // namespace ipcspec
