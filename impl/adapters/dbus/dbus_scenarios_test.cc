// D-Bus scenarios the interface suites cannot reach: the bus itself (its own
// daemon per test, the leak audit of a daemon left behind), the bus daemon
// killed under a call, a client killed mid-call, EINTR into sd_bus_wait and
// sd_bus_call, a message above the bus's maximum size, and UNIX_FD passing.
// Linked into dbus_test with the adapter's Kinds:
//
//   bazel test //impl/adapters/dbus:dbus_test --test_filter='Dbus*'
//
// Each scenario judges what it saw with a Judge* function; DbusJudges.*
// feeds each judge what a broken library would show and expects a verdict
// against it (the checks are not vacuous).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/adapters/dbus/dbus_bus.h"
#include "impl/core/blocked.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/leak_audit.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/verdict/verdict.h"

namespace ipcspec {
namespace {

constexpr const char* kGateName = "org.ipcspec.Gate";
constexpr const char* kGatePath = "/org/ipcspec/Gate";
constexpr const char* kGateIface = "org.ipcspec.Gate";

void Annotate(const std::string& what, const std::string& cites) {
  AnnotateTest("", "", "dbus", what + " (" + cites + ")");
}

long MsSince(std::chrono::steady_clock::time_point t0) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - t0)
                               .count());
}

// ---------------------------------------------------------------------------
// The gate server: Echo(ay)->ay; Wait(ay)->ay replies only once the test
// writes a byte into the gate pipe (it sleeps in read(2) until then);
// Stat(h)->(tt) replies with the st_dev and st_ino of the descriptor it
// received, after writing "x" into it.

int g_gate_fd = -1;

int ReplyBytes(sd_bus_message* m, const void* p, size_t n) {
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r < 0) return r;
  static const uint8_t kEmpty = 0;
  r = sd_bus_message_append_array(reply, 'y', n ? p : &kEmpty, n);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}

int OnGateEcho(sd_bus_message* m, void*, sd_bus_error*) {
  const void* p = nullptr;
  size_t n = 0;
  int r = sd_bus_message_read_array(m, 'y', &p, &n);
  return r < 0 ? r : ReplyBytes(m, p, n);
}

int OnGateWait(sd_bus_message* m, void*, sd_bus_error*) {
  char c;
  ssize_t got;
  do {
    got = read(g_gate_fd, &c, 1);
  } while (got < 0 && errno == EINTR);
  return OnGateEcho(m, nullptr, nullptr);
}

int OnGateStat(sd_bus_message* m, void*, sd_bus_error*) {
  int fd = -1;
  int r = sd_bus_message_read(m, "h", &fd);
  if (r < 0) return r;
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  if (write(fd, "x", 1) != 1) return -errno;
  return sd_bus_reply_method_return(m, "tt", static_cast<uint64_t>(st.st_dev),
                                    static_cast<uint64_t>(st.st_ino));
}

const sd_bus_vtable kGateVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Echo", "ay", "ay", OnGateEcho, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Wait", "ay", "ay", OnGateWait, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Stat", "h", "tt", OnGateStat, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END};

int GateMain(const std::string& address, int ready_fd, int gate_fd, bool accept_fds) {
  g_gate_fd = gate_fd;
  auto bus = ConnectBus(address, Deadline::Default(), accept_fds);
  if (!bus.ok()) return 10;
  sd_bus* b = bus.value().get();
  if (sd_bus_add_object_vtable(b, nullptr, kGatePath, kGateIface, kGateVtable, nullptr) < 0) {
    return 11;
  }
  if (sd_bus_request_name(b, kGateName, 0) < 0) return 12;
  if (write(ready_fd, "r", 1) != 1) return 13;
  close(ready_fd);
  for (;;) {
    int r = sd_bus_process(b, nullptr);
    if (r < 0) return 14;
    if (r > 0) continue;
    r = sd_bus_wait(b, UINT64_MAX);
    if (r < 0 && r != -EINTR) return 15;
  }
}

struct Gate {
  Child child;
  FileDescriptor gate_w;
  // Lets one Wait() call through.
  bool Open() { return write(gate_w.get(), "g", 1) == 1; }
};

