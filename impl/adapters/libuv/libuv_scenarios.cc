#include "impl/adapters/libuv/libuv_scenarios.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "impl/adapters/libuv/libuv_stream.h"
#include "impl/core/blocked.h"
#include "impl/core/deadline.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/sigpipe.h"

namespace ipcspec {
namespace {

// libuv keeps process-wide state from the first uv_loop_init on: a pipe
// (two descriptors) that serialises its signal handling, released only by
// uv_library_shutdown (the libuv manual, uv_library_shutdown: "Release any
// global state that libuv is holding onto"). Made here, before any test and
// any fd count, so that it is part of the process as the leak audit first
// sees it, not a leak of the first test that opens a loop.
[[maybe_unused]] const bool kLibuvGlobalsMade = [] {
  uv_loop_t loop;
  if (uv_loop_init(&loop) == 0) (void)uv_loop_close(&loop);
  return true;
}();

int OpenFdCount() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(d);
  return n - 1;  // the directory's own descriptor
}

// A loop with its handles; closes every handle and the loop at the end.
struct Loop {
  uv_loop_t loop;
  uv_timer_t timer;
  std::vector<std::unique_ptr<uv_pipe_t>> pipes;
  bool ok = false;
  Loop() {
    ok = uv_loop_init(&loop) == 0;
    if (ok) uv_timer_init(&loop, &timer);
  }
  ~Loop() {
    if (!ok) return;
    uv_walk(
        &loop,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&loop);
  }
  uv_pipe_t* Pipe(int ipc) {
    pipes.push_back(std::make_unique<uv_pipe_t>());
    uv_pipe_init(&loop, pipes.back().get(), ipc);
    return pipes.back().get();
  }
  bool Run(const bool* done) { return RunUntil(&loop, &timer, done, UvCallDeadlineMs()); }
};

uv_stream_t* S(uv_pipe_t* p) { return reinterpret_cast<uv_stream_t*>(p); }
uv_handle_t* H(uv_pipe_t* p) { return reinterpret_cast<uv_handle_t*>(p); }

struct Done {
  int status = 0;
  bool done = false;
};

void OnWritten(uv_write_t* req, int status) {
  auto* d = static_cast<Done*>(req->data);
  d->status = status;
  d->done = true;
}

// uv_write2 of one byte carrying `send`, run to its callback.
Done Write2(Loop& l, uv_pipe_t* over, uv_pipe_t* send, int* rc) {
  static char byte = 'x';
  Done d;
  uv_write_t req;
  req.data = &d;
  uv_buf_t buf = uv_buf_init(&byte, 1);
  *rc = uv_write2(&req, S(over), &buf, 1, S(send), OnWritten);
  if (*rc == 0 && !l.Run(&d.done)) d.status = UV_ETIMEDOUT;
  return d;
}

struct ReadOne {
  char buf[64];
  ssize_t nread = 0;
  bool done = false;
};

// One read callback with data, EOF or an error.
ReadOne ReadSome(Loop& l, uv_pipe_t* from) {
  ReadOne r;
  from->data = &r;
  uv_read_start(
      S(from),
      [](uv_handle_t* h, size_t, uv_buf_t* b) {
        auto* r = static_cast<ReadOne*>(h->data);
        b->base = r->buf;
        b->len = sizeof r->buf;
      },
      [](uv_stream_t* s, ssize_t n, const uv_buf_t*) {
        auto* r = static_cast<ReadOne*>(s->data);
        if (n == 0 || r->done) return;
        r->nread = n;
        r->done = true;
        uv_read_stop(s);
      });
  if (!l.Run(&r.done)) r.nread = UV_ETIMEDOUT;
  uv_read_stop(S(from));
  from->data = nullptr;
  return r;
}

std::string Err(const char* what, int status) {
  return std::string(what) + ": " + (status == 0 ? "0" : uv_err_name(status));
}

// The two ends of a socketpair as uv pipes on two loops.
bool IpcPair(Loop& a, Loop& b, int ipc_a, int ipc_b, uv_pipe_t** pa, uv_pipe_t** pb) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
  *pa = a.Pipe(ipc_a);
  *pb = b.Pipe(ipc_b);
  if (uv_pipe_open(*pa, sv[0]) != 0) {
    close(sv[0]);
    close(sv[1]);
    return false;
  }
  if (uv_pipe_open(*pb, sv[1]) != 0) {
    close(sv[1]);
    return false;
  }
  return true;
}

