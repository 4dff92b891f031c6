// The non-blocking forms of calls no Kind covers, one row each (issue 14):
// the call cannot proceed (a held lock, an empty pipe, socket, queue or
// descriptor, a full queue, a semaphore at zero, a futex word that does not
// match, no pending signal, nothing ready within a zero timeout) and must
// fail with its documented errno, or return nothing ready, at once and with
// no voluntary context switch (never_sleeps.h). Each row cites the sentence.
//   bazel test //suites/nonblocking:nonblocking_calls_test --test_filter='*/flock_lock_nb'
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/api/lock.h"
#include "impl/core/checkpoint.h"
#include "impl/core/cleanup.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/file_lock/file_lock.h"
#include "impl/sysv_msg/sysv_msg.h"
#include "impl/sysv_sem/sysv_sem.h"
#include "impl/verdict/verdict.h"
#include "suites/nonblocking/never_sleeps.h"

namespace ipcspec {
namespace {

// A child that takes something (acquire() returns 0 when it holds it), says
// so, and holds it until the Holder is destroyed.
class Holder {
 public:
  static PosixErrorOr<std::unique_ptr<Holder>> Start(std::function<int()> acquire,
                                                     std::function<void()> let_go) {
    IPCSPEC_ASSIGN_OR_RETURN(Checkpoint cp, Checkpoint::Create());
    auto h = std::unique_ptr<Holder>(new Holder(std::move(cp)));
    Checkpoint& stage = *h->stage_;
    IPCSPEC_ASSIGN_OR_RETURN(h->child_, Child::Fork([&stage, acquire, let_go]() -> int {
      if (int e = acquire(); e != 0) return e;
      stage.Signal(1);
      if (!stage.WaitFor(2, Deadline::Default()).ok()) return 100;
      let_go();
      return 0;
    }));
    IPCSPEC_RETURN_IF_ERROR(stage.WaitFor(1, Deadline::Default()));
    return h;
  }
  ~Holder() {
    stage_->Signal(2);
    (void)child_.Wait();
  }

