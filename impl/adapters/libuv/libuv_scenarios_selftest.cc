// Every libuv scenario check catches its mutant (libuv_scenarios.h), for the
// reason it exists: a check that cannot fail is a defect.
#include <iostream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/adapters/libuv/libuv_scenarios.h"

namespace ipcspec {
namespace {

using ::testing::HasSubstr;

void ExpectCaught(const std::string& why, const char* reason) {
  std::cout << "caught: " << why << "\n";
  EXPECT_THAT(why, HasSubstr(reason));
}

TEST(LibuvScenarioMutants, WrongDescriptorSentIsCaught) {
  ExpectCaught(CheckWrite2PassesADescriptor(Sabotage::kSendWrongDescriptor),
               "is not the pipe that was sent");
}
TEST(LibuvScenarioMutants, LeakedDescriptorIsCaught) {
  ExpectCaught(CheckWrite2ErrorsLeakNothing(Sabotage::kLeakADescriptor),
               "1 descriptor(s) left open");
}
TEST(LibuvScenarioMutants, ReadFailingEintrIsCaught) {
  ExpectCaught(CheckSignalIntoBlockedRead(Sabotage::kRawReadGivesEintr), "returned EINTR");
}
TEST(LibuvScenarioMutants, WriteFailingEintrIsCaught) {
  ExpectCaught(CheckSignalIntoBlockedWrite(Sabotage::kRawWriteGivesEintr), "the write failed EINTR");
}
TEST(LibuvScenarioMutants, WriterHidingEpipeIsCaught) {
  ExpectCaught(CheckReaderKilledUnderBlockedWrite(Sabotage::kWriterIgnoresError),
               "ended with success");
}

TEST(LibuvScenarioMutants, RemovedLongPathIsCaught) {
  std::string observed;
  ExpectCaught(CheckBindPathAndClose(Sabotage::kBindTruncatedPath, &observed), "libuv changed");
}

}  // namespace
}  // namespace ipcspec
