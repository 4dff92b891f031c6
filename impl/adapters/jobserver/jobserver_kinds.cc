// The adapter: the jobserver library (jobserver.h) behind ipcspec's
// Semaphore interface (impl/api/semaphore.h), as one Kind. This is the
// example the README's guide walks through.
#include <sys/syscall.h>

#include <cerrno>
#include <memory>
#include <string>

#include "impl/adapters/jobserver/jobserver.h"
#include "impl/api/semaphore.h"

namespace ipcspec {
namespace {

// Every call is one library call; a failure becomes the errno it set.
PosixError Result(int rc, const char* call) {
  return rc == 0 ? PosixError() : PosixError(errno, call);
}

class JobServerSemaphore : public Semaphore {
 public:
  explicit JobServerSemaphore(jobserver::JobServer js) : js_(std::move(js)) {}

  PosixError Post() override { return Result(js_.Post(), "JobServer::Post"); }
  PosixError Wait() override { return Result(js_.Take(), "JobServer::Take"); }
  PosixError TryWait() override { return Result(js_.TryTake(), "JobServer::TryTake"); }
  PosixError TimedWait(std::chrono::nanoseconds timeout) override {
    return Result(js_.TakeWithin(timeout), "JobServer::TakeWithin");
  }
  PosixErrorOr<long> Value() override {
    long n = js_.Tokens();
    if (n < 0) return PosixError(errno, "JobServer::Tokens");
    return n;
  }
  std::string Describe() const override { return "jobserver (a pipe of tokens)"; }
  PosixError Remove() override {
    removed_ = true;  // the pipe goes with the last descriptor
    return PosixError();
  }

 private:
  jobserver::JobServer js_;
  bool removed_ = false;
};

SemaphoreCaps JobServerCaps() {
  SemaphoreCaps c;
  // One token is one byte in the pipe: at most the pipe's capacity, and a
  // Post past it fails EAGAIN (the write end is non-blocking).
  auto probe = jobserver::JobServer::Create();
  c.max_value = probe ? probe->Capacity() : 0;
  c.overflow_errno = EAGAIN;
  c.undo_on_exit = false;    // a process that dies holding tokens keeps them
  c.multi_op = false;
  c.counts_waiters = false;
  c.timed_wait = true;
  c.timeout_errno = ETIMEDOUT;
  c.fork_shared = true;      // the descriptors are inherited
  c.by_name = false;
  c.wait_syscalls = {SYS_read};
  return c;
}

PosixErrorOr<SemaphoreInstance> OpenJobServer() {
  auto js = jobserver::JobServer::Create();
  if (!js) return PosixError(errno, "JobServer::Create");
  return SemaphoreInstance(std::make_unique<JobServerSemaphore>(std::move(*js)));
}

SemaphoreKind MakeJobServerKind() {
  SemaphoreKind k;
  k.name = "jobserver_pipe";
  k.mechanism = "pipe";
  k.description = "a GNU make-style jobserver: one byte per token in a pipe";
  k.caps = JobServerCaps();
  k.open = OpenJobServer;
  k.library = "jobserver";
  // impl/repro: no C form; the failure says why instead of a reproducer.
  k.c.why_not =
      "the jobserver Kind runs a GNU make process and takes and gives its tokens through "
      "make's pipe or fifo; that setup (make, its makefile) is not printed as C yet";
  return k;
}

IPCSPEC_REGISTER_KIND(SemaphoreInterface, MakeJobServerKind());

}  // namespace
}  // namespace ipcspec
