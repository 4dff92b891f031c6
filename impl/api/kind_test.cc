#include "impl/api/kind.h"

#include "gtest/gtest.h"
#include "impl/api/byte_stream.h"

namespace ipcspec {
namespace {

struct ToyInterface {
  struct Caps {
    int x = 0;
  };
  using Instance = int;
  static constexpr const char* kName = "Toy";
};

TEST(KindRegistry, KeepsMutantsApartAndSortsByName) {
  auto& r = KindRegistry<ToyInterface>::Get();
  r.Add({"b_kind", "toy", "second", {}, [] { return PosixErrorOr<int>(2); }});
  r.Add({"a_kind", "toy", "first", {}, [] { return PosixErrorOr<int>(1); }});
  Kind<ToyInterface> m{"broken", "toy", "mutant", {}, [] { return PosixErrorOr<int>(0); }};
  m.mutant = true;
  r.Add(m);
  auto kinds = r.Kinds();
  ASSERT_EQ(kinds.size(), 2u);
  EXPECT_EQ(kinds[0].name, "a_kind");
  EXPECT_EQ(kinds[1].name, "b_kind");
  ASSERT_EQ(r.Mutants().size(), 1u);
  EXPECT_EQ(r.Mutants()[0].name, "broken");
  EXPECT_EQ(r.Find("a_kind")->Open().value(), 1);
  EXPECT_EQ(r.Find("nope"), nullptr);
}

TEST(KindRegistry, RejectsNamesUnusableInAFilter) {
  EXPECT_TRUE(IsValidKindName("pipe2_nonblock"));
  EXPECT_FALSE(IsValidKindName("pipe-2"));
  EXPECT_FALSE(IsValidKindName("a/b"));
  EXPECT_FALSE(IsValidKindName(""));
  EXPECT_DEATH(KindRegistry<ToyInterface>::Get().Add(
                   {"bad name", "toy", "", {}, [] { return PosixErrorOr<int>(0); }}),
               "bad Toy Kind name");
}

TEST(KindRegistry, RejectsDuplicates) {
  auto& r = KindRegistry<ToyInterface>::Get();
  r.Add({"dup", "toy", "", {}, [] { return PosixErrorOr<int>(0); }});
  EXPECT_DEATH(r.Add({"dup", "toy", "", {}, [] { return PosixErrorOr<int>(0); }}),
               "registered twice");
}

}  // namespace
}  // namespace ipcspec
