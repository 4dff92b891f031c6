// The Counter suite tests itself: every broken Counter Kind in
// impl/mutants/eventfd must be caught by some Counter property.
#include "gtest/gtest.h"
#include "suites/common/selftest.h"
#include "suites/eventfd/counter_properties.h"

namespace ipcspec {
namespace {

TEST(CounterSelftest, EveryMutantIsCaught) { ExpectEveryMutantCaught(CounterProperties()); }

}  // namespace
}  // namespace ipcspec
