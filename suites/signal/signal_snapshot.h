// A snapshot of this process's signal state (mask, pending set, every
// disposition), so that a signal test can check it left the process exactly
// as it found it.
//
//   class MyTest : public SignalStateChecked<::testing::Test> {};
//
// fails a test, in TearDown, that leaves a signal pending, the mask changed or
// a disposition changed.
#pragma once

#include <signal.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ipcspec {

struct SignalSnapshot {
  sigset_t mask;
  sigset_t pending;
  // Handler (or SIG_DFL / SIG_IGN) and flags of signals 1 .. NSIG-1.
  std::vector<std::pair<void*, int>> actions;

  static SignalSnapshot Take();
  // "" when equal, else what changed.
  std::string DifferencesFrom(const SignalSnapshot& before) const;
};

template <typename Base>
class SignalStateChecked : public Base {
 protected:
  void SetUp() override {
    Base::SetUp();
    before_ = SignalSnapshot::Take();
  }
  void TearDown() override {
    std::string diff = SignalSnapshot::Take().DifferencesFrom(before_);
    EXPECT_EQ(diff, "") << "the test left this process's signal state changed (every signal "
                           "test must restore the mask and dispositions and take what it sent)";
    Base::TearDown();
  }

 private:
  SignalSnapshot before_;
};

}  // namespace ipcspec
