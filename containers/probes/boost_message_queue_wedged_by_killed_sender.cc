/* boost_message_queue_wedged_by_killed_sender (C++: Boost.Interprocess is a
   C++ library): a boost::interprocess::message_queue whose sender was killed
   inside send() must still answer try_receive at once and timed_receive by
   its timeout.
     Boost.Interprocess documentation (reference, message_queue_t) on try_receive: "If the
     message queue is empty the receiver returns immediately without
     receiving and returns false."; timed_receive: "Receives a message from
     the message queue with a timeout ... Returns true if the message has
     been successfully received. Returns false if timeout is reached."
   Boost 1.74 (Debian libboost-dev; a library finding, on every kernel): the
   sender dies holding the queue's interprocess_mutex (a plain, non-robust
   process-shared pthread mutex), so try_receive, timed_receive and
   get_num_msg block for ever, in every process.
   The sender is killed at a known point inside send(): its message's second
   page is PROT_NONE, so send()'s memcpy faults with the mutex held; the
   SIGSEGV handler reports that and waits to be killed.
   Finding: impl/adapters/boost_interprocess/divergences.tsv, MessageQueue.SenderKilledInsideSend.
     c++ -o boost_message_queue_wedged_by_killed_sender boost_message_queue_wedged_by_killed_sender.cc -lrt -lpthread
     ./boost_message_queue_wedged_by_killed_sender
   The three receivers run at once, each in a child given 2 s to return
   (alarm bounds each).
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <string>
#include <ctime>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bi = boost::interprocess;

static int g_faulted = -1;

static void park_on_fault(int) {
  char c = 'f';
  (void)!write(g_faulted, &c, 1);
  for (;;) pause();
}

// A receiver in a child: it writes its result on a pipe when it returns.
struct Probe {
  pid_t pid = -1;
  int fd = -1;
};

template <typename F>
static Probe start(F fn) {
  Probe p;
  int done[2];
  if (pipe(done) != 0) return p;
  p.pid = fork();
  if (p.pid == 0) {
    alarm(10);
    char b = static_cast<char>(fn());
    (void)!write(done[1], &b, 1);
    _exit(0);
  }
  close(done[1]);
  p.fd = done[0];
  return p;
}

// True when the probe returned by the deadline (CLOCK_MONOTONIC seconds).
static bool returned_by(Probe p, double deadline) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  double left = deadline - (t.tv_sec + t.tv_nsec / 1e9);
  struct pollfd pf = {p.fd, POLLIN, 0};
  char b;
  bool ok = p.fd >= 0 && poll(&pf, 1, left > 0 ? static_cast<int>(left * 1000) : 0) == 1 &&
            read(p.fd, &b, 1) == 1;
  if (p.pid > 0) {
    kill(p.pid, SIGKILL);
    waitpid(p.pid, nullptr, 0);
  }
  if (p.fd >= 0) close(p.fd);
  return ok;
}

int main() {
  setvbuf(stdout, nullptr, _IONBF, 0);
  alarm(60);
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const std::string name = "repro-bmq-" + std::to_string(getpid());
  bi::message_queue::remove(name.c_str());
  int rc = 2;
  try {
    bi::message_queue q(bi::create_only, name.c_str(), 4, 2 * page);
    const char first[] = "whole";
    q.send(first, sizeof first, 7);
    int faulted[2];
    if (pipe(faulted) != 0) throw std::runtime_error("pipe");
    pid_t sender = fork();
    if (sender == 0) {
      alarm(20);
      g_faulted = faulted[1];
      void *p = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) _exit(2);
      std::memset(p, 'x', page);
      mprotect(static_cast<char *>(p) + page, page, PROT_NONE);
      struct sigaction sa;
      std::memset(&sa, 0, sizeof sa);
      sa.sa_handler = park_on_fault;
      sigaction(SIGSEGV, &sa, nullptr);
      q.send(p, 2 * page, 1);  // faults in its memcpy, the queue's mutex held
      _exit(5);
    }
    close(faulted[1]);
    char f;
    struct pollfd pf = {faulted[0], POLLIN, 0};
    bool parked = poll(&pf, 1, 10000) == 1 && read(faulted[0], &f, 1) == 1;
    kill(sender, SIGKILL);
    waitpid(sender, nullptr, 0);
    close(faulted[0]);
    if (!parked) {
      std::printf("SETUP: the sender never faulted inside message_queue::send\n");
    } else {
      // All three at once, each given 2 s (twenty times the timed_receive timeout).
      Probe p1 = start([&] {
        static char buf[1 << 16];
        bi::message_queue::size_type got = 0;
        unsigned prio = 0;
        return q.try_receive(buf, 2 * page, got, prio) ? 0 : 1;
      });
      Probe p2 = start([&] {
        static char buf[1 << 16];
        bi::message_queue::size_type got = 0;
        unsigned prio = 0;
        auto until = boost::posix_time::microsec_clock::universal_time() +
                     boost::posix_time::milliseconds(100);
        return q.timed_receive(buf, 2 * page, got, prio, until) ? 0 : 1;
      });
      Probe p3 = start([&] { return static_cast<int>(q.get_num_msg()); });
      struct timespec t;
      clock_gettime(CLOCK_MONOTONIC, &t);
      double deadline = t.tv_sec + t.tv_nsec / 1e9 + 2;
      bool t1 = returned_by(p1, deadline), t2 = returned_by(p2, deadline),
           t3 = returned_by(p3, deadline);
      if (t1 && t2 && t3) {
        std::printf("ok: try_receive, timed_receive and get_num_msg return after a sender died in send()\n");
        rc = 0;
      } else {
        std::printf("Boost.Interprocess documents try_receive as \"returns immediately\" and "
                    "timed_receive as \"Returns false if timeout is reached\"; got: after SIGKILL of "
                    "a sender inside message_queue::send (the queue's mutex held): try_receive %s, "
                    "timed_receive(now + 100 ms) %s, get_num_msg %s\n",
                    t1 ? "returned" : "did not return within 2 s",
                    t2 ? "returned" : "did not return within 2 s",
                    t3 ? "returned" : "did not return within 2 s");
        rc = 1;
      }
    }
  } catch (const std::exception &e) {
    std::printf("SETUP: %s\n", e.what());
  }
  bi::message_queue::remove(name.c_str());
  return rc;
}
