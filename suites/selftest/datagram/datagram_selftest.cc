// The Datagram suite tests itself: every broken Datagram Kind in
// impl/mutants/datagram must be caught by some Datagram property (each
// property cites its man page sentence: man 7 unix, man 7 udp, man 2 recv,
// man 2 send; see suites/datagram/datagram_properties.cc).
#include "gtest/gtest.h"
#include "suites/common/selftest.h"
#include "suites/datagram/datagram_properties.h"

namespace ipcspec {
namespace {

TEST(DatagramSelftest, EveryMutantIsCaught) { ExpectEveryMutantCaught(DatagramProperties()); }

}  // namespace
}  // namespace ipcspec
