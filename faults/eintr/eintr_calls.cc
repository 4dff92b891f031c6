#include "faults/eintr/eintr_calls.h"

#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/random.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <vector>

#include "impl/core/file_descriptor.h"
#include "impl/core/shared_memory.h"
#include "impl/fifo/fifo.h"

namespace ipcspec::eintr {
namespace {

long Ret(long r) { return r < 0 ? -errno : r; }
// For the pthread_* calls, which return the error number.
long RetErr(int e) { return e == 0 ? 0 : -e; }

constexpr int kLongWait = 60;  // seconds: far beyond any test's deadline

timespec In(clockid_t clock, int seconds) {
  timespec t;
  clock_gettime(clock, &t);
  t.tv_sec += seconds;
  return t;
}

PosixError MakePipe(FileDescriptor& r, FileDescriptor& w, int flags = 0) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | flags) != 0) return ErrnoError("pipe2");
  r.reset(fds[0]);
  w.reset(fds[1]);
  return NoError();
}

PosixError MakeSocketPair(FileDescriptor& a, FileDescriptor& b) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return ErrnoError("socketpair");
  a.reset(sv[0]);
  b.reset(sv[1]);
  return NoError();
}

// Reads what is left without blocking; counts the bytes equal to `mark`.
int DrainCounting(int fd, char mark) {
  char buf[65536];
  int n_mark = 0;
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0 ||
         (n < 0 && errno == ENOTSOCK && (n = read(fd, buf, sizeof buf)) > 0)) {
    for (ssize_t i = 0; i < n; ++i) n_mark += buf[i] == mark;
  }
  return n_mark;
}

std::string OneCopy(long ret, int copies) {
  const int want = ret == 1 ? 1 : 0;
  if (copies == want) return "";
  return "the reader finds " + std::to_string(copies) + " copies of the byte written, expected " +
         std::to_string(want) + " (lost or duplicated by the restart)";
}

// ---- readv(2) / writev(2) on a pipe ------------------------------------------

class PipeReadvCall : public BlockingCall {
 public:
  PosixError Setup() override { return MakePipe(r_, w_); }
  long Call() override {
    char b[8];
    iovec v = {b, sizeof b};
    long n = Ret(readv(r_.get(), &v, 1));
    return n == 1 && b[0] != 'v' ? -1000 : n;
  }
  PosixError Complete() override {
    return write(w_.get(), "v", 1) == 1 ? NoError() : ErrnoError("write(pipe)");
  }

 private:
  FileDescriptor r_, w_;
};

class PipeWritevFullCall : public BlockingCall {
 public:
  PosixError Setup() override {
    if (auto e = MakePipe(r_, w_, O_NONBLOCK); !e.ok()) return e;
    char buf[4096];
    std::memset(buf, 'f', sizeof buf);
    while (write(w_.get(), buf, sizeof buf) > 0) {
    }
    while (write(w_.get(), buf, 1) > 0) {
    }
    int fl = fcntl(w_.get(), F_GETFL);
    return fcntl(w_.get(), F_SETFL, fl & ~O_NONBLOCK) == 0 ? NoError() : ErrnoError("fcntl");
  }
  long Call() override {
    char z = 'z';
    iovec v = {&z, 1};
    return Ret(writev(w_.get(), &v, 1));
  }
  PosixError Complete() override {
    char buf[65536];
    return read(r_.get(), buf, sizeof buf) > 0 ? NoError() : ErrnoError("read(pipe)");
  }
  std::string CheckAfter(long ret, Interrupted) override {
    int fl = fcntl(r_.get(), F_GETFL);
    fcntl(r_.get(), F_SETFL, fl | O_NONBLOCK);
    return OneCopy(ret, DrainCounting(r_.get(), 'z'));
  }

 private:
  FileDescriptor r_, w_;
};

class SlowIoctlCall : public BlockingCall {
 public:
  PosixError Setup() override { return NoError(); }
  long Call() override { return 0; }
  PosixError Complete() override { return NoError(); }
  std::optional<std::string> NotReproducible() override {
    return "no ioctl(2) on a pipe, FIFO, socket or pseudo-terminal blocks: tcdrain "
           "(ioctl TCSBRK 1) on a raw pty slave with 11776 bytes unread by the master "
           "returns 0 at once on Linux 6.x; a blocking ioctl needs a real slow device "
           "(a serial line, a tape) that a test cannot have";
  }
};

// ---- wait(2) and its family ---------------------------------------------------

