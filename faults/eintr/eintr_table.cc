#include "faults/eintr/eintr_table.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "faults/eintr/eintr_calls.h"
#include "impl/core/file_descriptor.h"
#include "impl/fifo/fifo.h"

namespace ipcspec {

const char* ToString(Interrupted i) {
  switch (i) {
    case Interrupted::kRestarted: return "restarted";
    case Interrupted::kFailsEintr: return "EINTR";
    case Interrupted::kPartialCount: return "partial count";
    case Interrupted::kSucceedsEarly: return "success, time remaining";
  }
  return "?";
}

namespace {

long Ret(long r) { return r < 0 ? -errno : r; }

const char kSlowDevices[] =
    "\"read(2), readv(2), write(2), writev(2), and ioctl(2) calls on \\\"slow\\\" devices ... "
    "restarted after the signal handler returns if the SA_RESTART flag was used; otherwise the "
    "call fails with the error EINTR\"";

// The sentences of man 7 signal, "Interruption of system calls and library
// functions by signal handlers", one per group of rows.
const char kRestartedIntro[] =
    "\"If a blocked call to one of the following interfaces is interrupted by a signal handler, "
    "then the call is automatically restarted after the signal handler returns if the SA_RESTART "
    "flag was used; otherwise the call fails with the error EINTR: ";
const char kNeverIntro[] =
    "\"The following interfaces are never restarted after being interrupted by a signal handler, "
    "regardless of the use of SA_RESTART; they always fail with the error EINTR when interrupted "
    "by a signal handler: ";
std::string Restarted(const char* item) { return std::string(kRestartedIntro) + item + "\""; }
std::string Never(const char* item) { return std::string(kNeverIntro) + item + "\""; }
const char kWaitItem[] = "wait(2), wait3(2), wait4(2), waitid(2), and waitpid(2).";
const char kSocketItem[] =
    "Socket interfaces: accept(2), connect(2), recv(2), recvfrom(2), recvmmsg(2), recvmsg(2), "
    "send(2), sendto(2), and sendmsg(2), unless a timeout has been set on the socket (see below).";
const char kLockItem[] =
    "File locking interfaces: flock(2) and the F_SETLKW and F_OFD_SETLKW operations of fcntl(2)";
const char kMqItem[] =
    "POSIX message queue interfaces: mq_receive(3), mq_timedreceive(3), mq_send(3), and "
    "mq_timedsend(3).";
const char kFutexWaitItem[] =
    "futex(2) FUTEX_WAIT (since Linux 2.6.22; beforehand, always failed with EINTR).";
const char kFutexBitsetItem[] = "futex(2) FUTEX_WAIT_BITSET.";
const char kGetrandomItem[] = "getrandom(2).";
const char kPthreadItem[] = "pthread_mutex_lock(3), pthread_cond_wait(3), and related APIs.";
const char kSemItem[] =
    "POSIX semaphore interfaces: sem_wait(3) and sem_timedwait(3) (since Linux 2.6.22; "
    "beforehand, always failed with EINTR).";
const char kInotifyItem[] =
    "read(2) from an inotify(7) file descriptor (since Linux 3.8; beforehand, always failed with "
    "EINTR).";
const char kInputTimeoutItem[] =
    "\"Input\" socket interfaces, when a timeout (SO_RCVTIMEO) has been set on the socket using "
    "setsockopt(2): accept(2), recv(2), recvfrom(2), recvmmsg(2) (also with a non-NULL timeout "
    "argument), and recvmsg(2).";
const char kOutputTimeoutItem[] =
    "\"Output\" socket interfaces, when a timeout (SO_RCVTIMEO) has been set on the socket using "
    "setsockopt(2): connect(2), send(2), sendto(2), and sendmsg(2).";
const char kSignalWaitItem[] =
    "Interfaces used to wait for signals: pause(2), sigsuspend(2), sigtimedwait(2), and "
    "sigwaitinfo(2).";
const char kMultiplexItem[] =
    "File descriptor multiplexing interfaces: epoll_wait(2), epoll_pwait(2), poll(2), ppoll(2), "
    "select(2), and pselect(2).";
const char kSysvItem[] = "System V IPC interfaces: msgrcv(2), msgsnd(2), semop(2), and semtimedop(2).";
const char kSleepItem[] = "Sleep interfaces: clock_nanosleep(2), nanosleep(2), and usleep(3).";
const char kIoGeteventsItem[] = "io_getevents(2).";
const char kRecvmmsgTimeoutNote[] =
    "Linux checks recvmmsg's timeout argument only between datagrams (recvmmsg(2), BUGS: \"the "
    "timeout argument does not work as intended\"): the wait for the first one is the socket's "
    "own, with no SO_RCVTIMEO untimed, and it is restarted (-ERESTARTSYS, net/socket.c "
    "do_recvmmsg); seen here: restarted under a SA_RESTART handler and after SIGSTOP+SIGCONT";
const char kSleep3[] =
    "\"The sleep(3) function is also never restarted if interrupted by a handler, but gives a "
    "success return: the number of seconds remaining to sleep.\"";

// read(2) on an empty pipe.
class PipeRead : public BlockingCall {
 public:
  PosixError Setup() override {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2");
    r_.reset(fds[0]);
    w_.reset(fds[1]);
    return NoError();
  }
  long Call() override {
    char b[8];
    long n = Ret(read(r_.get(), b, sizeof b));
    if (n == 1) got_ = b[0];
    return n == 1 && b[0] == 'k' ? 1 : (n == 1 ? -1000 : n);
  }
  PosixError Complete() override {
    if (write(w_.get(), "k", 1) != 1) return ErrnoError("write(pipe)");
    return NoError();
  }