PosixErrorOr<std::unique_ptr<Gate>> StartGate(const PrivateBus& bus, bool accept_fds = true) {
  int ready[2], gate[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return ErrnoError("pipe2(ready)");
  FileDescriptor ready_r(ready[0]), ready_w(ready[1]);
  if (pipe2(gate, O_CLOEXEC) != 0) return ErrnoError("pipe2(gate)");
  FileDescriptor gate_r(gate[0]);
  auto g = std::make_unique<Gate>();
  g->gate_w = FileDescriptor(gate[1]);
  const std::string address = bus.address();
  const int rfd = ready_w.get(), gfd = gate_r.get();
  auto child = Child::Fork([=]() { return GateMain(address, rfd, gfd, accept_fds); });
  if (!child.ok()) return child.error();
  g->child = std::move(child).ValueOrDie();
  ready_w.reset();
  struct pollfd p = {ready_r.get(), POLLIN, 0};
  int n;
  Deadline d = Deadline::Default();
  do {
    n = poll(&p, 1, d.RemainingMs());
  } while (n < 0 && errno == EINTR);
  char c;
  if (n <= 0 || read(ready_r.get(), &c, 1) != 1) {
    auto st = g->child.Wait(Deadline::In(std::chrono::milliseconds(100)));
    return PosixError(EIO, std::string("the gate server did not start") +
                               (st.ok() ? ": it " + st.value().ToString() : "") +
                               "; bus log: " + bus.Log());
  }
  return g;
}

// One call of the gate's `method` with `args` as its ay.
PosixErrorOr<std::vector<uint8_t>> CallGate(sd_bus* b, const char* method,
                                            const std::vector<uint8_t>& args, const Deadline& d,
                                            std::string* error_name = nullptr) {
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(b, &m, kGateName, kGatePath, kGateIface, method);
  if (r < 0) return SdBusError(r, nullptr, "sd_bus_message_new_method_call");
  static const uint8_t kEmpty = 0;
  r = sd_bus_message_append_array(m, 'y', args.empty() ? &kEmpty : args.data(), args.size());
  if (r < 0) {
    sd_bus_message_unref(m);
    return SdBusError(r, nullptr, "sd_bus_message_append_array");
  }
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  r = sd_bus_call(b, m, UsecLeft(d), &err, &reply);
  sd_bus_message_unref(m);
  if (r < 0) {
    if (error_name && sd_bus_error_is_set(&err)) *error_name = err.name;
    PosixError e = SdBusError(r, &err, std::string("sd_bus_call(") + method + ")");
    sd_bus_error_free(&err);
    return e;
  }
  const void* p = nullptr;
  size_t n = 0;
  r = sd_bus_message_read_array(reply, 'y', &p, &n);
  std::vector<uint8_t> out;
  if (r >= 0) out.assign(static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
  sd_bus_message_unref(reply);
  if (r < 0) return SdBusError(r, nullptr, "sd_bus_message_read_array(reply)");
  return out;
}

// What a calling child reports.
struct CallRec {
  std::atomic<int> ready{0};
  std::atomic<int> handler_ran{0};
  int done = 0;
  int r = 0;            // 0 or the negative errno sd-bus returned
  int reply_ok = 0;     // the reply was the reply to this call
  int next_r = 0;       // the next call on the same connection
  int next_ok = 0;
  long ms = 0;
  char error_name[128] = {0};
};

CallRec* g_rec = nullptr;
void CountSignal(int) { g_rec->handler_ran.fetch_add(1); }

// ---------------------------------------------------------------------------
// Judges: "" when the observation keeps the promise, else why not.

// A call whose callee (or bus) went away: an error, at once, never a reply.
std::string JudgeCallAfterDeath(const CallRec& c, long deadline_ms, int want_errno,
                                const std::string& cite) {
  if (!c.done) return "the call never returned";
  if (c.reply_ok) return "the call got a reply although its peer died before replying";
  if (c.r == 0) return "the call succeeded although its peer died before replying";
  if (-c.r == ETIMEDOUT || c.ms >= deadline_ms) {
    return "the call hung until its deadline (" + std::to_string(c.ms) + " ms, " +
           ErrnoName(-c.r) + ") instead of failing at once (" + cite + ")";
  }
  if (want_errno && -c.r != want_errno) {
    return "the call failed " + ErrnoName(-c.r) + " (" + c.error_name + "), not " +
           ErrnoName(want_errno) + " (" + cite + ")";
  }
  return "";
}

// A call interrupted by a signal handler: sd-bus retries the poll, the call
// ends with its own reply, and the handler ran once.
std::string JudgeInterruptedCall(const CallRec& c) {
  if (c.handler_ran.load() != 1) {
    return "the handler ran " + std::to_string(c.handler_ran.load()) + " times, not once";
  }
  if (!c.done) return "the interrupted call never returned";
  if (c.r != 0) {
    return "the interrupted sd_bus_call failed " + ErrnoName(-c.r) + " (" + c.error_name +
           "): it must go on waiting for its reply";
  }
  if (!c.reply_ok) return "the interrupted call got a reply that is not its own";
  return "";
}

// Two descriptors name the same open file (st_dev, st_ino).
std::string JudgeSameFile(uint64_t dev_a, uint64_t ino_a, uint64_t dev_b, uint64_t ino_b) {
  if (dev_a != dev_b || ino_a != ino_b) {
    return "the descriptor the receiver got is another file (" + std::to_string(dev_b) + ":" +
           std::to_string(ino_b) + ", sent " + std::to_string(dev_a) + ":" +
           std::to_string(ino_a) + ")";
  }
  return "";
}

// What reached a receiver that did not read, of `sent` signals numbered
// 0, 1, ...: fewer than were sent (the bus dropped some), in order, each once.
std::string JudgeDropped(const std::vector<uint32_t>& got, uint32_t sent) {
  for (size_t i = 1; i < got.size(); ++i) {
    if (got[i - 1] >= got[i]) {
      return "signal " + std::to_string(got[i]) + " after " + std::to_string(got[i - 1]) +
             ": out of order or duplicated";
    }
  }
  if (!got.empty() && got.back() >= sent) return "a signal that was never sent";
  if (got.size() >= sent) {
    return "every one of the " + std::to_string(sent) + " signals was kept, beyond the limit";
  }
  return "";
}

// A message above the bus's limit: refused at once, the sender's
// connection closed (ECONNRESET), never delivered.
std::string JudgeOversized(bool delivered, int err, long ms, bool still_open) {
  if (delivered) return "the oversized message was delivered";
  if (err == ETIMEDOUT || ms >= 4000) return "the oversized call hung until its deadline";
  if (err != ECONNRESET) return "the oversized call failed " + ErrnoName(err) + ", not ECONNRESET";
  if (still_open) return "the sender's connection is still open after its oversized message";
  return "";
}

std::string ReadSmall(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// ---------------------------------------------------------------------------

TEST(DbusBus, EachTestStartsAndStopsItsOwnDaemon) {
  Annotate("a private bus: its own dbus-daemon, configuration in the test's directory, no "
           "machine bus",
           "dbus-daemon(1): \"--config-file=FILE Use the given configuration file\", "
           "\"--print-address[=DESCRIPTOR] Print the address of the message bus to standard "
           "output, or to the given file descriptor\"");
  setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/ipcspec-session", 1);
  setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/ipcspec-system", 1);
  pid_t pid;
  std::string dir;
  {
    auto bus = PrivateBus::Start();
    ASSERT_TRUE(bus.ok()) << bus.error();
    pid = bus.value()->pid();
    dir = bus.value()->dir();
    EXPECT_EQ(std::getenv("DBUS_SESSION_BUS_ADDRESS"), nullptr)
        << "PrivateBus::Start leaves the session bus's address in the environment";
    EXPECT_EQ(std::getenv("DBUS_SYSTEM_BUS_ADDRESS"), nullptr);
    EXPECT_EQ(bus.value()->address().rfind("unix:abstract=/ipcspec/dbus/", 0), 0u)
        << bus.value()->address();
    std::string cmdline = ReadSmall("/proc/" + std::to_string(pid) + "/cmdline");
    EXPECT_NE(cmdline.find("--config-file=" + dir + "/bus.conf"), std::string::npos) << cmdline;
    std::string environ = ReadSmall("/proc/" + std::to_string(pid) + "/environ");
    EXPECT_EQ(environ.find("DBUS_"), std::string::npos) << "the daemon's environment: " << environ;
    // It is a bus: GetId answers.
    auto c = ConnectBus(bus.value()->address(), Deadline::Default());
    ASSERT_TRUE(c.ok()) << c.error();
    sd_id128_t id;
    int r = sd_bus_get_bus_id(c.value().get(), &id);
    EXPECT_GE(r, 0) << "sd_bus_get_bus_id: " << strerror(-r);
  }
  // Stopped: reaped (no such process) and its directory removed.
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH) << "the daemon " << pid << " outlived its bus";
  struct stat st;
  EXPECT_NE(stat(dir.c_str(), &st), 0) << dir << " outlived its bus";
}

TEST(DbusBus, ADaemonLeftBehindFailsTheLeakAudit) {
  Annotate("the leak audit reports a bus daemon a test leaves running (and its socket with it)",
           "impl/core/leak_audit.h: a child process left behind is a leak");
  // A bus stopped as it should leaves nothing.
  {
    IpcInventory before = TakeInventory();
    { auto bus = PrivateBus::Start(); ASSERT_TRUE(bus.ok()) << bus.error(); }
    std::vector<Leak> leaks = Leaks(before, TakeInventory());
    EXPECT_TRUE(leaks.empty()) << "a stopped bus left " << leaks.size() << " object(s), first: "
                               << (leaks.empty() ? "" : leaks[0].ToString());
  }
  // A daemon given up (neither killed nor reaped): the audit names it.
  IpcInventory before = TakeInventory();
  pid_t pid;
  {
    auto bus = PrivateBus::Start();
    ASSERT_TRUE(bus.ok()) << bus.error();
    pid = bus.value()->ReleaseDaemonForTesting();
  }
  std::vector<Leak> leaks = Leaks(before, TakeInventory());
  bool named = false;
  for (const Leak& l : leaks) {
    if (l.sort == Leak::Sort::kChild && l.id == pid &&
        l.detail.find("dbus-daemon") != std::string::npos) {
      named = true;
    }
  }
  std::vector<std::string> left = Reclaim(leaks);
  EXPECT_TRUE(named) << "the leak audit did not report the bus daemon " << pid
                     << " left running (" << leaks.size() << " leak(s))";
  EXPECT_TRUE(left.empty()) << "Reclaim could not remove: " << left[0];
  EXPECT_EQ(kill(pid, 0), -1) << "the leaked daemon survived Reclaim";
}

// The bus daemon SIGKILLed while a client waits in sd_bus_call.
TEST(DbusScenarios, BusDaemonKilledMidCall) {
  const std::string cite =
      "man sd_bus_call: \"-ECONNRESET The bus connection was closed while waiting for the "
      "response.\"";
  Annotate("the bus daemon killed during a call: the caller gets ECONNRESET at once", cite);
  auto bus = PrivateBus::Start();
  ASSERT_TRUE(bus.ok()) << bus.error();
  auto gate = StartGate(*bus.value());
  ASSERT_TRUE(gate.ok()) << gate.error();
  auto rec = SharedObject<CallRec>::Create();
  ASSERT_TRUE(rec.ok());
  CallRec* c = rec.value().get();
  const std::string address = bus.value()->address();
  const long deadline_ms = 5000;
  auto caller = Child::Fork([&]() -> int {
    auto b = ConnectBus(address, Deadline::Default());
    if (!b.ok()) return 1;
    c->ready.store(1);
    auto t0 = std::chrono::steady_clock::now();
    std::string name;
    auto r = CallGate(b.value().get(), "Wait", {1, 2, 3},
                      Deadline::In(std::chrono::milliseconds(deadline_ms)), &name);
    c->ms = MsSince(t0);
    c->r = r.ok() ? 0 : -r.errno_value();
    c->reply_ok = r.ok() && r.value() == std::vector<uint8_t>{1, 2, 3};
    std::snprintf(c->error_name, sizeof c->error_name, "%s", name.c_str());
    c->done = 1;
    return 0;
  });
  ASSERT_TRUE(caller.ok()) << caller.error();
  // The call is in the server (asleep in read(2) on its gate), the caller
  // asleep awaiting the reply.
  PosixError in_server = WaitUntilBlocked(gate.value()->child.pid(), {SYS_read});
  ASSERT_TRUE(in_server.ok()) << "the call never reached the server: " << in_server;
  ASSERT_TRUE(PollUntil([&] { return c->ready.load() != 0; }, Deadline::Default()));
  PosixError waiting = WaitUntilBlocked(caller.value().pid(), {SYS_ppoll, SYS_poll});
  ASSERT_TRUE(waiting.ok()) << "the caller never waited for its reply: " << waiting;
  auto killed = bus.value()->Kill();
  ASSERT_TRUE(killed.ok()) << killed.error();
  auto st = caller.value().Wait();
  ASSERT_TRUE(st.ok()) << st.error();
  ASSERT_TRUE(st.value().ExitedWith(0)) << "the caller " << st.value();
  std::string why = JudgeCallAfterDeath(*c, deadline_ms, ECONNRESET, cite);
  EXPECT_EQ(why, "") << "after SIGKILL of the bus daemon during sd_bus_call";
  // A new connection to the dead bus fails at once: the abstract socket went
  // with the daemon.
  auto t0 = std::chrono::steady_clock::now();
  auto again = ConnectBus(address, Deadline::In(std::chrono::seconds(5)));
  EXPECT_FALSE(again.ok()) << "connected to a bus whose daemon was killed";
  if (!again.ok()) {
    EXPECT_EQ(again.errno_value(), ECONNREFUSED) << again.error();
  }
  EXPECT_LT(MsSince(t0), 2000) << "connecting to a dead bus took until the deadline";
}

// The caller SIGKILLed while the server works on its call: the server's
// late reply goes nowhere, and the next caller gets its own reply.
TEST(DbusScenarios, ClientKilledMidCallLeavesTheServerServing) {
  Annotate("a caller killed mid-call: the server goes on and no later call gets the dead "
           "caller's reply",
           "D-Bus specification, \"Message Protocol\": a reply names the serial of its call "
           "(REPLY_SERIAL) and goes to the caller (DESTINATION); the bus drops a message for a "
           "connection that is gone");
  auto bus = PrivateBus::Start();
  ASSERT_TRUE(bus.ok()) << bus.error();
  auto gate = StartGate(*bus.value());
  ASSERT_TRUE(gate.ok()) << gate.error();
  const std::string address = bus.value()->address();
  auto doomed = Child::Fork([&]() -> int {
    auto b = ConnectBus(address, Deadline::Default());
    if (!b.ok()) return 1;
    (void)CallGate(b.value().get(), "Wait", {6, 6, 6}, Deadline::Default());
    return 0;
  });
  ASSERT_TRUE(doomed.ok()) << doomed.error();
  PosixError in_server = WaitUntilBlocked(gate.value()->child.pid(), {SYS_read});
  ASSERT_TRUE(in_server.ok()) << "the call never reached the server: " << in_server;
  auto st = doomed.value().KillAndWait();
  ASSERT_TRUE(st.ok() && st.value().KilledBy(SIGKILL));
  // Let the server finish the dead caller's call; then call it again.
  ASSERT_TRUE(gate.value()->Open());
  auto b = ConnectBus(address, Deadline::Default());
  ASSERT_TRUE(b.ok()) << b.error();
  auto echo = CallGate(b.value().get(), "Echo", {7, 8, 9}, Deadline::Default());
  ASSERT_TRUE(echo.ok()) << "the server stopped serving after its caller died: " << echo.error();
  EXPECT_EQ(echo.value(), (std::vector<uint8_t>{7, 8, 9}))
      << "a call after the dead caller's got another reply";
  ASSERT_TRUE(gate.value()->Open());
  auto waited = CallGate(b.value().get(), "Wait", {4, 5}, Deadline::Default());
  ASSERT_TRUE(waited.ok()) << waited.error();
  EXPECT_EQ(waited.value(), (std::vector<uint8_t>{4, 5}));
}

constexpr const char* kWaitCite =
    "man sd_bus_wait: \"Internally, this call invokes ppoll(2)\" (its error list has no EINTR); "
    "man 7 signal: ppoll(2) is \"never restarted after being interrupted by a signal handler, "
    "regardless of the use of SA_RESTART; they always fail with the error EINTR\"";
constexpr const char* kCallCite =
    "man sd_bus_call: it fails only with the errors listed (no EINTR) or \"-ETIMEDOUT A response "
    "was not received within the given timeout\"; man 7 signal \"Interruption of system calls and "
    "library functions by signal handlers\"";

// A signal handler runs while a caller sleeps in sd-bus.
enum class Where { kWait, kCall };

void RunInterrupted(Where where, bool restart) {
  auto bus = PrivateBus::Start();
  ASSERT_TRUE(bus.ok()) << bus.error();
  std::unique_ptr<Gate> gate;
  if (where == Where::kCall) {
    auto g = StartGate(*bus.value());
    ASSERT_TRUE(g.ok()) << g.error();
    gate = std::move(g).ValueOrDie();
  }
  auto rec = SharedObject<CallRec>::Create();
  ASSERT_TRUE(rec.ok());
  CallRec* c = rec.value().get();
  const std::string address = bus.value()->address();
  auto child = Child::Fork([&]() -> int {
    g_rec = c;
    struct sigaction sa = {};
    sa.sa_handler = CountSignal;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, nullptr) != 0) return 1;
    auto b = ConnectBus(address, Deadline::Default());
    if (!b.ok()) return 2;
    // Nothing pending: what arrived with Hello is dispatched first.
    while (sd_bus_process(b.value().get(), nullptr) > 0) {
    }
    // A round trip first: what the bus sent after Hello (NameAcquired of
    // the unique name) has then arrived, and is dispatched here.
    sd_id128_t id;
    if (sd_bus_get_bus_id(b.value().get(), &id) < 0) return 3;
    while (sd_bus_process(b.value().get(), nullptr) > 0) {
    }
    c->ready.store(1);
    auto t0 = std::chrono::steady_clock::now();
    if (where == Where::kWait) {
      // Until the handler has run: a wake-up for I/O before it is no answer.
      do {
        c->r = sd_bus_wait(b.value().get(), 5000000);
        while (c->r > 0 && sd_bus_process(b.value().get(), nullptr) > 0) {
        }
      } while (c->r >= 0 && c->handler_ran.load() == 0 && MsSince(t0) < 5000);
      c->ms = MsSince(t0);
    } else {
      std::string name;
      auto r = CallGate(b.value().get(), "Wait", {1, 2, 3}, Deadline::In(std::chrono::seconds(5)),
                        &name);
      c->r = r.ok() ? 0 : -r.errno_value();
      c->reply_ok = r.ok() && r.value() == std::vector<uint8_t>{1, 2, 3};
      std::snprintf(c->error_name, sizeof c->error_name, "%s", name.c_str());
      c->ms = MsSince(t0);
      // The next call on the same connection: the server answers it after
      // the first (it serves in order), so the first call's reply, late or
      // not, arrives before this one's: it must not be taken for it.
      auto next = CallGate(b.value().get(), "Echo", {9}, Deadline::In(std::chrono::seconds(5)));
      c->next_ok = next.ok() && next.value() == std::vector<uint8_t>{9};
      c->next_r = next.ok() ? 0 : -next.errno_value();
    }
    c->done = 1;
    return 0;
  });
  ASSERT_TRUE(child.ok()) << child.error();
  ASSERT_TRUE(PollUntil([&] { return c->ready.load() != 0; }, Deadline::Default()));
  if (gate) {
    PosixError in_server = WaitUntilBlocked(gate->child.pid(), {SYS_read});
    ASSERT_TRUE(in_server.ok()) << "the call never reached the server: " << in_server;
  }
  PosixError blocked = WaitUntilBlocked(child.value().pid(), {SYS_ppoll});
  ASSERT_TRUE(blocked.ok()) << "the caller never slept in ppoll(2): " << blocked;
  ASSERT_EQ(kill(child.value().pid(), SIGUSR1), 0);
  ASSERT_TRUE(PollUntil([&] { return c->handler_ran.load() != 0; }, Deadline::Default()))
      << "the handler never ran";
  if (where == Where::kWait) {
    auto st = child.value().Wait();
    ASSERT_TRUE(st.ok()) << st.error();
    ASSERT_TRUE(st.value().ExitedWith(0)) << st.value();
    // man 7 signal: ppoll(2) is "never restarted after being interrupted by
    // a signal handler ... always fail with the error EINTR", whatever
    // SA_RESTART; sd_bus_wait(3) "invokes ppoll(2)". libsystemd 252 passes
    // the EINTR on; later versions return 1 ("something happened", upstream
    // systemd/systemd#25483) so that the caller processes and waits again.
    // Either way it returns at once, not at its timeout.
    EXPECT_TRUE(c->r == -EINTR || c->r > 0)
        << "sd_bus_wait interrupted by a handler (" << (restart ? "SA_RESTART" : "no SA_RESTART")
        << ") returned " << c->r << " after " << c->ms << " ms (" << kWaitCite << ")";
    EXPECT_LT(c->ms, 4000) << "sd_bus_wait went on sleeping until its timeout";
    return;
  }
  // sd_bus_call: it either went back to sleep in ppoll (retried) or gave up
  // and the next call sleeps there (the server is still held at its gate);
  // then the gate lets the first call's reply come.
  PosixError again = WaitUntilBlocked(child.value().pid(), {SYS_ppoll});
  ASSERT_TRUE(again.ok()) << "after the handler the caller never slept in ppoll(2) again: "
                          << again;
  ASSERT_TRUE(gate->Open());
  auto st = child.value().Wait();
  ASSERT_TRUE(st.ok()) << st.error();
  ASSERT_TRUE(st.value().ExitedWith(0)) << st.value();
  EXPECT_EQ(JudgeInterruptedCall(*c), "")
      << "sd_bus_call interrupted by a handler (" << (restart ? "SA_RESTART" : "no SA_RESTART")
      << ") after " << c->ms << " ms (" << kCallCite << ")";
  EXPECT_TRUE(c->next_ok) << "the next call on the same connection, after the interrupted one, "
                             "did not get its own reply ("
                          << (c->next_r ? ErrnoName(-c->next_r) : std::string("another reply"))
                          << "): the late reply of the interrupted call was taken for it";
}