class WaitForChildCall : public BlockingCall {
 public:
  explicit WaitForChildCall(WaitVia via) : via_(via) {}
  PosixError Setup() override { return MakePipe(r_, w_); }
  long Call() override {
    // One grandchild per child, kept across calls (a caller's retry waits
    // for the same one). Abandoned after EINTR, it ends by itself: the pipe
    // reaches EOF once the parent drops the call and the child has exited.
    if (gc_ <= 0) {
      gc_ = fork();
      if (gc_ < 0) return -errno;
      if (gc_ == 0) {
        close(w_.get());
        char c = 0;
        _exit(read(r_.get(), &c, 1) == 1 && c == 'x' ? 7 : 8);
      }
    }
    const pid_t gc = gc_;
    int st = 0;
    siginfo_t info = {};
    long r = -1;
    switch (via_) {
      case WaitVia::kWait: r = wait(&st); break;
      case WaitVia::kWait3: r = wait3(&st, 0, nullptr); break;
      case WaitVia::kWait4: r = wait4(gc, &st, 0, nullptr); break;
      case WaitVia::kWaitpid: r = waitpid(gc, &st, 0); break;
      case WaitVia::kWaitid:
        r = waitid(P_PID, gc, &info, WEXITED);
        if (r == 0) st = info.si_pid == gc && info.si_code == CLD_EXITED ? (info.si_status << 8) : 0;
        if (r == 0) r = gc;
        break;
    }
    if (r < 0) return -errno;
    gc_ = -1;
    return r == gc && WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : -1000;
  }
  PosixError Complete() override {
    return write(w_.get(), "x", 1) == 1 ? NoError() : ErrnoError("write(pipe)");
  }

 private:
  WaitVia via_;
  FileDescriptor r_, w_;
  pid_t gc_ = -1;  // in the child
};

// ---- sockets -----------------------------------------------------------------

PosixError SetTimeout(int fd, int opt) {
  timeval tv = {kLongWait, 0};
  return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv) == 0
             ? NoError()
             : ErrnoError(opt == SO_RCVTIMEO ? "setsockopt(SO_RCVTIMEO)" : "setsockopt(SO_SNDTIMEO)");
}

