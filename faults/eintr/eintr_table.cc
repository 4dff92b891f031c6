#include "faults/eintr/eintr_table.h"

#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "impl/core/file_descriptor.h"
#include "impl/fifo/fifo.h"

namespace ipcspec {

const char* ToString(Interrupted i) {
  switch (i) {
    case Interrupted::kRestarted: return "restarted";
    case Interrupted::kFailsEintr: return "EINTR";
    case Interrupted::kPartialCount: return "partial count";
  }
  return "?";
}

namespace {

long Ret(long r) { return r < 0 ? -errno : r; }

const char kSlowDevices[] =
    "\"read(2), readv(2), write(2), writev(2), and ioctl(2) calls on \\\"slow\\\" devices ... "
    "restarted after the signal handler returns if the SA_RESTART flag was used; otherwise the "
    "call fails with the error EINTR\"";

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

// recv(2) on an empty stream socket, with or without SO_RCVTIMEO.
class SocketRecv : public BlockingCall {
 public:
  explicit SocketRecv(bool timeout) : timeout_(timeout) {}
  PosixError Setup() override {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return ErrnoError("socketpair");
    a_.reset(sv[0]);
    b_.reset(sv[1]);
    if (timeout_) {
      struct timeval tv = {60, 0};
      if (setsockopt(a_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) return ErrnoError("setsockopt(SO_RCVTIMEO)");
    }
    return NoError();
  }
  long Call() override {
    char c;
    long n = Ret(recv(a_.get(), &c, 1, 0));
    return n == 1 && c != 's' ? -1000 : n;
  }
  PosixError Complete() override {
    if (send(b_.get(), "s", 1, 0) != 1) return ErrnoError("send");
    return NoError();
  }

 private:
  bool timeout_;
  FileDescriptor a_, b_;
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

// semop(2) decrementing a zero semaphore.
class SemOp : public BlockingCall {
 public:
  ~SemOp() override {
    if (id_ >= 0) semctl(id_, 0, IPC_RMID);
  }
  PosixError Setup() override {
    id_ = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    return id_ < 0 ? ErrnoError("semget") : NoError();
  }
  long Call() override {
    struct sembuf op = {0, -1, 0};
    return Ret(semop(id_, &op, 1));
  }
  PosixError Complete() override {
    struct sembuf op = {0, 1, 0};
    return semop(id_, &op, 1) == 0 ? NoError() : ErrnoError("semop(+1)");
  }

 private:
  int id_ = -1;
};

// mq_receive(3) on an empty POSIX queue.
class MqReceive : public BlockingCall {
 public:
  ~MqReceive() override {
    if (q_ != (mqd_t)-1) {
      mq_close(q_);
      mq_unlink(name_.c_str());
    }
  }
  PosixError Setup() override {
    name_ = "/ipcspec-eintr-" + std::to_string(getpid());
    struct mq_attr a = {};
    a.mq_maxmsg = 4;
    a.mq_msgsize = 16;
    q_ = mq_open(name_.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600, &a);
    return q_ == (mqd_t)-1 ? ErrnoError("mq_open") : NoError();
  }
  long Call() override {
    char buf[16];
    return Ret(mq_receive(q_, buf, sizeof buf, nullptr));
  }
  PosixError Complete() override {
    return mq_send(q_, "q", 1, 0) == 0 ? NoError() : ErrnoError("mq_send");
  }

 private:
  std::string name_;
  mqd_t q_ = (mqd_t)-1;
};

// sem_wait(3) on a zero process-shared semaphore.
class SemWait : public BlockingCall {
 public:
  ~SemWait() override {
    if (sem_) {
      sem_destroy(sem_);
      munmap(sem_, sizeof(sem_t));
    }
  }
  PosixError Setup() override {
    void* p = mmap(nullptr, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return ErrnoError("mmap");
    sem_ = static_cast<sem_t*>(p);
    return sem_init(sem_, 1, 0) == 0 ? NoError() : ErrnoError("sem_init");
  }
  long Call() override { return Ret(sem_wait(sem_)); }
  PosixError Complete() override { return sem_post(sem_) == 0 ? NoError() : ErrnoError("sem_post"); }

 private:
  sem_t* sem_ = nullptr;
};

// flock(2) LOCK_EX on a file another process holds.
class Flock : public BlockingCall {
 public:
  PosixError Setup() override {
    auto d = MakeFifoDir();
    if (!d.ok()) return d.error();
    dir_ = d.value().second;
    std::string path = d.value().first + "/lock";
    holder_.reset(open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600));
    waiter_.reset(open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!holder_.valid() || !waiter_.valid()) return ErrnoError("open(lock file)");
    return flock(holder_.get(), LOCK_EX | LOCK_NB) == 0 ? NoError() : ErrnoError("flock(holder)");
  }
  long Call() override { return Ret(flock(waiter_.get(), LOCK_EX)); }
  PosixError Complete() override {
    return flock(holder_.get(), LOCK_UN) == 0 ? NoError() : ErrnoError("flock(LOCK_UN)");
  }

 private:
  std::shared_ptr<Cleanup> dir_;
  FileDescriptor holder_, waiter_;
};

// pause(2): only a signal ends it.
class Pause : public BlockingCall {
 public:
  PosixError Setup() override { return NoError(); }
  long Call() override { return Ret(pause()); }
  PosixError Complete() override { return NoError(); }
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
       {SYS_recvfrom}, I::kRestarted, I::kFailsEintr, Make<SocketRecv>(false)},
      {"recv(2) with SO_RCVTIMEO set",
       "\"never restarted ... \\\"Input\\\" socket interfaces, when a timeout (SO_RCVTIMEO) has "
       "been set on the socket\"",
       {SYS_recvfrom}, I::kFailsEintr, I::kFailsEintr, Make<SocketRecv>(true)},
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
       {SYS_semop, SYS_semtimedop}, I::kFailsEintr, I::kFailsEintr, Make<SemOp>()},
      {"mq_receive(3) on an empty queue",
       "\"POSIX message queue interfaces: mq_receive(3), mq_timedreceive(3), mq_send(3), and "
       "mq_timedsend(3).\" (restarted with SA_RESTART, otherwise EINTR)",
       {SYS_mq_timedreceive}, I::kRestarted, I::kFailsEintr, Make<MqReceive>()},
      {"sem_wait(3) on zero",
       "\"POSIX semaphore interfaces: sem_wait(3) and sem_timedwait(3) (since Linux 2.6.22; "
       "beforehand, always failed with EINTR).\"",
       {SYS_futex}, I::kRestarted, I::kFailsEintr, Make<SemWait>()},
      {"flock(2) LOCK_EX on a held lock",
       "\"File locking interfaces: flock(2) and the F_SETLKW and F_OFD_SETLKW operations of "
       "fcntl(2)\" (restarted with SA_RESTART, otherwise EINTR)",
       {SYS_flock}, I::kRestarted, I::kFailsEintr, Make<Flock>()},
      {"pause(2)",
       "\"never restarted ... Interfaces used to wait for signals: pause(2), sigsuspend(2), "
       "sigtimedwait(2), and sigwaitinfo(2).\"",
       {SYS_pause}, I::kFailsEintr, I::kFailsEintr, Make<Pause>()},
  };
  return *rows;
}

}  // namespace ipcspec
