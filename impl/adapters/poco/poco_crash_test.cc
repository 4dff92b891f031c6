// What the interface suites cannot reach for POCO: a named object's life
// across processes that open, close and die in turn, what a crashed holder
// leaves in the system, and the documented promises of NamedEvent and Pipe
// that are not a counter's or a stream's. Linked into poco_test with the
// adapter's Kinds.
//
//   bazel test //impl/adapters/poco:poco_test --test_filter='Poco*.*' --test_output=all
//
// A test that shows a broken promise fails with "<kind> violates <test>: ..."
// and is judged by the verdict engine against divergences.tsv, where each is
// recorded as a finding with its evidence (an xfail while it reproduces; an
// xpass, which fails the run, once it no longer does).
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>

#include "Poco/NamedEvent.h"
#include "Poco/NamedMutex.h"
#include "Poco/Pipe.h"
#include "gtest/gtest.h"
#include "impl/adapters/poco/poco_common.h"
#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/cleanup.h"
#include "impl/core/deadline.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/sandbox.h"
#include "impl/core/shared_memory.h"
#include "impl/inject/orphans.h"
#include "impl/verdict/verdict.h"

namespace ipcspec {
namespace {

// What the children report (a MAP_SHARED page).
struct Board {
  std::atomic<int> a{-1}, b{-1}, c{-1};
  std::atomic<int> err{0};
};

// Removes POCO's set and file however the test ends.
struct PocoName {
  explicit PocoName(const std::string& what, bool event = false)
      : name(poco::NewPocoName(what)),
        file(event ? poco::EventFile(name) : poco::MutexFile(name)) {}
  ~PocoName() { poco::RemovePocoObject(file); }
  std::string name, file;
};

Checkpoint NewCheckpoint() {
  auto cp = Checkpoint::Create();
  EXPECT_TRUE(cp.ok()) << cp.error();
  return std::move(cp).ValueOrDie();
}

Board* NewBoard(std::optional<SharedObject<Board>>* keep) {
  auto b = SharedObject<Board>::Create();
  EXPECT_TRUE(b.ok()) << b.error();
  keep->emplace(std::move(b).ValueOrDie());
  return (*keep)->get();
}

// Poco/NamedMutex.h: lock() "Blocks if the mutex is held by another process";
// on Linux the semaphore is taken with SEM_UNDO (NamedMutex_UNIX.cpp), so man
// 2 semop's "it will be automatically undone when the process terminates"
// gives a killed holder's lock back. What the holder leaves (the set, never
// removed since its creator died, and /tmp/NAME.mutex) must be listed by the
// orphan finder and removed by --reap (faults:orphans, impl/inject/orphans.h).
TEST(PocoNamedMutex, KilledHolderReleasesItAndLeavesWhatTheFinderLists) {
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace());
  PocoName n("crash");
  std::optional<SharedObject<Board>> keep;
  Board* board = NewBoard(&keep);
  Checkpoint cp = NewCheckpoint();
  auto holder = Child::Fork([&]() -> int {
    try {
      Poco::NamedMutex m(n.name);  // creates the set and the file
      m.lock();
      cp.Signal(1);
      for (;;) pause();  // SIGKILLed here, holding it
    } catch (...) {
      return 2;
    }
  });
  ASSERT_TRUE(holder.ok()) << holder.error();
  ASSERT_TRUE(cp.WaitFor(1, Deadline::Default()).ok()) << "the holder never locked";
  auto st = holder.value().KillAndWait();
  ASSERT_TRUE(st.ok()) << st.error();
  ASSERT_TRUE(st.value().KilledBy(SIGKILL)) << st.value();

  // Another process opens the name: the dead holder's lock is free.
  auto st2 = ForkAndWait([&] {
    try {
      Poco::NamedMutex m(n.name);
      board->a.store(m.tryLock() ? 1 : 0);
      if (board->a.load() == 1) m.unlock();
      return 0;
    } catch (...) {
      board->err.store(errno);
      return 2;
    }
  });
  ASSERT_TRUE(st2.ok() && st2.value().ExitedWith(0)) << "opening " << n.name << " after the kill: "
                                                     << ErrnoName(board->err.load());
  EXPECT_EQ(board->a.load(), 1)
      << "poco_named_mutex: a killed holder's NamedMutex is still held, although it is taken "
         "with SEM_UNDO (man 2 semop: \"automatically undone when the process terminates\")";