// A listening AF_UNIX stream socket with an autobound abstract address.
PosixError Listen(FileDescriptor& l, sockaddr_un& addr, socklen_t& len, int backlog) {
  l.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!l.valid()) return ErrnoError("socket(AF_UNIX)");
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  if (bind(l.get(), reinterpret_cast<sockaddr*>(&a), sizeof(sa_family_t)) != 0) return ErrnoError("bind(autobind)");
  len = sizeof addr;
  if (getsockname(l.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return ErrnoError("getsockname");
  return listen(l.get(), backlog) == 0 ? NoError() : ErrnoError("listen");
}

class AcceptCall : public BlockingCall {
 public:
  explicit AcceptCall(bool timeout) : timeout_(timeout) {}
  PosixError Setup() override {
    if (auto e = Listen(l_, addr_, len_, 4); !e.ok()) return e;
    return timeout_ ? SetTimeout(l_.get(), SO_RCVTIMEO) : NoError();
  }
  long Call() override {
    int fd = accept4(l_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return -errno;
    close(fd);
    return 0;
  }
  PosixError Complete() override {
    c_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!c_.valid()) return ErrnoError("socket");
    return connect(c_.get(), reinterpret_cast<sockaddr*>(&addr_), len_) == 0 ? NoError()
                                                                            : ErrnoError("connect");
  }

 private:
  bool timeout_;
  FileDescriptor l_, c_;
  sockaddr_un addr_ = {};
  socklen_t len_ = 0;
};

// connect(2) to a listener whose backlog is full: it waits for an accept.
class ConnectCall : public BlockingCall {
 public:
  explicit ConnectCall(bool timeout) : timeout_(timeout) {}
  PosixError Setup() override {
    if (auto e = Listen(l_, addr_, len_, 0); !e.ok()) return e;
    for (int i = 0; i < 64; ++i) {
      FileDescriptor c(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
      if (!c.valid()) return ErrnoError("socket");
      if (connect(c.get(), reinterpret_cast<sockaddr*>(&addr_), len_) != 0) {
        if (errno != EAGAIN) return ErrnoError("connect(fill the backlog)");
        c_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!c_.valid()) return ErrnoError("socket");
        return timeout_ ? SetTimeout(c_.get(), SO_SNDTIMEO) : NoError();
      }
      pending_.push_back(std::move(c));
    }
    return PosixError(EINVAL, "the backlog of a listen(0) socket never filled in 64 connects");
  }
  long Call() override { return Ret(connect(c_.get(), reinterpret_cast<sockaddr*>(&addr_), len_)); }
  PosixError Complete() override {
    int fd = accept4(l_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return ErrnoError("accept4");
    close(fd);
    return NoError();
  }

 private:
  bool timeout_;
  FileDescriptor l_, c_;
  std::vector<FileDescriptor> pending_;
  sockaddr_un addr_ = {};
  socklen_t len_ = 0;
};

class SocketRecvCall : public BlockingCall {
 public:
  SocketRecvCall(SockVia via, bool timeout) : via_(via), timeout_(timeout) {}
  PosixError Setup() override {
    if (auto e = MakeSocketPair(a_, b_); !e.ok()) return e;
    return timeout_ ? SetTimeout(a_.get(), SO_RCVTIMEO) : NoError();
  }
  long Call() override {
    char c = 0;
    iovec v = {&c, 1};
    msghdr m = {};
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    mmsghdr mm = {m, 0};
    timespec t = {kLongWait, 0};
    long n;
    switch (via_) {
      case SockVia::kRecv: n = Ret(recv(a_.get(), &c, 1, 0)); break;
      case SockVia::kRecvfrom: n = Ret(recvfrom(a_.get(), &c, 1, 0, nullptr, nullptr)); break;
      case SockVia::kRecvmsg: n = Ret(recvmsg(a_.get(), &m, 0)); break;
      case SockVia::kRecvmmsg:
      case SockVia::kRecvmmsgTimeoutArg:
        n = Ret(recvmmsg(a_.get(), &mm, 1, 0, via_ == SockVia::kRecvmmsg ? nullptr : &t));
        if (n == 1) n = mm.msg_len == 1 ? 1 : -1000;
        break;
      default: return -EINVAL;
    }
    return n == 1 && c != 's' ? -1000 : n;
  }
  PosixError Complete() override {
    return send(b_.get(), "s", 1, 0) == 1 ? NoError() : ErrnoError("send");
  }

 private:
  SockVia via_;
  bool timeout_;
  FileDescriptor a_, b_;
};

// A 1-byte send to a stream socket whose send buffer is full.
class SocketSendCall : public BlockingCall {
 public:
  SocketSendCall(SockVia via, bool timeout) : via_(via), timeout_(timeout) {}
  PosixError Setup() override {
    if (auto e = MakeSocketPair(a_, b_); !e.ok()) return e;
    char buf[4096];
    std::memset(buf, 'f', sizeof buf);
    while (send(a_.get(), buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
    while (send(a_.get(), buf, 1, MSG_DONTWAIT) > 0) {
    }
    if (errno != EAGAIN) return ErrnoError("send(fill)");
    return timeout_ ? SetTimeout(a_.get(), SO_SNDTIMEO) : NoError();
  }
  long Call() override {
    char z = 'z';
    iovec v = {&z, 1};
    msghdr m = {};
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    switch (via_) {
      case SockVia::kSend: return Ret(send(a_.get(), &z, 1, 0));
      case SockVia::kSendto: return Ret(sendto(a_.get(), &z, 1, 0, nullptr, 0));
      case SockVia::kSendmsg: return Ret(sendmsg(a_.get(), &m, 0));
      default: return -EINVAL;
    }
  }
  PosixError Complete() override {
    // The writer wakes only when most of its buffer is free (unix_writable:
    // a quarter of SO_SNDBUF or less in flight): drain it all, counting the
    // byte it may write meanwhile.
    z_seen_ += DrainCounting(b_.get(), 'z');
    return NoError();
  }
  std::string CheckAfter(long ret, Interrupted) override {
    return OneCopy(ret, z_seen_ + DrainCounting(b_.get(), 'z'));
  }

 private:
  SockVia via_;
  bool timeout_;
  FileDescriptor a_, b_;
  int z_seen_ = 0;
};

// ---- flock(2), fcntl(2) F_SETLKW / F_OFD_SETLKW on a lock the parent holds ---------

class FileLockCall : public BlockingCall {
 public:
  explicit FileLockCall(LockVia via) : via_(via) {}
  PosixError Setup() override {
    auto d = MakeFifoDir();
    if (!d.ok()) return d.error();
    dir_ = d.value().second;
    std::string path = d.value().first + "/lock";
    holder_.reset(open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600));
    waiter_.reset(open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!holder_.valid() || !waiter_.valid()) return ErrnoError("open(lock file)");
    if (via_ == LockVia::kFlock) {
      return flock(holder_.get(), LOCK_EX | LOCK_NB) == 0 ? NoError() : ErrnoError("flock(holder)");
    }
    return Fcntl(holder_.get(), F_WRLCK, false) == 0 ? NoError() : ErrnoError("fcntl(hold the lock)");
  }
  long Call() override {
    if (via_ == LockVia::kFlock) return Ret(flock(waiter_.get(), LOCK_EX));
    return Ret(Fcntl(waiter_.get(), F_WRLCK, true));
  }
  PosixError Complete() override {
    if (via_ == LockVia::kFlock) {
      return flock(holder_.get(), LOCK_UN) == 0 ? NoError() : ErrnoError("flock(LOCK_UN)");
    }
    return Fcntl(holder_.get(), F_UNLCK, false) == 0 ? NoError() : ErrnoError("fcntl(F_UNLCK)");
  }

 private:
  int Fcntl(int fd, short type, bool wait) const {
    struct flock l = {};
    l.l_type = type;
    l.l_whence = SEEK_SET;
    const bool ofd = via_ == LockVia::kOfdSetlkw;
    return fcntl(fd, wait ? (ofd ? F_OFD_SETLKW : F_SETLKW) : (ofd ? F_OFD_SETLK : F_SETLK), &l);
  }
  LockVia via_;
  std::shared_ptr<Cleanup> dir_;
  FileDescriptor holder_, waiter_;
};

// ---- POSIX message queues -------------------------------------------------------

class MqCall : public BlockingCall {
 public:
  MqCall(bool send, bool timed) : send_(send), timed_(timed) {}
  ~MqCall() override {
    if (q_ != (mqd_t)-1) {
      mq_close(q_);
      mq_unlink(name_.c_str());
    }
  }
  PosixError Setup() override {
    name_ = "/ipcspec-eintr-mq-" + std::to_string(getpid());
    mq_attr a = {};
    a.mq_maxmsg = 1;
    a.mq_msgsize = 16;
    q_ = mq_open(name_.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600, &a);
    if (q_ == (mqd_t)-1) return ErrnoError("mq_open");
    if (send_ && mq_send(q_, "a", 1, 0) != 0) return ErrnoError("mq_send(fill)");
    return NoError();
  }
  long Call() override {
    timespec t = In(CLOCK_REALTIME, kLongWait);
    char buf[16];
    if (send_) return Ret(timed_ ? mq_timedsend(q_, "b", 1, 0, &t) : mq_send(q_, "b", 1, 0));
    long n = Ret(timed_ ? mq_timedreceive(q_, buf, sizeof buf, nullptr, &t)
                        : mq_receive(q_, buf, sizeof buf, nullptr));
    return n == 1 && buf[0] != 'q' ? -1000 : n;
  }
  PosixError Complete() override {
    char buf[16];
    if (send_) return mq_receive(q_, buf, sizeof buf, nullptr) == 1 ? NoError() : ErrnoError("mq_receive");
    return mq_send(q_, "q", 1, 0) == 0 ? NoError() : ErrnoError("mq_send");
  }

 private:
  bool send_, timed_;
  std::string name_;
  mqd_t q_ = (mqd_t)-1;
};

// ---- futex(2) ------------------------------------------------------------------

class FutexCall : public BlockingCall {
 public:
  explicit FutexCall(FutexVia via) : via_(via) {}
  PosixError Setup() override {
    auto w = SharedObject<std::atomic<int>>::Create(0);
    if (!w.ok()) return w.error();
    word_.emplace(std::move(w.value()));
    return NoError();
  }
  long Call() override {
    timespec rel = {kLongWait, 0};
    timespec abs = In(CLOCK_MONOTONIC, kLongWait);
    int* w = reinterpret_cast<int*>(word_->get());
    switch (via_) {
      case FutexVia::kWait: return Ret(syscall(SYS_futex, w, FUTEX_WAIT, 0, nullptr, nullptr, 0));
      case FutexVia::kWaitTimeout: return Ret(syscall(SYS_futex, w, FUTEX_WAIT, 0, &rel, nullptr, 0));
      case FutexVia::kWaitBitset:
        return Ret(syscall(SYS_futex, w, FUTEX_WAIT_BITSET, 0, nullptr, nullptr, FUTEX_BITSET_MATCH_ANY));
      case FutexVia::kWaitBitsetAbsTimeout:
        return Ret(syscall(SYS_futex, w, FUTEX_WAIT_BITSET, 0, &abs, nullptr, FUTEX_BITSET_MATCH_ANY));
    }
    return -EINVAL;
  }
  PosixError Complete() override {
    (*word_)->store(1);
    return syscall(SYS_futex, reinterpret_cast<int*>(word_->get()), FUTEX_WAKE, INT_MAX, nullptr,
                   nullptr, 0) >= 0
               ? NoError()
               : ErrnoError("futex(FUTEX_WAKE)");
  }

 private:
  FutexVia via_;
  std::optional<SharedObject<std::atomic<int>>> word_;
};

// ---- getrandom(2) --------------------------------------------------------------

class GetRandomCall : public BlockingCall {
 public:
  PosixError Setup() override { return NoError(); }
  long Call() override {
    char b[16];
    return Ret(getrandom(b, sizeof b, 0));
  }
  PosixError Complete() override { return NoError(); }
  std::optional<std::string> NotReproducible() override {
    // Never run: an initialised pool never blocks, and an uninitialised one
    // is no lasting sleep to interrupt either: since Linux 5.4 ("random: try
    // to actively add entropy rather than passively wait for it") a blocking
    // getrandom generates jitter entropy in the call until the pool is ready
    // (with waits of at most a second between rounds), so whether a signal
    // finds it asleep is a race (linux-6.1 in the matrix, booted fresh:
    // GRND_NONBLOCK gave EAGAIN, then the blocking call returned without the
    // child ever being seen asleep).
    char b[16];
    long n = getrandom(b, sizeof b, GRND_NONBLOCK);
    if (n < 0 && errno == EAGAIN) {
      return std::string(
          "the entropy pool is not initialised yet (getrandom(GRND_NONBLOCK) is EAGAIN), but a "
          "blocking getrandom(2) does not sleep until it is: since Linux 5.4 it generates "
          "jitter entropy in the call until the pool is ready (waiting at most a second between "
          "rounds), so whether a signal finds it asleep is a race");
    }
    return "getrandom(2) blocks only until the entropy pool is initialised, and it is: "
           "getrandom(16 bytes, GRND_NONBLOCK) returned " +
           (n < 0 ? ErrnoName(errno) : std::to_string(n)) + " at once";
  }
  bool Completable() override { return false; }
};

// ---- process-shared pthread mutexes and condition variables ---------------------

struct PthreadObjects {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  int flag = 0;
};

class PthreadCall : public BlockingCall {
 public:
  PthreadCall(bool cond, bool timed) : cond_(cond), timed_(timed) {}
  ~PthreadCall() override {
    if (o_) {
      pthread_cond_destroy(&(*o_)->cond);
      pthread_mutex_destroy(&(*o_)->mutex);
    }
  }
  PosixError Setup() override {
    auto o = SharedObject<PthreadObjects>::Create();
    if (!o.ok()) return o.error();
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    int e = pthread_mutex_init(&o.value()->mutex, &ma);
    pthread_mutexattr_destroy(&ma);
    if (e != 0) return PosixError(e, "pthread_mutex_init");
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    e = pthread_cond_init(&o.value()->cond, &ca);
    pthread_condattr_destroy(&ca);
    if (e != 0) {
      pthread_mutex_destroy(&o.value()->mutex);
      return PosixError(e, "pthread_cond_init");
    }
    o_.emplace(std::move(o.value()));
    // The mutex row: the parent holds the mutex the child asks for.
    if (!cond_ && (e = pthread_mutex_lock(&(*o_)->mutex)) != 0) return PosixError(e, "pthread_mutex_lock");
    return NoError();
  }
  long Call() override {
    PthreadObjects* o = o_->get();
    timespec t = In(CLOCK_REALTIME, kLongWait);
    int e = timed_ ? pthread_mutex_timedlock(&o->mutex, &t) : pthread_mutex_lock(&o->mutex);
    if (e != 0 || !cond_) {
      if (e == 0) pthread_mutex_unlock(&o->mutex);
      return RetErr(e);
    }
    // One wait, no loop: a wake-up with the flag unset (a spurious one) is
    // reported, not hidden.
    e = timed_ ? pthread_cond_timedwait(&o->cond, &o->mutex, &t) : pthread_cond_wait(&o->cond, &o->mutex);
    const bool flag = o->flag != 0;
    pthread_mutex_unlock(&o->mutex);
    return e != 0 ? RetErr(e) : (flag ? 0 : -1000);
  }
  PosixError Complete() override {
    PthreadObjects* o = o_->get();
    if (!cond_) {
      int e = pthread_mutex_unlock(&o->mutex);
      return e == 0 ? NoError() : PosixError(e, "pthread_mutex_unlock");
    }
    int e = pthread_mutex_lock(&o->mutex);
    if (e != 0) return PosixError(e, "pthread_mutex_lock");
    o->flag = 1;
    pthread_cond_broadcast(&o->cond);
    pthread_mutex_unlock(&o->mutex);
    return NoError();
  }

 private:
  bool cond_, timed_;
  std::optional<SharedObject<PthreadObjects>> o_;
};

// ---- sem_wait(3) / sem_timedwait(3) on a process-shared semaphore ----------------

class SemWaitCall : public BlockingCall {
 public:
  explicit SemWaitCall(bool timed) : timed_(timed) {}
  ~SemWaitCall() override {
    if (sem_) sem_destroy(sem_->get());
  }
  PosixError Setup() override {
    auto s = SharedObject<sem_t>::Create();
    if (!s.ok()) return s.error();
    if (sem_init(s.value().get(), 1, 0) != 0) return ErrnoError("sem_init");
    sem_.emplace(std::move(s.value()));
    return NoError();
  }
  long Call() override {
    timespec t = In(CLOCK_REALTIME, kLongWait);
    return Ret(timed_ ? sem_timedwait(sem_->get(), &t) : sem_wait(sem_->get()));
  }
  PosixError Complete() override { return sem_post(sem_->get()) == 0 ? NoError() : ErrnoError("sem_post"); }

 private:
  bool timed_;
  std::optional<SharedObject<sem_t>> sem_;
};

// ---- read(2) of an inotify descriptor --------------------------------------------

class InotifyReadCall : public BlockingCall {
 public:
  PosixError Setup() override {
    auto d = MakeFifoDir();
    if (!d.ok()) return d.error();
    dir_ = d.value().second;
    path_ = d.value().first;
    fd_.reset(inotify_init1(IN_CLOEXEC));
    if (!fd_.valid()) return ErrnoError("inotify_init1");
    return inotify_add_watch(fd_.get(), path_.c_str(), IN_CREATE) >= 0 ? NoError()
                                                                       : ErrnoError("inotify_add_watch");
  }
  long Call() override {
    alignas(inotify_event) char buf[sizeof(inotify_event) + NAME_MAX + 1];
    long n = Ret(read(fd_.get(), buf, sizeof buf));
    if (n <= 0) return n;
    const auto* ev = reinterpret_cast<const inotify_event*>(buf);
    return (ev->mask & IN_CREATE) && std::strcmp(ev->name, "created") == 0 ? 1 : -1000;
  }
  PosixError Complete() override {
    FileDescriptor f(open((path_ + "/created").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    return f.valid() ? NoError() : ErrnoError("open(O_CREAT) in the watched directory");
  }

 private:
  std::shared_ptr<Cleanup> dir_;
  std::string path_;
  FileDescriptor fd_;
};

// ---- waiting for a signal: sigsuspend, sigtimedwait, sigwaitinfo -----------------

class WaitForSignalCall : public BlockingCall {
 public:
  explicit WaitForSignalCall(SigWaitVia via) : via_(via) {}
  PosixError Setup() override { return NoError(); }
  long Call() override {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return -errno;
    siginfo_t info;
    timespec t = {kLongWait, 0};
    sigset_t none;
    sigemptyset(&none);
    sigaddset(&none, SIGUSR2);  // sigsuspend: everything but SIGUSR2 may arrive
    switch (via_) {
      case SigWaitVia::kSigsuspend: return Ret(sigsuspend(&none));
      case SigWaitVia::kSigtimedwait: return Ret(sigtimedwait(&set, &info, &t));
      case SigWaitVia::kSigwaitinfo: return Ret(sigwaitinfo(&set, &info));
    }
    return -EINVAL;
  }
  PosixError Complete() override { return NoError(); }
  bool Completable() override { return false; }

 private:
  SigWaitVia via_;
};

// ---- epoll_wait, epoll_pwait, ppoll, select, pselect --------------------------------

class MultiplexCall : public BlockingCall {
 public:
  explicit MultiplexCall(MuxVia via) : via_(via) {}
  PosixError Setup() override {
    if (auto e = MakePipe(r_, w_); !e.ok()) return e;
    if (via_ != MuxVia::kEpollWait && via_ != MuxVia::kEpollPwait) return NoError();
    ep_.reset(epoll_create1(EPOLL_CLOEXEC));
    if (!ep_.valid()) return ErrnoError("epoll_create1");
    epoll_event ev = {};
    ev.events = EPOLLIN;
    return epoll_ctl(ep_.get(), EPOLL_CTL_ADD, r_.get(), &ev) == 0 ? NoError() : ErrnoError("epoll_ctl");
  }
  long Call() override {
    epoll_event ev;
    pollfd p = {r_.get(), POLLIN, 0};
    fd_set rfds;
    FD_ZERO(&rfds);
    FD_SET(r_.get(), &rfds);
    switch (via_) {
      case MuxVia::kEpollWait: return Ret(epoll_wait(ep_.get(), &ev, 1, -1));
      case MuxVia::kEpollPwait: return Ret(epoll_pwait(ep_.get(), &ev, 1, -1, nullptr));
      case MuxVia::kPpoll: return Ret(ppoll(&p, 1, nullptr, nullptr));
      case MuxVia::kSelect: return Ret(select(r_.get() + 1, &rfds, nullptr, nullptr, nullptr));
      case MuxVia::kPselect: return Ret(pselect(r_.get() + 1, &rfds, nullptr, nullptr, nullptr, nullptr));
    }
    return -EINVAL;
  }
  PosixError Complete() override {
    return write(w_.get(), "p", 1) == 1 ? NoError() : ErrnoError("write(pipe)");
  }

 private:
  MuxVia via_;
  FileDescriptor r_, w_, ep_;
};

// ---- semop(2) / semtimedop(2) decrementing a zero semaphore ------------------------

class SemOpCall : public BlockingCall {
 public:
  explicit SemOpCall(bool timed) : timed_(timed) {}
  ~SemOpCall() override {
    if (id_ >= 0) semctl(id_, 0, IPC_RMID);
  }
  PosixError Setup() override {
    id_ = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    return id_ < 0 ? ErrnoError("semget") : NoError();
  }
  long Call() override {
    sembuf op = {0, -1, 0};
    timespec t = {kLongWait, 0};
    return Ret(timed_ ? semtimedop(id_, &op, 1, &t) : semop(id_, &op, 1));
  }
  PosixError Complete() override {
    sembuf op = {0, 1, 0};
    return semop(id_, &op, 1) == 0 ? NoError() : ErrnoError("semop(+1)");
  }

 private:
  bool timed_;
  int id_ = -1;
};

// ---- sleeps: nanosleep, clock_nanosleep, usleep, sleep ------------------------------

// The calling thread's timer slack (prctl(2) PR_GET_TIMERSLACK; the child
// inherits it across fork), in nanoseconds.
long long CurrentTimerSlackNs() {
  int r = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
  return r < 0 ? 50000 : r;
}

class SleepCall : public BlockingCall {
 public:
  explicit SleepCall(SleepVia via) : via_(via) {}
  PosixError Setup() override {
    auto r = SharedObject<timespec>::Create();
    if (!r.ok()) return r.error();
    rem_.emplace(std::move(r.value()));
    return NoError();
  }
  long Call() override {
    timespec req = {kLongWait, 0};
    switch (via_) {
      case SleepVia::kNanosleep: return Ret(nanosleep(&req, rem_->get()));
      case SleepVia::kClockNanosleep: return RetErr(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, rem_->get()));
      case SleepVia::kUsleep: return Ret(usleep(kLongWait * 1000000u));
      case SleepVia::kSleep: return static_cast<long>(sleep(kLongWait));
    }
    return -EINVAL;
  }
  PosixError Complete() override { return NoError(); }
  bool Completable() override { return false; }
  std::string CheckAfter(long ret, Interrupted) override {
    if (via_ == SleepVia::kSleep) {
      return ret > 0 && ret <= kLongWait ? ""
                                         : "sleep(" + std::to_string(kLongWait) + ") returned " +
                                               std::to_string(ret) + ", not the seconds remaining";
    }
    if (ret != -EINTR || (via_ != SleepVia::kNanosleep && via_ != SleepVia::kClockNanosleep)) return "";
    // The remaining time is at most what was asked, plus, on Linux, the
    // caller's timer slack: the kernel computes it from the timer's hard
    // expiry, which is the request plus the slack (kernel/time/hrtimer.c:
    // do_nanosleep() copies out hrtimer_expires_remaining(), the node's
    // expiry, not the soft one), so a signal within the slack of the start
    // leaves up to req + slack (seen here: 60.000002684 s of 60 s, timer
    // slack 50 us). The bound is the slack the child ran with.
    const timespec r = **rem_;
    const long long rem_ns = static_cast<long long>(r.tv_sec) * 1000000000LL + r.tv_nsec;
    const long long bound_ns = static_cast<long long>(kLongWait) * 1000000000LL + slack_ns_;
    if (rem_ns > 0 && rem_ns <= bound_ns) return "";
    char buf[96];
    snprintf(buf, sizeof buf, "%lld.%09ld s, not within (0, %d s + the timer slack %lld ns]",
             static_cast<long long>(r.tv_sec), static_cast<long>(r.tv_nsec), kLongWait, slack_ns_);
    return std::string("EINTR with the remaining time ") + buf;
  }

 private:
  SleepVia via_;
  std::optional<SharedObject<timespec>> rem_;
  long long slack_ns_ = CurrentTimerSlackNs();
};

// ---- io_getevents(2) -----------------------------------------------------------

class IoGeteventsCall : public BlockingCall {
 public:
  PosixError Setup() override { return NoError(); }
  long Call() override {
    // In the child: an AIO context is not inherited across fork.
    aio_context_t ctx = 0;
    if (syscall(SYS_io_setup, 1, &ctx) != 0) return -errno;
    io_event ev;
    long n = Ret(syscall(SYS_io_getevents, ctx, 1, 1, &ev, nullptr));
    syscall(SYS_io_destroy, ctx);
    return n;
  }
  PosixError Complete() override { return NoError(); }
  bool Completable() override { return false; }
};

}  // namespace

std::unique_ptr<BlockingCall> PipeReadv() { return std::make_unique<PipeReadvCall>(); }
std::unique_ptr<BlockingCall> PipeWritevFull() { return std::make_unique<PipeWritevFullCall>(); }
std::unique_ptr<BlockingCall> SlowIoctl() { return std::make_unique<SlowIoctlCall>(); }
std::unique_ptr<BlockingCall> WaitForChild(WaitVia via) { return std::make_unique<WaitForChildCall>(via); }
std::unique_ptr<BlockingCall> Accept(bool timeout) { return std::make_unique<AcceptCall>(timeout); }
std::unique_ptr<BlockingCall> ConnectFullBacklog(bool timeout) { return std::make_unique<ConnectCall>(timeout); }
std::unique_ptr<BlockingCall> SocketRecvVia(SockVia via, bool timeout) {
  return std::make_unique<SocketRecvCall>(via, timeout);
}
std::unique_ptr<BlockingCall> SocketSendFull(SockVia via, bool timeout) {
  return std::make_unique<SocketSendCall>(via, timeout);
}
std::unique_ptr<BlockingCall> FileLock(LockVia via) { return std::make_unique<FileLockCall>(via); }
std::unique_ptr<BlockingCall> MqReceive(bool timed) { return std::make_unique<MqCall>(false, timed); }
std::unique_ptr<BlockingCall> MqSendFull(bool timed) { return std::make_unique<MqCall>(true, timed); }
std::unique_ptr<BlockingCall> Futex(FutexVia via) { return std::make_unique<FutexCall>(via); }
std::unique_ptr<BlockingCall> GetRandom() { return std::make_unique<GetRandomCall>(); }
std::unique_ptr<BlockingCall> PthreadMutexLock(bool timed) { return std::make_unique<PthreadCall>(false, timed); }
std::unique_ptr<BlockingCall> PthreadCondWait(bool timed) { return std::make_unique<PthreadCall>(true, timed); }
std::unique_ptr<BlockingCall> SemWait(bool timed) { return std::make_unique<SemWaitCall>(timed); }
std::unique_ptr<BlockingCall> InotifyRead() { return std::make_unique<InotifyReadCall>(); }
std::unique_ptr<BlockingCall> WaitForSignal(SigWaitVia via) { return std::make_unique<WaitForSignalCall>(via); }
std::unique_ptr<BlockingCall> Multiplex(MuxVia via) { return std::make_unique<MultiplexCall>(via); }
std::unique_ptr<BlockingCall> SemOp(bool timed) { return std::make_unique<SemOpCall>(timed); }
std::unique_ptr<BlockingCall> Sleep(SleepVia via) { return std::make_unique<SleepCall>(via); }
std::unique_ptr<BlockingCall> IoGetevents() { return std::make_unique<IoGeteventsCall>(); }

}  // namespace ipcspec::eintr