// A pipe(2) whose write end is a uv pipe on `l` (the handle to send); its read
// end is returned in *read_fd.
uv_pipe_t* PipeHandle(Loop& l, int* read_fd) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return nullptr;
  uv_pipe_t* h = l.Pipe(0);
  if (uv_pipe_open(h, p[1]) != 0) {
    close(p[0]);
    close(p[1]);
    return nullptr;
  }
  *read_fd = p[0];
  return h;
}

}  // namespace

std::string CheckWrite2PassesADescriptor(Sabotage s) {
  const int before = OpenFdCount();
  std::string fail;
  int keep_read = -1, other_read = -1;
  {
    Loop a, b;
    uv_pipe_t *pa, *pb;
    if (!a.ok || !b.ok || !IpcPair(a, b, 1, 1, &pa, &pb)) return "setup: socketpair/uv_pipe_open";
    uv_pipe_t* send = PipeHandle(a, &keep_read);
    uv_pipe_t* other = PipeHandle(a, &other_read);
    if (send == nullptr || other == nullptr) return "setup: pipe2/uv_pipe_open";
    int rc = 0;
    Done w = Write2(a, pa, s == Sabotage::kSendWrongDescriptor ? other : send, &rc);
    if (rc != 0 || w.status != 0) {
      fail = "uv_write2 of a pipe handle over an ipc pipe failed: " + Err("uv_write2", rc) + ", " +
             Err("callback", w.status) + " (the libuv manual, uv_write2: \"Extended write "
             "function for sending handles over a pipe\")";
    }
    ReadOne r = fail.empty() ? ReadSome(b, pb) : ReadOne{};
    if (fail.empty() && (r.nread != 1 || r.buf[0] != 'x')) {
      fail = "the receiver's read callback got " + std::to_string(r.nread) +
             " bytes, expected the 1 byte sent with the handle";
    }
    if (fail.empty()) {
      int pending = uv_pipe_pending_count(pb);
      uv_handle_type type = uv_pipe_pending_type(pb);
      if (pending != 1 || type != UV_NAMED_PIPE) {
        fail = "after the read callback, uv_pipe_pending_count = " + std::to_string(pending) +
               " and uv_pipe_pending_type = " + std::to_string(type) +
               "; expected 1 and UV_NAMED_PIPE (the libuv manual, uv_pipe_pending_count: "
               "\"if it's > 0 then initialize a handle of the given type, returned by "
               "uv_pipe_pending_type() and call uv_accept(pipe, handle)\")";
      }
    }
    if (fail.empty()) {
      uv_pipe_t* got = b.Pipe(0);
      int arc = uv_accept(S(pb), S(got));
      uv_os_fd_t gfd = -1;
      struct stat sg, ss;
      if (arc != 0 || uv_fileno(H(got), &gfd) != 0) {
        fail = Err("uv_accept of the pending handle", arc);
      } else if (fstat(gfd, &sg) != 0 || fstat(keep_read, &ss) != 0 || sg.st_ino != ss.st_ino) {
        fail = "the accepted handle is not the pipe that was sent (inode " +
               std::to_string(sg.st_ino) + ", the pipe's is " + std::to_string(ss.st_ino) + ")";
      } else {
        char hello[] = "hello";
        uv_buf_t hb = uv_buf_init(hello, 5);
        int n = uv_try_write(S(got), &hb, 1);
        char in[8] = {0};
        ssize_t m = n == 5 ? read(keep_read, in, sizeof in) : -1;
        if (n != 5 || m != 5 || std::memcmp(in, "hello", 5) != 0) {
          fail = "5 bytes written through the accepted handle (uv_try_write: " +
                 std::to_string(n) + ") did not come out of the pipe that was sent (read: " +
                 std::to_string(m) + ")";
        }
      }
    }
  }
  if (keep_read >= 0) close(keep_read);
  if (other_read >= 0) close(other_read);
  const int after = OpenFdCount();
  if (fail.empty() && after != before) {
    fail = std::to_string(after - before) + " descriptor(s) left open after every handle was "
           "closed (uv_close of the sender, the receiver, the sent and the accepted handle)";
  }
  return fail;
}

