// libuv (Debian libuv1-dev 1.44) behind the ByteStream interface: a uv_pipe_t
// over pipe(2) and a uv_pipe_t over a Unix domain socket (uv_pipe_bind,
// uv_listen, uv_pipe_connect, uv_accept).
//
// Each end owns its own uv_loop_t, its uv_pipe_t and a uv_timer_t that bounds
// every call run through the loop. One Kind operation is one libuv call:
//   Write(kNonBlock)  uv_try_write
//   Write(kBlock)     uv_write, the loop run until its callback
//   WriteAll          uv_write (it completes only when every byte is written)
//   Read(kBlock)      uv_read_start, the loop run until the first read callback
//                     with data, EOF or an error, then uv_read_stop
//   Read(kNonBlock)   the same with one uv_run(UV_RUN_NOWAIT): UV_EAGAIN when
//                     the read callback did not run with data
//   Close             uv_close, the loop run until its callback, uv_loop_close
// The loop's timer fires at Deadline::Default() (10 s, scaled): the call then
// returns EINTR with a message naming the deadline, as a Watchdog does for a
// system call (libuv itself retries epoll_wait after a signal, so a Watchdog
// alone cannot interrupt it).
//
// In a forked child each end first calls uv_loop_fork on its loop (uv.h:
// "It is necessary to explicitly call this function on every event loop
// created in the parent process that you plan to continue to use in the
// child").
#pragma once

#include <uv.h>

#include <string>

#include "impl/api/byte_stream.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

// A libuv status (UV_EAGAIN, UV_EPIPE, ...: negated errno values on Unix) as
// a PosixError naming the call and uv_strerror.
PosixError UvError(int status, const std::string& call);

// A short unique path under $TEST_TMPDIR (or /tmp) for a Unix socket.
std::string UvSocketPath(const char* stem);

// The per-call deadline of a libuv end, in milliseconds (Deadline::Default()).
uint64_t UvCallDeadlineMs();

// Runs `loop` (UV_RUN_ONCE at a time) until *done, bounded by a one-shot
// timer on `timer` (initialised on `loop`). false when the timer fired first.
bool RunUntil(uv_loop_t* loop, uv_timer_t* timer, const bool* done, uint64_t ms);

class UvStreamEnd : public StreamEnd {
 public:
  // Takes a uv_loop_t already initialised and a pipe handle initialised on
  // it (opened or accepted). `label`: "libuv pipe read end".
  UvStreamEnd(uv_loop_t* loop, uv_pipe_t* pipe, std::string label);
  ~UvStreamEnd() override;

  PosixErrorOr<size_t> Write(const uint8_t* data, size_t n, Blocking b) override;
  PosixErrorOr<size_t> Read(uint8_t* data, size_t n, Blocking b) override;
  PosixError WriteAll(const uint8_t* data, size_t n) override;
  PosixError Close() override;
  bool closed() const override { return loop_ == nullptr; }
  int fd() const override;

  uv_loop_t* loop() { return loop_; }
  uv_pipe_t* pipe() { return pipe_; }
  uv_timer_t* timer() { return &timer_; }
  // uv_loop_fork once in a process other than the one that made the loop.
  PosixError FollowFork();

 private:
  PosixErrorOr<size_t> DoRead(uint8_t* data, size_t n, Blocking b);
  PosixError DoWrite(const uint8_t* data, size_t n, const char* what);

  uv_loop_t* loop_;
  uv_pipe_t* pipe_;
  uv_timer_t timer_;
  pid_t owner_;
  std::string label_;
};

// Opens a libuv ByteStream over pipe(2).
PosixErrorOr<ByteStream> OpenUvPipe();
// Opens a libuv ByteStream over a Unix domain socket bound to a fresh path.
PosixErrorOr<ByteStream> OpenUvUnixSocket();

}  // namespace ipcspec