 private:
  explicit Holder(Checkpoint cp) : stage_(std::move(cp)) {}
  std::optional<Checkpoint> stage_;
  Child child_;
};

// What a row sets up: the call, and whatever must live while it runs.
struct Prepared {
  std::string what;
  std::vector<int> errnos;  // 0: the call succeeds (nothing ready)
  NonBlockingCall call;
  std::vector<FileDescriptor> fds;
  std::vector<std::shared_ptr<void>> keep;  // destroyed after the fds' users
  std::vector<Cleanup> cleanups;
};

struct Row {
  std::string name;
  std::string cites;
  std::vector<Need> needs;
  std::function<PosixErrorOr<std::shared_ptr<Prepared>>()> prepare;
};
void PrintTo(const Row& r, std::ostream* os) { *os << r.name; }

PosixError FromResult(long r, const std::string& call) {
  return r < 0 ? ErrnoError(call) : NoError();
}
// For calls that report "nothing ready" by returning 0.
PosixError NothingReady(int r, const std::string& call) {
  if (r < 0) return ErrnoError(call);
  if (r > 0) return PosixError(EPROTO, call + " returned " + std::to_string(r) + ", not 0");
  return NoError();
}

PosixErrorOr<FileDescriptor> Opened(int fd, const std::string& call) {
  if (fd < 0) return ErrnoError(call);
  return FileDescriptor(fd);
}

PosixErrorOr<std::string> LockFilePath(Prepared& p) {
  std::string path = LockFileDir() + "/ipcspec_nonblock_XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0) return ErrnoError("mkstemp(" + path + ")");
  p.fds.emplace_back(fd);
  p.cleanups.emplace_back([path] { unlink(path.c_str()); });
  return path;
}

Need OfdLocks() {
  return Need::Feature("ofd-locks", []() -> std::optional<std::string> {
    PosixError e = ProbeOfdLocks();
    if (e.ok() || e.errno_value() != EINVAL) return std::nullopt;
    return e.ToString();
  });
}

// POSIX message queues whose send and receive work (gVisor: ENOSYS).
Need PosixMq() {
  return Need::Feature("posix-mq", []() -> std::optional<std::string> {
    std::string name = "/ipcspec_nonblock_probe_" + std::to_string(getpid());
    struct mq_attr a = {};
    a.mq_maxmsg = 1;
    a.mq_msgsize = 16;
    mqd_t q = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &a);
    if (q == static_cast<mqd_t>(-1)) {
      if (errno == ENOSYS) return "mq_open: ENOSYS";
      return std::nullopt;
    }
    mq_unlink(name.c_str());
    char buf[16];
    std::optional<std::string> unmet;
    if (mq_receive(q, buf, sizeof buf, nullptr) < 0 && errno == ENOSYS) {
      unmet = "mq_receive: ENOSYS";
    }
    mq_close(q);
    return unmet;
  });
}

PosixErrorOr<std::shared_ptr<Prepared>> PosixMqPrepared(bool full) {
  auto p = std::make_shared<Prepared>();
  std::string name = "/ipcspec_nonblock_" + std::to_string(getpid());
  struct mq_attr a = {};
  a.mq_maxmsg = 1;
  a.mq_msgsize = 16;
  mqd_t q = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &a);
  if (q == static_cast<mqd_t>(-1)) return ErrnoError("mq_open(" + name + ", O_NONBLOCK)");
  p->fds.emplace_back(q);  // a message queue descriptor is a file descriptor on Linux
  if (mq_unlink(name.c_str()) != 0) return ErrnoError("mq_unlink(" + name + ")");
  static const char kMsg[16] = "x";
  if (full) {
    if (mq_send(q, kMsg, sizeof kMsg, 0) != 0) return ErrnoError("mq_send (first)");
    p->what = "mq_send to a full queue (mq_maxmsg 1), O_NONBLOCK";
    p->call = [q] { return FromResult(mq_send(q, kMsg, sizeof kMsg, 0), "mq_send"); };
  } else {
    p->what = "mq_receive from an empty queue, O_NONBLOCK";
    p->call = [q] {
      char buf[16];
      return FromResult(mq_receive(q, buf, sizeof buf, nullptr), "mq_receive");
    };
  }
  p->errnos = {EAGAIN};
  return p;
}

// An empty pipe whose ends `p` owns.
PosixError EmptyPipe(Prepared& p, int* r, int* w) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  p.fds.emplace_back(fds[0]);
  p.fds.emplace_back(fds[1]);
  *r = fds[0];
  *w = fds[1];
  return NoError();
}

// A row whose `call` runs on the read end of an empty pipe (the write end
// open) and the write end of another pipe.
Row PipeToPipeRow(std::string name, std::string cites, std::string what,
                  std::function<PosixError(int from, int to)> call) {
  return Row{std::move(name), std::move(cites), {},
             [what, call]() -> PosixErrorOr<std::shared_ptr<Prepared>> {
               auto p = std::make_shared<Prepared>();
               int r, w, r2, w2;
               IPCSPEC_RETURN_IF_ERROR(EmptyPipe(*p, &r, &w));
               IPCSPEC_RETURN_IF_ERROR(EmptyPipe(*p, &r2, &w2));
               p->what = what;
               p->errnos = {EAGAIN};
               p->call = [call, r, w2] { return call(r, w2); };
               return p;
             }};
}

