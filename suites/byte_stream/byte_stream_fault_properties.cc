#include "suites/byte_stream/byte_stream_fault_properties.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "impl/inject/injector.h"
#include "impl/core/blocked.h"
#include "impl/core/coverage.h"
#include "impl/core/shared_memory.h"
#include "impl/core/watchdog.h"
#include "impl/repro/repro.h"
#include "rapidcheck.h"

namespace ipcspec {
namespace {

std::vector<uint8_t> Data(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>((seed + i) * 2654435761u >> 11);
  return v;
}

// Everything left in the stream, once every writer is gone (reads to EOF).
PosixErrorOr<std::vector<uint8_t>> DrainToEof(StreamEnd& r) {
  std::vector<uint8_t> got;
  std::vector<uint8_t> buf(65536);
  Deadline d = Deadline::Default();
  for (;;) {
    Watchdog dog(d);
    auto n = r.Read(buf.data(), buf.size(), Blocking::kBlock);
    if (!n.ok()) {
      if (n.errno_value() == EINTR && dog.fired()) {
        return PosixError(ETIMEDOUT, "reading to EOF past the deadline");
      }
      if (n.errno_value() == EINTR) continue;
      return n.error();
    }
    if (n.value() == 0) return got;
    got.insert(got.end(), buf.begin(), buf.begin() + static_cast<long>(n.value()));
  }
}

// --- as C (impl/repro) --------------------------------------------------------
// The fault properties print themselves for the Kinds that do (rfd, wfd,
// stream_is_socket: impl/pipe, impl/fifo, impl/unix_socket).

constexpr const char* kPromiseReadBlocks =
    "man 7 pipe: \"If a process attempts to read from an empty pipe, then read(2) will block "
    "until data is available.\"";
constexpr const char* kPromiseReadEof =
    "man 7 pipe: \"If all file descriptors referring to the write end of a pipe have been "
    "closed, then an attempt to read(2) from the pipe will see end-of-file (read(2) will "
    "return 0).\"";
constexpr const char* kPromiseWriteBlocks =
    "man 7 pipe: \"If a process attempts to write to a full pipe (see below), then write(2) "
    "blocks until sufficient data has been read from the pipe to allow the write to "
    "complete.\"";
constexpr const char* kPromiseExact =
    "man 7 pipe: the bytes written come out of the read end in the order written, none lost "
    "or repeated; man 2 write: the count returned is what was written";

void FaultStreamPrelude(repro::Recording& rec) {
  rec.Include("<sys/socket.h>");
  rec.Helper("fault_promises", std::string("#define PROMISE_READ_EOF \\\n  ") +
                                   repro::Lit(kPromiseReadEof) + "\n");
  rec.Helper("fault_stream", R"C(/* The bytes ipcspec's fault properties write: fdata(seed, n)[i]. */
static unsigned char *fdata(uint32_t seed, size_t n) {
  unsigned char *b = malloc(n + 1);
  size_t i;
  if (b == NULL) setup_failed("malloc");
  for (i = 0; i < n; ++i) b[i] = (unsigned char)(((seed + (uint32_t)i) * 2654435761u) >> 11);
  return b;
}

/* One read or write, as ipcspec makes it: send/recv (MSG_DONTWAIT when
   non-blocking) on a socket; on a pipe or FIFO, O_NONBLOCK set or cleared on
   the open file description for the one call, then the flags restored. */
static ssize_t fault_io(int fd, int is_write, void *b, size_t n, int nonblock) {
  ssize_t r;
  int fl, saved;
  if (stream_is_socket)
    return is_write ? send(fd, b, n, nonblock ? MSG_DONTWAIT : 0)
                    : recv(fd, b, n, nonblock ? MSG_DONTWAIT : 0);
  fl = fcntl(fd, F_GETFL);
  if (fl < 0) setup_failed("fcntl(F_GETFL)");
  if (fcntl(fd, F_SETFL, nonblock ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK)) != 0)
    setup_failed("fcntl(F_SETFL)");
  r = is_write ? write(fd, b, n) : read(fd, b, n);
  saved = errno;
  if (fcntl(fd, F_SETFL, fl) != 0) setup_failed("fcntl(F_SETFL)");
  errno = saved;
  return r;
}

/* Writes all n bytes with blocking calls (retrying short counts): 0 or errno. */
static int write_all(int fd, const unsigned char *b, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = fault_io(fd, 1, (void *)(b + done), n - done, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return errno;
    done += (size_t)r;
  }
  return 0;
}

/* The stream, as a growing byte array. */
struct bytes { unsigned char *b; size_t n, cap; };
static void bytes_add(struct bytes *s, const unsigned char *b, size_t n) {
  if (s->n + n > s->cap) {
    s->cap = (s->n + n) * 2;
    s->b = realloc(s->b, s->cap);
    if (s->b == NULL) setup_failed("realloc");
  }
  memcpy(s->b + s->n, b, n);
  s->n += n;
}

/* Reads to end-of-file with blocking calls (under the step's alarm). */
static void drain_to_eof(struct bytes *got) {
  static unsigned char buf[65536];
  for (;;) {
    ssize_t r = fault_io(rfd, 0, buf, sizeof buf, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) broken(PROMISE_READ_EOF, "reading to end-of-file: %s", strerror(errno));
    if (r == 0) return;
    bytes_add(got, buf, (size_t)r);
  }
}

/* got must be exactly want: say where it differs. */
static void same_bytes(const struct bytes *got, const struct bytes *want, const char *promise,
                       const char *what) {
  size_t i = 0;
  while (i < got->n && i < want->n && got->b[i] == want->b[i]) ++i;
  if (got->n != want->n || i != got->n)
    broken(promise, "%s: the reader got %zu bytes, expected the %zu written; they differ from "
           "byte %zu on", what, got->n, want->n, i);
}
)C");
}

std::string Bytes(size_t n) { return std::to_string(n) + "u"; }

std::vector<long> Concat(std::vector<long> a, const std::vector<long>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The write syscalls a fd-based end may use.
const long kWriteCalls[] = {SYS_write, SYS_sendto};

struct Fault {
  int nth;           // the Nth write call
  int kind;          // 0 EINTR, 1 short, 2 EAGAIN
  size_t short_to;   // for short
};

std::string Show(const std::vector<Fault>& fs) {
  std::ostringstream os;
  for (const auto& f : fs) {
    os << "  write #" << f.nth << ": "
       << (f.kind == 0 ? "EINTR" : f.kind == 2 ? "EAGAIN" : "short, " + std::to_string(f.short_to) + " bytes")
       << "\n";
  }
  return os.str();
}

std::optional<std::string> NeedsForkAndPtrace(const ByteStreamKind& k) {
  if (!k.caps.fork_shares_ends) return "its ends cannot be used from a forked (traced) writer";
  // Where ptrace is denied the scenario is not "not applicable" to the Kind:
  // it is skipped for the unmet need `ptrace`, counted as such.
  return PtraceUnmetNeed();
}

// Child exit codes.
enum : int { kWroteAll = 0, kFailedEagain = 1, kFailedOther = 2 };

constexpr const char* kInjectedCites =
    "write(2): \"the number of bytes written may be less than count\"; man 7 signal, "
    "\"Interruption of system calls and library functions by signal handlers\": EINTR must be "
    "retried; the bytes arrive exactly once";
constexpr const char* kFaultFired = "an injected fault hit a write";
constexpr const char* kShortFired = "a genuine short write was injected";
constexpr const char* kEintrFired = "an EINTR was injected";

PropertyOutcome WriteAllIsExactUnderInjectedFaults(const ByteStreamKind& kind) {
  Coverage cov("WriteAllIsExactUnderInjectedFaults", kInjectedCites,
               {{kFaultFired, 50}, {kShortFired, 25}, {kEintrFired, 25}});
  return cov.Judge(RunProperty(CurrentTestId(), repro::Recorded([&kind, &cov] {
    Coverage::Case counted(cov);
    if (auto* rec = repro::Active()) {
      rec->Unprintable(
          "its faults (EINTR, short counts, EAGAIN at the Nth write) are injected by ptrace "
          "into the Kind's own retry loop (StreamEnd::WriteAll), which a C file without "
          "ipcspec does not have: the finding is about that loop, not the environment");
    }
    // Small enough to fit an empty stream, so the writer never blocks while
    // the traced child and its tracer (this process) are busy with each other.
    size_t cap = std::max<size_t>(kind.caps.empty_capacity, 1);
    size_t n = *rc::gen::inRange<size_t>(1, std::min<size_t>(cap, 60000) + 1);
    auto faults = *rc::gen::container<std::vector<Fault>>(rc::gen::apply(
        [n](int nth, int k, size_t s) { return Fault{nth, k, std::min(s, n)}; },
        rc::gen::inRange(1, 6), rc::gen::weightedOneOf<int>({{4, rc::gen::just(0)}, {4, rc::gen::just(1)}, {1, rc::gen::just(2)}}),
        rc::gen::inRange<size_t>(0, 5000)));
    std::sort(faults.begin(), faults.end(), [](const Fault& a, const Fault& b) { return a.nth < b.nth; });
    faults.erase(std::unique(faults.begin(), faults.end(),
                             [](const Fault& a, const Fault& b) { return a.nth == b.nth; }),
                 faults.end());
    RC_TAG(faults.size());
    std::vector<InjectRule> rules;
    bool eagain = false;
    for (const Fault& f : faults) {
      for (long nr : kWriteCalls) {
        if (f.kind == 1) {
          rules.push_back({nr, f.nth, InjectRule::Action::kShortCount, 0, f.short_to});
        } else {
          rules.push_back({nr, f.nth, InjectRule::Action::kErrno, f.kind == 0 ? EINTR : EAGAIN});
        }
      }
      eagain |= f.kind == 2;
    }
    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    ByteStream s = std::move(opened).ValueOrDie();
    std::vector<uint8_t> data = Data(n, static_cast<uint32_t>(n));
    auto out = RunInjected(
        [&]() -> int {
          (void)s.reader->Close();
          PosixError e = s.writer->WriteAll(data.data(), data.size());
          if (e.ok()) return kWroteAll;
          return e.errno_value() == EAGAIN ? kFailedEagain : kFailedOther;
        },
        rules);
    if (!out.ok()) RC_FAIL("running the traced writer: " + out.error().ToString());
    for (size_t i = 0; i < rules.size(); ++i) {
      if (i < out.value().fired.size() && out.value().fired[i] > 0) {
        Coverage::Reached(kFaultFired);
        Coverage::ReachedIf(rules[i].action == InjectRule::Action::kShortCount, kShortFired);
        Coverage::ReachedIf(rules[i].action == InjectRule::Action::kErrno && rules[i].err == EINTR,
                            kEintrFired);
      }
    }
    RC_ASSERT(s.writer->Close().ok());
    auto got = DrainToEof(*s.reader);
    if (!got.ok()) RC_FAIL("draining: " + got.error().ToString());
    const WaitStatus& st = out.value().status;
    std::string ctx = "WriteAll of " + std::to_string(n) + " bytes with injected faults:\n" + Show(faults);
    if (!st.exited()) RC_FAIL(ctx + "the writer " + st.ToString());
    size_t k = got.value().size();
    bool prefix = k <= n && std::equal(got.value().begin(), got.value().end(), data.begin());
    if (st.exit_code() == kWroteAll) {
      if (k != n || !prefix) {
        RC_FAIL(ctx + "WriteAll reported success but the reader got " + std::to_string(k) +
                " bytes" + (prefix ? " (a prefix: data lost)" : " that are not the data written (duplicated or reordered)"));
      }
    } else if (st.exit_code() == kFailedEagain) {
      if (!eagain) RC_FAIL(ctx + "WriteAll failed with EAGAIN, which was never injected");
      if (!prefix) RC_FAIL(ctx + "after WriteAll's EAGAIN the reader got bytes that are not a prefix of the data (duplicated)");
    } else {
      RC_FAIL(ctx + "WriteAll failed with an error other than the injected EAGAIN (exit " +
              std::to_string(st.exit_code()) + "): EINTR and short writes must be retried "
              "(man 7 signal: a write interrupted by a handler fails EINTR or returns a partial count)");
    }
  })));
}

constexpr const char* kKilledWriterCites =
    "a stream keeps exactly what write(2) put in it before its writer was SIGKILLed (at its "
    "first, its last and a drawn write between), then end-of-file (man 7 pipe: read sees end-of-file when every write "
    "end is closed)";
constexpr const char* kKillMidTransfer = "the writer was killed after some of its writes";
constexpr const char* kKillBeforeAnyByte = "the writer was killed at its first write";

PropertyOutcome KilledWriterLeavesAPrefix(const ByteStreamKind& kind) {
  // Each case kills its writer at the entry of its first write, of its last,
  // and of one drawn between (the drawn point moves from case to case, so the
  // run covers every point while forking at most three traced writers per
  // case instead of one per write: the suite's 30 s budget): 25 cases.
  Coverage cov("KilledWriterLeavesAPrefix", kKilledWriterCites,
               {{kKillMidTransfer, 30}, {kKillBeforeAnyByte, 100}},
               /*min_cases_judged=*/20);
  return cov.Judge(RunProperty(CurrentTestId(), repro::Recorded([&kind, &cov] {
    Coverage::Case counted(cov);
    // The writes must all fit the empty stream, so that the writer never
    // blocks while its tracer (this process) is busy: `each` is drawn within
    // the capacity left for `writes` writes (no case is discarded; a
    // one-page pipe gets 1..4096 / writes bytes per write).
    int writes = *rc::gen::inRange(1, 9);
    size_t per_write = 4096;
    if (kind.caps.empty_capacity != 0) {
      per_write = std::min(per_write, std::max<size_t>(
                                          kind.caps.empty_capacity / static_cast<size_t>(writes), 1));
    }
    size_t each = *rc::gen::inRange<size_t>(1, per_write + 1);
    std::vector<uint8_t> data = Data(each * static_cast<size_t>(writes), 7);
    std::vector<int> kill_points = {1};
    if (writes > 2) kill_points.push_back(*rc::gen::inRange(2, writes));
    if (writes > 1) kill_points.push_back(writes);
    for (int kill_at : kill_points) {
      auto opened = kind.Open();
      if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
      ByteStream s = std::move(opened).ValueOrDie();
      if (auto* rec = repro::Active()) {
        // This kill point alone (each is a fresh stream): a failing case's
        // reproducer is the point that failed. ipcspec kills the writer
        // (ptrace) at the entry of its write #kill_at; the C writer makes
        // its first kill_at - 1 writes, says so, and is killed there: the
        // same bytes are in the stream when SIGKILL lands.
        rec->DropSteps();
        FaultStreamPrelude(*rec);
        rec->Fork(0, "fork the writer (it drops the read end)", "close(rfd);\nrfd = -1;\n");
        if (kill_at > 1) {
          std::ostringstream w;
          w << "{\n  int i;\n  for (i = 0; i < " << kill_at - 1 << "; ++i) {\n"
            << "    unsigned char *d = fdata(7u + (uint32_t)(i * " << each << "), " << Bytes(each)
            << ");\n    int e = write_all(wfd, d, " << Bytes(each) << ");\n"
            << "    if (e != 0) broken(" << repro::Lit(kPromiseExact)
            << ", \"the writer's write #%d of " << each << " bytes failed: %s\", i + 1, "
               "strerror(e));\n    free(d);\n  }\n}\n";
          rec->ChildStep(0, "child: writes #1.." + std::to_string(kill_at - 1) + " of " +
                                std::to_string(each) + " bytes each",
                         w.str(), "writes that fit the empty stream return at once");
        }
        rec->Kill(0, SIGKILL, "SIGKILL the writer at the entry of its write #" +
                                  std::to_string(kill_at) + " of " + std::to_string(writes));
        std::ostringstream d;
        const size_t expect = each * static_cast<size_t>(kill_at - 1);
        d << "{\n  struct bytes got = {NULL, 0, 0}, want = {NULL, 0, 0};\n"
          << "  unsigned char *b = fdata(7u, " << Bytes(expect) << ");\n"
          << "  bytes_add(&want, b, " << Bytes(expect) << ");\n  free(b);\n"
          << "  close(wfd);  /* the killed writer's copy is closed: no writer is left */\n"
          << "  wfd = -1;\n  drain_to_eof(&got);\n"
          << "  same_bytes(&got, &want, " << repro::Lit(kKilledWriterCites)
          << ", \"after the writer was killed at the entry of write #" << kill_at
          << "\");\n  free(got.b);\n  free(want.b);\n}\n";
        rec->Step("close the write end; read to end-of-file: exactly the " +
                      std::to_string(expect) + " bytes written before the kill",
                  d.str(), std::string("end-of-file once the killed writer is gone: ") +
                               kPromiseReadEof);
      }
      std::vector<InjectRule> rules;
      for (long nr : kWriteCalls) rules.push_back({nr, kill_at, InjectRule::Action::kKill});
      auto out = RunInjected(
          [&]() -> int {
            (void)s.reader->Close();
            for (int i = 0; i < writes; ++i) {
              if (!s.writer->WriteAll(data.data() + each * static_cast<size_t>(i), each).ok()) return 2;
            }
            (void)s.writer->Close();
            return 0;
          },
          rules);
      if (!out.ok()) RC_FAIL("running the traced writer: " + out.error().ToString());
      RC_ASSERT(s.writer->Close().ok());
      auto got = DrainToEof(*s.reader);
      if (!got.ok()) {
        RC_FAIL("after the writer was killed, reading to EOF: " + got.error().ToString() +
                " (man 7 pipe: once every write end is closed, read sees end-of-file; a killed "
                "process's fds are closed)");
      }
      // Killed at the entry of its write #kill_at, or, when the writer's own
      // write calls were fewer (it buffers), it completed: either way what
      // the reader gets must be what write(2) reported before the kill.
      bool killed = out.value().status.KilledBy(SIGKILL);
      // The kill landed at the entry of a write, after earlier writes had
      // put their bytes in the stream: mid-transfer.
      Coverage::ReachedIf(killed && kill_at > 1, kKillMidTransfer);
      Coverage::ReachedIf(killed && kill_at == 1, kKillBeforeAnyByte);
      size_t expect = killed ? each * static_cast<size_t>(kill_at - 1) : data.size();
      if (got.value().size() != expect ||
          !std::equal(got.value().begin(), got.value().end(), data.begin())) {
        RC_FAIL("writer " + std::string(killed ? "killed" : "not killed (" + out.value().status.ToString() + ")") +
                " at the entry of write #" + std::to_string(kill_at) + " of " +
                std::to_string(writes) + " (" + std::to_string(each) +
                " bytes each): the reader got " + std::to_string(got.value().size()) +
                " bytes, expected exactly the " + std::to_string(expect) +
                " bytes written before it, then EOF");
      }
      if (!killed && !out.value().status.ExitedWith(0)) {
        RC_FAIL("the writer " + out.value().status.ToString());
      }
    }
  }), 25));
}

const std::vector<long> kWriteSyscalls = {SYS_write, SYS_sendto};
const std::vector<long> kReadSyscalls = {SYS_read, SYS_recvfrom};

// Fills the stream until even a 1-byte non-blocking write gets EAGAIN.
// Returns the bytes written (their pattern starts at `seed`).
PosixErrorOr<std::vector<uint8_t>> FillCompletely(StreamEnd& w, uint32_t seed) {
  std::vector<uint8_t> all;
  for (size_t chunk : {size_t{4096}, size_t{1}}) {
    for (;;) {
      std::vector<uint8_t> d = Data(chunk, seed + static_cast<uint32_t>(all.size()));
      auto r = w.Write(d.data(), chunk, Blocking::kNonBlock);
      if (!r.ok()) {
        if (r.errno_value() == EAGAIN) break;
        return r.error();
      }
      all.insert(all.end(), d.begin(), d.begin() + static_cast<long>(r.value()));
      if (all.size() > (64u << 20)) return PosixError(EFBIG, "never full after 64 MiB");
    }
  }
  return all;
}

PropertyOutcome FullStreamBlocksUntilDrained(const ByteStreamKind& kind) {
  return RunProperty(CurrentTestId(), repro::Recorded([&kind] {
    size_t m = *rc::gen::inRange<size_t>(1, 8193);
    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    ByteStream s = std::move(opened).ValueOrDie();
    if (auto* rec = repro::Active()) {
      FaultStreamPrelude(*rec);
      rec->Prologue("struct bytes want = {NULL, 0, 0}, got = {NULL, 0, 0};\n");
      std::ostringstream fill;
      fill << "{\n  /* Non-blocking writes of 4096 bytes, then of 1, until EAGAIN. */\n"
           << "  static const size_t chunks[2] = {4096, 1};\n  int c;\n"
           << "  for (c = 0; c < 2; ++c) {\n    for (;;) {\n"
           << "      unsigned char *d = fdata(11u + (uint32_t)want.n, chunks[c]);\n"
           << "      ssize_t r = fault_io(wfd, 1, d, chunks[c], 1);\n"
           << "      if (r < 0 && errno == EAGAIN) { free(d); break; }\n"
           << "      if (r < 0) setup_failed(\"filling the stream\");\n"
           << "      bytes_add(&want, d, (size_t)r);\n      free(d);\n"
           << "      if (want.n > (64u << 20)) setup_failed(\"never full after 64 MiB\");\n"
           << "    }\n  }\n";
      if (kind.caps.empty_capacity > 0) {
        fill << "  if (want.n < " << Bytes(kind.caps.empty_capacity) << ")\n"
             << "    broken(\"man 7 pipe, \\\"Pipe capacity\\\": an empty " << kind.name
             << " takes at least " << kind.caps.empty_capacity
             << " bytes\", \"a non-blocking 1-byte write got EAGAIN after only %zu bytes\", "
                "want.n);\n";
      }
      fill << "}\n";
      rec->Step("fill the stream until a non-blocking 1-byte write gets EAGAIN", fill.str(),
                "non-blocking writes return at once");
      std::ostringstream child;
      child << "{\n  unsigned char *d = fdata(99u, " << Bytes(m) << ");\n  int e;\n"
            << "  close(rfd);  /* only the parent reads */\n  rfd = -1;\n"
            << "  e = write_all(wfd, d, " << Bytes(m) << ");\n"
            << "  if (e != 0)\n    broken(" << repro::Lit(kPromiseWriteBlocks)
            << ", \"the blocked write of " << m << " bytes failed: %s\", strerror(e));\n}\n";
      rec->ForkBlocked(rec->NextBlocked(),
                       "child: blocking write of " + std::to_string(m) +
                           " bytes to the full stream: it blocks",
                       child.str(), Concat(kWriteSyscalls, kind.caps.also_blocked_in),
                       kPromiseWriteBlocks,
                       std::string("the blocked write completes once the reader drains: ") +
                           kPromiseWriteBlocks);
      std::ostringstream drain;
      drain << "{\n  unsigned char *d = fdata(99u, " << Bytes(m) << ");\n"
            << "  bytes_add(&want, d, " << Bytes(m) << ");\n  free(d);\n"
            << "  close(wfd);  /* the child holds the only write end left */\n  wfd = -1;\n"
            << "  drain_to_eof(&got);\n"
            << "  same_bytes(&got, &want, " << repro::Lit(kPromiseExact)
            << ", \"after the drain (the fill, then the blocked write)\");\n}\n";
      rec->Step("close the write end; read to end-of-file", drain.str(),
                std::string("the reader drains, the blocked writer completes, EOF follows: ") +
                    kPromiseWriteBlocks);
      rec->AwaitChild(rec->NextBlocked() - 1, "the blocked writer has completed",
                      std::string("the blocked write completes once the reader drains: ") +
                          kPromiseWriteBlocks);
    }
    auto fill = FillCompletely(*s.writer, 11);
    if (!fill.ok()) RC_FAIL("filling the stream: " + fill.error().ToString());
    std::vector<uint8_t> expect = fill.value();
    if (kind.caps.empty_capacity > 0 && expect.size() < kind.caps.empty_capacity) {
      RC_FAIL("a non-blocking 1-byte write got EAGAIN after only " + std::to_string(expect.size()) +
              " bytes; an empty " + kind.name + " takes at least " +
              std::to_string(kind.caps.empty_capacity) + " (man 7 pipe, \"Pipe capacity\")");
    }
    std::vector<uint8_t> more = Data(m, 99);
    auto writer = Child::Fork([&]() -> int {
      (void)s.reader->Close();
      return s.writer->WriteAll(more.data(), m).ok() ? 0 : 1;
    });
    if (!writer.ok()) RC_FAIL("fork: " + writer.error().ToString());
    // man 7 pipe: "If a process attempts to write to a full pipe (see below),
    // then write(2) blocks until sufficient data has been read from the pipe
    // to allow the write to complete."
    PosixError blocked = WaitUntilBlocked(writer.value().pid(), kWriteSyscalls,
                                          kind.caps.also_blocked_in);
    if (!blocked.ok()) {
      RC_FAIL("a blocking write of " + std::to_string(m) + " bytes to a full " + kind.name +
              " did not block: " + blocked.ToString() +
              " (man 7 pipe: \"If a process attempts to write to a full pipe ... write(2) blocks\")");
    }
    RC_ASSERT(s.writer->Close().ok());
    expect.insert(expect.end(), more.begin(), more.end());
    auto got = DrainToEof(*s.reader);
    if (!got.ok()) RC_FAIL("draining: " + got.error().ToString());
    auto st = writer.value().Wait();
    if (!st.ok() || !st.value().ExitedWith(0)) {
      RC_FAIL("the blocked writer did not complete after the drain: " +
              (st.ok() ? st.value().ToString() : st.error().ToString()));
    }
    if (got.value() != expect) {
      RC_FAIL("after the drain the reader got " + std::to_string(got.value().size()) +
              " bytes, expected the " + std::to_string(expect.size()) +
              " written (fill, then the blocked write): lost, duplicated or reordered");
    }
  }));
}

constexpr const char* kReadBlocksCites =
    "man 7 pipe: \"If a process attempts to read from an empty pipe, then read(2) will block "
    "until data is available\" and end-of-file once every write end is closed";
constexpr const char* kReaderWokenByData = "a blocked reader was woken by data";
constexpr const char* kReaderWokenByEof = "a blocked reader was woken by end-of-file";

PropertyOutcome ReadBlocksUntilDataOrEof(const ByteStreamKind& kind) {
  Coverage cov("ReadBlocksUntilDataOrEof", kReadBlocksCites,
               {{kReaderWokenByData, 20}, {kReaderWokenByEof, 20}});
  return cov.Judge(RunProperty(CurrentTestId(), repro::Recorded([&kind, &cov] {
    Coverage::Case counted(cov);
    bool by_eof = *rc::gen::arbitrary<bool>();
    size_t k = *rc::gen::inRange<size_t>(1, 4097);
    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    ByteStream s = std::move(opened).ValueOrDie();
    if (auto* rec = repro::Active()) {
      FaultStreamPrelude(*rec);
      std::ostringstream child;
      child << "{\n  unsigned char *d = fdata(5u, " << Bytes(k) << ");\n"
            << "  unsigned char *buf = malloc(" << Bytes(k) << ");\n  ssize_t n;\n"
            << "  if (buf == NULL) setup_failed(\"malloc\");\n"
            << "  close(wfd);  /* only the parent writes */\n  wfd = -1;\n"
            << "  n = fault_io(rfd, 0, buf, " << Bytes(k) << ", 0);\n";
      if (by_eof) {
        child << "  if (n != 0)\n    broken(" << repro::Lit(kPromiseReadEof)
              << ",\n           \"the blocked read woke with %zd (%s) when the last writer "
                 "closed; expected 0\", n, n < 0 ? strerror(errno) : \"bytes\");\n";
      } else {
        child << "  if (n < 1 || n > " << k << " || buf[0] != d[0])\n    broken("
              << repro::Lit(kPromiseReadBlocks)
              << ",\n           \"the blocked read woke with %zd (%s) after " << k
              << " bytes were written; expected 1.." << k
              << " bytes starting with the first written\", n, n < 0 ? strerror(errno) : "
                 "\"bytes\");\n";
      }
      child << "  free(buf);\n  free(d);\n}\n";
      const std::string woken =
          std::string("the blocked read returns once ") +
          (by_eof ? std::string("the last writer closes: ") + kPromiseReadEof
                  : std::string("data arrives: ") + kPromiseReadBlocks);
      rec->ForkBlocked(rec->NextBlocked(),
                       "child: blocking read of " + std::to_string(k) +
                           " bytes from the empty stream: it blocks",
                       child.str(), Concat(kReadSyscalls, kind.caps.also_blocked_in),
                       kPromiseReadBlocks, woken);
      if (by_eof) {
        rec->Step("close the last write end", "close(wfd);\nwfd = -1;\n", "close returns at once");
      } else {
        std::ostringstream w;
        w << "{\n  unsigned char *d = fdata(5u, " << Bytes(k) << ");\n"
          << "  int e = write_all(wfd, d, " << Bytes(k) << ");\n"
          << "  if (e != 0) broken(" << repro::Lit(kPromiseExact) << ", \"writing " << k
          << " bytes to wake the reader: %s\", strerror(e));\n  free(d);\n}\n";
        rec->Step("write " + std::to_string(k) + " bytes", w.str(),
                  "a write of at most a page into an empty stream returns at once");
      }
      rec->AwaitChild(rec->NextBlocked() - 1, "the blocked read returns", woken);
    }
    struct Got {
      long n = -2;
      uint8_t first = 0;
    };
    auto got = SharedObject<Got>::Create();
    RC_ASSERT(got.ok());
    Got* g = got.value().get();
    auto reader = Child::Fork([&]() -> int {
      (void)s.writer->Close();  // only the parent writes
      std::vector<uint8_t> buf(k);
      auto r = s.reader->Read(buf.data(), k, Blocking::kBlock);
      g->n = r.ok() ? static_cast<long>(r.value()) : -r.errno_value();
      g->first = k ? buf[0] : 0;
      return 0;
    });
    if (!reader.ok()) RC_FAIL("fork: " + reader.error().ToString());
    // man 7 pipe: "If a process attempts to read from an empty pipe, then
    // read(2) will block until data is available."
    PosixError blocked = WaitUntilBlocked(reader.value().pid(), kReadSyscalls,
                                          kind.caps.also_blocked_in);
    if (!blocked.ok()) {
      RC_FAIL("a blocking read of an empty " + kind.name + " did not block: " + blocked.ToString() +
              " (man 7 pipe: \"read(2) will block until data is available\")");
    }
    std::vector<uint8_t> data = Data(k, 5);
    if (by_eof) {
      RC_ASSERT(s.writer->Close().ok());
    } else {
      RC_ASSERT(s.writer->WriteAll(data.data(), k).ok());
    }
    // A woken reader returns at once; 2 s (scaled) is ample.
    auto st = reader.value().Wait(Deadline::In(std::chrono::seconds(2)));
    if (!st.ok() || !st.value().ExitedWith(0)) {
      RC_FAIL("the reader blocked on an empty " + kind.name + " did not wake after " +
              (by_eof ? "the last writer closed" : std::to_string(k) + " bytes were written"));
    }
    if (by_eof && g->n != 0) {
      RC_FAIL("a reader blocked on an empty " + kind.name + " woke with " + std::to_string(g->n) +
              " when the last writer closed; expected 0 (man 7 pipe: \"If all file descriptors "
              "referring to the write end of a pipe have been closed, then an attempt to read(2) "
              "from the pipe will see end-of-file\")");
    }
    if (!by_eof && (g->n < 1 || g->n > static_cast<long>(k) || g->first != data[0])) {
      RC_FAIL("a reader blocked on an empty " + kind.name + " woke with " + std::to_string(g->n) +
              " after " + std::to_string(k) + " bytes arrived; expected 1.." + std::to_string(k) +
              " bytes starting with the first byte written");
    }
    Coverage::Reached(by_eof ? kReaderWokenByEof : kReaderWokenByData);
  })));
}

std::optional<std::string> NeedsFork(const ByteStreamKind& k) {
  if (!k.caps.fork_shares_ends) return "its ends cannot be used from a forked process";
  return std::nullopt;
}

std::optional<std::string> NeedsStableFullness(const ByteStreamKind& k) {
  if (auto why = NeedsFork(k)) return why;
  if (!k.caps.full_stays_full) {
    return "a full stream may accept more with no read (data still moves to the peer after "
           "EAGAIN): no write is sure to block";
  }
  return std::nullopt;
}

}  // namespace

const std::vector<SuiteProperty<ByteStreamInterface>>& ByteStreamFaultProperties() {
  static const auto* props = new std::vector<SuiteProperty<ByteStreamInterface>>{
      {"WriteAllIsExactUnderInjectedFaults", kInjectedCites,
       NeedsForkAndPtrace, WriteAllIsExactUnderInjectedFaults},
      {"KilledWriterLeavesAPrefix", kKilledWriterCites,
       NeedsForkAndPtrace, KilledWriterLeavesAPrefix},
      {"FullStreamBlocksUntilDrained",
       "man 7 pipe: \"If a process attempts to write to a full pipe (see below), then write(2) "
       "blocks until sufficient data has been read from the pipe to allow the write to complete\"",
       NeedsStableFullness, FullStreamBlocksUntilDrained},
      {"ReadBlocksUntilDataOrEof", kReadBlocksCites,
       NeedsFork, ReadBlocksUntilDataOrEof},
  };
  return *props;
}

}  // namespace ipcspec
