// Standalone C reproducers, generated from a property's shrunk counterexample
// (issue 17).
//
// While a property runs under a Session (suites/common/suite.h opens one for
// each property of each Kind), every case records itself as C: each command
// of the state machine adds one Step (the call with its arguments, then the
// model's check as an `if` that prints the promise, what happened, and exits
// 1), and the Kind gives its setup and teardown (Kind::c, impl/api/kind.h).
// The last FAILING case rapidcheck ran is its shrunk counterexample; when the
// property fails, Session::Finish renders that case as one C file, writes it
// next to the test's outputs ($TEST_UNDECLARED_OUTPUTS_DIR) and names it in
// the failure. With no Session (the selftests), Active() is null and a
// command records nothing.
//
// The file needs no ipcspec header: `cc -o repro repro.c` (plus the libraries
// the Kind names, -lrt / -lpthread). It exits 0 when the environment behaves
// as documented, 1 when a documented promise is broken (or a call that must
// return hangs past its alarm), 2 when it could not set up.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "impl/api/kind.h"
#include "rapidcheck.h"

namespace ipcspec::repro {

// A C string literal for s ("..." with escapes).
std::string Lit(const std::string& s);

// One recorded case: what the C file's main() does, in order.
class Recording {
 public:
  // Extra includes ("<sys/msg.h>") and link flags ("-lrt").
  void Include(const std::string& header) { includes_.insert(header); }
  void Link(const std::string& lib) { libs_.insert(lib); }
  // A helper function (or file-scope declaration), added once by name.
  void Helper(const std::string& name, const std::string& code);
  // Code run once after the Kind's setup (block SIGPIPE, ...).
  void Prologue(const std::string& code);
  // A step of the parent process. `code` is C statements; `hang` says what a
  // hang past the step's alarm means ("the write blocked although ...").
  void Step(const std::string& title, const std::string& code, const std::string& hang = "");
  // fork(): child `idx` starts; `child_setup` runs in it first (drop the
  // read end ...). Its steps come from ChildStep; it exits after its last.
  void Fork(int idx, const std::string& title, const std::string& child_setup);
  // A step child `idx` carries out when the parent says so; the parent waits
  // for it (with a deadline). The check runs in the child: it exits 1.
  void ChildStep(int idx, const std::string& title, const std::string& code,
                 const std::string& hang = "");
  // The parent tells child `idx` to exit and reaps it (with a deadline).
  void ChildExit(int idx, const std::string& title);
  // kill(child, sig) at this point, then reap it.
  void Kill(int idx, int sig, const std::string& title);

  // A step of (long-lived) child `idx` that BLOCKS, among its other steps
  // (a lock worker's Acquire() while another holds the lock, a crew
  // member's wait): the parent tells the child to start it and goes on
  // without waiting. The child runs `code` (under its own alarm: `hang`
  // says what its never returning breaks) and reports when done;
  // ChildAwait waits for that. (ForkBlocked below is for a one-shot child
  // that only blocks.)
  void ChildStart(int idx, const std::string& title, const std::string& code,
                  const std::string& hang = "");
  // The parent waits, under the alarm and without sleep, until child `idx`
  // is seen asleep in one of `syscalls` (C expressions: "SYS_futex"): state
  // 'S' in /proc/PID/stat and the number in /proc/PID/syscall (state alone
  // where that file cannot be read). The child finishing its step instead
  // breaks `must_block`.
  void ChildBlocked(int idx, const std::string& title, const std::vector<std::string>& syscalls,
                    const std::string& must_block);
  // The parent waits (with a deadline) until child `idx` has finished the
  // step ChildStart began; `hang`: what its not finishing breaks. A child
  // still in such a step at the end is killed (SIGKILL) and reaped.
  void ChildAwait(int idx, const std::string& title, const std::string& hang);

  // A child blocked in a call (issue 17): fork child `b` of the blocked
  // children, which runs `child_code` at once (the blocking call, then the
  // model's check on what it returned, under its own alarm: a hang there
  // means `woken` is broken) and exits 0. The parent then waits, without
  // sleeping, until it sees the child asleep in one of `syscalls`
  // (/proc/PID/stat state S and /proc/PID/syscall's number; the state alone
  // where that file is missing), under the step's alarm; a child that
  // returns before it was seen blocked breaks `blocks` (if its own check
  // passed). `child_code` may call install_handler(SIG, RESTART) first (a
  // handler that tells the parent it ran, with or without SA_RESTART).
  // Children left at the end are killed and reaped; a child dies with the
  // parent (PR_SET_PDEATHSIG).
  void ForkBlocked(int b, const std::string& title, const std::string& child_code,
                   const std::vector<long>& syscalls, const std::string& blocks,
                   const std::string& woken);
  // The parent waits (again) until blocked child `b` sleeps in one of
  // `syscalls`: after a signal whose handler has SA_RESTART, the call is
  // restarted and sleeps again. A child that ends instead is reaped: its
  // check's verdict (exit 1) stands; exit 0 breaks `blocks`.
  void AwaitBlocked(int b, const std::string& title, const std::vector<long>& syscalls,
                    const std::string& blocks);
  // kill(child, sig) into the blocked call, then wait until the child's
  // handler has run (install_handler's acknowledgement; bounded).
  void SignalBlocked(int b, int sig, const std::string& title);
  // The parent waits for blocked child `b` to return from its call and exit
  // (a deadline: a hang breaks `woken`); exit 1 is its check's broken promise.
  void AwaitChild(int b, const std::string& title, const std::string& woken);
  // kill(child, sig) at this point while it is blocked, then reap it: it
  // must die of the signal.
  void KillBlocked(int b, int sig, const std::string& title);