// A row whose call waits for an empty pipe's read end to be readable with a
// zero timeout, and must return 0 (nothing ready) at once. `make` gets the
// read end and returns the call.
Row ZeroTimeoutRow(std::string name, std::string cites, std::string what,
                   std::function<PosixErrorOr<NonBlockingCall>(Prepared&, int r)> make) {
  return Row{std::move(name), std::move(cites), {},
             [what, make]() -> PosixErrorOr<std::shared_ptr<Prepared>> {
               auto p = std::make_shared<Prepared>();
               int r, w;
               IPCSPEC_RETURN_IF_ERROR(EmptyPipe(*p, &r, &w));
               IPCSPEC_ASSIGN_OR_RETURN(p->call, make(*p, r));
               p->what = what;
               p->errnos = {0};
               return p;
             }};
}

// A row over a file write-locked (F_OFD_SETLK, so that the lock belongs to
// the open file description) or flock(LOCK_EX)ed through one open: `call`
// runs on a second open of it.
Row SecondDescriptionRow(std::string name, std::string cites, std::vector<Need> needs,
                         std::string what, std::vector<int> errnos,
                         std::function<PosixError(int fd)> call) {
  const bool by_flock = name.rfind("flock", 0) == 0;
  return Row{std::move(name), std::move(cites), std::move(needs),
             [=]() -> PosixErrorOr<std::shared_ptr<Prepared>> {
               auto p = std::make_shared<Prepared>();
               IPCSPEC_ASSIGN_OR_RETURN(std::string path, LockFilePath(*p));
               struct flock fl = FlockRange(F_WRLCK, 0, 0);
               if (by_flock ? flock(p->fds[0].get(), LOCK_EX) != 0
                            : fcntl(p->fds[0].get(), F_OFD_SETLK, &fl) != 0) {
                 return ErrnoError(by_flock ? "flock(LOCK_EX)" : "fcntl(F_OFD_SETLK)");
               }
               IPCSPEC_ASSIGN_OR_RETURN(FileDescriptor other,
                                        Opened(open(path.c_str(), O_RDWR | O_CLOEXEC), "open"));
               int fd = other.get();
               p->fds.push_back(std::move(other));
               p->what = what;
               p->errnos = errnos;
               p->call = [call, fd] { return call(fd); };
               return p;
             }};
}

