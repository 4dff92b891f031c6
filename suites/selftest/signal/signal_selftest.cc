// The SignalQueue suite tests itself: every broken SignalQueue Kind in
// impl/mutants/signal must be caught by some SignalQueue property.
#include "gtest/gtest.h"
#include "suites/common/selftest.h"
#include "suites/signal/signal_snapshot.h"
#include "suites/signal_queue/signal_queue_properties.h"

namespace ipcspec {
namespace {

class SignalSelftest : public SignalStateChecked<::testing::Test> {};

TEST_F(SignalSelftest, EveryMutantIsCaught) { ExpectEveryMutantCaught(SignalQueueProperties()); }

}  // namespace
}  // namespace ipcspec
