// The verdict engine: judges every test of a binary against the tables of
// expected differences in force (impl/verdict/table.h) and writes one JSON
// record per test (verdict/README.md). test_main installs it; the binary's
// exit status comes from its verdicts.
//
// Outcomes: pass, fail (a finding), xfail (failed with a tabled signature),
// xpass (a "fails" entry covers it and it passed: the entry is stale), skip
// (an unmet need, named), n/a (the property does not apply to the Kind),
// broken (the test could not set up).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "impl/verdict/table.h"

namespace ipcspec {

// A failure message starting with this marks the test broken, not failed:
// it could not set up, so it is no verdict on the environment.
inline constexpr const char kBrokenMarker[] = "ipcspec broken: ";
// Skip messages (verdict/README.md). Any other skip is undeclared.
inline constexpr const char kUnmetNeedPrefix[] = "unmet need: ";
inline constexpr const char kNotApplicablePrefix[] = "not applicable: ";

// Says what the running test checks, for its record and for the tables: the
// interface property ("MessageQueue.CapacityLimits"), the Kind, the Kind's
// library (empty for a reference Kind) and the man page sentence. Called from
// the test body (suites/common/suite.h does it for every interface property).
void AnnotateTest(const std::string& property, const std::string& kind,
                  const std::string& library, const std::string& cites);

// Writes a record of the binary's own into the results file, beside the
// verdicts: {"record":RECORD,"test":"Suite.Test",NAME:"VALUE",...}, every
// value a string; "test" is the running test's unless `fields` names one.
// For what a report shows besides outcomes: eintr_test's "eintr" records,
// the EINTR table as this environment ran it. The reader
// (verdict/gather.py) accepts only the records it knows. No-op without the
// engine or a results file.
void WriteRecord(const std::string& record,
                 const std::vector<std::pair<std::string, std::string>>& fields);

enum class Outcome { kPass, kFail, kXfail, kXpass, kSkip, kNotApplicable, kBroken };
const char* OutcomeName(Outcome o);

struct TestFacts {
  std::string test;      // "Suite.Test"
  std::string property;  // "Interface.Property" or empty
  std::string kind;      // the Kind's name, or empty
  std::string library;   // the Kind's library, or empty
  bool failed = false;
  std::string failure;   // every failure message, joined
  // Each failure apart ("file:line\nmessage"): every one must match the
  // signature of a covering entry for an expected failure. Empty: `failure`
  // is one part.
  std::vector<std::string> failures;
  bool skipped = false;
  std::string skip_message;
};

struct Judgement {
  Outcome outcome = Outcome::kPass;
  std::vector<std::string> signature_seen;
  const TableEntry* entry = nullptr;       // the entry that explained it
  std::vector<const TableEntry*> unmatched;  // covered by name, signature differed
  std::string need;                        // for a skip: "cap:CAP_SYS_RESOURCE", "undeclared"
  std::string note;                        // one line for the log
};

// Judges one test against `entries` (only those whose table applies and
// whose versions hold are considered; `ignore_tables` considers none).
Judgement Judge(const TestFacts& t, const std::vector<TableEntry>& entries,
                const std::string& env, const std::string& kernel,
                const std::string& env_version, bool ignore_tables);

// Whether the outcome (and, for a skip, its need) fails the run.
bool OutcomeFailsRun(const Judgement& j);

// Installs the engine's listener. `results_path` empty: chosen from
// IPCSPEC_RESULTS_DIR or TEST_UNDECLARED_OUTPUTS_DIR (no file if neither).
void InstallVerdictEngine();
// How the run is isolated and how it detects blocked calls, for the run record
// (test_main says, from the sandbox and impl/core/blocked.h).
void DescribeRun(const std::string& isolation, const std::string& blocked_detection);
// The exit status of the binary: 1 when a verdict fails the run or gtest
// saw a failure no verdict explains, else 0.
int VerdictExitStatus(int gtest_status);

}  // namespace ipcspec
