// The verdict engine's parser and judge (verdict/README.md), on planted
// entries: a failure must match its entry's signature to be expected, a
// tabled test that passes is a stale entry, a skip must name its need; for an
// environment table and a library table alike.
#include "impl/verdict/verdict.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/checkpoint.h"
#include "impl/core/property.h"
#include "impl/verdict/reproducers.h"
#include "impl/verdict/table.h"

namespace ipcspec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<TableEntry> Parse(bool library, const std::string& text) {
  TableParse p = ParseTable(library ? "zeromq" : "gvisor", library, "t.tsv", text);
  EXPECT_EQ(p.error, "");
  return p.entries;
}

std::string ParseError(const std::string& text) {
  return ParseTable("gvisor", false, "t.tsv", text).error;
}

TEST(Table, ParsesEntriesAndSkipsComments) {
  auto e = Parse(false,
                 "# comment\n\nPosixMq.*\t*\tdocumented\tfails\terrno:ENOSYS OR crash\tno mq\t"
                 "gVisor issue 136\t*\n"
                 "Signal.X\t-\tfinding\tflaky(3/100)\ttext:EAGAIN at 33\tcap 32\t"
                 "observed: ci/matrix.sh --env gvisor\tversion>=20240729,kernel<6.1\n");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].origin, "t.tsv:3");
  EXPECT_EQ(e[0].alternatives.size(), 2u);
  EXPECT_FALSE(e[0].finding);
  EXPECT_TRUE(e[1].finding);
  EXPECT_TRUE(e[1].flaky);
  EXPECT_EQ(e[1].flaky_failures, 3);
  EXPECT_EQ(e[1].flaky_runs, 100);
  EXPECT_EQ(e[1].bounds.size(), 2u);
}

TEST(Table, RejectsMalformedLinesNamingFileAndLine) {
  EXPECT_THAT(ParseError("a\t*\tdocumented\tfails\terrno:ENOSYS\tr\ts\n"),
              HasSubstr("t.tsv:1: expected 8 tab-separated fields"));
  EXPECT_THAT(ParseError("a\t*\tdocumented\tfails\terrno:ENOSYS\tr\t \t*\n"),
              HasSubstr("'source' is empty"));
  EXPECT_THAT(ParseError("a\t*\tknown\tfails\terrno:ENOSYS\tr\ts\t*\n"), HasSubstr("class must be"));
  EXPECT_THAT(ParseError("a\t*\tdocumented\tmay_fail\terrno:ENOSYS\tr\ts\t*\n"),
              HasSubstr("expect must be"));
  EXPECT_THAT(ParseError("a\t*\tdocumented\tflaky(5/3)\terrno:ENOSYS\tr\tobserved: x\t*\n"),
              HasSubstr("expect must be"));
  EXPECT_THAT(ParseError("a\t*\tdocumented\tflaky(1/3)\terrno:ENOSYS\tr\ta paper\t*\n"),
              HasSubstr("observed"));
  EXPECT_THAT(ParseError("a\t*\tdocumented\tfails\terrno:ENOTANERRNO\tr\ts\t*\n"),
              HasSubstr("no errno name"));
  EXPECT_THAT(ParseError("a\t*\tdocumented\tfails\tsometimes\tr\ts\t*\n"),
              HasSubstr("must be errno:ENAME"));
  EXPECT_THAT(ParseError("a\t*\tdocumented\tfails\tre:([\tr\ts\t*\n"),
              HasSubstr("bad regular expression"));
  EXPECT_THAT(ParseError("a\t*\tdocumented\tfails\thang\tr\ts\tkernel<=6.1\n"),
              HasSubstr("operator"));
  EXPECT_THAT(ParseError("a\t*\tdocumented\tfails\thang\tr\ts\truntime>=1\n"),
              HasSubstr("key must be"));
}

TEST(Table, SignaturesSeenInAFailure) {
  EXPECT_THAT(SignaturesSeen("mq_send(...) failed: ENOSYS (Function not implemented); not EAGAIN"),
              ElementsAre("errno:ENOSYS", "errno:EAGAIN"));
  EXPECT_THAT(SignaturesSeen("hung: no result within the deadline of 60 s"), ElementsAre("hang"));
  EXPECT_THAT(SignaturesSeen("the child was killed by SIGSEGV"), ElementsAre("crash"));
  EXPECT_THAT(SignaturesSeen("killed by SIGKILL, as planned; XENOSYS, ENOSYSX"), ElementsAre());
}