TEST(DbusScenarios, SignalHandlerInterruptsSdBusWait) {
  Annotate("EINTR into sd_bus_wait, with and without SA_RESTART", kWaitCite);
  RunInterrupted(Where::kWait, false);
  RunInterrupted(Where::kWait, true);
}

TEST(DbusScenarios, SignalHandlerDoesNotEndSdBusCall) {
  Annotate("EINTR into sd_bus_call: the call goes on and gets its own reply", kCallCite);
  RunInterrupted(Where::kCall, false);
  RunInterrupted(Where::kCall, true);
}

// A message above the bus's max_message_size.
TEST(DbusScenarios, MessageAboveTheBusMaximumSize) {
  constexpr size_t kMax = 65536;
  const std::string cite =
      "dbus-daemon(1), <limit>: \"max_message_size : max size of a single message in bytes\"";
  Annotate("a message above the bus's max_message_size is refused; the bus and other "
           "connections go on",
           cite);
  BusOptions o;
  o.max_message_size = kMax;
  auto bus = PrivateBus::Start(o);
  ASSERT_TRUE(bus.ok()) << bus.error();
  auto gate = StartGate(*bus.value());
  ASSERT_TRUE(gate.ok()) << gate.error();
  auto b = ConnectBus(bus.value()->address(), Deadline::Default());
  ASSERT_TRUE(b.ok()) << b.error();
  // Below the limit: delivered.
  std::vector<uint8_t> small(kMax / 2, 0x5a);
  auto ok = CallGate(b.value().get(), "Echo", small, Deadline::Default());
  ASSERT_TRUE(ok.ok()) << "a message of half the maximum: " << ok.error();
  EXPECT_EQ(ok.value(), small);
  // Above it: refused, and at once (not at the call's deadline).
  std::vector<uint8_t> big(kMax * 2, 0xa5);
  auto t0 = std::chrono::steady_clock::now();
  std::string name;
  auto over = CallGate(b.value().get(), "Echo", big, Deadline::In(std::chrono::seconds(5)), &name);
  const long ms = MsSince(t0);
  // What the sender sees: dbus-daemon disconnects a connection that sends
  // a message above the limit (observed; its manual names the limit only),
  // so the call fails ECONNRESET and the connection is closed.
  EXPECT_EQ(JudgeOversized(over.ok(), over.ok() ? 0 : over.errno_value(), ms,
                           sd_bus_is_open(b.value().get()) > 0),
            "")
      << "a message of twice max_message_size (" << cite << "): "
      << (over.ok() ? std::string("delivered") : over.error().ToString());
  // The bus and the server go on: a new connection's call is answered.
  auto b2 = ConnectBus(bus.value()->address(), Deadline::Default());
  ASSERT_TRUE(b2.ok()) << "the bus no longer accepts after an oversized message: " << b2.error();
  auto after = CallGate(b2.value().get(), "Echo", {1}, Deadline::Default());
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ(after.value(), std::vector<uint8_t>{1});
}