 private:
  FileDescriptor r_, w_;
  char got_ = 0;
};

// write(2) of one byte to a full pipe (nothing transferred when it blocks).
class PipeWriteFull : public BlockingCall {
 public:
  PosixError Setup() override {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return ErrnoError("pipe2");
    r_.reset(fds[0]);
    w_.reset(fds[1]);
    char buf[4096];
    std::memset(buf, 'f', sizeof buf);
    while (write(w_.get(), buf, sizeof buf) > 0) {
    }
    while (write(w_.get(), buf, 1) > 0) ++fill_;
    fill_ += 0;
    int fl = fcntl(w_.get(), F_GETFL);
    if (fcntl(w_.get(), F_SETFL, fl & ~O_NONBLOCK) != 0) return ErrnoError("fcntl");
    return NoError();
  }
  long Call() override { return Ret(write(w_.get(), "z", 1)); }
  PosixError Complete() override {
    char buf[65536];
    if (read(r_.get(), buf, sizeof buf) <= 0) return ErrnoError("read(pipe)");
    return NoError();
  }
  std::string CheckAfter(long ret, Interrupted outcome) override {
    // Count the 'z's left in the pipe: one if the write completed, none if not.
    char buf[65536];
    int z = 0;
    ssize_t n;
    int fl = fcntl(r_.get(), F_GETFL);
    fcntl(r_.get(), F_SETFL, fl | O_NONBLOCK);
    while ((n = read(r_.get(), buf, sizeof buf)) > 0) {
      for (ssize_t i = 0; i < n; ++i) z += buf[i] == 'z';
    }
    int want = ret == 1 ? 1 : 0;
    if (z != want) {
      return "the pipe holds " + std::to_string(z) + " copies of the byte written, expected " +
             std::to_string(want) + " (lost or duplicated by the restart)";
    }
    return "";
  }