TEST(Table, VersionsCompareNumerically) {
  EXPECT_LT(CompareVersions("6.1.0-28-amd64", "6.12"), 0);
  EXPECT_EQ(CompareVersions("6.1", "6.1.0"), 0);
  EXPECT_GT(CompareVersions("20240729.0", "20240101"), 0);
  auto e = Parse(false, "a\t*\tdocumented\tfails\thang\tr\ts\tkernel>=5.10,kernel<6.1\n");
  EXPECT_TRUE(VersionsHold(e[0], "5.10.0-30-amd64", ""));
  EXPECT_FALSE(VersionsHold(e[0], "6.1.0-28-amd64", ""));
  EXPECT_FALSE(VersionsHold(e[0], "4.4.0", ""));
}

TestFacts Failed(const std::string& test, const std::string& msg) {
  TestFacts t;
  t.test = test;
  t.failed = true;
  t.failure = msg;
  return t;
}

TestFacts Passed(const std::string& test) {
  TestFacts t;
  t.test = test;
  return t;
}

Judgement JudgeOn(const TestFacts& t, const std::vector<TableEntry>& e,
                  const std::string& env = "gvisor", bool ignore = false) {
  return Judge(t, e, env, "6.1.0", "", ignore);
}

// Environment table: the planted entry expects ENOSYS from PosixMq.Send.
const char kEnvTable[] =
    "PosixMq.Send\t*\tdocumented\tfails\terrno:ENOSYS\tno mq\tgVisor issue 136\t*\n"
    "Pipe.Flaky\t*\tfinding\tflaky(2/50)\ttext:short read\tsometimes\tobserved: x\t*\n"
    "Old.Kernel\t*\tdocumented\tfails\terrno:EINVAL\told\tman 2 x\tkernel<5.0\n";

TEST(Judge, EnvironmentFailureWithTheTabledSignatureIsExpected) {
  auto e = Parse(false, kEnvTable);
  Judgement j = JudgeOn(Failed("PosixMq.Send", "mq_send: ENOSYS"), e);
  EXPECT_EQ(j.outcome, Outcome::kXfail);
  ASSERT_NE(j.entry, nullptr);
  EXPECT_EQ(j.entry->origin, "t.tsv:1");
  EXPECT_FALSE(OutcomeFailsRun(j));
}

TEST(Judge, EnvironmentFailureWithAnotherSignatureIsAFinding) {
  auto e = Parse(false, kEnvTable);
  Judgement j = JudgeOn(Failed("PosixMq.Send", "hung: no result within the deadline"), e);
  EXPECT_EQ(j.outcome, Outcome::kFail);
  ASSERT_EQ(j.unmatched.size(), 1u);
  EXPECT_THAT(j.note, HasSubstr("expects errno:ENOSYS"));
  EXPECT_THAT(j.note, HasSubstr("hang"));
  EXPECT_TRUE(OutcomeFailsRun(j));
}

// An entry explains a failed assertion, not a test: a second assertion of
// the same test that fails for another reason is a finding, even though the
// first matches the signature.
TEST(Judge, EveryFailedAssertionMustMatchASignature) {
  auto e = Parse(false, kEnvTable);
  TestFacts t = Failed("PosixMq.Send", "a.cc:1\nmq_send: ENOSYS\na.cc:2\nwrong order");
  t.failures = {"a.cc:1\nmq_send: ENOSYS", "a.cc:2\nwrong order"};
  Judgement j = JudgeOn(t, e);
  EXPECT_EQ(j.outcome, Outcome::kFail);
  EXPECT_THAT(j.note, HasSubstr("1 of 2 failures match no table entry's signature"));
  EXPECT_THAT(j.note, HasSubstr("wrong order"));
  EXPECT_TRUE(OutcomeFailsRun(j));
  // Both assertions showing the tabled errno: expected.
  t.failures = {"a.cc:1\nmq_send: ENOSYS", "a.cc:2\nmq_receive: ENOSYS"};
  t.failure = t.failures[0] + "\n" + t.failures[1];
  EXPECT_EQ(JudgeOn(t, e).outcome, Outcome::kXfail);
}

TEST(Judge, EnvironmentEntryWhoseTestPassesIsStale) {
  auto e = Parse(false, kEnvTable);
  Judgement j = JudgeOn(Passed("PosixMq.Send"), e);
  EXPECT_EQ(j.outcome, Outcome::kXpass);
  EXPECT_THAT(j.note, HasSubstr("stale"));
  EXPECT_TRUE(OutcomeFailsRun(j));
}

TEST(Judge, AnotherEnvironmentsTableDoesNotApply) {
  auto e = Parse(false, kEnvTable);
  EXPECT_EQ(JudgeOn(Failed("PosixMq.Send", "ENOSYS"), e, "host").outcome, Outcome::kFail);
  EXPECT_EQ(JudgeOn(Passed("PosixMq.Send"), e, "host").outcome, Outcome::kPass);
}