// Signals to a connection that does not read, beyond the bus's
// max_outgoing_bytes: the claim behind dbus_sdbus_signal's
// at_high_water = kDrops.
TEST(DbusScenarios, SignalsBeyondTheReceiversQueueLimitAreDropped) {
  constexpr size_t kLimit = 64 * 1024;
  constexpr int kSignals = 256;  // 1 MiB: far beyond the limit plus the socket buffers
  constexpr size_t kBody = 4096;
  const std::string cite =
      "dbus-daemon(1), <limit>: \"max_outgoing_bytes : total size in bytes of messages queued "
      "up for a single connection\"";
  Annotate("signals beyond what the bus queues for a receiver that does not read are dropped; "
           "what arrives is in order and whole",
           cite);
  BusOptions o;
  o.max_outgoing_bytes = kLimit;
  auto bus = PrivateBus::Start(o);
  ASSERT_TRUE(bus.ok()) << bus.error();
  auto rx = ConnectBus(bus.value()->address(), Deadline::Default());
  ASSERT_TRUE(rx.ok()) << rx.error();
  auto tx = ConnectBus(bus.value()->address(), Deadline::Default());
  ASSERT_TRUE(tx.ok()) << tx.error();
  std::vector<uint32_t> got;
  bool torn = false;
  struct Ctx {
    std::vector<uint32_t>* got;
    bool* torn;
  } ctx{&got, &torn};
  sd_bus_slot* slot = nullptr;
  int r = sd_bus_match_signal(
      rx.value().get(), &slot, nullptr, "/org/ipcspec/Flood", "org.ipcspec.Flood", "Message",
      [](sd_bus_message* m, void* u, sd_bus_error*) -> int {
        auto* c = static_cast<Ctx*>(u);
        const void* p = nullptr;
        size_t n = 0;
        if (sd_bus_message_read_array(m, 'y', &p, &n) < 0 || n != kBody) {
          *c->torn = true;
          return 0;
        }
        uint32_t k;
        std::memcpy(&k, p, sizeof k);
        c->got->push_back(k);
        return 0;
      },
      &ctx);
  ASSERT_GE(r, 0) << "sd_bus_match_signal: " << strerror(-r);
  // The receiver does not read while the sender sends, each signal written
  // to the bus before the next (sd_bus_flush).
  std::vector<uint8_t> body(kBody, 0x77);
  for (uint32_t k = 0; k < kSignals; ++k) {
    std::memcpy(body.data(), &k, sizeof k);
    sd_bus_message* m = nullptr;
    ASSERT_GE(sd_bus_message_new_signal(tx.value().get(), &m, "/org/ipcspec/Flood",
                                        "org.ipcspec.Flood", "Message"), 0);
    r = sd_bus_message_append_array(m, 'y', body.data(), body.size());
    if (r >= 0) r = sd_bus_send(tx.value().get(), m, nullptr);
    sd_bus_message_unref(m);
    ASSERT_GE(r, 0) << "sd_bus_send of signal " << k << ": " << strerror(-r);
    r = sd_bus_flush(tx.value().get());
    ASSERT_GE(r, 0) << "sd_bus_flush after signal " << k << ": " << strerror(-r);
  }
  // A round trip from the sender after its last signal: the bus has routed
  // every signal before it answers. What it kept for the receiver is then in
  // the receiver's socket or in the daemon's queue for it, which the daemon
  // writes out as the receiver reads. The receiver reads until nothing more
  // comes for 300 ms (a method call from the receiver cannot mark the end:
  // its reply goes into the same full queue and may be dropped with the
  // signals, seen under ASan), within a deadline.
  // (sd_bus_get_bus_id() answers from the id sd-bus cached at connection:
  // no round trip; the sender calls GetId on the bus itself. The daemon
  // handles one connection's messages in order.)
  {
    sd_bus_error err = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    r = sd_bus_call_method(tx.value().get(), "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "GetId", &err, &reply, "");
    std::string why = err.message ? err.message : "";
    sd_bus_message_unref(reply);
    sd_bus_error_free(&err);
    ASSERT_GE(r, 0) << "GetId from the sender: " << strerror(-r) << " " << why;
  }
  Deadline drain = Deadline::In(std::chrono::seconds(10));
  for (;;) {
    while ((r = sd_bus_process(rx.value().get(), nullptr)) > 0) {
    }
    ASSERT_GE(r, 0) << "sd_bus_process on the receiver: " << strerror(-r);
    ASSERT_FALSE(drain.Expired()) << "the receiver was still getting signals after 10 s";
    r = sd_bus_wait(rx.value().get(), 300 * 1000);
    if (r == -EINTR) continue;
    ASSERT_GE(r, 0) << "sd_bus_wait on the receiver: " << strerror(-r);
    if (r == 0) break;  // nothing came for 300 ms
  }
  sd_bus_slot_unref(slot);
  EXPECT_FALSE(torn) << "a signal arrived torn";
  EXPECT_EQ(JudgeDropped(got, kSignals), "")
      << kSignals << " signals of " << kBody << " B to a receiver that did not read, beyond "
      << "max_outgoing_bytes = " << kLimit << " (" << cite << ")";
  // How many are kept varies (0 to 96 of 256 in 20 runs here, 0 in 4 of
  // them: FINDINGS.md); dbus-daemon(1) promises no number, so none is checked.
  std::printf("ipcspec-dbus: %zu of %d signals of %zu B kept for a receiver that did not read "
              "(max_outgoing_bytes %zu); last process %d, open %d\n",
              got.size(), kSignals, kBody, kLimit, r, sd_bus_is_open(rx.value().get()));
}

// UNIX_FD passing through the bus.
TEST(DbusScenarios, UnixFdPassing) {
  const std::string cite =
      "D-Bus specification, \"Basic types\": UNIX_FD (h) \"Unix file descriptor\", the "
      "descriptor itself is passed out of band (SCM_RIGHTS); sd_bus_negotiate_fds(3)";
  Annotate("a descriptor sent as UNIX_FD reaches the server as the same open file; a peer that "
           "did not negotiate descriptors is refused with an error",
           cite);
  auto bus = PrivateBus::Start();
  ASSERT_TRUE(bus.ok()) << bus.error();
  auto gate = StartGate(*bus.value());
  ASSERT_TRUE(gate.ok()) << gate.error();
  auto b = ConnectBus(bus.value()->address(), Deadline::Default());
  ASSERT_TRUE(b.ok()) << b.error();
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
  FileDescriptor rd(p[0]), wr(p[1]);
  struct stat st;
  ASSERT_EQ(fstat(wr.get(), &st), 0);
  auto stat_call = [&](sd_bus* bb, uint64_t* dev, uint64_t* ino, std::string* ename) -> int {
    sd_bus_error err = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    int r = sd_bus_call_method(bb, kGateName, kGatePath, kGateIface, "Stat", &err, &reply, "h",
                               wr.get());
    if (r < 0) {
      if (sd_bus_error_is_set(&err)) *ename = std::string(err.name) + ": " + (err.message ? err.message : "");
      sd_bus_error_free(&err);
      return r;
    }
    r = sd_bus_message_read(reply, "tt", dev, ino);
    sd_bus_message_unref(reply);
    return r < 0 ? r : 0;
  };
  uint64_t dev = 0, ino = 0;
  std::string ename;
  int r = stat_call(b.value().get(), &dev, &ino, &ename);
  ASSERT_EQ(r, 0) << "sd_bus_call_method(Stat, h): " << strerror(-r) << " " << ename;
  EXPECT_EQ(JudgeSameFile(st.st_dev, st.st_ino, dev, ino), "") << cite;
  char x = 0;
  EXPECT_EQ(read(rd.get(), &x, 1), 1) << "what the server wrote into the passed descriptor";
  EXPECT_EQ(x, 'x');

  // A server that did not negotiate descriptors.
  gate.value().reset();
  auto plain = StartGate(*bus.value(), /*accept_fds=*/false);
  ASSERT_TRUE(plain.ok()) << plain.error();
  ename.clear();
  auto t0 = std::chrono::steady_clock::now();
  r = stat_call(b.value().get(), &dev, &ino, &ename);
  EXPECT_LT(r, 0) << "a descriptor was delivered to a peer that did not negotiate UNIX_FD";
  EXPECT_NE(r, -ETIMEDOUT) << "the refused call hung until its deadline";
  EXPECT_LT(MsSince(t0), 4000);
  // Observed: dbus-daemon answers org.freedesktop.DBus.Error.NotSupported
  // ("Tried to send message with Unix file descriptors to a client that
  // doesn't support that."), which sd-bus maps to EOPNOTSUPP.
  EXPECT_EQ(ename.rfind("org.freedesktop.DBus.Error.NotSupported", 0), 0u) << ename;
  EXPECT_EQ(read(rd.get(), &x, 1), -1) << "the refused call's descriptor was written to";
}

// The same bus under dbus-broker (dbus-broker-launch), where it can run.
TEST(DbusBroker, PrivateBusUnderDbusBroker) {
  IPCSPEC_NEEDS(Need::Feature("systemd", DbusBrokerUnmet));
  Annotate("a private bus under dbus-broker answers Hello, GetId and a method call",
           "dbus-broker-launch(1): \"The socket to listen on for client connections must be "
           "created and passed to dbus-broker-launch by its parent process\"");
  BusOptions o;
  o.daemon = BusOptions::Daemon::kDbusBroker;
  auto bus = PrivateBus::Start(o);
  ASSERT_TRUE(bus.ok()) << bus.error();
  auto gate = StartGate(*bus.value());
  ASSERT_TRUE(gate.ok()) << gate.error();
  auto b = ConnectBus(bus.value()->address(), Deadline::Default());
  ASSERT_TRUE(b.ok()) << b.error();
  auto echo = CallGate(b.value().get(), "Echo", {3, 1, 4}, Deadline::Default());
  ASSERT_TRUE(echo.ok()) << echo.error();
  EXPECT_EQ(echo.value(), (std::vector<uint8_t>{3, 1, 4}));
}

// ---------------------------------------------------------------------------
// The judges are not vacuous: each rejects what a broken library would show.

TEST(DbusJudges, RejectBrokenOutcomes) {
  Annotate("each scenario's judge rejects a broken outcome", "this file's Judge* functions");
  CallRec hung;
  hung.done = 1;
  hung.r = -ETIMEDOUT;
  hung.ms = 5000;
  EXPECT_NE(JudgeCallAfterDeath(hung, 5000, ECONNRESET, "c"), "") << "a hang until the deadline";
  CallRec replied;
  replied.done = 1;
  replied.reply_ok = 1;
  EXPECT_NE(JudgeCallAfterDeath(replied, 5000, ECONNRESET, "c"), "") << "a reply from the dead";
  CallRec wrong;
  wrong.done = 1;
  wrong.r = -EIO;
  wrong.ms = 3;
  EXPECT_NE(JudgeCallAfterDeath(wrong, 5000, ECONNRESET, "c"), "") << "another errno";
  CallRec good;
  good.done = 1;
  good.r = -ECONNRESET;
  good.ms = 3;
  EXPECT_EQ(JudgeCallAfterDeath(good, 5000, ECONNRESET, "c"), "");

  CallRec eintr;
  eintr.done = 1;
  eintr.handler_ran.store(1);
  eintr.r = -EINTR;
  EXPECT_NE(JudgeInterruptedCall(eintr), "") << "a call given up with EINTR";
  CallRec other;
  other.done = 1;
  other.handler_ran.store(1);
  other.reply_ok = 0;
  EXPECT_NE(JudgeInterruptedCall(other), "") << "another call's reply";
  CallRec twice;
  twice.done = 1;
  twice.handler_ran.store(2);
  twice.reply_ok = 1;
  EXPECT_NE(JudgeInterruptedCall(twice), "") << "a handler run twice";
  CallRec fine;
  fine.done = 1;
  fine.handler_ran.store(1);
  fine.reply_ok = 1;
  EXPECT_EQ(JudgeInterruptedCall(fine), "");

  EXPECT_NE(JudgeDropped({0, 1, 2, 3}, 4), "") << "nothing dropped";
  EXPECT_NE(JudgeDropped({0, 2, 1}, 8), "") << "out of order";
  EXPECT_NE(JudgeDropped({0, 2, 2}, 8), "") << "duplicated";
  EXPECT_NE(JudgeDropped({0, 9}, 8), "") << "never sent";
  EXPECT_EQ(JudgeDropped({0, 2, 5}, 8), "");
  EXPECT_EQ(JudgeDropped({}, 8), "");

  EXPECT_NE(JudgeOversized(true, 0, 3, true), "") << "delivered";
  EXPECT_NE(JudgeOversized(false, ETIMEDOUT, 5000, true), "") << "a hang";
  EXPECT_NE(JudgeOversized(false, EIO, 3, false), "") << "another errno";
  EXPECT_NE(JudgeOversized(false, ECONNRESET, 3, true), "") << "still open";
  EXPECT_EQ(JudgeOversized(false, ECONNRESET, 3, false), "");

  EXPECT_NE(JudgeSameFile(1, 2, 1, 3), "") << "another inode";
  EXPECT_NE(JudgeSameFile(1, 2, 4, 2), "") << "another device";
  EXPECT_EQ(JudgeSameFile(1, 2, 1, 2), "");
}

}  // namespace
}  // namespace ipcspec