std::string CheckWrite2ErrorsLeakNothing(Sabotage s) {
  ScopedBlockSigpipe no_sigpipe;
  const int before = OpenFdCount();
  std::vector<std::string> fails;
  int leaked = -1;
  std::vector<int> reads;
  {
    // 1. A pipe not made for IPC.
    Loop a, b;
    uv_pipe_t *pa, *pb;
    if (!a.ok || !b.ok || !IpcPair(a, b, 0, 0, &pa, &pb)) return "setup: socketpair";
    int r1 = -1;
    uv_pipe_t* send = PipeHandle(a, &r1);
    if (send == nullptr) return "setup: pipe2";
    reads.push_back(r1);
    int rc = 0;
    Done w = Write2(a, pa, send, &rc);
    if (rc == 0 && w.status == 0) {
      fails.push_back("uv_write2 of a handle over a pipe made with ipc = 0 succeeded (the libuv "
                      "manual, uv_write2: \"The pipe must be initialized with ipc == 1\")");
    }
    if (s == Sabotage::kLeakADescriptor) leaked = dup(r1);
  }
  {
    // 2. The peer closed: the write fails (EPIPE); the sent handle stays the
    //    sender's, nothing is duplicated.
    Loop a, b;
    uv_pipe_t *pa, *pb;
    if (!a.ok || !b.ok || !IpcPair(a, b, 1, 1, &pa, &pb)) return "setup: socketpair";
    int r2 = -1;
    uv_pipe_t* send = PipeHandle(a, &r2);
    if (send == nullptr) return "setup: pipe2";
    reads.push_back(r2);
    bool closed = false;
    pb->data = &closed;
    uv_close(H(pb), [](uv_handle_t* h) { *static_cast<bool*>(h->data) = true; });
    (void)b.Run(&closed);
    int rc = 0;
    Done w = Write2(a, pa, send, &rc);
    if (rc == 0 && w.status == 0) {
      fails.push_back("uv_write2 to a peer that closed succeeded; expected an error (EPIPE)");
    }
    (void)ScopedBlockSigpipe::ConsumePending();
  }
  {
    // 3. The receiver reads the byte but never accepts the handle, then
    //    closes: libuv must close the received descriptor.
    Loop a, b;
    uv_pipe_t *pa, *pb;
    if (!a.ok || !b.ok || !IpcPair(a, b, 1, 1, &pa, &pb)) return "setup: socketpair";
    int r3 = -1;
    uv_pipe_t* send = PipeHandle(a, &r3);
    if (send == nullptr) return "setup: pipe2";
    reads.push_back(r3);
    int rc = 0;
    Done w = Write2(a, pa, send, &rc);
    ReadOne r = ReadSome(b, pb);
    if (rc != 0 || w.status != 0 || r.nread != 1 || uv_pipe_pending_count(pb) != 1) {
      fails.push_back("sending a handle for the receiver to leave unaccepted: " +
                      Err("uv_write2", rc) + ", " + Err("callback", w.status) + ", read " +
                      std::to_string(r.nread) + ", pending " +
                      std::to_string(uv_pipe_pending_count(pb)));
    }
  }
  {
    // 4. The receiver is not an IPC pipe: it reads with read(2), and the
    //    kernel drops the descriptor in flight.
    Loop a, b;
    uv_pipe_t *pa, *pb;
    if (!a.ok || !b.ok || !IpcPair(a, b, 1, 0, &pa, &pb)) return "setup: socketpair";
    int r4 = -1;
    uv_pipe_t* send = PipeHandle(a, &r4);
    if (send == nullptr) return "setup: pipe2";
    reads.push_back(r4);
    int rc = 0;
    Done w = Write2(a, pa, send, &rc);
    ReadOne r = ReadSome(b, pb);
    if (rc != 0 || w.status != 0 || r.nread != 1) {
      fails.push_back("a handle sent to a receiver made with ipc = 0: " + Err("uv_write2", rc) +
                      ", " + Err("callback", w.status) + ", read " + std::to_string(r.nread));
    }
  }
  for (int fd : reads) close(fd);
  const int after = OpenFdCount();
  if (after != before) {
    fails.push_back(std::to_string(after - before) +
                    " descriptor(s) left open after uv_write2's error cases, every handle closed");
  }
  if (leaked >= 0) close(leaked);  // the mutant's own, after the count
  std::string out;
  for (const auto& f : fails) out += (out.empty() ? "" : "; ") + f;
  return out;
}