  const int semid = poco::PocoSemId(n.file);
  ASSERT_GE(semid, 0) << "the killed creator's semaphore set is gone: nothing to find";
  OrphanQuery q;
  q.shm_dir = IpcSandbox::Get().shm_dir();
  q.mqueue_dir = IpcSandbox::Get().mqueue_dir();
  auto found = FindOrphans(q);
  ASSERT_TRUE(found.ok()) << found.error();
  const std::string table = FormatOrphans(found.value());
  std::printf("ipcspec-orphans: poco_named_mutex (holder killed) left:\n%s", table.c_str());
  bool set = false, file = false;
  for (const Orphan& o : found.value()) {
    set |= o.sort == Orphan::Sort::kSysvSem && o.id == semid;
    file |= o.sort == Orphan::Sort::kKeyFile && o.path == n.file;
  }
  EXPECT_TRUE(set) << "the orphan finder does not list the dead holder's semaphore set " << semid
                   << "\n" << table;
  EXPECT_TRUE(file) << "the orphan finder does not list POCO's key file " << n.file << "\n"
                    << table;
  EXPECT_TRUE(ReapOrphans(found.value()).empty());
  EXPECT_LT(poco::PocoSemId(n.file), 0) << "the set is still there after --reap";
  EXPECT_NE(access(n.file.c_str(), F_OK), 0) << n.file << " is still there after --reap";
}

// Poco/NamedMutex.h: "there can be multiple instances of NamedMutex referring
// to the same actual synchronization object", and lock() "Blocks if the mutex
// is held by another process". Processes open and close the same name in
// turn: A opens it first, B opens it and locks it, A closes it (its instance
// is destroyed, as when A exits), C opens it. C must not get the lock while B
// holds it.
TEST(PocoNamedMutex, OpenersInTurnKeepMutualExclusion) {
  const std::string test = "PocoNamedMutex.OpenersInTurnKeepMutualExclusion";
  AnnotateTest(test, "poco_named_mutex", "poco",
               "Poco/NamedMutex.h: \"there can be multiple instances of NamedMutex referring to "
               "the same actual synchronization object\"; lock(): \"Blocks if the mutex is held "
               "by another process or thread\"");
  PocoName n("turns");
  std::optional<SharedObject<Board>> keep;
  Board* board = NewBoard(&keep);
  Checkpoint cp = NewCheckpoint();
  // A: the first opener (it creates the set), closes when told (stage 3).
  auto a = Child::Fork([&]() -> int {
    try {
      std::optional<Poco::NamedMutex> m(std::in_place, n.name);
      cp.Signal(1);
      if (!cp.WaitFor(3, Deadline::Default()).ok()) return 3;
      m.reset();  // ~NamedMutex
      return 0;
    } catch (...) {
      return 2;
    }
  });
  ASSERT_TRUE(a.ok()) << a.error();
  ASSERT_TRUE(cp.WaitFor(1, Deadline::Default()).ok());
  // B: opens, locks, holds until stage 4, then unlocks.
  auto b = Child::Fork([&]() -> int {
    try {
      Poco::NamedMutex m(n.name);
      m.lock();
      cp.Signal(2);
      if (!cp.WaitFor(4, Deadline::Default()).ok()) return 3;
      try {
        m.unlock();
        board->b.store(0);
      } catch (const Poco::Exception&) {
        board->b.store(errno != 0 ? errno : EIO);
      }
      return 0;
    } catch (...) {
      return 2;
    }
  });
  ASSERT_TRUE(b.ok()) << b.error();
  ASSERT_TRUE(cp.WaitFor(2, Deadline::Default()).ok()) << "B never locked";
  cp.Signal(3);
  auto sa = a.value().Wait();
  ASSERT_TRUE(sa.ok() && sa.value().ExitedWith(0)) << "A: " << (sa.ok() ? sa.value().ToString() : "");
  // C opens the name while B holds the lock.
  auto sc = ForkAndWait([&] {
    try {
      Poco::NamedMutex m(n.name);
      const bool got = m.tryLock();
      board->c.store(got ? 1 : 0);
      if (got) m.unlock();
      return 0;
    } catch (...) {
      board->err.store(errno);
      return 2;
    }
  });
  cp.Signal(4);
  auto sb = b.value().Wait();
  ASSERT_TRUE(sb.ok() && sb.value().ExitedWith(0)) << "B: " << (sb.ok() ? sb.value().ToString() : "");
  ASSERT_TRUE(sc.ok() && sc.value().ExitedWith(0)) << "C could not open " << n.name << ": "
                                                   << ErrnoName(board->err.load());
  const std::string b_unlock =
      board->b.load() == 0 ? "succeeded" : "threw (errno " + ErrnoName(board->b.load()) + ")";
  if (board->c.load() == 1) {
    ADD_FAILURE() << "poco_named_mutex violates " << test
                  << ": a second holder got the NamedMutex: after the first opener's instance "
                     "was destroyed, a new opener's tryLock() succeeded while another process "
                     "held the lock (the first opener's destructor removed the semaphore set "
                     "with IPC_RMID, and the next opener created a new one); the holder's "
                     "unlock() then "
                  << b_unlock;
    return;
  }
  EXPECT_EQ(board->b.load(), 0) << "B's unlock() " << b_unlock;
}

// Poco/NamedEvent.h: "NamedEvents are always autoresetting", and set():
// "Signals the event. The one thread or process waiting for the event can
// resume execution." An auto-reset event that is set twice with nobody
// waiting is signalled once: the first wait() takes the signal, the second
// blocks.
TEST(PocoNamedEvent, SetTwiceWithNobodyWaitingIsOneSignal) {
  const std::string test = "PocoNamedEvent.SetTwiceWithNobodyWaitingIsOneSignal";
  AnnotateTest(test, "poco_named_event", "poco",
               "Poco/NamedEvent.h: \"NamedEvents are always autoresetting\"; set(): \"The one "
               "thread or process waiting for the event can resume execution\"");
  PocoName n("autoreset", true);
  std::optional<Poco::NamedEvent> ev;
  ev.emplace(n.name);
  ev->set();
  ev->set();
  Checkpoint cp = NewCheckpoint();
  auto waiter = Child::Fork([&]() -> int {
    try {
      ev->wait();
      cp.Signal(1);
      ev->wait();  // an auto-reset event blocks here
      cp.Signal(2);
      return 0;
    } catch (...) {
      return 2;
    }
  });
  ASSERT_TRUE(waiter.ok()) << waiter.error();
  ASSERT_TRUE(cp.WaitFor(1, Deadline::Default()).ok()) << "the first wait() did not return";
  PosixError blocked =
      WaitUntilBlocked(waiter.value().pid(), {SYS_semop, SYS_semtimedop}, Deadline::Default());
  if (blocked.ok()) {
    ev->set();  // lets it go
    auto st = waiter.value().Wait();
    ASSERT_TRUE(st.ok() && st.value().ExitedWith(0));
    return;
  }
  auto st = waiter.value().Wait();
  ASSERT_TRUE(st.ok()) << st.error();
  if (st.value().ExitedWith(0) && cp.stage() == 2) {
    ADD_FAILURE() << "poco_named_event violates " << test
                  << ": the second wait() returned too: two set()s with nobody waiting were "
                     "two signals (set() is semop(+1) on a counting System V semaphore), not "
                     "the one signal of an auto-reset event";
    return;
  }
  ADD_FAILURE() << "the waiter neither blocked nor passed both waits: " << st.value() << "; "
                << blocked;
}

// Poco/NamedEvent.h: ~NamedEvent(): "Destroys the event." Once every process
// has destroyed its NamedEvent, the event must be gone.
TEST(PocoNamedEvent, DestroyedEverywhereIsGone) {
  const std::string test = "PocoNamedEvent.DestroyedEverywhereIsGone";
  AnnotateTest(test, "poco_named_event", "poco",
               "Poco/NamedEvent.h: ~NamedEvent(): \"Destroys the event.\"");
  PocoName n("destroyed", true);
  auto st = ForkAndWait([&] {
    try {
      Poco::NamedEvent other(n.name);  // another process's instance, destroyed
      return 0;
    } catch (...) {
      return 2;
    }
  });
  ASSERT_TRUE(st.ok() && st.value().ExitedWith(0));
  {
    Poco::NamedEvent mine(n.name);
    mine.set();
  }
  const int semid = poco::PocoSemId(n.file);
  if (semid >= 0) {
    const int v = semctl(semid, 0, GETVAL);
    ADD_FAILURE() << "poco_named_event violates " << test
                  << ": the event outlives every NamedEvent: its System V semaphore set "
                  << semid << " (value " << v << ", the set() still pending) and " << n.file
                  << " stay until someone removes them (NamedEvent_UNIX.cpp's destructor "
                     "removes nothing), and a later NamedEvent of that name starts signalled";
    return;
  }
  EXPECT_NE(access(n.file.c_str(), F_OK), 0) << n.file << " is left behind";
}

// Poco/Pipe.h: "Read and write operations are always synchronous. A read will
// block until data is available and a write will block until the reader
// reads the data." writeBytes(): "Blocks until the receiver is ready to read
// the data."
TEST(PocoPipe, WriteBlocksUntilTheReaderReads) {
  const std::string test = "PocoPipe.WriteBlocksUntilTheReaderReads";
  AnnotateTest(test, "poco_pipe", "poco",
               "Poco/Pipe.h: \"a write will block until the reader reads the data\"; "
               "writeBytes(): \"Blocks until the receiver is ready to read the data\"");
  Poco::Pipe p;
  const char msg[] = "unread";
  // A writer process: nobody reads until it has returned (or is seen blocked).
  Checkpoint cp = NewCheckpoint();
  auto writer = Child::Fork([&]() -> int {
    try {
      p.close(Poco::Pipe::CLOSE_READ);
      int n = p.writeBytes(msg, sizeof msg);
      cp.Signal(1);
      return n == static_cast<int>(sizeof msg) ? 0 : 3;
    } catch (...) {
      return 2;
    }
  });
  ASSERT_TRUE(writer.ok()) << writer.error();
  p.close(Poco::Pipe::CLOSE_WRITE);
  PosixError blocked = WaitUntilBlocked(writer.value().pid(), {SYS_write}, Deadline::Default());
  char buf[sizeof msg] = {};
  if (blocked.ok()) {
    EXPECT_EQ(p.readBytes(buf, sizeof buf), static_cast<int>(sizeof msg));
    auto st = writer.value().Wait();
    ASSERT_TRUE(st.ok() && st.value().ExitedWith(0));
    return;
  }
  auto st = writer.value().Wait();
  ASSERT_TRUE(st.ok() && st.value().ExitedWith(0)) << (st.ok() ? st.value().ToString() : "");
  ASSERT_EQ(cp.stage(), 1u);
  const int got = p.readBytes(buf, sizeof buf);
  ADD_FAILURE() << "poco_pipe violates " << test
                << ": writeBytes returned before anyone read: the writer process returned "
                   "from writeBytes("
                << sizeof msg << " bytes) and exited with nobody reading; the bytes waited in "
                                 "the pipe's buffer (readBytes afterwards got "
                << got << "): write(2) to a pipe returns once the data is in the pipe";
}

// Poco/NamedMutex.h states no precondition for unlock() ("Unlocks the mutex
// so that it can be acquired by other threads"). What it does when the
// caller does not hold it, recorded (FINDINGS.md): the semaphore's value goes
// from 1 to 2, so two processes then hold the mutex at once.
TEST(PocoNamedMutex, UnlockWithoutHoldingLetsTwoHoldersIn) {
  PocoName n("foreign");
  std::optional<SharedObject<Board>> keep;
  Board* board = NewBoard(&keep);
  Poco::NamedMutex m(n.name);
  m.unlock();  // held by nobody: +1
  const int semid = poco::PocoSemId(n.file);
  ASSERT_GE(semid, 0);
  EXPECT_EQ(semctl(semid, 0, GETVAL), 2) << "the value after unlock() of a free NamedMutex";
  Checkpoint cp = NewCheckpoint();
  auto other = Child::Fork([&]() -> int {
    try {
      Poco::NamedMutex a(n.name);
      board->a.store(a.tryLock() ? 1 : 0);
      cp.Signal(1);
      if (!cp.WaitFor(2, Deadline::Default()).ok()) return 3;  // holds it until then
      return 0;
    } catch (...) {
      return 2;
    }
  });
  ASSERT_TRUE(other.ok()) << other.error();
  ASSERT_TRUE(cp.WaitFor(1, Deadline::Default()).ok());
  const bool second = m.tryLock();  // while the other process holds it
  cp.Signal(2);
  auto st = other.value().Wait();
  ASSERT_TRUE(st.ok() && st.value().ExitedWith(0));
  EXPECT_EQ(board->a.load(), 1);
  EXPECT_TRUE(second) << "after a foreign unlock(), a second process did not get the NamedMutex "
                         "while the first held it: the behaviour recorded in FINDINGS.md changed";
  if (second) m.unlock();
}

}  // namespace
}  // namespace ipcspec
