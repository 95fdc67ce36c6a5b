#include "longpoll/session_token.hpp"

#include <set>
#include <vector>
#include <string>

#include <doctest/doctest.h>

using phx::detail::session_token;

namespace {

const std::string secret(64, 'a');

} // namespace

TEST_CASE("a signed session id verifies, and ids are fresh and random") {
  session_token tokens{secret};
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    auto id = session_token::new_session_id();
    CHECK(id.size() == 16);
    ids.insert(id);
    auto token = tokens.sign(id);
    auto back = tokens.verify(token);
    REQUIRE(back.has_value());
    CHECK(*back == id);
    // URL-safe as it is: it travels in a query string.
    CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789-_.")
          == std::string::npos);
  }
  CHECK(ids.size() == 100);
  // Signing is deterministic: the same id, the same token.
  auto id = session_token::new_session_id();
  CHECK(tokens.sign(id) == tokens.sign(id));
}

TEST_CASE("a token signed with another secret does not verify") {
  session_token ours{secret};
  session_token theirs{std::string(64, 'b')};
  auto id = session_token::new_session_id();
  CHECK_FALSE(ours.verify(theirs.sign(id)).has_value());
  CHECK_FALSE(theirs.verify(ours.sign(id)).has_value());
  // The same secret elsewhere (another node) verifies it.
  CHECK(session_token{secret}.verify(ours.sign(id)) == id);
}

TEST_CASE("altered, forged and malformed tokens do not verify") {
  session_token tokens{secret};
  auto id = session_token::new_session_id();
  auto token = tokens.sign(id);
  auto dot = token.find('.');
  REQUIRE(dot != std::string::npos);
  // Every single changed character of the id part or of the MAC is caught.
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (i == dot)
      continue;
    auto altered = token;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    CHECK_MESSAGE(!tokens.verify(altered).has_value(), altered);
  }
  // Another id with the MAC of this one.
  auto other = tokens.sign(session_token::new_session_id());
  CHECK_FALSE(tokens.verify(other.substr(0, other.find('.')) + token.substr(dot)).has_value());
  for (const std::string& bad : std::vector<std::string>{"", ".", "abc", "abc.", ".abc", "a.b.c", token + ".", token + "=",
                          token.substr(0, dot), "%%%." + token.substr(dot + 1),
                          token.substr(0, token.size() - 1), std::string(300, 'A') + "." +
                            token.substr(dot + 1)})
    CHECK_MESSAGE(!tokens.verify(bad).has_value(), bad);
}

TEST_CASE("generated secrets differ") {
  auto a = session_token::generate_secret();
  auto b = session_token::generate_secret();
  CHECK(a.size() >= 32);
  CHECK(a != b);
}
