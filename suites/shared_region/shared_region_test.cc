// Runs every SharedRegion property against every SharedRegion Kind linked in:
// Kinds/SharedRegionSuite.<Property>/<kind>. The properties, and the man page
// sentences they check, are in shared_region_properties.cc.
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "impl/api/shared_region.h"
#include "suites/common/suite.h"
#include "suites/shared_region/shared_region_properties.h"

namespace ipcspec {
namespace {

class SharedRegionSuite : public ::testing::TestWithParam<SharedRegionKind> {};

// man 2 shmop: "The same segment may be attached ... more than once, in the
// process's address space."; man 2 mmap MAP_SHARED.
TEST_P(SharedRegionSuite, AttachmentsAlias) {
  RunSuiteProperty(SharedRegionProperties(), "AttachmentsAlias", GetParam());
}

// man 2 mmap MAP_SHARED: "Updates to the mapping are visible to other
// processes mapping the same region"; man 7 sysvipc; man 7 shm_overview.
TEST_P(SharedRegionSuite, CrossProcessSharing) {
  RunSuiteProperty(SharedRegionProperties(), "CrossProcessSharing", GetParam());
}

// man 2 shmget (rounding, shm_segsz, zeroed), man 2 mmap NOTES (multiples of
// the page size), man 7 shm_overview (ftruncate / fstat).
TEST_P(SharedRegionSuite, SizeAndRounding) {
  RunSuiteProperty(SharedRegionProperties(), "SizeAndRounding", GetParam());
}

// man 2 shmctl IPC_RMID, man 3 shm_open (shm_unlink), man 2 mmap (closing the
// descriptor does not unmap).
TEST_P(SharedRegionSuite, RemoveKeepsAttachments) {
  RunSuiteProperty(SharedRegionProperties(), "RemoveKeepsAttachments", GetParam());
}

// man 3 shm_open: "a handle which can be used by unrelated processes";
// man 7 sysvipc: shmget obtains the ID of an existing segment.
TEST_P(SharedRegionSuite, AttachByHandle) {
  RunSuiteProperty(SharedRegionProperties(), "AttachByHandle", GetParam());
}

// man 7 shm_overview "Persistence"; man 2 shmop NOTES (_exit detaches);
// man 2 shmctl IPC_RMID.
TEST_P(SharedRegionSuite, OutlivesItsCreator) {
  RunSuiteProperty(SharedRegionProperties(), "OutlivesItsCreator", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, SharedRegionSuite,
                         ::testing::ValuesIn(KindRegistry<SharedRegionInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SharedRegionSuite);

// Keeps this file and the property list in step: every property has a
// TEST_P above, and every Kind the suite claims to cover is linked in.
TEST(SharedRegionSuiteList, EveryPropertyHasATest) {
  IPCSPEC_SKIP_IN_ADAPTER_BINARY();
  std::set<std::string> tests;
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* suite = unit->GetTestSuite(i);
    if (std::string(suite->name()) != "Kinds/SharedRegionSuite") continue;
    for (int j = 0; j < suite->total_test_count(); ++j) {
      std::string name = suite->GetTestInfo(j)->name();
      tests.insert(name.substr(0, name.find('/')));
    }
  }
  for (const auto& p : SharedRegionProperties()) {
    EXPECT_EQ(tests.count(p.name), 1u) << "property " << p.name << " has no TEST_P";
  }
  for (const char* k : {"sysv_shm", "posix_shm", "mmap_file", "mmap_anon_shared", "memfd"}) {
    EXPECT_NE(KindRegistry<SharedRegionInterface>::Get().Find(k), nullptr)
        << "Kind " << k << " is not linked into the suite";
  }
}

}  // namespace
}  // namespace ipcspec
