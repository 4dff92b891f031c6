// The main() of every ipcspec test binary: sets up the IPC sandbox once, then
// gives every test a fresh IPC namespace (and a fresh network namespace after
// a test that changed the sockets of its own) and audits it for leaks afterwards,
// and judges every test with the verdict engine (impl/verdict).
#include <cstdio>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/leak_audit.h"
#include "impl/core/property.h"
#include "impl/core/sandbox.h"
#include "impl/verdict/verdict.h"

namespace ipcspec {
namespace {

class SandboxAndAudit : public ::testing::EmptyTestEventListener {
 public:
  void OnTestProgramStart(const ::testing::UnitTest&) override {
    std::printf("ipcspec: isolation: %s; blocked-detection: %s\n",
                IpcSandbox::Get().Describe().c_str(), BlockedDetection().c_str());
  }
  void OnTestStart(const ::testing::TestInfo&) override {
    PosixError e = IpcSandbox::Get().EnterTest();
    if (!e.ok()) {
      // OnTestStart cannot fail a test: remember it for OnTestEnd.
      enter_error_ = e.ToString();
    }
    before_ = TakeInventory();
  }
  // gtest calls OnTestEnd in reverse order of registration, so this runs
  // before the result printers: a failure added here counts for the test.
  void OnTestEnd(const ::testing::TestInfo&) override {
    if (!enter_error_.empty()) {
      ADD_FAILURE() << kBrokenMarker << "the ipcspec sandbox could not isolate this test: "
                    << enter_error_;
      enter_error_.clear();
    }
    IpcInventory after = TakeInventory();
    // A test that changed its network namespace's sockets (or where that is
    // not known) hands the next test a fresh one.
    if (after.net_signature.empty() || after.net_signature != before_.net_signature) {
      IpcSandbox::Get().RenewNetworkNamespace();
    }
    std::vector<Leak> leaks = Leaks(before_, after);
    if (leaks.empty()) return;
    std::string text;
    for (const Leak& l : leaks) text += "  " + l.ToString() + "\n";
    std::vector<std::string> stuck = Reclaim(leaks);
    std::string stuck_text;
    for (const auto& s : stuck) stuck_text += "  " + s + "\n";
    ADD_FAILURE() << "ipcspec leak audit: the test left " << leaks.size()
                  << " object(s) behind (each must have an owner that removes it):\n"
                  << text
                  << (stuck.empty() ? "" : "and could not remove:\n" + stuck_text);
  }
  void OnTestProgramEnd(const ::testing::UnitTest& u) override {
    std::printf("ipcspec-stats: tests=%d rapidcheck_cases=%llu\n", u.test_to_run_count(),
                static_cast<unsigned long long>(RapidcheckCasesRun()));
  }

 private:
  IpcInventory before_;
  std::string enter_error_;
};

}  // namespace
}  // namespace ipcspec

int main(int argc, char** argv) {
  // Before gtest or anything else can start a thread.
  ipcspec::IpcSandbox::Get().InitProcess();
  ::testing::InitGoogleMock(&argc, argv);
  // The verdict engine before the audit: gtest calls OnTestEnd in reverse
  // order of registration, so the engine judges after the audit has added
  // its failures.
  ipcspec::DescribeRun(ipcspec::IpcSandbox::Get().Describe(), ipcspec::BlockedDetection());
  ipcspec::InstallVerdictEngine();
  ::testing::UnitTest::GetInstance()->listeners().Append(new ipcspec::SandboxAndAudit());
  // The exit status comes from the verdicts (verdict/README.md): an expected
  // failure does not fail the binary, a stale entry or a finding does.
  return ipcspec::VerdictExitStatus(RUN_ALL_TESTS());
}
