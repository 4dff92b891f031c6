// The EINTR table: what a blocked call does when a signal handler runs, with
// and without SA_RESTART, for every blocking call the suites use.
//
// The table is data, in one place (eintr_table.cc), each row with the man 7
// signal sentence it comes from ("Interruption of system calls and library
// functions by signal handlers"). eintr_test runs every row both ways with a
// real signal delivered while a child is seen blocked in the call, and prints
// the table with what this environment did.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "impl/core/posix_error.h"

namespace ipcspec {

enum class Interrupted {
  kRestarted,     // the call goes on after the handler and completes normally
  kFailsEintr,    // the call fails with EINTR
  kPartialCount,  // the call returns the count transferred before the signal
  kSucceedsEarly, // the call succeeds early with what is left (sleep(3): the seconds remaining)
};
const char* ToString(Interrupted i);

// One blocking call, set up so that a child blocks in it.
class BlockingCall {
 public:
  virtual ~BlockingCall() = default;
  // In the parent, before the fork: make the objects, fill what must be full.
  virtual PosixError Setup() = 0;
  // In the child: the blocking call. Returns its result, or -errno.
  virtual long Call() = 0;
  // In the parent, while the child is blocked (after a restart): make the
  // call able to complete (data, space, a post, a writer).
  virtual PosixError Complete() = 0;
  // In the parent, after the child returned `ret`: "" when no data was lost
  // or duplicated, else what was wrong.
  virtual std::string CheckAfter(long ret, Interrupted outcome) { return ""; }
  // In the parent, after Setup: why the call cannot be made to block in this
  // environment (getrandom(2) once the entropy pool is initialised), else
  // nullopt. Such a row is "not reproducible here": counted, never a pass.
  virtual std::optional<std::string> NotReproducible() { return std::nullopt; }
  // false when nothing the parent does can end the call (a sleep, pause(2)):
  // once it is seen asleep in the call again, the child is killed instead.
  virtual bool Completable() { return true; }
};

struct EintrRow {
  std::string call;            // "read(2) on an empty pipe"
  std::string man_sentence;    // the sentence of man 7 signal the row rests on
  std::vector<long> syscalls;  // what the blocked child is seen in
  Interrupted with_sa_restart;
  Interrupted without_sa_restart;
  std::function<std::unique_ptr<BlockingCall>()> make;
  std::string note;            // where Linux or glibc differ from POSIX, with evidence
  // Set where this environment does otherwise than the page: what the page
  // says (with, without SA_RESTART); the row's own outcomes are what Linux and
  // glibc did, and `note` holds the evidence. The table prints it as a
  // divergence from the page.
  std::optional<std::pair<Interrupted, Interrupted>> page = std::nullopt;
};

const std::vector<EintrRow>& EintrTable();

// man 7 signal, "Interruption of system calls and library functions by stop
// signals": a child blocked in the call, with no handler installed, is
// stopped (SIGSTOP) and continued (SIGCONT). kFailsEintr: the call fails with
// EINTR; kRestarted: it goes on as if nothing happened.
struct StopRow {
  std::string call;
  std::string man_sentence;
  std::vector<long> syscalls;
  Interrupted after_stop;
  std::function<std::unique_ptr<BlockingCall>()> make;
  std::string note;
  std::optional<Interrupted> page = std::nullopt;  // as EintrRow::page
};

const std::vector<StopRow>& StopSignalTable();

}  // namespace ipcspec
