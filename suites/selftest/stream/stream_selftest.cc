// The stream suite tests itself: every broken ByteStream Kind in
// impl/mutants/stream must be caught by some stream property or scenario.
#include "faults/stream_scenarios.h"
#include "gtest/gtest.h"
#include "suites/common/selftest.h"
#include "suites/stream/stream_properties.h"

namespace ipcspec {
namespace {

// The stream properties and the stream fault scenarios together: a mutant
// that only misbehaves under faults (a broken retry loop) must be caught too.
TEST(StreamSelftest, EveryMutantIsCaught) {
  auto all = StreamProperties();
  const auto& faults = StreamFaultScenarios();
  all.insert(all.end(), faults.begin(), faults.end());
  ExpectEveryMutantCaught(all);
}

}  // namespace
}  // namespace ipcspec
