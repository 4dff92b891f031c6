// The stream suite tests itself: every broken ByteStream Kind in
// impl/mutants/stream must be caught by some stream property.
#include "gtest/gtest.h"
#include "suites/common/selftest.h"
#include "suites/stream/stream_properties.h"

namespace ipcspec {
namespace {

TEST(StreamSelftest, EveryMutantIsCaught) { ExpectEveryMutantCaught(StreamProperties()); }

}  // namespace
}  // namespace ipcspec
