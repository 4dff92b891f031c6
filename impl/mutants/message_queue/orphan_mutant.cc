// A MessageQueue that keeps a Unix socket on disk beside its queue (say, a
// notification channel) and unlinks it only in its destructor: a crashed
// user leaves the socket file behind, which no IPC listing shows.
// CrashedOpenerLeavesOnlyFindableObjects (suites/common/crashed_opener.cc)
// must catch it (//suites/selftest/message_queue).
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "impl/api/message_queue.h"
#include "impl/mutants/message_queue/forwarding.h"
#include "impl/core/file_descriptor.h"
#include "impl/posix_mq/posix_mq.h"

namespace ipcspec {
namespace {

constexpr PosixMqOptions kQueue{4, 32, false};

class LeavesASocket : public ForwardingQueue {
 public:
  LeavesASocket(std::unique_ptr<MessageQueue> inner, FileDescriptor sock, std::string path)
      : ForwardingQueue(std::move(inner)), sock_(std::move(sock)), path_(std::move(path)) {}
  ~LeavesASocket() override { unlink(path_.c_str()); }

 private:
  FileDescriptor sock_;
  std::string path_;
};

PosixErrorOr<MessageQueueInstance> Open() {
  static std::atomic<int> n{0};
  // In /tmp, where the sandbox gives each test its own tmpfs (a socket path
  // under $TEST_TMPDIR would not fit in sun_path).
  std::string path = std::string("/tmp/mutant-notify-") +
                     std::to_string(getpid()) + "-" + std::to_string(n++) + ".sock";
  FileDescriptor s(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return PosixError(errno, "socket(AF_UNIX)");
  struct sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return PosixError(ENAMETOOLONG, "socket path " + path);
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  if (bind(s.get(), reinterpret_cast<struct sockaddr*>(&a), sizeof a) != 0) {
    return PosixError(errno, "bind(" + path + ")");
  }
  IPCSPEC_ASSIGN_OR_RETURN(std::unique_ptr<PosixMq> q, PosixMq::Create(kQueue));
  return MessageQueueInstance{std::make_unique<LeavesASocket>(std::move(q), std::move(s), path)};
}

MessageQueueKind Make() {
  MessageQueueKind k{"mutant_posix_mq_leaves_socket", "posix_mq",
                     "POSIX mq with a Unix socket on disk that only its destructor unlinks",
                     PosixMqCaps(kQueue), Open};
  k.mutant = true;
  k.base = "posix_mq";
  k.mutant_bug = "a crashed user leaves a socket file that no IPC listing shows";
  return k;
}

IPCSPEC_REGISTER_KIND(MessageQueueInterface, Make());

}  // namespace
}  // namespace ipcspec
