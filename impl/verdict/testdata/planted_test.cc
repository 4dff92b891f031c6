// Tests that pass, fail, skip and crash on purpose, judged against the planted
// tables testdata/planted.tsv (IPCSPEC_ENV=planted) and testdata/plantlib.tsv
// (library "plantlib"). verdict_engine_test.sh runs each with a filter and
// checks the outcome, the record and the exit status. Not a test on its own.
#include <cerrno>
#include <cstdlib>

#include "gtest/gtest.h"
#include "impl/verdict/verdict.h"

namespace ipcspec {
namespace {

TEST(Planted, MatchingFailure) { ADD_FAILURE() << "mq_send failed: ENOSYS (planted)"; }
TEST(Planted, OtherFailure) { ADD_FAILURE() << "mq_send failed: EPERM (planted)"; }
TEST(Planted, TabledButPasses) {}
TEST(Planted, FlakyPasses) {}
TEST(Planted, Passes) {}
TEST(Planted, DeclaredSkip) { GTEST_SKIP() << kUnmetNeedPrefix << "second-uid: planted"; }
TEST(Planted, UndeclaredSkip) { GTEST_SKIP() << "skipped for no declared reason"; }
TEST(Planted, NotApplicable) { GTEST_SKIP() << kNotApplicablePrefix << "planted"; }
TEST(Planted, Broken) { ADD_FAILURE() << kBrokenMarker << "planted set-up failure: ENOSYS"; }
TEST(Planted, Crashes) { std::abort(); }
// Killed by a signal, as its entry expects (signature `crash`): the reader
// judges it from the records the binary left (xfail).
TEST(Planted, CrashesAsTabled) { std::abort(); }
// Killed by a signal where its entry expects an errno: a finding.
TEST(Planted, CrashesOtherSignature) { std::abort(); }
// A library Kind's property that kills the binary: its entry (in the
// library's table, covering it by property and Kind) is known only from the
// annotate record.
TEST(Planted, LibraryCrashesAsTabled) {
  AnnotateTest("Queue.PlantedCrash", "plantlib_a", "plantlib", "man 7 planted");
  std::abort();
}

TEST(Planted, LibraryMatching) {
  AnnotateTest("Queue.Planted", "plantlib_a", "plantlib", "man 7 planted");
  ADD_FAILURE() << "blocks at the planted mark";
}
TEST(Planted, LibraryOtherSignature) {
  AnnotateTest("Queue.Planted", "plantlib_a", "plantlib", "man 7 planted");
  ADD_FAILURE() << "hung: no result within the deadline of 1 s";
}
TEST(Planted, LibraryStale) {
  AnnotateTest("Queue.Planted", "plantlib_a", "plantlib", "man 7 planted");
}

}  // namespace
}  // namespace ipcspec
