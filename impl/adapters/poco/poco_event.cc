// POCO's NamedEvent as a Semaphore Kind.
//
// Poco/NamedEvent.h: "An NamedEvent is a global synchronization object that
// allows one process or thread to signal an other process or thread that a
// certain event has happened." set(): "Signals the event. The one thread or
// process waiting for the event can resume execution." wait(): "Waits for the
// event to become signalled." "NamedEvents are always autoresetting."
//
// On Linux (POCO 1.11.0, Foundation/src/NamedEvent_UNIX.cpp) it is one System V
// semaphore keyed by ftok("/tmp/NAME.event", 'p'), created with value 0;
// set() is semop(+1) and wait() semop(-1) retried on EINTR, neither with
// SEM_UNDO. So it counts: two set()s with nobody waiting let two wait()s
// through, which an auto-reset event does not (FINDINGS.md, and
// PocoNamedEvent.SetTwiceIsOneSignal in poco_crash_test.cc). The Kind is
// therefore checked against the counter model, which is what it does.
//
// Post() is set() and Wait() is wait(): the library's calls. NamedEvent has
// no try-wait, no timed wait and no call that reads the state, so TryWait()
// and Value() are the adapter's own single system calls on POCO's semaphore
// (semop(-1, IPC_NOWAIT) and semctl(GETVAL) on the set semget(ftok(file,
// 'p')) finds), and TimedWait() is not offered (caps.timed_wait false).
// NamedEvent's destructor removes nothing (neither the set nor the file):
// Remove() does both (semctl IPC_RMID, unlink).
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>

#include "Poco/NamedEvent.h"
#include "impl/adapters/poco/poco_common.h"
#include "impl/adapters/poco/poco_kinds.h"
#include "impl/api/semaphore.h"

namespace ipcspec {
namespace {

using poco::Guard;

class PocoNamedEventSemaphore : public Semaphore {
 public:
  static PosixErrorOr<SemaphoreInstance> Create() {
    std::string name = poco::NewPocoName("event");
    std::unique_ptr<PocoNamedEventSemaphore> s(new PocoNamedEventSemaphore(name));
    PosixError e = Guard("NamedEvent(" + name + ")", [&] {
      s->ev_ = std::make_unique<Poco::NamedEvent>(name);
      return NoError();
    });
    if (!e.ok()) {
      poco::RemovePocoObject(poco::EventFile(name));
      return e;
    }
    s->semid_ = poco::PocoSemId(poco::EventFile(name));
    if (s->semid_ < 0) return ErrnoError("semget(ftok(" + poco::EventFile(name) + ", 'p'))");
    return SemaphoreInstance(std::move(s));
  }
  ~PocoNamedEventSemaphore() override {
    if (getpid() == creator_) (void)Remove();
  }

  PosixError Post() override {
    return Guard("NamedEvent::set()", [&] {
      ev_->set();
      return NoError();
    });
  }
  PosixError Wait() override {
    return Guard("NamedEvent::wait()", [&] {
      ev_->wait();
      return NoError();
    });
  }
  PosixError TryWait() override {
    struct sembuf op = {0, -1, IPC_NOWAIT};
    if (semop(semid_, &op, 1) != 0) return ErrnoError("semop(-1, IPC_NOWAIT) on NamedEvent's set");
    return NoError();
  }
  PosixError TimedWait(std::chrono::nanoseconds) override {
    return PosixError(ENOTSUP, "Poco::NamedEvent has no timed wait");
  }
  PosixErrorOr<long> Value() override {
    int v = semctl(semid_, 0, GETVAL);
    if (v < 0) return ErrnoError("semctl(GETVAL) on NamedEvent's set");
    return static_cast<long>(v);
  }
  std::string Name() const override { return name_; }
  std::string Describe() const override {
    return "Poco::NamedEvent " + name_ + " (SysV semid " + std::to_string(semid_) +
           " keyed by " + poco::EventFile(name_) + ")";
  }
  PosixError Remove() override {
    if (removed_) return NoError();
    removed_ = true;
    ev_.reset();  // removes nothing
    PosixError e;
    if (semid_ >= 0 && semctl(semid_, 0, IPC_RMID) != 0) e = ErrnoError("semctl(IPC_RMID)");
    if (unlink(poco::EventFile(name_).c_str()) != 0 && e.ok()) {
      e = ErrnoError("unlink(" + poco::EventFile(name_) + ")");
    }
    return e;
  }

 private:
  explicit PocoNamedEventSemaphore(std::string name) : name_(std::move(name)), creator_(getpid()) {}
  std::string name_;
  pid_t creator_;
  int semid_ = -1;
  bool removed_ = false;
  std::unique_ptr<Poco::NamedEvent> ev_;
};

}  // namespace

SemaphoreCaps poco::NamedEventCaps() {
  SemaphoreCaps c;
  c.max_value = 32767;         // SEMVMX (man 2 semop): set() past it throws (ERANGE)
  c.overflow_errno = ERANGE;
  c.undo_on_exit = false;      // no SEM_UNDO on set() or wait()
  c.multi_op = false;
  c.counts_waiters = false;
  c.timed_wait = false;        // no timed wait in NamedEvent
  c.timeout_errno = 0;
  c.fork_shared = true;        // the semid the child inherits
  c.by_name = true;            // another process opens NamedEvent(name)
  c.reports_value = true;      // semctl(GETVAL) by the adapter, see above
  c.wait_syscalls = {SYS_semop, SYS_semtimedop};
  return c;
}

namespace {

IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      WithC((SemaphoreKind{"poco_named_event", "poco_named_event",
                                     "Poco::NamedEvent (a System V semaphore keyed by "
                                     "ftok(/tmp/NAME.event)): set() posts, wait() takes; try-wait "
                                     "and the value by semop/semctl on POCO's set",
                                     poco::NamedEventCaps(), PocoNamedEventSemaphore::Create, false, "",
                                     "",
                                     "poco"}),
                            [] {
                              CSnippet c;
                              c.why_not =
                                  "an external library's Kind: its calls are POCO's, which a "
                                  "standalone C file cannot make without the library";
                              return c;
                            }()));

}  // namespace
}  // namespace ipcspec
