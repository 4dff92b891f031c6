// Crash scenarios the interface suites cannot reach for Boost.Interprocess:
// a process killed INSIDE the library's critical section, and the names a
// crashed process leaves in /dev/shm. Linked into boost_interprocess_test
// with the adapter's Kinds.
//
//   bazel test //impl/adapters/boost_interprocess:boost_interprocess_test
//     --test_filter='BoostInterprocessCrash.*'
//
// The kill point inside message_queue::send: do_send() takes the queue's
// interprocess_mutex, then memcpy()s the caller's buffer into the queue
// (boost/interprocess/ipc/message_queue.hpp). The sender's buffer ends in a
// PROT_NONE page, so the copy faults with the mutex held; the sender's
// SIGSEGV handler says so through shared memory and parks in pause(); the
// test SIGKILLs it there. No system call marks that point, so the ptrace
// injector of faults/ cannot stop there; the fault can.
//
// A test that reproduces a finding (FINDINGS.md) reports it as SKIPPED with
// "known finding: ..." and the evidence; if the finding no longer
// reproduces, the test FAILS, so that FINDINGS.md is updated.
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <optional>
#include <string>

#include "boost/interprocess/ipc/message_queue.hpp"
#include "boost/interprocess/shared_memory_object.hpp"
#include "boost/interprocess/sync/named_mutex.hpp"
#include "boost/interprocess/sync/named_semaphore.hpp"
#include "gtest/gtest.h"
#include "impl/adapters/boost_interprocess/boost_common.h"
#include "impl/verdict/verdict.h"
#include "impl/core/deadline.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"

namespace ipcspec {
namespace {

namespace bi = boost::interprocess;

struct SenderBoard {
  std::atomic<int> faulted{0};  // set by the sender's SIGSEGV handler
};

SenderBoard* g_board = nullptr;  // the child's view (inherited mapping)

void ParkOnFault(int) {
  g_board->faulted.store(1);
  for (;;) pause();  // async-signal-safe; SIGKILL ends it
}

// Removes a queue name however the test ends.
struct QueueName {
  std::string name = boost_ipc::NewBoostName("crashmq");
  ~QueueName() { bi::message_queue::remove(name.c_str()); }
};

// A library call run in a child, watched until a deadline shared by all the
// probes of a test (so that they wait together, not one after the other).
class Probe {
 public:
  explicit Probe(std::function<int()> fn) {
    auto c = Child::Fork(std::move(fn));
    if (!c.ok()) {
      ADD_FAILURE() << "fork: " << c.error();
      return;
    }
    child_.emplace(std::move(c).ValueOrDie());
  }
  // True if the call returned by `deadline` (its exit code in *code); else
  // the child is killed and false.
  bool ReturnedBy(const Deadline& deadline, int* code) {
    if (!child_) return false;
    auto st = child_->Wait(deadline);
    if (st.ok()) {
      *code = st.value().exited() ? st.value().exit_code() : -1;
      return true;
    }
    auto k = child_->KillAndWait();
    (void)k;
    return false;
  }

 private:
  std::optional<Child> child_;
};

// Boost.Interprocess reference, message_queue_t::timed_receive: "Receives a
// message from the message queue with a timeout ... If the queue is empty
// waits until the timeout ... Returns true if the message has been
// successfully received. Returns false if timeout is reached." and
// try_receive: "If the message queue is empty the receiver returns
// immediately without receiving and returns false." The receiver must come
// back by its timeout (or at once) whatever a dead sender left.
TEST(BoostInterprocessCrash, QueueSenderKilledInsideSend) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  QueueName qn;
  std::optional<bi::message_queue> q;
  try {
    q.emplace(bi::create_only, qn.name.c_str(), 4, 2 * page);
  } catch (const bi::interprocess_exception& e) {
    FAIL() << "message_queue(create_only): " << boost_ipc::DescribeBoostException(e);
  }
  auto board = SharedObject<SenderBoard>::Create();
  ASSERT_TRUE(board.ok()) << board.error();
  g_board = board.value().get();
  // One whole message first: it must still be there afterwards.
  const char first[] = "whole";
  q->send(first, sizeof first, 7);

