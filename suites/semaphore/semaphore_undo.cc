// UndoOnExitAsClaimed: a child's posts and trywaits, then its exit or
// SIGKILL; its operations are undone if and only if the Kind claims undo.

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <sstream>
#include <string>
#include <vector>

#include "impl/core/checkpoint.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "rapidcheck.h"
#include "suites/semaphore/semaphore_suite.h"

namespace ipcspec {
namespace semaphore_suite {
namespace {

struct UndoReport {
  std::array<std::atomic<int32_t>, 8> err{};
};

}  // namespace

PropertyOutcome RunUndoOnExitAsClaimed(const SemaphoreKind& kind) {
  // The child only works before CheckValue looks, and is dead at the end.
  ValueReadingScope reading(kind, /*alone=*/true);
  const bool undo = kind.caps.undo_on_exit;
  auto report_or = SharedObject<UndoReport>::Create();
  if (!report_or.ok()) return SetupFailure("shared memory", report_or.error());
  SharedObject<UndoReport> report = std::move(report_or).ValueOrDie();
  return RunProperty(CurrentTestId(), repro::Recorded([&] {
    const int base = Pick(rc::gen::inRange(0, 4));
    // 'p': post, 't': trywait.
    const std::string ops = *rc::gen::container<std::string>(
        Pick(rc::gen::inRange(1, 7)), rc::gen::element('p', 't'));
    const bool killed = *rc::gen::arbitrary<bool>();

    auto inst = kind.Open();
    SEM_EXPECT(inst.ok(), "open " << kind.name << ": " << inst.error());
    SemPrelude();
    SemaphoreInstance sem = std::move(inst).ValueOrDie();
    for (int i = 0; i < base; ++i) {
      if (repro::Active() != nullptr) {
        RecordStep("post (the start value " + std::to_string(base) + ")",
                   CCall("sem_c_post()", 0, kCitePost, "post at value " + std::to_string(i)),
                   "a post returns at once");
      }
      PosixError e = sem->Post();
      SEM_EXPECT(e.ok(), "post: " << e);
    }
    // What the child's operations do, by the counter model.
    long v = base;
    std::vector<int> want;
    for (char op : ops) {
      if (op == 'p') {
        want.push_back(0);
        ++v;
      } else if (v > 0) {
        want.push_back(0);
        --v;
      } else {
        want.push_back(EAGAIN);
      }
    }
    for (auto& e : report->err) e.store(-1);
    auto cp_or = Checkpoint::Create();
    SEM_EXPECT(cp_or.ok(), "checkpoint: " << cp_or.error());
    Checkpoint cp = std::move(cp_or).ValueOrDie();
    repro::Recording* rec = repro::Active();
    if (rec != nullptr) {
      rec->Fork(0, "fork(a child that posts and trywaits)", "");
      std::string code;
      long cv = base;
      for (size_t i = 0; i < ops.size(); ++i) {
        const std::string what = std::string("the child's ") + (ops[i] == 'p' ? "post" : "trywait") +
                                 " #" + std::to_string(i) + " at value " + std::to_string(cv);
        code += ops[i] == 'p' ? CCall("sem_c_post()", want[i], kCitePost, what)
                              : CCall("sem_c_trywait()", want[i],
                                      want[i] == 0 ? kCiteTake : kCiteNeverNegative, what);
        cv += ops[i] == 'p' ? 1 : (want[i] == 0 ? -1 : 0);
      }
      rec->ChildStep(0, "child: \"" + ops + "\" (p: post, t: trywait)", code,
                     "posts and trywaits return at once");
    }
    Semaphore* s = sem.get();
    UndoReport* rep = report.get();
    auto child_or = Child::Fork([&, s, rep] {
      for (size_t i = 0; i < ops.size(); ++i) {
        PosixError e = ops[i] == 'p' ? s->Post() : s->TryWait();
        rep->err[i].store(e.errno_value());
      }
      cp.Signal(1);
      if (killed) {
        for (;;) pause();
      }
      // Alive until the parent has looked at the value.
      return cp.WaitFor(2, Deadline::Default()).ok() ? 0 : 1;
    });
    SEM_EXPECT(child_or.ok(), "fork: " << child_or.error());
    Child child = std::move(child_or).ValueOrDie();
    PosixError w = cp.WaitFor(1, Deadline::Default());
    SEM_EXPECT(w.ok(), "the child did not finish its operations: " << w);
    for (size_t i = 0; i < ops.size(); ++i) {
      int got = rep->err[i].load();
      SEM_EXPECT(got == want[i], "the child's " << (ops[i] == 'p' ? "post" : "trywait") << " #"
                                                << i << " ended with " << Errno(got)
                                                << ", expected " << Errno(want[i]));
    }
    CheckValue(*sem, v, "the child's operations (it is still alive: nothing is undone yet)");
    cp.Signal(2);
    if (rec != nullptr) {
      if (killed) {
        rec->Kill(0, SIGKILL, "kill(the child, SIGKILL)");
      } else {
        rec->ChildExit(0, "the child exits");
      }
    }
    auto st = killed ? child.KillAndWait() : child.Wait(Deadline::Default());
    SEM_EXPECT(st.ok(), "waiting for the child: " << st.error());
    SEM_EXPECT(killed ? st.value().KilledBy(SIGKILL) : st.value().ExitedWith(0),
               "the child ended: " << st.value());

    long expect = undo ? base : v;
    if (rec != nullptr) {
      std::ostringstream c;
      c << "{\n  long v = -1;\n  int e = sem_c_value(&v);\n"
        << "  if (e != 0) { errno = e; setup_failed(\"reading the value\"); }\n"
        << "  if (v != " << expect << ")\n    broken("
        << repro::Lit(std::string(kCiteUndo) +
                      (undo ? " (every operation has SEM_UNDO: the child's are undone)"
                            : " (no SEM_UNDO: the child's operations stay)"))
        << ",\n           "
        << repro::Lit("started at " + std::to_string(base) + ", a child did \"" + ops +
                      "\" (value " + std::to_string(v) + ") and was " +
                      (killed ? "killed by SIGKILL" : "exited") + "; now the value is %ld, expected " +
                      std::to_string(expect))
        << ", v);\n}\n";
      rec->Step("check the value after the child's end", c.str(),
                "reading the value returns at once");
    }
    auto got = kind.caps.reports_value ? sem->Value() : DrainValue(*sem, std::max<long>(base, v) + 2);
    SEM_EXPECT(got.ok(), "value: " << got.error());
    SEM_EXPECT(got.value() == expect,
               "started at " << base << ", a child did \"" << ops << "\" (value " << v
                             << ") and was " << (killed ? "killed by SIGKILL" : "exited")
                             << "; now the value is " << got.value() << ", expected " << expect
                             << (undo ? " (the Kind claims SEM_UNDO: its operations are undone)"
                                      : " (the Kind claims no undo: they stay)")
                             << ": " << kCiteUndo);
  }));
}

}  // namespace semaphore_suite
}  // namespace ipcspec
