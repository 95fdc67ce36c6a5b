#include "phx/actors/topic_pattern.hpp"

#include <stdexcept>

#include <doctest/doctest.h>

TEST_CASE("an exact pattern matches only its topic") {
  phx::topic_pattern p{"lobby"};
  CHECK(p.matches("lobby"));
  CHECK_FALSE(p.matches("lobby:1"));
  CHECK_FALSE(p.matches("lobb"));
  CHECK_FALSE(p.matches(""));
}

TEST_CASE("a trailing '*' matches by prefix, as Phoenix does") {
  phx::topic_pattern p{"room:*"};
  CHECK(p.matches("room:1"));
  CHECK(p.matches("room:"));
  CHECK(p.matches("room:a:b"));
  CHECK_FALSE(p.matches("room"));
  CHECK_FALSE(p.matches("rooms:1"));
  phx::topic_pattern foo{"foo*"};
  CHECK(foo.matches("food:1"));
  phx::topic_pattern all{"*"};
  CHECK(all.matches("anything"));
}

TEST_CASE("patterns with '*' anywhere but last, or empty, are refused") {
  CHECK_THROWS_AS(phx::topic_pattern{"room:*:x"}, std::invalid_argument);
  CHECK_THROWS_AS(phx::topic_pattern{"*room"}, std::invalid_argument);
  CHECK_THROWS_AS(phx::topic_pattern{""}, std::invalid_argument);
}