  auto sender = Child::Fork([&]() -> int {
    void* p = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 2;
    std::memset(p, 'x', page);
    if (mprotect(static_cast<char*>(p) + page, page, PROT_NONE) != 0) return 3;
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = ParkOnFault;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, nullptr) != 0) return 4;
    // Faults in do_send's memcpy, with the queue's mutex held.
    q->send(p, 2 * page, 1);
    return 5;  // not reached
  });
  ASSERT_TRUE(sender.ok()) << sender.error();
  const bool parked =
      PollUntil([&] { return g_board->faulted.load() == 1; }, Deadline::Default());
  auto st = sender.value().KillAndWait();
  ASSERT_TRUE(st.ok()) << st.error();
  ASSERT_TRUE(parked) << "the sender never faulted inside message_queue::send: " << st.value();

  // try_receive: must return at once (the message sent before is there).
  Probe try_probe([&]() -> int {
    char buf[8192];
    bi::message_queue::size_type got = 0;
    unsigned prio = 0;
    if (2 * page > sizeof buf) return 9;
    return q->try_receive(buf, 2 * page, got, prio) ? 0 : 1;
  });
  // timed_receive with a 100 ms timeout: must return within it.
  Probe timed_probe([&]() -> int {
    char buf[8192];
    bi::message_queue::size_type got = 0;
    unsigned prio = 0;
    if (2 * page > sizeof buf) return 9;
    return q->timed_receive(buf, 2 * page, got, prio,
                            boost_ipc::PtimeIn(std::chrono::milliseconds(100)))
               ? 0
               : 1;
  });
  // get_num_msg(): "Returns the number of messages currently stored."
  Probe count_probe([&]() -> int { return static_cast<int>(q->get_num_msg()); });
  // Ten times the timed_receive timeout for all three.
  const Deadline by = Deadline::In(std::chrono::milliseconds(1000));
  int code = 0, tcode = 0, ncode = 0;
  const bool try_returned = try_probe.ReturnedBy(by, &code);
  const bool timed_returned = timed_probe.ReturnedBy(by, &tcode);
  const bool count_returned = count_probe.ReturnedBy(by, &ncode);

  // Judged like a suite property by the verdict engine, against the adapter's
  // divergences.tsv: the wedge is recorded there as a finding, with its
  // evidence and its signature.
  const std::string test = "MessageQueue.SenderKilledInsideSend";
  AnnotateTest(test, "boost_interprocess_message_queue", "boost_interprocess",
               "Boost.Interprocess 1.74 reference, message_queue: try_receive \"returns "
               "immediately\", timed_receive \"Returns false if timeout is reached\"");
  const std::string seen =
      std::string("after SIGKILL of a sender inside message_queue::send (its memcpy, with the "
                  "queue's interprocess_mutex held): try_receive() ") +
      (try_returned ? "returned " + std::to_string(code) : "did not return within 1 s") +
      ", timed_receive(now + 100 ms) " +
      (timed_returned ? "returned " + std::to_string(tcode) : "did not return within 1 s") +
      ", get_num_msg() " + (count_returned ? "returned" : "did not return within 1 s") +
      ". Boost documents try_receive as returning immediately and timed_receive as returning "
      "false when the timeout is reached.";
  if (!try_returned && !timed_returned && !count_returned) {
    // Every call blocks for ever in scoped_lock<interprocess_mutex> on the
    // dead sender's non-robust mutex (message_queue.hpp, do_receive).
    ADD_FAILURE() << "boost_interprocess_message_queue violates " << test
                  << ": the queue is wedged: " << seen;
    return;
  }
  if (try_returned && timed_returned && count_returned) return;
  ADD_FAILURE() << "some calls hung and some returned, which neither a healthy queue nor the "
                   "recorded wedge does: "
                << seen;
}

