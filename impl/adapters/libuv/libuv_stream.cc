#include "impl/adapters/libuv/libuv_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "impl/core/deadline.h"

namespace ipcspec {

PosixError UvError(int status, const std::string& call) {
  return PosixError(-status, call + " (libuv: " + uv_err_name(status) + ", " +
                                 uv_strerror(status) + ")");
}

std::string UvSocketPath(const char* stem) {
  static std::atomic<unsigned> counter{0};
  std::string name = std::string("/") + stem + std::to_string(getpid()) + "_" +
                     std::to_string(counter++);
  const char* tmp = std::getenv("TEST_TMPDIR");
  if (tmp != nullptr && std::strlen(tmp) + name.size() < 100) return tmp + name;
  return "/tmp" + name;
}

uint64_t UvCallDeadlineMs() {
  return static_cast<uint64_t>(Deadline::Default().Budget().count());
}

namespace {

struct TimerFlag {
  bool fired = false;
};

void OnDeadline(uv_timer_t* t) {
  static_cast<TimerFlag*>(t->data)->fired = true;
  uv_stop(t->loop);
}

}  // namespace

bool RunUntil(uv_loop_t* loop, uv_timer_t* timer, const bool* done, uint64_t ms) {
  if (*done) return true;
  TimerFlag flag;
  timer->data = &flag;
  uv_timer_start(timer, OnDeadline, ms, 0);
  while (!*done && !flag.fired) uv_run(loop, UV_RUN_ONCE);
  uv_timer_stop(timer);
  timer->data = nullptr;
  return *done;
}

UvStreamEnd::UvStreamEnd(uv_loop_t* loop, uv_pipe_t* pipe, std::string label)
    : loop_(loop), pipe_(pipe), owner_(getpid()), label_(std::move(label)) {
  uv_timer_init(loop_, &timer_);
}

UvStreamEnd::~UvStreamEnd() {
  // Only the process that owns the loop (or a child that followed the fork)
  // tears it down; Close() handles both.
  (void)Close();
}

int UvStreamEnd::fd() const {
  if (loop_ == nullptr) return -1;
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(pipe_), &fd) != 0) return -1;
  return fd;
}

PosixError UvStreamEnd::FollowFork() {
  if (loop_ == nullptr || owner_ == getpid()) return NoError();
  // uv.h / the libuv manual, uv_loop_fork: "It is necessary to explicitly
  // call this function on every event loop created in the parent process
  // that you plan to continue to use in the child".
  int rc = uv_loop_fork(loop_);
  if (rc != 0) return UvError(rc, "uv_loop_fork(" + label_ + "'s loop)");
  owner_ = getpid();
  return NoError();
}

namespace {

struct ReadCtx {
  uint8_t* buf = nullptr;
  size_t cap = 0;
  ssize_t nread = 0;
  bool done = false;
};

void OnAlloc(uv_handle_t* h, size_t, uv_buf_t* out) {
  auto* c = static_cast<ReadCtx*>(h->data);
  out->base = reinterpret_cast<char*>(c->buf);
  out->len = c->done ? 0 : c->cap;
}

void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
  auto* c = static_cast<ReadCtx*>(s->data);
  // The libuv manual, uv_read_cb: "nread might be 0, which does not indicate
  // an error or EOF. This is equivalent to EAGAIN or EWOULDBLOCK under
  // read(2)."
  if (nread == 0 || c == nullptr || c->done) return;
  c->nread = nread;
  c->done = true;
  uv_read_stop(s);
}

struct WriteCtx {
  uv_write_t req;
  std::vector<uint8_t> bytes;  // libuv keeps the pointer until the callback
  int status = 0;
  bool done = false;
  bool abandoned = false;  // the caller gave up at its deadline
};

void OnWrite(uv_write_t* req, int status) {
  auto* c = static_cast<WriteCtx*>(req->data);
  if (c->abandoned) {
    delete c;
    return;
  }
  c->status = status;
  c->done = true;
}

}  // namespace

PosixErrorOr<size_t> UvStreamEnd::DoRead(uint8_t* data, size_t n, Blocking b) {
  if (loop_ == nullptr) return PosixError(EBADF, label_ + ": read after close");
  if (PosixError e = FollowFork(); !e.ok()) return e;
  if (n == 0) return size_t{0};
  ReadCtx ctx{data, n, 0, false};
  auto* stream = reinterpret_cast<uv_stream_t*>(pipe_);
  stream->data = &ctx;
  int rc = uv_read_start(stream, OnAlloc, OnRead);
  if (rc != 0) {
    stream->data = nullptr;
    return UvError(rc, "uv_read_start(" + label_ + ")");
  }
  if (b == Blocking::kNonBlock) {
    // One poll for I/O, no wait (the libuv manual, uv_run: UV_RUN_NOWAIT
    // "will poll for i/o once but won't block if there are no pending
    // callbacks").
    uv_run(loop_, UV_RUN_NOWAIT);
  } else if (!RunUntil(loop_, &timer_, &ctx.done, UvCallDeadlineMs())) {
    uv_read_stop(stream);
    stream->data = nullptr;
    return PosixError(EINTR, "uv_read_start(" + label_ + "): no read callback within the "
                             "libuv loop's deadline of " +
                                 std::to_string(UvCallDeadlineMs()) + " ms (ipcspec hang: "
                                 "the adapter's timer stopped the loop)");
  }
  if (!ctx.done) uv_read_stop(stream);
  stream->data = nullptr;
  if (!ctx.done) {
    return PosixError(EAGAIN, "uv_read_start + uv_run(UV_RUN_NOWAIT) on " + label_ +
                                  ": no data (the read callback did not run)");
  }
  if (ctx.nread == UV_EOF) return size_t{0};
  if (ctx.nread < 0) {
    return UvError(static_cast<int>(ctx.nread), "read callback of " + label_);
  }
  return static_cast<size_t>(ctx.nread);
}