  // Forgets the steps recorded so far in this case (helpers, includes and
  // the prologue stay): for a case that sweeps independent scenarios (kill
  // points, each on a fresh object) and keeps only the one being run, so
  // that a failing case's reproducer is that scenario alone. (Likewise a
  // property whose rounds each open a fresh instance of the Kind.)
  void DropSteps() { steps_.clear(); }

  // The index for the next ForkBlocked of this case (0, 1, ...).
  int NextBlocked() const {
    int n = 0;
    for (const auto& s : steps_) n = std::max(n, s.blocked + 1);
    return n;
  }

  // A step of this case cannot be printed as C (a forked blocked call the
  // emitter has no form for yet): the case gets no reproducer, and the
  // failure says why, rather than a reproducer that leaves a step out.
  void Unprintable(const std::string& why) {
    if (unprintable_.empty()) unprintable_ = why;
  }
  const std::string& unprintable() const { return unprintable_; }

  bool empty() const { return steps_.empty(); }
  size_t steps() const { return steps_.size(); }

  struct Header {
    std::string test;         // Kinds/StreamSuite.ModelSequences/pipe
    std::string kind;         // pipe
    std::string kind_description;
    std::string property;     // ByteStream.ModelSequences
    std::string cites;
    std::string failure;      // ipcspec's failure message (first lines), or ""
    std::string rerun;        // the bazel command that found it
  };
  std::string Render(const Header& h, const CSnippet& kind) const;

 private:
  struct Item;
  // The C of a blocked-child item (ForkBlocked ...).
  std::string RenderBlocked(const Item& s, const std::string& title) const;
  struct Item {
    enum class Type {
      kStep,
      kFork,
      kChildStep,
      kChildExit,
      kKill,
      kChildStart,
      kChildBlocked,
      kChildAwait
    } type;
    int idx = -1;
    int sig = 0;
    std::string title, code, hang;
    // The blocked-child forms (ForkBlocked ...): which child, the calls it
    // must be seen asleep in, and the promise "it blocks".
    int blocked = -1;
    std::vector<long> syscalls = {};
    std::string blocks = "";
    enum class BType { kNone, kFork, kAwaitBlocked, kSignal, kAwaitChild, kKill } btype =
        BType::kNone;
  };
  std::set<std::string> includes_, libs_;
  std::vector<std::pair<std::string, std::string>> helpers_;
  std::string prologue_;
  std::string unprintable_;
  std::vector<Item> steps_;
};

// The recording of the case being run, or null (no Session, or the Kind
// cannot print itself).
Recording* Active();

// One property of one Kind.
class Session {
 public:
  Session(Recording::Header header, CSnippet kind);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Begins a case (a fresh recording); EndCase keeps it as the last failing
  // or the last passing case.
  void BeginCase();
  void EndCase(bool failed);

  // After the property: on failure writes the reproducer of the last failing
  // case (the shrunk counterexample) and returns the line for the failure
  // message ("Reproducer (standalone C, N step(s)): PATH ..."), or why there
  // is none. With IPCSPEC_REPRO=always a passing property writes its longest
  // printable case too; IPCSPEC_REPRO=off records and writes nothing. Empty
  // when passed and not asked for.
  std::string Finish(bool passed, const std::string& failure_message);

  static Session* Current();
  Recording* recording() { return current_.get(); }

  // A property whose model prints a Kind that does not print itself for
  // every model (tcp_loopback: impl/inet/tcp_loopback_c.h) gives the Kind's
  // C here, before its first case.
  void UseKind(CSnippet kind) { kind_ = std::move(kind); }

 private:
  Recording::Header header_;
  CSnippet kind_;
  std::unique_ptr<Recording> current_, last_failing_, last_passing_;
  Session* previous_;
};

// Wraps a property body: each run of it is a case of the current Session.
// A case that throws a rapidcheck failure (or any other exception) is a
// failing case; a discarded one (RC_PRE) is neither. Costs nothing without a
// Session.
template <typename Body>
auto Recorded(Body body) {
  return [body]() {
    Session* s = Session::Current();
    if (s == nullptr) return body();
    s->BeginCase();
    try {
      body();
    } catch (const rc::detail::CaseResult& r) {
      if (r.type != rc::detail::CaseResult::Type::Discard) s->EndCase(true);
      throw;
    } catch (...) {
      s->EndCase(true);
      throw;
    }
    s->EndCase(false);
  };
}

// Where reproducers go: $IPCSPEC_REPRO_DIR, $TEST_UNDECLARED_OUTPUTS_DIR,
// $TEST_TMPDIR, or /tmp.
std::string OutputDir();

}  // namespace ipcspec::repro