namespace {

struct ReadBoard {
  long n = -1000;
  int err = 0;
  char data[16] = {0};
};

void NoopHandler(int) {}

}  // namespace

namespace {

using Opener = PosixErrorOr<ByteStream> (*)();

std::string Named(Opener open) {
  return open == &OpenUvPipe ? "libuv_pipe" : "libuv_unix_socket";
}

// Sends SIGUSR1 three times to `pid`, asleep in its loop; after each, waits
// until it ran the handler and slept again (its voluntary switches grew) or
// `returned()` says it left the call. Returns how many were sent.
int SignalThrice(pid_t pid, const std::function<bool()>& returned) {
  int delivered = 0;
  for (int i = 0; i < 3; ++i) {
    auto v0 = VoluntarySwitches(pid);
    if (kill(pid, SIGUSR1) != 0) break;
    ++delivered;
    (void)PollUntil(
        [&] {
          auto snap = SnapshotTask(pid);
          if (!snap.ok() || snap.value().state == 'Z') return true;
          auto v = VoluntarySwitches(pid);
          return v0.ok() && v.ok() && v.value() > v0.value() && snap.value().state == 'S';
        },
        Deadline::Default());
    if (returned()) break;
  }
  return delivered;
}

bool InstallNoRestartHandler() {
  struct sigaction sa {};
  sa.sa_handler = NoopHandler;  // no SA_RESTART
  sigemptyset(&sa.sa_mask);
  return sigaction(SIGUSR1, &sa, nullptr) == 0;
}

std::string SignalIntoRead(Sabotage s, Opener open) {
  const std::string what = Named(open);
  auto opened = open();
  if (!opened.ok()) return "opening a " + what + ": " + opened.error().ToString();
  ByteStream st = std::move(opened).ValueOrDie();
  auto board = SharedObject<ReadBoard>::Create();
  if (!board.ok()) return "shared memory: " + board.error().ToString();
  ReadBoard* b = board.value().get();
  auto child = Child::Fork([&]() -> int {
    (void)st.writer->Close();
    if (!InstallNoRestartHandler()) return 3;
    if (s == Sabotage::kRawReadGivesEintr) {
      struct pollfd p = {st.reader->fd(), POLLIN, 0};
      int pr = poll(&p, 1, 10000);
      if (pr < 0) {
        b->n = -errno;
        return 0;
      }
      b->n = read(st.reader->fd(), b->data, sizeof b->data);
      return 0;
    }
    auto r = st.reader->Read(reinterpret_cast<uint8_t*>(b->data), sizeof b->data, Blocking::kBlock);
    b->n = r.ok() ? static_cast<long>(r.value()) : -r.errno_value();
    return 0;
  });
  if (!child.ok()) return "fork: " + child.error().ToString();
  const pid_t pid = child.value().pid();
  const std::vector<long> waits = {SYS_epoll_wait, SYS_epoll_pwait, SYS_poll};
  PosixError blocked = WaitUntilBlocked(pid, waits);
  if (!blocked.ok()) return "the reader never blocked: " + blocked.ToString();
  int delivered = SignalThrice(pid, [b] { return b->n != -1000; });
  static const char kData[] = "0123456789";
  (void)st.writer->WriteAll(reinterpret_cast<const uint8_t*>(kData), 10);
  (void)st.writer->Close();
  auto status = child.value().Wait(Deadline::Default());
  if (!status.ok()) return "the reader did not finish after the data came: " + status.error().ToString();
  if (!status.value().ExitedWith(0)) return "the reader " + status.value().ToString();
  if (b->n != 10 || std::memcmp(b->data, kData, 10) != 0) {
    return what + ": after " + std::to_string(delivered) +
           " signals (handler, no SA_RESTART) into a read blocked in the loop, then 10 bytes "
           "written, the read returned " +
           (b->n < 0 ? std::string(strerrorname_np(static_cast<int>(-b->n)) ? strerrorname_np(static_cast<int>(-b->n)) : "?")
                     : std::to_string(b->n) + " bytes") +
           "; expected the 10 bytes: a signal must neither fail the read nor lose data";
  }
  return "";
}

struct FillBoard {
  long filled = -1;
  int status = -1000;
};

uint8_t PatternAt(size_t i) { return static_cast<uint8_t>(i * 7 + i / 251); }

std::string SignalIntoWrite(Sabotage s, Opener open) {
  const std::string what = Named(open);
  auto opened = open();
  if (!opened.ok()) return "opening a " + what + ": " + opened.error().ToString();
  ByteStream st = std::move(opened).ValueOrDie();
  auto board = SharedObject<FillBoard>::Create();
  if (!board.ok()) return "shared memory: " + board.error().ToString();
  FillBoard* b = board.value().get();
  constexpr size_t kLast = 4096;
  auto child = Child::Fork([&]() -> int {
    (void)st.reader->Close();
    if (!InstallNoRestartHandler()) return 3;
    std::vector<uint8_t> buf(4096);
    size_t filled = 0;
    for (int i = 0; i < 100000; ++i) {
      for (size_t j = 0; j < buf.size(); ++j) buf[j] = PatternAt(filled + j);
      auto w = st.writer->Write(buf.data(), buf.size(), Blocking::kNonBlock);
      if (!w.ok()) break;
      filled += w.value();
    }
    b->filled = static_cast<long>(filled);
    for (size_t j = 0; j < kLast; ++j) buf[j] = PatternAt(filled + j);
    if (s == Sabotage::kRawWriteGivesEintr) {
      struct pollfd p = {st.writer->fd(), POLLOUT, 0};
      b->status = poll(&p, 1, 10000) < 0 ? errno : 0;
      return 0;
    }
    PosixError e = st.writer->WriteAll(buf.data(), kLast);
    b->status = e.ok() ? 0 : e.errno_value();
    return 0;
  });
  if (!child.ok()) return "fork: " + child.error().ToString();
  (void)st.writer->Close();
  const pid_t pid = child.value().pid();
  PosixError blocked = WaitUntilBlocked(pid, {SYS_epoll_wait, SYS_epoll_pwait, SYS_poll});
  if (!blocked.ok() || b->filled < 0) {
    return what + ": the writer never blocked: " + blocked.ToString();
  }
  int delivered = SignalThrice(pid, [b] { return b->status != -1000; });
  // Drain to end of file: the filled bytes, then the blocked write's.
  std::vector<uint8_t> got;
  std::vector<uint8_t> buf(65536);
  for (;;) {
    auto r = st.reader->Read(buf.data(), buf.size(), Blocking::kBlock);
    if (!r.ok()) return what + ": draining: " + r.error().ToString();
    if (r.value() == 0) break;
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<long>(r.value()));
  }
  auto status = child.value().Wait(Deadline::Default());
  if (!status.ok()) {
    return what + ": the writer did not finish after the drain: " + status.error().ToString();
  }
  if (!status.value().ExitedWith(0)) return what + ": the writer " + status.value().ToString();
  if (b->status != 0) {
    const char* name = strerrorname_np(b->status);
    return what + ": after " + std::to_string(delivered) +
           " signals (handler, no SA_RESTART) into a uv_write blocked on a full stream, the "
           "write failed " + std::string(name ? name : "?") +
           "; expected it to complete once the reader drained";
  }
  const size_t want = static_cast<size_t>(b->filled) + kLast;
  bool same = got.size() == want;
  for (size_t i = 0; same && i < want; ++i) same = got[i] == PatternAt(i);
  if (!same) {
    return what + ": after signals into a blocked uv_write the reader got " +
           std::to_string(got.size()) + " bytes, expected the " + std::to_string(want) +
           " written (lost, duplicated or reordered)";
  }
  return "";
}

}  // namespace

