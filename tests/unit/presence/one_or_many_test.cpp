#include "one_or_many.hpp"

#include <utility>
#include <vector>

#include <doctest/doctest.h>

using phx::detail::one_or_many;

namespace {

using ref = std::pair<int, int>; // two words, (0, 0) being none

std::vector<ref> items(const one_or_many<ref>& l) {
  std::vector<ref> out;
  l.for_each([&](const ref& x) { out.push_back(x); });
  return out;
}

} // namespace

TEST_CASE("one_or_many keeps insertion order, inline first, and is empty again when emptied") {
  one_or_many<ref> l;
  CHECK(l.empty());
  CHECK(l.size() == 0);
  CHECK_FALSE(l.erase({1, 1}));
  l.push_back({1, 1});
  CHECK(l.size() == 1);
  CHECK(l[0] == ref{1, 1});
  l.push_back({2, 2});
  l.push_back({3, 3});
  CHECK(items(l) == std::vector<ref>{{1, 1}, {2, 2}, {3, 3}});
  CHECK(l[2] == ref{3, 3});
  CHECK_FALSE(l.erase({4, 4}));

  SUBCASE("erasing the first moves the second up") {
    CHECK(l.erase({1, 1}));
    CHECK(items(l) == std::vector<ref>{{2, 2}, {3, 3}});
    CHECK(l.erase({2, 2}));
    CHECK(l.erase({3, 3}));
    CHECK(l.empty());
    l.push_back({5, 5});
    CHECK(items(l) == std::vector<ref>{{5, 5}});
  }
  SUBCASE("erasing from the middle and the end") {
    CHECK(l.erase({2, 2}));
    CHECK(items(l) == std::vector<ref>{{1, 1}, {3, 3}});
    CHECK(l.erase({3, 3}));
    CHECK(items(l) == std::vector<ref>{{1, 1}});
    CHECK(l.erase({1, 1}));
    CHECK(l.empty());
    CHECK(l.size() == 0);
  }
}

TEST_CASE("one_or_many is no bigger than a vector of two-word elements") {
  CHECK(sizeof(one_or_many<std::pair<void*, long>>) == sizeof(std::vector<std::pair<void*, long>>));
}
