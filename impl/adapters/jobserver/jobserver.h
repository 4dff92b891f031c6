// A tiny IPC "library" for the README's guide, "Testing your IPC library with
// ipcspec": a GNU make-style jobserver, a semaphore made of a pipe that holds
// one byte per token (the GNU make manual, "POSIX Jobserver Interaction").
// Posting writes a byte, taking reads one; every process that inherits the
// two descriptors shares the tokens.
//
// This file is the library under test. The adapter is jobserver_kinds.cc.
#pragma once

#include <chrono>
#include <optional>

namespace jobserver {

class JobServer {
 public:
  // A new jobserver with no tokens; nullopt and errno set on failure.
  static std::optional<JobServer> Create();
  JobServer(JobServer&& o) noexcept;
  JobServer& operator=(JobServer&&) = delete;
  ~JobServer();

  // Each returns 0, or -1 with errno set (EAGAIN: no token / no room).
  int Post();                                  // adds a token; EAGAIN when the pipe is full
  int Take();                                  // takes one, blocking
  int TryTake();                               // takes one or fails EAGAIN
  int TakeWithin(std::chrono::nanoseconds d);  // ETIMEDOUT when none came in time
  long Tokens() const;                         // tokens now (FIONREAD), -1 on error
  long Capacity() const;                       // the pipe's capacity (F_GETPIPE_SZ)

 private:
  JobServer(int rd, int wr, int rd_nonblock) : rd_(rd), wr_(wr), rd_nonblock_(rd_nonblock) {}
  int rd_ = -1;           // blocking read end
  int wr_ = -1;           // write end, O_NONBLOCK
  int rd_nonblock_ = -1;  // the read end reopened, O_NONBLOCK (its own file description)
};

}  // namespace jobserver