std::string CheckSignalIntoBlockedRead(Sabotage s) {
  for (Opener open : {&OpenUvPipe, &OpenUvUnixSocket}) {
    std::string f = SignalIntoRead(s, open);
    if (!f.empty()) return f;
  }
  return "";
}

std::string CheckSignalIntoBlockedWrite(Sabotage s) {
  for (Opener open : {&OpenUvPipe, &OpenUvUnixSocket}) {
    std::string f = SignalIntoWrite(s, open);
    if (!f.empty()) return f;
  }
  return "";
}

namespace {

struct WriteBoard {
  int filled = 0;
  int status = -1000;
  int sigpipe = 0;
};

}  // namespace

std::string CheckReaderKilledUnderBlockedWrite(Sabotage s) {
  for (auto open : {&OpenUvPipe, &OpenUvUnixSocket}) {
    auto opened = open();
    if (!opened.ok()) return "opening a libuv stream: " + opened.error().ToString();
    ByteStream st = std::move(opened).ValueOrDie();
    const std::string what = open == &OpenUvPipe ? "libuv pipe" : "libuv unix socket";
    auto board = SharedObject<WriteBoard>::Create();
    if (!board.ok()) return "shared memory: " + board.error().ToString();
    WriteBoard* b = board.value().get();
    // The reader: holds the read end until it is killed.
    auto reader = Child::Fork([&]() -> int {
      (void)st.writer->Close();
      for (;;) pause();
    });
    if (!reader.ok()) return "fork: " + reader.error().ToString();
    (void)st.reader->Close();
    auto writer = Child::Fork([&]() -> int {
      ScopedBlockSigpipe no_sigpipe;
      std::vector<uint8_t> chunk(4096, 0x5a);
      for (int i = 0; i < 100000; ++i) {
        auto w = st.writer->Write(chunk.data(), chunk.size(), Blocking::kNonBlock);
        if (!w.ok()) break;
      }
      b->filled = 1;
      PosixError e = st.writer->WriteAll(chunk.data(), chunk.size());
      b->status = e.ok() ? 0 : e.errno_value();
      if (s == Sabotage::kWriterIgnoresError) b->status = 0;
      b->sigpipe = ScopedBlockSigpipe::ConsumePending() ? 1 : 0;
      return 0;
    });
    if (!writer.ok()) return "fork: " + writer.error().ToString();
    (void)st.writer->Close();
    PosixError blocked = WaitUntilBlocked(writer.value().pid(), {SYS_epoll_wait, SYS_epoll_pwait});
    if (!blocked.ok() || b->filled != 1) {
      return what + ": the writer did not block on the full stream: " + blocked.ToString();
    }
    (void)reader.value().KillAndWait();
    auto status = writer.value().Wait(Deadline::Default());
    if (!status.ok()) {
      return what + ": the uv_write blocked on a full stream did not end after its reader was "
             "SIGKILLed: " + status.error().ToString();
    }
    if (!status.value().ExitedWith(0)) return what + ": the writer " + status.value().ToString();
    if (b->status != EPIPE || b->sigpipe != 1) {
      return what + ": a uv_write blocked on a full stream whose reader was SIGKILLed ended with " +
             (b->status == 0 ? std::string("success") : std::string(strerrorname_np(b->status) ? strerrorname_np(b->status) : "?")) +
             (b->sigpipe ? " and SIGPIPE" : " and no SIGPIPE") +
             "; expected UV_EPIPE with SIGPIPE (man 7 pipe: \"If all file descriptors "
             "referring to the read end of a pipe have been closed, then a write(2) will cause "
             "a SIGPIPE signal\"; man 7 unix, EPIPE)";
    }
  }
  return "";
}