// IPCSPEC_ENV=own,base: an environment's own table and the one it inherits.
TEST(Judge, EveryTableOfAListOfEnvironmentsApplies) {
  auto e = Parse(false, kEnvTable);
  for (const char* env : {"mine,gvisor", "gvisor,mine", "gvisor"})
    EXPECT_EQ(JudgeOn(Failed("PosixMq.Send", "mq_send: ENOSYS"), e, env).outcome, Outcome::kXfail)
        << env;
  for (const char* env : {"mine,host", "gvis,or", "", ",", "gvisor2"})
    EXPECT_EQ(JudgeOn(Failed("PosixMq.Send", "mq_send: ENOSYS"), e, env).outcome, Outcome::kFail)
        << env;
}

TEST(Judge, FlakyEntryAllowsAPassButNotAnotherFailure) {
  auto e = Parse(false, kEnvTable);
  EXPECT_EQ(JudgeOn(Passed("Pipe.Flaky"), e).outcome, Outcome::kPass);
  EXPECT_EQ(JudgeOn(Failed("Pipe.Flaky", "a short read of 3"), e).outcome, Outcome::kXfail);
  EXPECT_EQ(JudgeOn(Failed("Pipe.Flaky", "EPIPE"), e).outcome, Outcome::kFail);
}

TEST(Judge, VersionRangesLimitAnEntry) {
  auto e = Parse(false, kEnvTable);
  // kernel 6.1.0 is outside "kernel<5.0": the entry does not apply.
  EXPECT_EQ(JudgeOn(Failed("Old.Kernel", "EINVAL"), e).outcome, Outcome::kFail);
  EXPECT_EQ(JudgeOn(Passed("Old.Kernel"), e).outcome, Outcome::kPass);
}

TEST(Judge, IgnoringTablesShowsTheRawBehaviour) {
  auto e = Parse(false, kEnvTable);
  EXPECT_EQ(JudgeOn(Failed("PosixMq.Send", "ENOSYS"), e, "gvisor", true).outcome, Outcome::kFail);
  EXPECT_EQ(JudgeOn(Passed("PosixMq.Send"), e, "gvisor", true).outcome, Outcome::kPass);
}

// Library table: entries name Interface.Property and the library's Kinds.
const char kLibTable[] =
    "MessageQueue.CapacityLimits\tzeromq_push_*\tdocumented\tfails\ttext:blocks at the "
    "high-water mark\tPUSH blocks\tman zmq_socket\t*\n";

TestFacts LibFacts(bool failed, const std::string& msg, const std::string& kind = "zeromq_push_ipc") {
  TestFacts t;
  t.test = "Kinds/MessageQueueSuite.CapacityLimits/" + kind;
  t.property = "MessageQueue.CapacityLimits";
  t.kind = kind;
  t.library = "zeromq";
  t.failed = failed;
  t.failure = msg;
  return t;
}

TEST(Judge, LibraryFailureWithTheTabledSignatureIsExpected) {
  auto e = Parse(true, kLibTable);
  EXPECT_EQ(JudgeOn(LibFacts(true, "send blocks at the high-water mark"), e).outcome,
            Outcome::kXfail);
}

TEST(Judge, LibraryFailureWithAnotherSignatureIsAFinding) {
  auto e = Parse(true, kLibTable);
  Judgement j = JudgeOn(LibFacts(true, "crashed: the property's child killed by SIGSEGV"), e);
  EXPECT_EQ(j.outcome, Outcome::kFail);
  EXPECT_EQ(j.unmatched.size(), 1u);
}

TEST(Judge, LibraryEntryWhosePropertyPassesIsStale) {
  auto e = Parse(true, kLibTable);
  EXPECT_EQ(JudgeOn(LibFacts(false, ""), e).outcome, Outcome::kXpass);
}

TEST(Judge, LibraryEntryCoversOnlyItsKindsAndLibrary) {
  auto e = Parse(true, kLibTable);
  EXPECT_EQ(JudgeOn(LibFacts(true, "blocks at the high-water mark", "zeromq_pair_ipc"), e).outcome,
            Outcome::kFail);
  TestFacts other = LibFacts(true, "blocks at the high-water mark");
  other.library = "nng";
  EXPECT_EQ(JudgeOn(other, e).outcome, Outcome::kFail);
}