// Boost.Interprocess documentation, "Sharing memory between processes" >
// "Shared memory object" and "Synchronization mechanisms" > "Named mutex" /
// "Semaphores" / "Message Queue": named resources have kernel (or
// filesystem) persistence: "The shared memory object will be alive until the
// object is removed or the system is rebooted"; each class has a static
// remove(name). A creator killed without removing them leaves the names
// behind in /dev/shm, and the remove functions clear them.
TEST(BoostInterprocessCrash, KilledCreatorLeavesNamesThatRemoveClears) {
  const std::string shm = boost_ipc::NewBoostName("orphan_shm");
  const std::string mtx = boost_ipc::NewBoostName("orphan_mutex");
  const std::string sem = boost_ipc::NewBoostName("orphan_sem");
  const std::string mq = boost_ipc::NewBoostName("orphan_mq");
  struct Sweep {
    const std::string &a, &b, &c, &d;
    ~Sweep() {
      bi::shared_memory_object::remove(a.c_str());
      bi::named_mutex::remove(b.c_str());
      bi::named_semaphore::remove(c.c_str());
      bi::message_queue::remove(d.c_str());
    }
  } sweep{shm, mtx, sem, mq};
  auto board = SharedObject<SenderBoard>::Create();
  ASSERT_TRUE(board.ok()) << board.error();
  SenderBoard* b = board.value().get();
  auto creator = Child::Fork([&]() -> int {
    try {
      bi::shared_memory_object s(bi::create_only, shm.c_str(), bi::read_write);
      s.truncate(4096);
      bi::named_mutex m(bi::create_only, mtx.c_str());
      m.lock();  // dies holding it
      bi::named_semaphore n(bi::create_only, sem.c_str(), 3);
      bi::message_queue q(bi::create_only, mq.c_str(), 2, 16);
      b->faulted.store(1);
      for (;;) pause();
    } catch (...) {
      return 2;
    }
  });
  ASSERT_TRUE(creator.ok()) << creator.error();
  const bool made = PollUntil([&] { return b->faulted.load() == 1; }, Deadline::Default());
  auto st = creator.value().KillAndWait();
  ASSERT_TRUE(st.ok()) << st.error();
  ASSERT_TRUE(made) << "the creator did not make its objects: " << st.value();

  // On Linux: shm_open names are /dev/shm/NAME, sem_open names
  // /dev/shm/sem.NAME (man 7 shm_overview, man 7 sem_overview).
  const std::string paths[] = {"/dev/shm/" + shm, "/dev/shm/sem." + mtx, "/dev/shm/sem." + sem,
                               "/dev/shm/" + mq};
  struct stat sb;
  for (const auto& p : paths) {
    EXPECT_EQ(stat(p.c_str(), &sb), 0)
        << p << " is gone after its creator was killed, but Boost documents kernel persistence "
                "(\"alive until the object is removed or the system is rebooted\")";
  }
  // The dead holder's named_mutex is still held: try_lock fails.
  try {
    bi::named_mutex m(bi::open_only, mtx.c_str());
    EXPECT_FALSE(m.try_lock()) << "the killed creator's named_mutex was released";
  } catch (const bi::interprocess_exception& e) {
    ADD_FAILURE() << "named_mutex(open_only): " << boost_ipc::DescribeBoostException(e);
  }
  EXPECT_TRUE(bi::shared_memory_object::remove(shm.c_str()));
  EXPECT_TRUE(bi::named_mutex::remove(mtx.c_str()));
  EXPECT_TRUE(bi::named_semaphore::remove(sem.c_str()));
  EXPECT_TRUE(bi::message_queue::remove(mq.c_str()));
  for (const auto& p : paths) {
    EXPECT_NE(stat(p.c_str(), &sb), 0) << p << " is still there after remove()";
  }
}

}  // namespace
}  // namespace ipcspec