PosixErrorOr<size_t> UvStreamEnd::Read(uint8_t* data, size_t n, Blocking b) {
  return DoRead(data, n, b);
}

PosixError UvStreamEnd::DoWrite(const uint8_t* data, size_t n, const char* what) {
  auto* c = new WriteCtx;
  c->bytes.assign(data, data + n);
  c->req.data = c;
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(c->bytes.data()),
                             static_cast<unsigned>(n));
  int rc = uv_write(&c->req, reinterpret_cast<uv_stream_t*>(pipe_), &buf, 1, OnWrite);
  if (rc != 0) {
    delete c;
    return UvError(rc, std::string(what) + "(" + label_ + ", " + std::to_string(n) + " bytes)");
  }
  if (!RunUntil(loop_, &timer_, &c->done, UvCallDeadlineMs())) {
    c->abandoned = true;  // the callback frees it (at the latest: ECANCELED on close)
    return PosixError(EINTR, std::string(what) + "(" + label_ + ", " + std::to_string(n) +
                                 " bytes): no write callback within the libuv loop's deadline "
                                 "of " + std::to_string(UvCallDeadlineMs()) +
                                 " ms (ipcspec hang: the adapter's timer stopped the loop)");
  }
  int status = c->status;
  delete c;
  if (status != 0) {
    return UvError(status, std::string(what) + "(" + label_ + ", " + std::to_string(n) +
                               " bytes): write callback");
  }
  return NoError();
}

PosixErrorOr<size_t> UvStreamEnd::Write(const uint8_t* data, size_t n, Blocking b) {
  if (loop_ == nullptr) return PosixError(EBADF, label_ + ": write after close");
  if (PosixError e = FollowFork(); !e.ok()) return e;
  if (b == Blocking::kNonBlock) {
    uv_buf_t buf = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(data)),
                               static_cast<unsigned>(n));
    int rc = uv_try_write(reinterpret_cast<uv_stream_t*>(pipe_), &buf, 1);
    if (rc < 0) {
      return UvError(rc, "uv_try_write(" + label_ + ", " + std::to_string(n) + " bytes)");
    }
    return static_cast<size_t>(rc);
  }
  if (PosixError e = DoWrite(data, n, "uv_write"); !e.ok()) return e;
  return n;
}

PosixError UvStreamEnd::WriteAll(const uint8_t* data, size_t n) {
  if (loop_ == nullptr) return PosixError(EBADF, label_ + ": write after close");
  if (PosixError e = FollowFork(); !e.ok()) return e;
  // The libuv manual, uv_write: the callback is "called after the data was
  // written"; libuv keeps writing a partly written request itself.
  return DoWrite(data, n, "uv_write");
}

namespace {
void DeletePipe(uv_handle_t* h) { delete reinterpret_cast<uv_pipe_t*>(h); }
}  // namespace

PosixError UvStreamEnd::Close() {
  if (loop_ == nullptr) return NoError();
  if (PosixError e = FollowFork(); !e.ok()) return e;
  uv_close(reinterpret_cast<uv_handle_t*>(pipe_), DeletePipe);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  // Close callbacks run in the next loop iteration, without waiting for I/O;
  // pending writes are cancelled (UV_ECANCELED). UV_RUN_DEFAULT returns once
  // no handle is left.
  uv_run(loop_, UV_RUN_DEFAULT);
  int rc = uv_loop_close(loop_);
  PosixError out;
  if (rc != 0) out = UvError(rc, "uv_loop_close(" + label_ + "'s loop)");
  else delete loop_;
  loop_ = nullptr;
  pipe_ = nullptr;
  return out;
}

// ---------------------------------------------------------------------------