TEST(Judge, SkipsNameTheirNeedOrAreUndeclared) {
  TestFacts t;
  t.test = "Pipe.X";
  t.skipped = true;
  t.skip_message = "suites/pipe/x.cc:12\nunmet need: cap:CAP_SYS_RESOURCE: CapEff=0";
  Judgement j = JudgeOn(t, {});
  EXPECT_EQ(j.outcome, Outcome::kSkip);
  EXPECT_EQ(j.need, "cap:CAP_SYS_RESOURCE");
  EXPECT_FALSE(OutcomeFailsRun(j));
  t.skip_message = "not applicable: pipe: the Kind is not atomic";
  EXPECT_EQ(JudgeOn(t, {}).outcome, Outcome::kNotApplicable);
  t.skip_message = "no CAP_SYS_RESOURCE here";
  j = JudgeOn(t, {});
  EXPECT_EQ(j.need, "undeclared");
  EXPECT_TRUE(OutcomeFailsRun(j));
}

TEST(Judge, ABrokenSetUpIsBrokenEvenWhenTabled) {
  auto e = Parse(false, kEnvTable);
  Judgement j =
      JudgeOn(Failed("PosixMq.Send", std::string(kBrokenMarker) + "unshare: ENOSYS"), e);
  EXPECT_EQ(j.outcome, Outcome::kBroken);
  EXPECT_TRUE(OutcomeFailsRun(j));
}

// A property that fails because a harness deadline passed in its failing
// case (here a Checkpoint never reached: the property only sees ETIMEDOUT)
// is a hang for the selftest (PropertyOutcome::hang) and for the verdict
// engine alike (its message shows signature `hang`), so that a `hang` entry
// matches it and an errno entry does not.
TEST(PropertyHang, AHarnessDeadlineInTheFailingCaseIsAHangEverywhere) {
  auto cp = Checkpoint::Create();
  ASSERT_TRUE(cp.ok()) << cp.error();
  PropertyOutcome o = RunProperty(
      "PropertyHang.Checkpoint",
      [&] {
        PosixError e = cp.value().WaitFor(1, Deadline::In(std::chrono::milliseconds(1)));
        RC_ASSERT(e.ok());
      },
      /*max_cases=*/1, /*shrink=*/false);
  ASSERT_FALSE(o.passed);
  EXPECT_FALSE(o.broken);
  EXPECT_TRUE(o.hang);
  EXPECT_THAT(SignaturesSeen(o.message), ::testing::Contains("hang")) << o.message;
  auto e = Parse(false, "T.*\t*\tdocumented\tfails\thang\ttimes out\tsrc\t*\n"
                        "T.*\t*\tdocumented\tfails\terrno:EINVAL\twrong errno\tsrc\t*\n");
  EXPECT_TRUE(SignatureMatches(e[0], o.message)) << o.message;
  EXPECT_FALSE(SignatureMatches(e[1], o.message)) << o.message;
}

// ETIMEDOUT that a property measures (a timed call that timed out, no
// harness deadline passed) is the property's own verdict, not a hang.
TEST(PropertyHang, AnEtimedoutResultWithoutAHarnessDeadlineIsNoHang) {
  PropertyOutcome o = RunProperty(
      "PropertyHang.Measured", [] { RC_FAIL("sem_timedwait: ETIMEDOUT before the post"); },
      /*max_cases=*/1, /*shrink=*/false);
  ASSERT_FALSE(o.passed);
  EXPECT_FALSE(o.hang);
  EXPECT_THAT(SignaturesSeen(o.message), ElementsAre("errno:ETIMEDOUT")) << o.message;
}

// The links of containers/probes/findings.tsv are compiled in: a failing test
// of a recorded finding names its hand-written reproducer (issue 17).
TEST(Reproducers, AFindingsTestNamesItsHandWrittenReproducer) {
  auto links = ReproducersFor("SysvMsg.LongMessageIsE2bigWithoutMsgNoerrorAndTruncatedWithIt", "", "");
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].name, "msgrcv_overrun");
  EXPECT_EQ(links[0].table, "containers/divergences/gvisor.tsv");
  const std::string lines = ReproducerLines(links);
  EXPECT_THAT(lines, ::testing::HasSubstr("ipcspec reproducer: containers/probes/msgrcv_overrun.c"));
  EXPECT_THAT(lines, ::testing::HasSubstr("cc -o msgrcv_overrun msgrcv_overrun.c && ./msgrcv_overrun"));
}

TEST(Reproducers, KindAndPropertyPatternsSelectTheRows) {
  // A row keyed by a Kind pattern applies to that Kind only.
  bool any_kind_row = false;
  for (const auto& l : ReproducersFor("Kinds/UnixLife.PollOutAfterShutdownWrFollowsRoom/stream_pair", "",
                                      "stream_pair")) {
    any_kind_row = any_kind_row || l.name == "unix_pollout_after_shutdown_wr";
  }
  EXPECT_TRUE(any_kind_row);
  EXPECT_TRUE(ReproducersFor("NoSuchSuite.NoSuchTest", "", "").empty());
  EXPECT_EQ(ReproducerLines({}), "");
}

}  // namespace
}  // namespace ipcspec
