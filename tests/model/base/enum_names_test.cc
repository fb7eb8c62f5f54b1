#include "model/base/enum_names.h"

#include <gtest/gtest.h>

#include <array>

namespace qsa::base {
namespace {

enum class Fruit { kApple, kPear, kPlum, kFig };

// kFig is deliberately left out: a value the table does not list.
constexpr auto kFruitNames = MakeEnumNames<Fruit>(
    {{Fruit::kPear, "pear"}, {Fruit::kApple, "apple"}, {Fruit::kPlum, "plum"}});

// The lookups work at compile time.
static_assert(kFruitNames.Name(Fruit::kPlum) == "plum");
static_assert(kFruitNames.Parse("pear") == Fruit::kPear);
static_assert(kFruitNames.size() == 3);

TEST(EnumNamesTest, NameOfEachValue) {
  EXPECT_EQ(kFruitNames.Name(Fruit::kApple), "apple");
  EXPECT_EQ(kFruitNames.Name(Fruit::kPear), "pear");
  EXPECT_EQ(kFruitNames.Name(Fruit::kPlum), "plum");
  EXPECT_EQ(kFruitNames.Name(Fruit::kFig), "?");
  EXPECT_EQ(kFruitNames.Name(static_cast<Fruit>(42)), "?");
}

TEST(EnumNamesTest, ParseIsExact) {
  EXPECT_EQ(kFruitNames.Parse("apple"), Fruit::kApple);
  EXPECT_EQ(kFruitNames.Parse("plum"), Fruit::kPlum);
  EXPECT_EQ(kFruitNames.Parse("fig"), std::nullopt);
  EXPECT_EQ(kFruitNames.Parse("Apple"), std::nullopt);
  EXPECT_EQ(kFruitNames.Parse("apple "), std::nullopt);
  EXPECT_EQ(kFruitNames.Parse(""), std::nullopt);
  EXPECT_EQ(kFruitNames.Parse("?"), std::nullopt);
}

TEST(EnumNamesTest, ValuesAndIterationKeepTableOrder) {
  EXPECT_EQ(kFruitNames.Values(),
            (std::array<Fruit, 3>{Fruit::kPear, Fruit::kApple, Fruit::kPlum}));
  std::string names;
  for (const EnumName<Fruit>& e : kFruitNames) names += std::string(e.name) + ";";
  EXPECT_EQ(names, "pear;apple;plum;");
}

TEST(EnumNamesTest, JoinUsesTheLastSeparatorBeforeTheLastName) {
  EXPECT_EQ(kFruitNames.Join(", ", " or "), "pear, apple or plum");
  EXPECT_EQ(kFruitNames.Join(", ", ", "), "pear, apple, plum");
  EXPECT_EQ(kFruitNames.Join(", ", " or ", [](Fruit f) { return f != Fruit::kApple; }),
            "pear or plum");
  EXPECT_EQ(kFruitNames.Join(", ", " or ", [](Fruit f) { return f == Fruit::kPlum; }), "plum");
  EXPECT_EQ(kFruitNames.Join(", ", " or ", [](Fruit) { return false; }), "");
}

}  // namespace
}  // namespace qsa::base