std::vector<Row> Rows() {
  std::vector<Row> rows;
  rows.push_back(Row{
      "fcntl_setlk",
      "man 2 fcntl, F_SETLK: \"If a conflicting lock is held by another process, this call "
      "returns -1 and sets errno to EACCES or EAGAIN.\"",
      {},
      []() -> PosixErrorOr<std::shared_ptr<Prepared>> {
        auto p = std::make_shared<Prepared>();
        IPCSPEC_ASSIGN_OR_RETURN(std::string path, LockFilePath(*p));
        IPCSPEC_ASSIGN_OR_RETURN(auto h, Holder::Start(
                                             [path]() -> int {
                                               int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
                                               struct flock fl = FlockRange(F_WRLCK, 0, 0);
                                               return fd >= 0 && fcntl(fd, F_SETLK, &fl) == 0
                                                          ? 0
                                                          : 10;
                                             },
                                             [] {}));
        p->keep.emplace_back(std::move(h));
        int fd = p->fds[0].get();
        p->what = "fcntl(F_SETLK, F_WRLCK) of a file another process write-locked";
        p->errnos = {EACCES, EAGAIN};
        p->call = [fd] {
          struct flock fl = FlockRange(F_WRLCK, 0, 0);
          return FromResult(fcntl(fd, F_SETLK, &fl), "fcntl(F_SETLK)");
        };
        return p;
      }});
  rows.push_back(SecondDescriptionRow(
      "fcntl_ofd_setlk",
      "man 2 fcntl, F_OFD_SETLK: \"If a conflicting lock is held by another process, this call "
      "returns -1 and sets errno to EAGAIN.\"",
      {OfdLocks()}, "fcntl(F_OFD_SETLK, F_WRLCK) through another open file description",
      {EAGAIN}, [](int fd) {
        struct flock fl = FlockRange(F_WRLCK, 0, 0);
        return FromResult(fcntl(fd, F_OFD_SETLK, &fl), "fcntl(F_OFD_SETLK)");
      }));
  rows.push_back(SecondDescriptionRow(
      "flock_lock_nb",
      "man 2 flock: \"To make a nonblocking request, include LOCK_NB (by ORing) with any of the "
      "above operations.\"; \"EWOULDBLOCK The file is locked and the LOCK_NB flag was "
      "selected.\"",
      {}, "flock(LOCK_EX | LOCK_NB) through another open file description", {EWOULDBLOCK},
      [](int fd) { return FromResult(flock(fd, LOCK_EX | LOCK_NB), "flock(LOCK_NB)"); }));
  rows.push_back(Row{
      "pthread_mutex_trylock",
      "POSIX pthread_mutex_trylock: \"if the mutex object referenced by mutex is currently "
      "locked (by any thread, including the current thread), the call shall return "
      "immediately\"; \"[EBUSY] The mutex could not be acquired because it was already "
      "locked.\"",
      {},
      []() -> PosixErrorOr<std::shared_ptr<Prepared>> {
        auto p = std::make_shared<Prepared>();
        IPCSPEC_ASSIGN_OR_RETURN(auto m, SharedObject<pthread_mutex_t>::Create());
        pthread_mutexattr_t a;
        pthread_mutexattr_init(&a);
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
        int r = pthread_mutex_init(m.get(), &a);
        pthread_mutexattr_destroy(&a);
        if (r != 0) return PosixError(r, "pthread_mutex_init(PTHREAD_PROCESS_SHARED)");
        auto mutex = std::make_shared<SharedObject<pthread_mutex_t>>(std::move(m));
        pthread_mutex_t* mp = mutex->get();
        IPCSPEC_ASSIGN_OR_RETURN(
            auto h, Holder::Start([mp] { return pthread_mutex_lock(mp) == 0 ? 0 : 10; },
                                  [mp] { pthread_mutex_unlock(mp); }));
        p->keep.emplace_back(std::move(h));
        p->keep.emplace_back(mutex);
        p->what = "pthread_mutex_trylock of a process-shared mutex another process holds";
        p->errnos = {EBUSY};
        p->call = [mp] {
          int e = pthread_mutex_trylock(mp);
          if (e == 0) pthread_mutex_unlock(mp);
          return e == 0 ? NoError() : PosixError(e, "pthread_mutex_trylock");
        };
        return p;
      }});
  rows.push_back(PipeToPipeRow(
      "splice_nonblock",
      "man 2 splice: \"EAGAIN SPLICE_F_NONBLOCK was specified in flags or one of the file "
      "descriptors had been marked as nonblocking (O_NONBLOCK), and the operation would "
      "block.\"",
      "splice(empty pipe -> pipe, SPLICE_F_NONBLOCK)", [](int from, int to) {
        return FromResult(splice(from, nullptr, to, nullptr, 4096, SPLICE_F_NONBLOCK),
                          "splice");
      }));
  rows.push_back(PipeToPipeRow(
      "tee_nonblock",
      "man 2 tee: \"EAGAIN SPLICE_F_NONBLOCK was specified in flags or one of the file "
      "descriptors had been marked as nonblocking (O_NONBLOCK), and the operation would "
      "block.\"",
      "tee(empty pipe, pipe, SPLICE_F_NONBLOCK)",
      [](int from, int to) { return FromResult(tee(from, to, 4096, SPLICE_F_NONBLOCK), "tee"); }));
  rows.push_back(Row{
      "accept4_nonblocking_listener",
      "man 2 accept: \"If the socket is marked nonblocking and no pending connections are "
      "present on the queue, accept() fails with the error EAGAIN or EWOULDBLOCK.\"",
      {},
      []() -> PosixErrorOr<std::shared_ptr<Prepared>> {
        auto p = std::make_shared<Prepared>();
        IPCSPEC_ASSIGN_OR_RETURN(
            FileDescriptor s,
            Opened(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), "socket"));
        // Autobind: an abstract name of the kernel's choosing (man 7 unix).
        struct sockaddr_un a = {};
        a.sun_family = AF_UNIX;
        if (bind(s.get(), reinterpret_cast<struct sockaddr*>(&a), sizeof(sa_family_t)) != 0) {
          return ErrnoError("bind(autobind)");
        }
        if (listen(s.get(), 4) != 0) return ErrnoError("listen");
        int fd = s.get();
        p->fds.push_back(std::move(s));
        p->what = "accept4 on a non-blocking AF_UNIX listener with no pending connection";
        p->errnos = {EAGAIN, EWOULDBLOCK};
        p->call = [fd] {
          FileDescriptor got(accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
          return got.valid() ? NoError() : ErrnoError("accept4");
        };
        return p;
      }});
  rows.push_back(Row{
      "recv_msg_dontwait_stream",
      "man 2 recv, MSG_DONTWAIT: \"Enables nonblocking operation; if the operation would "
      "block, the call fails with the error EAGAIN or EWOULDBLOCK.\"",
      {},
      []() -> PosixErrorOr<std::shared_ptr<Prepared>> {
        auto p = std::make_shared<Prepared>();
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
          return ErrnoError("socketpair(SOCK_STREAM)");
        }
        p->fds.emplace_back(sv[0]);
        p->fds.emplace_back(sv[1]);
        int fd = sv[1];
        p->what = "recv(MSG_DONTWAIT) on an empty blocking AF_UNIX stream socket";
        p->errnos = {EAGAIN, EWOULDBLOCK};
        p->call = [fd] {
          char buf[64];
          return FromResult(recv(fd, buf, sizeof buf, MSG_DONTWAIT), "recv(MSG_DONTWAIT)");
        };
        return p;
      }});
  rows.push_back(Row{
      "msgrcv_ipc_nowait",
      "man 2 msgop, IPC_NOWAIT: \"Return immediately if no message of the requested type is in "
      "the queue. The system call fails with errno set to ENOMSG.\"",
      {},
      []() -> PosixErrorOr<std::shared_ptr<Prepared>> {
        auto p = std::make_shared<Prepared>();
        IPCSPEC_ASSIGN_OR_RETURN(SysvMsgId q, CreateSysvMsgId());
        int id = q.get();
        p->keep.emplace_back(std::make_shared<SysvMsgId>(std::move(q)));
        p->what = "msgrcv(IPC_NOWAIT) of an empty queue";
        p->errnos = {ENOMSG};
        p->call = [id] {
          struct {
            long mtype;
            char mtext[64];
          } m;
          return FromResult(msgrcv(id, &m, sizeof m.mtext, 0, IPC_NOWAIT), "msgrcv(IPC_NOWAIT)");
        };
        return p;
      }});
  rows.push_back(Row{
      "msgsnd_ipc_nowait",
      "man 2 msgop, msgsnd(): \"If insufficient space is available in the queue, then the "
      "default behavior of msgsnd() is to block until space becomes available. If IPC_NOWAIT "
      "is specified in msgflg, then the call instead fails with the error EAGAIN.\"",
      {},
      []() -> PosixErrorOr<std::shared_ptr<Prepared>> {
        auto p = std::make_shared<Prepared>();
        IPCSPEC_ASSIGN_OR_RETURN(SysvMsgId q, CreateSysvMsgId(/*qbytes=*/16));
        int id = q.get();
        p->keep.emplace_back(std::make_shared<SysvMsgId>(std::move(q)));
        struct {
          long mtype;
          char mtext[16];
        } m = {1, "full"};
        if (msgsnd(id, &m, sizeof m.mtext, IPC_NOWAIT) != 0) return ErrnoError("msgsnd (fill)");
        p->what = "msgsnd(IPC_NOWAIT) to a queue at its msg_qbytes (16)";
        p->errnos = {EAGAIN};
        p->call = [id, m] { return FromResult(msgsnd(id, &m, 1, IPC_NOWAIT), "msgsnd"); };
        return p;
      }});
  rows.push_back(Row{
      "semop_ipc_nowait",
      "man 2 semop: \"If the absolute value of sem_op is greater than semval, and IPC_NOWAIT "
      "is specified in sem_flg, semop() fails, with errno set to EAGAIN (and none of the "
      "operations in sops is performed).\"",
      {},
      []() -> PosixErrorOr<std::shared_ptr<Prepared>> {
        auto p = std::make_shared<Prepared>();
        IPCSPEC_ASSIGN_OR_RETURN(SysvSemSet s, SysvSemSet::Create(IPC_PRIVATE, 1));
        int id = s.id();
        p->keep.emplace_back(std::make_shared<SysvSemSet>(std::move(s)));
        p->what = "semop(-1, IPC_NOWAIT) of a semaphore at 0";
        p->errnos = {EAGAIN};
        p->call = [id] {
          struct sembuf op = {0, -1, IPC_NOWAIT};
          return FromResult(semop(id, &op, 1), "semop(IPC_NOWAIT)");
        };
        return p;
      }});
  rows.push_back(Row{
      "mq_receive_nonblock",
      "man 3 mq_receive: \"If the queue is empty, then, by default, mq_receive() blocks until a "
      "message becomes available, or the call is interrupted by a signal handler. If the "
      "O_NONBLOCK flag is enabled for the message queue description, then the call instead "
      "fails immediately with the error EAGAIN.\"",
      {PosixMq()},
      [] { return PosixMqPrepared(false); }});
  rows.push_back(Row{
      "mq_send_nonblock",
      "man 3 mq_send: \"If the message queue is already full (i.e., the number of messages on "
      "the queue equals the queue's mq_maxmsg attribute), then, by default, mq_send() blocks "
      "until sufficient space becomes available to allow the message to be queued, or until "
      "the call is interrupted by a signal handler. If the O_NONBLOCK flag is enabled for the "
      "message queue description, then the call instead fails immediately with the error "
      "EAGAIN.\"",
      {PosixMq()},
      [] { return PosixMqPrepared(true); }});
  rows.push_back(Row{
      "sem_trywait",
      "man 3 sem_wait: \"sem_trywait() is the same as sem_wait(), except that if the decrement "
      "cannot be immediately performed, then call returns an error (errno set to EAGAIN) "
      "instead of blocking.\"",
      {},
      []() -> PosixErrorOr<std::shared_ptr<Prepared>> {
        auto p = std::make_shared<Prepared>();
        auto sem = std::make_shared<sem_t>();
        if (sem_init(sem.get(), 0, 0) != 0) return ErrnoError("sem_init(0)");
        sem_t* s = sem.get();
        p->keep.emplace_back(sem);
        p->cleanups.emplace_back([s] { sem_destroy(s); });
        p->what = "sem_trywait of a semaphore at 0";
        p->errnos = {EAGAIN};
        p->call = [s] { return FromResult(sem_trywait(s), "sem_trywait"); };
        return p;
      }});
  auto read_row = [](std::string name, std::string cites, std::string what,
                     std::function<int()> make) {
    return Row{std::move(name), std::move(cites), {},
               [what, make]() -> PosixErrorOr<std::shared_ptr<Prepared>> {
                 auto p = std::make_shared<Prepared>();
                 IPCSPEC_ASSIGN_OR_RETURN(FileDescriptor f, Opened(make(), what));
                 int fd = f.get();
                 p->fds.push_back(std::move(f));
                 p->what = "read(2) of " + what;
                 p->errnos = {EAGAIN};
                 p->call = [fd] {
                   char buf[sizeof(struct signalfd_siginfo)];
                   return FromResult(read(fd, buf, sizeof buf), "read");
                 };
                 return p;
               }};
  };
  rows.push_back(read_row(
      "eventfd_read_nonblock",
      "man 2 eventfd: \"If the eventfd counter is zero at the time of the call to read(2), then "
      "the call either blocks until the counter becomes nonzero ... or fails with the error "
      "EAGAIN if the file descriptor has been made nonblocking.\"",
      "eventfd(0, EFD_NONBLOCK)", [] { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }));
  rows.push_back(read_row(
      "signalfd_read_nonblock",
      "man 2 signalfd: \"If none of the signals in mask is pending for the process, then the "
      "read either blocks until one of the signals in mask is generated for the process, or "
      "fails with the error EAGAIN if the file descriptor has been made nonblocking.\"",
      "signalfd({SIGUSR2}, SFD_NONBLOCK) with nothing pending", [] {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR2);
        return signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC);
      }));
  rows.push_back(read_row(
      "timerfd_read_nonblock",
      "man 2 timerfd_create, read(2): \"If no timer expirations have occurred at the time of "
      "the read(2), then the call either blocks until the next timer expiration, or fails "
      "with the error EAGAIN if the file descriptor has been made nonblocking\"",
      "timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), disarmed",
      [] { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }));
  rows.push_back(Row{
      "fifo_read_nonblock",
      "man 2 read: \"EAGAIN The file descriptor fd refers to a file other than a socket and "
      "has been marked nonblocking (O_NONBLOCK), and the read would block.\"; man 7 pipe: \"If "
      "a process attempts to read from an empty pipe, then read(2) will block until data is "
      "available.\"",
      {},
      []() -> PosixErrorOr<std::shared_ptr<Prepared>> {
        auto p = std::make_shared<Prepared>();
        std::string path = LockFileDir() + "/ipcspec_nonblock_fifo_" + std::to_string(getpid());
        if (mkfifo(path.c_str(), 0600) != 0) return ErrnoError("mkfifo(" + path + ")");
        p->cleanups.emplace_back([path] { unlink(path.c_str()); });
        IPCSPEC_ASSIGN_OR_RETURN(
            FileDescriptor r,
            Opened(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC), "open(O_RDONLY)"));
        IPCSPEC_ASSIGN_OR_RETURN(
            FileDescriptor w,
            Opened(open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC), "open(O_WRONLY)"));
        int fd = r.get();
        p->fds.push_back(std::move(r));
        p->fds.push_back(std::move(w));
        p->what = "read(2) of an empty FIFO opened O_NONBLOCK, a writer present";
        p->errnos = {EAGAIN};
        p->call = [fd] {
          char buf[64];
          return FromResult(read(fd, buf, sizeof buf), "read(FIFO)");
        };
        return p;
      }});
  rows.push_back(Row{
      "futex_wait_value_mismatch",
      "man 2 futex, FUTEX_WAIT: \"If the futex value does not match val, then the call fails "
      "immediately with the error EAGAIN.\"",
      {},
      []() -> PosixErrorOr<std::shared_ptr<Prepared>> {
        auto p = std::make_shared<Prepared>();
        auto word = std::make_shared<uint32_t>(1);
        uint32_t* w = word.get();
        p->keep.emplace_back(word);
        p->what = "futex(FUTEX_WAIT, val 0) of a word holding 1 (1 s timeout)";
        p->errnos = {EAGAIN};
        p->call = [w] {
          // A deadline in case the kernel does wait: the check then fails, not hangs.
          struct timespec t = {1, 0};
          return FromResult(syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, 0, &t, nullptr, 0),
                            "futex(FUTEX_WAIT)");
        };
        return p;
      }});
  rows.push_back(Row{
      "sigtimedwait_zero_timeout",
      "man 2 sigtimedwait: \"If both fields of this structure are specified as 0, a poll is "
      "performed: sigtimedwait() returns immediately, either with information about a signal "
      "that was pending for the caller, or with an error if none of the signals in set was "
      "pending.\"",
      {},
      []() -> PosixErrorOr<std::shared_ptr<Prepared>> {
        auto p = std::make_shared<Prepared>();
        p->what = "sigtimedwait({SIGUSR2}, {0, 0}) with nothing pending";
        p->errnos = {EAGAIN};
        p->call = [] {
          sigset_t s;
          sigemptyset(&s);
          sigaddset(&s, SIGUSR2);
          struct timespec zero = {0, 0};
          return FromResult(sigtimedwait(&s, nullptr, &zero), "sigtimedwait");
        };
        return p;
      }});
  rows.push_back(ZeroTimeoutRow(
      "epoll_wait_zero_timeout",
      "man 2 epoll_wait: \"Specifying a timeout of zero causes epoll_wait() to return "
      "immediately, even if no events are available.\"",
      "epoll_wait(timeout 0) on an empty pipe's read end",
      [](Prepared& p, int r) -> PosixErrorOr<NonBlockingCall> {
        IPCSPEC_ASSIGN_OR_RETURN(FileDescriptor ep,
                                 Opened(epoll_create1(EPOLL_CLOEXEC), "epoll_create1"));
        struct epoll_event ev = {};
        ev.events = EPOLLIN;
        if (epoll_ctl(ep.get(), EPOLL_CTL_ADD, r, &ev) != 0) return ErrnoError("epoll_ctl");
        int e = ep.get();
        p.fds.push_back(std::move(ep));
        return NonBlockingCall([e] {
          struct epoll_event got;
          return NothingReady(epoll_wait(e, &got, 1, 0), "epoll_wait");
        });
      }));
  rows.push_back(ZeroTimeoutRow(
      "poll_zero_timeout",
      "man 2 poll: \"Specifying a timeout of zero causes poll() to return immediately, even if "
      "no file descriptors are ready.\"",
      "poll(POLLIN, timeout 0) on an empty pipe's read end",
      [](Prepared&, int r) -> PosixErrorOr<NonBlockingCall> {
        return NonBlockingCall([r] {
          struct pollfd pf = {r, POLLIN, 0};
          return NothingReady(poll(&pf, 1, 0), "poll");
        });
      }));
  rows.push_back(ZeroTimeoutRow(
      "select_zero_timeout",
      "man 2 select: \"If both fields of the timeval structure are zero, then select() returns "
      "immediately.\"",
      "select(readfds {empty pipe}, timeout {0, 0})",
      [](Prepared&, int r) -> PosixErrorOr<NonBlockingCall> {
        return NonBlockingCall([r] {
          fd_set set;
          FD_ZERO(&set);
          FD_SET(r, &set);
          struct timeval zero = {0, 0};
          return NothingReady(select(r + 1, &set, nullptr, nullptr, &zero), "select");
        });
      }));
  return rows;
}

class NonBlockingCalls : public ::testing::TestWithParam<Row> {};

TEST_P(NonBlockingCalls, FailAtOnceWithoutSleeping) {
  const Row& row = GetParam();
  AnnotateTest("", "", "", row.cites);
  IPCSPEC_NEEDS(row.needs);
  auto prepared = row.prepare();
  ASSERT_TRUE(prepared.ok()) << kBrokenMarker << "setting up " << row.name << ": "
                             << prepared.error();
  const Prepared& p = *prepared.value();
  NeverSleepsResult r = CheckNeverSleeps(p.what, p.errnos, p.call);
  EXPECT_TRUE(r.passed) << r.message << "\n" << row.cites;
}

INSTANTIATE_TEST_SUITE_P(Calls, NonBlockingCalls, ::testing::ValuesIn(Rows()),
                         [](const ::testing::TestParamInfo<Row>& i) { return i.param.name; });

}  // namespace
}  // namespace ipcspec