namespace {
bool Exists(const std::string& p) {
  struct stat st;
  return lstat(p.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}
}  // namespace

std::string CheckBindPathAndClose(Sabotage s, std::string* observed) {
  const std::string dir = UvSocketPath("uvb");
  if (mkdir(dir.c_str(), 0700) != 0) return "mkdir " + dir;
  Cleanup rmdir_dir([dir] { (void)rmdir(dir.c_str()); });
  const std::string shortp = dir + "/s";
  // sun_path holds 108 bytes with the terminating NUL: libuv 1.44 copies at
  // most 107 of the name (uv__strscpy).
  std::string longp = dir + "/";
  while (longp.size() < 130) longp += 'L';
  const std::string truncated = longp.substr(0, sizeof(sockaddr_un::sun_path) - 1);
  Cleanup unlink_all([=] {
    (void)unlink(shortp.c_str());
    (void)unlink(truncated.c_str());
  });
  std::string fail;
  Loop l;
  if (!l.ok) return "uv_loop_init";
  auto bind_close = [&](const std::string& path, bool* at_bind, bool* after_close) -> int {
    uv_pipe_t* p = l.Pipe(0);
    int rc = uv_pipe_bind(p, path.c_str());
    *at_bind = Exists(path.size() > truncated.size() ? truncated : path);
    bool closed = false;
    p->data = &closed;
    uv_close(H(p), [](uv_handle_t* h) { *static_cast<bool*>(h->data) = true; });
    (void)l.Run(&closed);
    *after_close = Exists(path.size() > truncated.size() ? truncated : path);
    return rc;
  };
  bool sb = false, sc = false, lb = false, lc = false;
  int rs = bind_close(shortp, &sb, &sc);
  int rl = bind_close(s == Sabotage::kBindTruncatedPath ? truncated : longp, &lb, &lc);
  std::string obs;
  {
    obs = "short path: bind " + std::string(rs ? uv_err_name(rs) : "ok") +
                ", file " + (sb ? "made" : "absent") + ", after uv_close " +
                (sc ? "still there" : "removed") + "; " + std::to_string(longp.size()) +
                "-byte path: bind " + (rl ? uv_err_name(rl) : "ok") + ", file at the " +
                std::to_string(truncated.size()) + "-byte truncated path " +
                (lb ? "made" : "absent") + ", after uv_close " + (lc ? "still there" : "removed");
  }
  if (observed != nullptr) *observed = obs;
  if (rs != 0 || !sb || sc) {
    fail = "uv_pipe_bind of a short path then uv_close: " + obs +
           "; expected the socket file made, then removed by uv_close";
  } else if (rl != 0 || !lb || !lc) {
    fail = "uv_pipe_bind of a path longer than sun_path then uv_close: " + obs +
           "; libuv 1.44 binds the truncated path (the manual: \"Paths on Unix get truncated "
           "to sizeof(sockaddr_un.sun_path) bytes\") and leaves it on disk after uv_close: "
           "libuv changed (a later libuv refuses such a path): update FINDINGS.md";
  }
  return fail;
}

}  // namespace ipcspec