namespace {

PosixErrorOr<uv_loop_t*> NewLoop() {
  auto* loop = new uv_loop_t;
  int rc = uv_loop_init(loop);
  if (rc != 0) {
    delete loop;
    return UvError(rc, "uv_loop_init");
  }
  return loop;
}

// Ends made from a loop and an fd (the fd is closed on failure).
PosixErrorOr<std::unique_ptr<UvStreamEnd>> EndOverFd(int fd, const std::string& label) {
  auto loop = NewLoop();
  if (!loop.ok()) {
    close(fd);
    return loop.error();
  }
  auto* p = new uv_pipe_t;
  uv_pipe_init(loop.value(), p, 0);
  auto end = std::make_unique<UvStreamEnd>(loop.value(), p, label);
  // The libuv manual, uv_pipe_open: "Open an existing file descriptor or
  // HANDLE as a pipe." (it makes the descriptor non-blocking).
  int rc = uv_pipe_open(p, fd);
  if (rc != 0) {
    close(fd);
    return UvError(rc, "uv_pipe_open(" + label + ")");
  }
  return end;
}

}  // namespace

PosixErrorOr<ByteStream> OpenUvPipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2()");
  int cap = fcntl(fds[1], F_GETPIPE_SZ);
  auto r = EndOverFd(fds[0], "libuv pipe read end");
  if (!r.ok()) {
    close(fds[1]);
    return r.error();
  }
  auto w = EndOverFd(fds[1], "libuv pipe write end");
  if (!w.ok()) return w.error();
  ByteStream s;
  s.reader = std::move(r).ValueOrDie();
  s.writer = std::move(w).ValueOrDie();
  s.reported_capacity = cap > 0 ? static_cast<size_t>(cap) : 0;
  return s;
}

namespace {

struct Flag {
  int status = 0;
  bool done = false;
};

void OnConnection(uv_stream_t* server, int status) {
  auto* f = static_cast<Flag*>(server->data);
  f->status = status;
  f->done = true;
}

void OnConnect(uv_connect_t* req, int status) {
  auto* f = static_cast<Flag*>(req->data);
  f->status = status;
  f->done = true;
}

void OnClosed(uv_handle_t* h) {
  *static_cast<bool*>(h->data) = true;
  delete reinterpret_cast<uv_pipe_t*>(h);
}

}  // namespace

PosixErrorOr<ByteStream> OpenUvUnixSocket() {
  const std::string path = UvSocketPath("uv");
  // Whatever happens below, no socket file outlives the stream's opening:
  // libuv unlinks a bound pipe's path when the handle is closed, and this
  // removes it when opening failed half way.
  Cleanup unlink_path([path] { (void)unlink(path.c_str()); });
  auto rloop = NewLoop();
  if (!rloop.ok()) return rloop.error();
  auto* accepted = new uv_pipe_t;
  uv_pipe_init(rloop.value(), accepted, 0);
  auto reader = std::make_unique<UvStreamEnd>(rloop.value(), accepted,
                                              "libuv unix socket reading end (accepted)");
  auto wloop = NewLoop();
  if (!wloop.ok()) return wloop.error();
  auto* client = new uv_pipe_t;
  uv_pipe_init(wloop.value(), client, 0);
  auto writer = std::make_unique<UvStreamEnd>(wloop.value(), client,
                                              "libuv unix socket writing end (connected)");

  auto* server = new uv_pipe_t;
  uv_pipe_init(rloop.value(), server, 0);
  bool server_closed = false;
  auto close_server = [&] {
    server->data = &server_closed;
    uv_close(reinterpret_cast<uv_handle_t*>(server), OnClosed);
    (void)RunUntil(rloop.value(), reader->timer(), &server_closed, UvCallDeadlineMs());
  };
  Flag incoming;
  server->data = &incoming;
  int rc = uv_pipe_bind(server, path.c_str());
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(server), 1, OnConnection);
  if (rc != 0) {
    close_server();
    return UvError(rc, "uv_pipe_bind/uv_listen(" + path + ")");
  }
  uv_connect_t creq;
  Flag connected;
  creq.data = &connected;
  uv_pipe_connect(&creq, client, path.c_str(), OnConnect);
  if (!RunUntil(wloop.value(), writer->timer(), &connected.done, UvCallDeadlineMs()) ||
      connected.status != 0) {
    close_server();
    return connected.done ? UvError(connected.status, "uv_pipe_connect(" + path + ")")
                          : PosixError(ETIMEDOUT, "uv_pipe_connect(" + path +
                                                      "): no callback by the deadline");
  }
  if (!RunUntil(rloop.value(), reader->timer(), &incoming.done, UvCallDeadlineMs()) ||
      incoming.status != 0) {
    close_server();
    return incoming.done ? UvError(incoming.status, "connection callback of " + path)
                         : PosixError(ETIMEDOUT, "uv_listen(" + path +
                                                     "): no connection callback by the deadline");
  }
  rc = uv_accept(reinterpret_cast<uv_stream_t*>(server), reinterpret_cast<uv_stream_t*>(accepted));
  close_server();
  if (rc != 0) return UvError(rc, "uv_accept(" + path + ")");
  ByteStream s;
  s.reader = std::move(reader);
  s.writer = std::move(writer);
  return s;
}

}  // namespace ipcspec
