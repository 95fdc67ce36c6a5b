#include "query_params.hpp"

#include <doctest/doctest.h>

using phx::json;
using phx::detail::decode_base64;
using phx::detail::parse_query;

TEST_CASE("query strings become Phoenix params") {
  CHECK(parse_query("") == json::object());
  CHECK(parse_query("user_id=7&vsn=2.0.0") == json{{"user_id", "7"}, {"vsn", "2.0.0"}});
  CHECK(parse_query("a=hello+world&b=%C3%A9%26") == json{{"a", "hello world"}, {"b", "é&"}});
  // phoenix.js serialises a null param as an empty segment.
  CHECK(parse_query("user_id=7&nested%5Ba%5D=1&&vsn=2.0.0")
        == json{{"user_id", "7"}, {"nested", {{"a", "1"}}}, {"vsn", "2.0.0"}});
  CHECK(parse_query("list[]=x&list[]=y") == json{{"list", {"x", "y"}}});
  CHECK(parse_query("a[b][c]=d") == json{{"a", {{"b", {{"c", "d"}}}}}});
  CHECK(parse_query("flag") == json{{"flag", ""}});
}

TEST_CASE("the authToken subprotocol is standard base64 without padding") {
  CHECK(decode_base64("czNjcjN0") == std::optional<std::string>{"s3cr3t"});
  CHECK(decode_base64("YQ") == std::optional<std::string>{"a"});
  CHECK(decode_base64("YQ==") == std::optional<std::string>{"a"});
  CHECK(decode_base64("not base64!") == std::nullopt);
  CHECK(decode_base64("Y") == std::nullopt);
}