 private:
  FileDescriptor r_, w_;
  int fill_ = 0;
};

// A write(2) larger than the pipe: it transfers what fits, then blocks.
class PipeWritePartial : public BlockingCall {
 public:
  PosixError Setup() override {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2");
    r_.reset(fds[0]);
    w_.reset(fds[1]);
    cap_ = fcntl(w_.get(), F_GETPIPE_SZ);
    if (cap_ <= 0) return ErrnoError("fcntl(F_GETPIPE_SZ)");
    data_.assign(static_cast<size_t>(cap_) * 2, 0);
    for (size_t i = 0; i < data_.size(); ++i) data_[i] = static_cast<char>(i * 7 + 1);
    return NoError();
  }
  long Call() override { return Ret(write(w_.get(), data_.data(), data_.size())); }
  PosixError Complete() override { return NoError(); }  // a partial count needs nothing
  std::string CheckAfter(long ret, Interrupted outcome) override {
    if (ret <= 0) return "";
    std::string got;
    char buf[65536];
    int fl = fcntl(r_.get(), F_GETFL);
    fcntl(r_.get(), F_SETFL, fl | O_NONBLOCK);
    ssize_t n;
    while ((n = read(r_.get(), buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
    if (got.size() != static_cast<size_t>(ret) || std::memcmp(got.data(), data_.data(), got.size()) != 0) {
      return "write returned " + std::to_string(ret) + " but the pipe holds " +
             std::to_string(got.size()) + " bytes" +
             (got.size() == static_cast<size_t>(ret) ? " that differ from what was written" : "");
    }
    return "";
  }

 private:
  FileDescriptor r_, w_;
  int cap_ = 0;
  std::vector<char> data_;
};

// open(2) of a FIFO for reading, with no writer.
class FifoOpen : public BlockingCall {
 public:
  PosixError Setup() override {
    auto d = MakeFifoDir();
    if (!d.ok()) return d.error();
    dir_ = d.value().second;
    path_ = d.value().first + "/f";
    if (mkfifo(path_.c_str(), 0600) != 0) return ErrnoError("mkfifo");
    return NoError();
  }
  long Call() override {
    int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    close(fd);
    return 0;
  }
  PosixError Complete() override {
    writer_.reset(open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!writer_.valid()) return ErrnoError("open(FIFO, O_WRONLY|O_NONBLOCK)");
    return NoError();
  }

 private:
  std::shared_ptr<Cleanup> dir_;
  std::string path_;
  FileDescriptor writer_;
};

// poll(2) with no timeout on an fd that never becomes ready.
class Poll : public BlockingCall {
 public:
  PosixError Setup() override {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2");
    r_.reset(fds[0]);
    w_.reset(fds[1]);
    return NoError();
  }
  long Call() override {
    struct pollfd p = {r_.get(), POLLIN, 0};
    return Ret(poll(&p, 1, -1));
  }
  PosixError Complete() override {
    if (write(w_.get(), "p", 1) != 1) return ErrnoError("write");
    return NoError();
  }

 private:
  FileDescriptor r_, w_;
};

// msgrcv(2) on an empty queue.
class MsgRcv : public BlockingCall {
 public:
  ~MsgRcv() override {
    if (id_ >= 0) msgctl(id_, IPC_RMID, nullptr);
  }
  PosixError Setup() override {
    id_ = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    return id_ < 0 ? ErrnoError("msgget") : NoError();
  }
  long Call() override {
    struct {
      long type;
      char text[8];
    } m;
    return Ret(msgrcv(id_, &m, sizeof m.text, 0, 0));
  }
  PosixError Complete() override {
    struct {
      long type;
      char text[1];
    } m = {1, {'m'}};
    return msgsnd(id_, &m, 1, 0) == 0 ? NoError() : ErrnoError("msgsnd");
  }

 private:
  int id_ = -1;
};

// msgsnd(2) to a full queue.
class MsgSndFull : public BlockingCall {
 public:
  ~MsgSndFull() override {
    if (id_ >= 0) msgctl(id_, IPC_RMID, nullptr);
  }
  PosixError Setup() override {
    id_ = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (id_ < 0) return ErrnoError("msgget");
    struct msqid_ds ds;
    if (msgctl(id_, IPC_STAT, &ds) != 0) return ErrnoError("msgctl(IPC_STAT)");
    ds.msg_qbytes = 16;
    if (msgctl(id_, IPC_SET, &ds) != 0) return ErrnoError("msgctl(IPC_SET)");
    struct {
      long type;
      char text[16];
    } m = {1, {}};
    if (msgsnd(id_, &m, 16, IPC_NOWAIT) != 0) return ErrnoError("msgsnd(fill)");
    return NoError();
  }
  long Call() override {
    struct {
      long type;
      char text[8];
    } m = {2, {}};
    return Ret(msgsnd(id_, &m, 8, 0));
  }
  PosixError Complete() override {
    struct {
      long type;
      char text[16];
    } m;
    return msgrcv(id_, &m, 16, 1, IPC_NOWAIT) >= 0 ? NoError() : ErrnoError("msgrcv");
  }

 private:
  int id_ = -1;
};

// pause(2): only a signal ends it.
class Pause : public BlockingCall {
 public:
  PosixError Setup() override { return NoError(); }
  long Call() override { return Ret(pause()); }
  PosixError Complete() override { return NoError(); }
  bool Completable() override { return false; }  // only a signal ends it
};

template <typename T, typename... A>
std::function<std::unique_ptr<BlockingCall>()> Make(A... a) {
  return [a...]() { return std::unique_ptr<BlockingCall>(new T(a...)); };
}

}  // namespace

const std::vector<EintrRow>& EintrTable() {
  using I = Interrupted;
  static const auto* rows = new std::vector<EintrRow>{
      {"read(2) on an empty pipe", kSlowDevices, {SYS_read}, I::kRestarted, I::kFailsEintr,
       Make<PipeRead>()},
      {"write(2) of 1 byte to a full pipe", kSlowDevices, {SYS_write}, I::kRestarted,
       I::kFailsEintr, Make<PipeWriteFull>()},
      {"write(2) larger than the pipe, after a partial transfer",
       "\"If an I/O call on a slow device has already transferred some data by the time it is "
       "interrupted by a signal handler, then the call will return a success status (normally, "
       "the number of bytes transferred).\"",
       {SYS_write}, I::kPartialCount, I::kPartialCount, Make<PipeWritePartial>()},
      {"open(2) of a FIFO for reading, no writer",
       "\"open(2), if it can block (e.g., when opening a FIFO; see fifo(7)).\" (restarted with "
       "SA_RESTART, otherwise EINTR)",
       {SYS_open, SYS_openat}, I::kRestarted, I::kFailsEintr, Make<FifoOpen>()},
      {"recv(2) on an empty stream socket",
       "\"Socket interfaces: accept(2), connect(2), recv(2), ... unless a timeout has been set on "
       "the socket\" (restarted with SA_RESTART, otherwise EINTR)",
       {SYS_recvfrom}, I::kRestarted, I::kFailsEintr, [] { return eintr::SocketRecvVia(eintr::SockVia::kRecv, false); }},
      {"recv(2) with SO_RCVTIMEO set",
       "\"never restarted ... \\\"Input\\\" socket interfaces, when a timeout (SO_RCVTIMEO) has "
       "been set on the socket\"",
       {SYS_recvfrom}, I::kFailsEintr, I::kFailsEintr, [] { return eintr::SocketRecvVia(eintr::SockVia::kRecv, true); }},
      {"poll(2) with no timeout",
       "\"never restarted ... File descriptor multiplexing interfaces: epoll_wait(2), "
       "epoll_pwait(2), poll(2), ppoll(2), select(2), and pselect(2).\"",
       {SYS_poll, SYS_ppoll}, I::kFailsEintr, I::kFailsEintr, Make<Poll>()},
      {"msgrcv(2) on an empty queue",
       "\"never restarted ... System V IPC interfaces: msgrcv(2), msgsnd(2), semop(2), and "
       "semtimedop(2).\"",
       {SYS_msgrcv}, I::kFailsEintr, I::kFailsEintr, Make<MsgRcv>()},
      {"msgsnd(2) to a full queue",
       "\"never restarted ... System V IPC interfaces: msgrcv(2), msgsnd(2), semop(2), and "
       "semtimedop(2).\"",
       {SYS_msgsnd}, I::kFailsEintr, I::kFailsEintr, Make<MsgSndFull>()},
      {"semop(2) decrementing zero",
       "\"never restarted ... System V IPC interfaces: msgrcv(2), msgsnd(2), semop(2), and "
       "semtimedop(2).\"",
       {SYS_semop, SYS_semtimedop}, I::kFailsEintr, I::kFailsEintr, [] { return eintr::SemOp(false); }},
      {"mq_receive(3) on an empty queue",
       "\"POSIX message queue interfaces: mq_receive(3), mq_timedreceive(3), mq_send(3), and "
       "mq_timedsend(3).\" (restarted with SA_RESTART, otherwise EINTR)",
       {SYS_mq_timedreceive}, I::kRestarted, I::kFailsEintr, [] { return eintr::MqReceive(false); }},
      {"sem_wait(3) on zero",
       "\"POSIX semaphore interfaces: sem_wait(3) and sem_timedwait(3) (since Linux 2.6.22; "
       "beforehand, always failed with EINTR).\"",
       {SYS_futex}, I::kRestarted, I::kFailsEintr, [] { return eintr::SemWait(false); }},
      {"flock(2) LOCK_EX on a held lock",
       "\"File locking interfaces: flock(2) and the F_SETLKW and F_OFD_SETLKW operations of "
       "fcntl(2)\" (restarted with SA_RESTART, otherwise EINTR)",
       {SYS_flock}, I::kRestarted, I::kFailsEintr,
       [] { return eintr::FileLock(eintr::LockVia::kFlock); }},
      {"pause(2)",
       "\"never restarted ... Interfaces used to wait for signals: pause(2), sigsuspend(2), "
       "sigtimedwait(2), and sigwaitinfo(2).\"",
       {SYS_pause}, I::kFailsEintr, I::kFailsEintr, Make<Pause>()},
      // The rest of the section, interface by interface, grouped by sentence.
      // Restarted with SA_RESTART, otherwise EINTR:
      {"readv(2) on an empty pipe", kSlowDevices, {SYS_readv}, I::kRestarted, I::kFailsEintr,
       eintr::PipeReadv},
      {"writev(2) of 1 byte to a full pipe", kSlowDevices, {SYS_writev}, I::kRestarted,
       I::kFailsEintr, eintr::PipeWritevFull},
      {"ioctl(2) on a slow device", kSlowDevices, {SYS_ioctl}, I::kRestarted, I::kFailsEintr,
       eintr::SlowIoctl},
      {"wait(2) for a child that has not exited", Restarted(kWaitItem), {SYS_wait4}, I::kRestarted,
       I::kFailsEintr, [] { return eintr::WaitForChild(eintr::WaitVia::kWait); }},
      {"wait3(2) for a child that has not exited", Restarted(kWaitItem), {SYS_wait4},
       I::kRestarted, I::kFailsEintr, [] { return eintr::WaitForChild(eintr::WaitVia::kWait3); }},
      {"wait4(2) for a child that has not exited", Restarted(kWaitItem), {SYS_wait4},
       I::kRestarted, I::kFailsEintr, [] { return eintr::WaitForChild(eintr::WaitVia::kWait4); }},
      {"waitid(2) for a child that has not exited", Restarted(kWaitItem), {SYS_waitid},
       I::kRestarted, I::kFailsEintr, [] { return eintr::WaitForChild(eintr::WaitVia::kWaitid); }},
      {"waitpid(2) for a child that has not exited", Restarted(kWaitItem), {SYS_wait4},
       I::kRestarted, I::kFailsEintr, [] { return eintr::WaitForChild(eintr::WaitVia::kWaitpid); }},
      {"accept(2) with no pending connection", Restarted(kSocketItem), {SYS_accept, SYS_accept4},
       I::kRestarted, I::kFailsEintr, [] { return eintr::Accept(false); }},
      {"connect(2) to a listener whose backlog is full", Restarted(kSocketItem), {SYS_connect},
       I::kRestarted, I::kFailsEintr, [] { return eintr::ConnectFullBacklog(false); }},
      {"recvfrom(2) on an empty stream socket", Restarted(kSocketItem), {SYS_recvfrom},
       I::kRestarted, I::kFailsEintr,
       [] { return eintr::SocketRecvVia(eintr::SockVia::kRecvfrom, false); }},
      {"recvmsg(2) on an empty stream socket", Restarted(kSocketItem), {SYS_recvmsg},
       I::kRestarted, I::kFailsEintr,
       [] { return eintr::SocketRecvVia(eintr::SockVia::kRecvmsg, false); }},
      {"recvmmsg(2) on an empty stream socket", Restarted(kSocketItem), {SYS_recvmmsg},
       I::kRestarted, I::kFailsEintr,
       [] { return eintr::SocketRecvVia(eintr::SockVia::kRecvmmsg, false); }},
      {"send(2) of 1 byte to a full stream socket", Restarted(kSocketItem), {SYS_sendto},
       I::kRestarted, I::kFailsEintr,
       [] { return eintr::SocketSendFull(eintr::SockVia::kSend, false); }},
      {"sendto(2) of 1 byte to a full stream socket", Restarted(kSocketItem), {SYS_sendto},
       I::kRestarted, I::kFailsEintr,
       [] { return eintr::SocketSendFull(eintr::SockVia::kSendto, false); }},
      {"sendmsg(2) of 1 byte to a full stream socket", Restarted(kSocketItem), {SYS_sendmsg},
       I::kRestarted, I::kFailsEintr,
       [] { return eintr::SocketSendFull(eintr::SockVia::kSendmsg, false); }},
      {"fcntl(2) F_SETLKW on a held range", Restarted(kLockItem), {SYS_fcntl}, I::kRestarted,
       I::kFailsEintr, [] { return eintr::FileLock(eintr::LockVia::kSetlkw); }},
      {"fcntl(2) F_OFD_SETLKW on a held range", Restarted(kLockItem), {SYS_fcntl}, I::kRestarted,
       I::kFailsEintr, [] { return eintr::FileLock(eintr::LockVia::kOfdSetlkw); }},
      {"mq_timedreceive(3) on an empty queue", Restarted(kMqItem), {SYS_mq_timedreceive},
       I::kRestarted, I::kFailsEintr, [] { return eintr::MqReceive(true); }},
      {"mq_send(3) to a full queue", Restarted(kMqItem), {SYS_mq_timedsend}, I::kRestarted,
       I::kFailsEintr, [] { return eintr::MqSendFull(false); }},
      {"mq_timedsend(3) to a full queue", Restarted(kMqItem), {SYS_mq_timedsend}, I::kRestarted,
       I::kFailsEintr, [] { return eintr::MqSendFull(true); }},
      {"futex(2) FUTEX_WAIT on a shared word", Restarted(kFutexWaitItem), {SYS_futex},
       I::kRestarted, I::kFailsEintr, [] { return eintr::Futex(eintr::FutexVia::kWait); }},
      {.call = "futex(2) FUTEX_WAIT with a timeout",
       .man_sentence = Restarted(kFutexWaitItem),
       .syscalls = {SYS_futex},
       .with_sa_restart = I::kFailsEintr,
       .without_sa_restart = I::kFailsEintr,
       .make = [] { return eintr::Futex(eintr::FutexVia::kWaitTimeout); },
       .note = "Linux restarts FUTEX_WAIT only without a timeout: with one, futex_wait() returns "
               "-ERESTART_RESTARTBLOCK, which a handler turns into EINTR whatever SA_RESTART "
               "says (kernel/futex/waitwake.c); futex(2) lists EINTR for it",
       .page = {{I::kRestarted, I::kFailsEintr}}},
      {"futex(2) FUTEX_WAIT_BITSET on a shared word", Restarted(kFutexBitsetItem), {SYS_futex},
       I::kRestarted, I::kFailsEintr, [] { return eintr::Futex(eintr::FutexVia::kWaitBitset); }},
      {.call = "futex(2) FUTEX_WAIT_BITSET with an absolute timeout",
       .man_sentence = Restarted(kFutexBitsetItem),
       .syscalls = {SYS_futex},
       .with_sa_restart = I::kFailsEintr,
       .without_sa_restart = I::kFailsEintr,
       .make = [] { return eintr::Futex(eintr::FutexVia::kWaitBitsetAbsTimeout); },
       .note = "as FUTEX_WAIT with a timeout: -ERESTART_RESTARTBLOCK, EINTR under a handler even "
               "with SA_RESTART",
       .page = {{I::kRestarted, I::kFailsEintr}}},
      {"getrandom(2) before the entropy pool is initialised", Restarted(kGetrandomItem),
       {SYS_getrandom}, I::kRestarted, I::kFailsEintr, eintr::GetRandom},
      {.call = "pthread_mutex_lock(3) on a process-shared mutex another process holds",
       .man_sentence = Restarted(kPthreadItem),
       .syscalls = {SYS_futex},
       .with_sa_restart = I::kRestarted,
       .without_sa_restart = I::kRestarted,
       .make = [] { return eintr::PthreadMutexLock(false); },
       .note = "glibc never returns EINTR from pthread_mutex_lock (POSIX: \"These functions "
               "shall not return an error code of [EINTR]\"): its lock loop waits on the futex "
               "again, with or without SA_RESTART",
       .page = {{I::kRestarted, I::kFailsEintr}}},
      {.call = "pthread_mutex_timedlock(3) on a process-shared mutex another process holds",
       .man_sentence = Restarted(kPthreadItem),
       .syscalls = {SYS_futex},
       .with_sa_restart = I::kRestarted,
       .without_sa_restart = I::kRestarted,
       .make = [] { return eintr::PthreadMutexLock(true); },
       .note = "glibc's timed lock loop waits again after EINTR (it returns only ETIMEDOUT or "
               "the lock), with or without SA_RESTART",
       .page = {{I::kRestarted, I::kFailsEintr}}},
      {.call = "pthread_cond_wait(3) on a process-shared condition variable",
       .man_sentence = Restarted(kPthreadItem),
       .syscalls = {SYS_futex},
       .with_sa_restart = I::kRestarted,
       .without_sa_restart = I::kRestarted,
       .make = [] { return eintr::PthreadCondWait(false); },
       .note = "glibc never returns EINTR from pthread_cond_wait (POSIX: \"These functions "
               "shall not return an error code of [EINTR]\"): it waits on the futex again",
       .page = {{I::kRestarted, I::kFailsEintr}}},
      {.call = "pthread_cond_timedwait(3) on a process-shared condition variable",
       .man_sentence = Restarted(kPthreadItem),
       .syscalls = {SYS_futex},
       .with_sa_restart = I::kRestarted,
       .without_sa_restart = I::kRestarted,
       .make = [] { return eintr::PthreadCondWait(true); },
       .note = "glibc waits on the futex again after EINTR, with or without SA_RESTART",
       .page = {{I::kRestarted, I::kFailsEintr}}},
      {.call = "sem_timedwait(3) on zero",
       .man_sentence = Restarted(kSemItem),
       .syscalls = {SYS_futex},
       .with_sa_restart = I::kFailsEintr,
       .without_sa_restart = I::kFailsEintr,
       .make = [] { return eintr::SemWait(true); },
       .note = "glibc waits with FUTEX_WAIT_BITSET and an absolute timeout, which the kernel "
               "never restarts under a handler (-ERESTART_RESTARTBLOCK): sem_timedwait fails "
               "EINTR even with SA_RESTART, as sem_wait(3) allows (\"EINTR The call was "
               "interrupted by a signal handler\")",
       .page = {{I::kRestarted, I::kFailsEintr}}},
      {"read(2) of an inotify descriptor with no event", Restarted(kInotifyItem), {SYS_read},
       I::kRestarted, I::kFailsEintr, eintr::InotifyRead},
      // Never restarted:
      {"accept(2) with SO_RCVTIMEO set", Never(kInputTimeoutItem), {SYS_accept, SYS_accept4},
       I::kFailsEintr, I::kFailsEintr, [] { return eintr::Accept(true); }},
      {"recvfrom(2) with SO_RCVTIMEO set", Never(kInputTimeoutItem), {SYS_recvfrom},
       I::kFailsEintr, I::kFailsEintr,
       [] { return eintr::SocketRecvVia(eintr::SockVia::kRecvfrom, true); }},
      {"recvmsg(2) with SO_RCVTIMEO set", Never(kInputTimeoutItem), {SYS_recvmsg},
       I::kFailsEintr, I::kFailsEintr,
       [] { return eintr::SocketRecvVia(eintr::SockVia::kRecvmsg, true); }},
      {"recvmmsg(2) with SO_RCVTIMEO set", Never(kInputTimeoutItem), {SYS_recvmmsg},
       I::kFailsEintr, I::kFailsEintr,
       [] { return eintr::SocketRecvVia(eintr::SockVia::kRecvmmsg, true); }},
      {.call = "recvmmsg(2) with a timeout argument",
       .man_sentence = Never(kInputTimeoutItem),
       .syscalls = {SYS_recvmmsg},
       .with_sa_restart = I::kRestarted,
       .without_sa_restart = I::kFailsEintr,
       .make = [] { return eintr::SocketRecvVia(eintr::SockVia::kRecvmmsgTimeoutArg, false); },
       .note = kRecvmmsgTimeoutNote,
       .page = {{I::kFailsEintr, I::kFailsEintr}}},
      {"connect(2) with SO_SNDTIMEO set, backlog full", Never(kOutputTimeoutItem), {SYS_connect},
       I::kFailsEintr, I::kFailsEintr, [] { return eintr::ConnectFullBacklog(true); },
       "the page names SO_RCVTIMEO here; the output calls wait for SO_SNDTIMEO (socket(7)), "
       "which is the timeout this row sets"},
      {"send(2) with SO_SNDTIMEO set, socket full", Never(kOutputTimeoutItem), {SYS_sendto},
       I::kFailsEintr, I::kFailsEintr,
       [] { return eintr::SocketSendFull(eintr::SockVia::kSend, true); },
       "the page names SO_RCVTIMEO here; send waits for SO_SNDTIMEO (socket(7))"},
      {"sendto(2) with SO_SNDTIMEO set, socket full", Never(kOutputTimeoutItem), {SYS_sendto},
       I::kFailsEintr, I::kFailsEintr,
       [] { return eintr::SocketSendFull(eintr::SockVia::kSendto, true); },
       "the page names SO_RCVTIMEO here; sendto waits for SO_SNDTIMEO (socket(7))"},
      {"sendmsg(2) with SO_SNDTIMEO set, socket full", Never(kOutputTimeoutItem), {SYS_sendmsg},
       I::kFailsEintr, I::kFailsEintr,
       [] { return eintr::SocketSendFull(eintr::SockVia::kSendmsg, true); },
       "the page names SO_RCVTIMEO here; sendmsg waits for SO_SNDTIMEO (socket(7))"},
      {"sigsuspend(2)", Never(kSignalWaitItem), {SYS_rt_sigsuspend}, I::kFailsEintr,
       I::kFailsEintr, [] { return eintr::WaitForSignal(eintr::SigWaitVia::kSigsuspend); }},
      {"sigtimedwait(2) for another signal", Never(kSignalWaitItem), {SYS_rt_sigtimedwait},
       I::kFailsEintr, I::kFailsEintr,
       [] { return eintr::WaitForSignal(eintr::SigWaitVia::kSigtimedwait); }},
      {"sigwaitinfo(2) for another signal", Never(kSignalWaitItem), {SYS_rt_sigtimedwait},
       I::kFailsEintr, I::kFailsEintr,
       [] { return eintr::WaitForSignal(eintr::SigWaitVia::kSigwaitinfo); }},
      {"epoll_wait(2) with no timeout", Never(kMultiplexItem),
       {SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2}, I::kFailsEintr, I::kFailsEintr,
       [] { return eintr::Multiplex(eintr::MuxVia::kEpollWait); }},
      {"epoll_pwait(2) with no timeout", Never(kMultiplexItem),
       {SYS_epoll_pwait, SYS_epoll_pwait2}, I::kFailsEintr, I::kFailsEintr,
       [] { return eintr::Multiplex(eintr::MuxVia::kEpollPwait); }},
      {"ppoll(2) with no timeout", Never(kMultiplexItem), {SYS_ppoll}, I::kFailsEintr,
       I::kFailsEintr, [] { return eintr::Multiplex(eintr::MuxVia::kPpoll); }},
      {"select(2) with no timeout", Never(kMultiplexItem), {SYS_select, SYS_pselect6},
       I::kFailsEintr, I::kFailsEintr, [] { return eintr::Multiplex(eintr::MuxVia::kSelect); }},
      {"pselect(2) with no timeout", Never(kMultiplexItem), {SYS_pselect6}, I::kFailsEintr,
       I::kFailsEintr, [] { return eintr::Multiplex(eintr::MuxVia::kPselect); }},
      {"semtimedop(2) decrementing zero", Never(kSysvItem), {SYS_semtimedop}, I::kFailsEintr,
       I::kFailsEintr, [] { return eintr::SemOp(true); }},
      {"nanosleep(2)", Never(kSleepItem), {SYS_nanosleep, SYS_clock_nanosleep}, I::kFailsEintr,
       I::kFailsEintr, [] { return eintr::Sleep(eintr::SleepVia::kNanosleep); }},
      {"clock_nanosleep(2)", Never(kSleepItem), {SYS_clock_nanosleep}, I::kFailsEintr,
       I::kFailsEintr, [] { return eintr::Sleep(eintr::SleepVia::kClockNanosleep); }},
      {"usleep(3)", Never(kSleepItem), {SYS_nanosleep, SYS_clock_nanosleep}, I::kFailsEintr,
       I::kFailsEintr, [] { return eintr::Sleep(eintr::SleepVia::kUsleep); }},
      {"sleep(3)", kSleep3, {SYS_nanosleep, SYS_clock_nanosleep}, I::kSucceedsEarly,
       I::kSucceedsEarly, [] { return eintr::Sleep(eintr::SleepVia::kSleep); }},
      {"io_getevents(2) with nothing submitted", Never(kIoGeteventsItem),
       {SYS_io_getevents, SYS_io_pgetevents}, I::kFailsEintr, I::kFailsEintr,
       eintr::IoGetevents},
  };
  return *rows;
}

namespace {
// man 7 signal, "Interruption of system calls and library functions by stop
// signals".
const char kStopIntro[] =
    "\"On Linux, even in the absence of signal handlers, certain blocking interfaces can fail "
    "with the error EINTR after the process is stopped by one of the stop signals and then "
    "resumed via SIGCONT. ... The Linux interfaces that display this behavior are: ";
std::string Stop(const char* item) { return std::string(kStopIntro) + item + "\""; }
const char kStopOutputItem[] =
    "\"Output\" socket interfaces, when a timeout (SO_RCVTIMEO) has been set on the socket using "
    "setsockopt(2): connect(2), send(2), sendto(2), and sendmsg(2), if a send timeout "
    "(SO_SNDTIMEO) has been set.";
const char kStopEpollItem[] = "epoll_wait(2), epoll_pwait(2).";
const char kStopSemopItem[] = "semop(2), semtimedop(2).";
const char kStopSigwaitItem[] = "sigtimedwait(2), sigwaitinfo(2).";
const char kStopInotifyItem[] = "Linux 3.7 and earlier: read(2) from an inotify(7) file descriptor";
const char kStopFutexItem[] =
    "Linux 2.6.21 and earlier: futex(2) FUTEX_WAIT, sem_timedwait(3), sem_wait(3).";
const char kStopMsgItem[] = "Linux 2.6.8 and earlier: msgrcv(2), msgsnd(2).";
const char kStopNanosleepItem[] = "Linux 2.4 and earlier: nanosleep(2).";
const char kStopNotListed[] =
    "not in the list of \"Interruption of system calls and library functions by stop "
    "signals\": a stop and SIGCONT leave the call blocked (POSIX: no EINTR without a handler)";
}  // namespace

const std::vector<StopRow>& StopSignalTable() {
  using I = Interrupted;
  using eintr::SockVia;
  static const auto* rows = new std::vector<StopRow>{
      {"accept(2) with SO_RCVTIMEO set", Stop(kInputTimeoutItem), {SYS_accept, SYS_accept4},
       I::kFailsEintr, [] { return eintr::Accept(true); }},
      {"recv(2) with SO_RCVTIMEO set", Stop(kInputTimeoutItem), {SYS_recvfrom}, I::kFailsEintr,
       [] { return eintr::SocketRecvVia(eintr::SockVia::kRecv, true); }},
      {"recvfrom(2) with SO_RCVTIMEO set", Stop(kInputTimeoutItem), {SYS_recvfrom},
       I::kFailsEintr, [] { return eintr::SocketRecvVia(SockVia::kRecvfrom, true); }},
      {"recvmsg(2) with SO_RCVTIMEO set", Stop(kInputTimeoutItem), {SYS_recvmsg}, I::kFailsEintr,
       [] { return eintr::SocketRecvVia(SockVia::kRecvmsg, true); }},
      {"recvmmsg(2) with SO_RCVTIMEO set", Stop(kInputTimeoutItem), {SYS_recvmmsg},
       I::kFailsEintr, [] { return eintr::SocketRecvVia(SockVia::kRecvmmsg, true); }},
      {"recvmmsg(2) with a timeout argument", Stop(kInputTimeoutItem), {SYS_recvmmsg},
       I::kRestarted, [] { return eintr::SocketRecvVia(SockVia::kRecvmmsgTimeoutArg, false); },
       kRecvmmsgTimeoutNote, I::kFailsEintr},
      {"connect(2) with SO_SNDTIMEO set, backlog full", Stop(kStopOutputItem), {SYS_connect},
       I::kFailsEintr, [] { return eintr::ConnectFullBacklog(true); }},
      {"send(2) with SO_SNDTIMEO set, socket full", Stop(kStopOutputItem), {SYS_sendto},
       I::kFailsEintr, [] { return eintr::SocketSendFull(SockVia::kSend, true); }},
      {"sendto(2) with SO_SNDTIMEO set, socket full", Stop(kStopOutputItem), {SYS_sendto},
       I::kFailsEintr, [] { return eintr::SocketSendFull(SockVia::kSendto, true); }},
      {"sendmsg(2) with SO_SNDTIMEO set, socket full", Stop(kStopOutputItem), {SYS_sendmsg},
       I::kFailsEintr, [] { return eintr::SocketSendFull(SockVia::kSendmsg, true); }},
      {"epoll_wait(2) with no timeout", Stop(kStopEpollItem),
       {SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2}, I::kFailsEintr,
       [] { return eintr::Multiplex(eintr::MuxVia::kEpollWait); }},
      {"epoll_pwait(2) with no timeout", Stop(kStopEpollItem), {SYS_epoll_pwait, SYS_epoll_pwait2},
       I::kFailsEintr, [] { return eintr::Multiplex(eintr::MuxVia::kEpollPwait); }},
      {"semop(2) decrementing zero", Stop(kStopSemopItem), {SYS_semop, SYS_semtimedop},
       I::kFailsEintr, [] { return eintr::SemOp(false); }},
      {"semtimedop(2) decrementing zero", Stop(kStopSemopItem), {SYS_semtimedop}, I::kFailsEintr,
       [] { return eintr::SemOp(true); }},
      {"sigtimedwait(2) for another signal", Stop(kStopSigwaitItem), {SYS_rt_sigtimedwait},
       I::kFailsEintr, [] { return eintr::WaitForSignal(eintr::SigWaitVia::kSigtimedwait); }},
      {"sigwaitinfo(2) for another signal", Stop(kStopSigwaitItem), {SYS_rt_sigtimedwait},
       I::kFailsEintr, [] { return eintr::WaitForSignal(eintr::SigWaitVia::kSigwaitinfo); }},
      // Listed for old kernels only: on this one the call goes on.
      {"read(2) of an inotify descriptor with no event", Stop(kStopInotifyItem), {SYS_read},
       I::kRestarted, eintr::InotifyRead},
      {"futex(2) FUTEX_WAIT on a shared word", Stop(kStopFutexItem), {SYS_futex}, I::kRestarted,
       [] { return eintr::Futex(eintr::FutexVia::kWait); }},
      {"sem_wait(3) on zero", Stop(kStopFutexItem), {SYS_futex}, I::kRestarted, [] { return eintr::SemWait(false); }},
      {"sem_timedwait(3) on zero", Stop(kStopFutexItem), {SYS_futex}, I::kRestarted,
       [] { return eintr::SemWait(true); }},
      {"msgrcv(2) on an empty queue", Stop(kStopMsgItem), {SYS_msgrcv}, I::kRestarted,
       Make<MsgRcv>()},
      {"msgsnd(2) to a full queue", Stop(kStopMsgItem), {SYS_msgsnd}, I::kRestarted,
       Make<MsgSndFull>()},
      {"nanosleep(2)", Stop(kStopNanosleepItem), {SYS_nanosleep, SYS_clock_nanosleep},
       I::kRestarted, [] { return eintr::Sleep(eintr::SleepVia::kNanosleep); }},
      // Not listed: the control rows.
      {"read(2) on an empty pipe", kStopNotListed, {SYS_read}, I::kRestarted, Make<PipeRead>()},
      {"recv(2) on an empty stream socket", kStopNotListed, {SYS_recvfrom}, I::kRestarted,
       [] { return eintr::SocketRecvVia(eintr::SockVia::kRecv, false); }},
  };
  return *rows;
}

}  // namespace ipcspec
