#include "http/origin_policy.hpp"

#include <optional>
#include <string>

#include <doctest/doctest.h>

using phx::detail::origin_policy;
using phx::detail::parse_origin;

namespace {

origin_policy policy(const std::string& spec) {
  std::string error;
  auto p = origin_policy::parse(spec, error);
  REQUIRE_MESSAGE(p, spec, ": ", error);
  CHECK(error.empty());
  return *p;
}

// The parse error for `spec`, or "" when it parsed.
std::string parse_error(const std::string& spec) {
  std::string error;
  auto p = origin_policy::parse(spec, error);
  if (p)
    return "";
  CHECK_FALSE(error.empty());
  return error.empty() ? "(empty error)" : error;
}

} // namespace

TEST_CASE("parse_origin takes an Origin or a Host header apart") {
  auto o = parse_origin("HTTPS://Example.COM:8443", true);
  REQUIRE(o);
  CHECK(o->scheme == "https");
  CHECK(o->host == "example.com");
  CHECK(o->port == std::optional<unsigned>{8443});
  auto no_port = parse_origin("http://example.com", true);
  REQUIRE(no_port);
  CHECK(no_port->port == std::nullopt);
  auto v6 = parse_origin("http://[::1]:4000", true);
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == std::optional<unsigned>{4000});
  auto host = parse_origin("127.0.0.1:4000", false);
  REQUIRE(host);
  CHECK(host->scheme.empty());
  CHECK(host->host == "127.0.0.1");
  CHECK(host->port == std::optional<unsigned>{4000});
  auto host_v6 = parse_origin("[::1]:4000", false);
  REQUIRE(host_v6);
  CHECK(host_v6->host == "::1");
  for (auto bad : {"null", "file://", "", "http://", "example.com", "http://[::1",
                   "http://::1:4000", "http://a.com:99999", "http://a.com:4x", "http://a b.com"}) {
    CHECK_FALSE_MESSAGE(parse_origin(bad, true), bad);
  }
}

TEST_CASE("host mode (the default): the Origin's host must be the Host header's") {
  for (auto& p : {origin_policy{}, policy("host"), policy(""), policy("  host ")}) {
    CHECK(p.allows(std::nullopt, "127.0.0.1:4000")); // no Origin: not a browser
    CHECK(p.allows("http://127.0.0.1:4000", "127.0.0.1:4000"));
    // Scheme and port are not compared (a TLS proxy that keeps Host).
    CHECK(p.allows("https://127.0.0.1", "127.0.0.1:4000"));
    CHECK(p.allows("http://localhost:5173", "localhost:4000"));
    CHECK_FALSE(p.allows("http://evil.example", "127.0.0.1:4000"));
    CHECK_FALSE(p.allows("http://127.0.0.1.evil.example:4000", "127.0.0.1:4000"));
    CHECK_FALSE(p.allows("http://evil.example", "evil.example.com"));
    // Origins without a host.
    CHECK_FALSE(p.allows("null", "127.0.0.1:4000"));
    CHECK_FALSE(p.allows("file://", "127.0.0.1:4000"));
    CHECK_FALSE(p.allows("", "127.0.0.1:4000"));
    // Host names compare without case.
    CHECK(p.allows("http://LOCALHOST:4000", "localhost:4000"));
    CHECK(p.allows("http://localhost:4000", "LocalHost:4000"));
    // IPv6 literals, bracketed in both.
    CHECK(p.allows("http://[::1]:4000", "[::1]:4000"));
    CHECK_FALSE(p.allows("http://[::2]:4000", "[::1]:4000"));
    // A missing or broken Host header matches nothing.
    CHECK_FALSE(p.allows("http://localhost:4000", ""));
  }
}

TEST_CASE("off: every origin passes") {
  auto p = policy("off");
  CHECK(p.allows(std::nullopt, "127.0.0.1:4000"));
  CHECK(p.allows("http://evil.example", "127.0.0.1:4000"));
  CHECK(p.allows("null", "127.0.0.1:4000"));
  CHECK(p.allows("", ""));
}

TEST_CASE("a list: //host allows that host with any scheme and port") {
  auto p = policy("//example.com");
  CHECK(p.allows(std::nullopt, "anything"));
  CHECK(p.allows("http://example.com", "127.0.0.1:4000"));
  CHECK(p.allows("https://example.com", "127.0.0.1:4000"));
  CHECK(p.allows("https://example.com:8443", "127.0.0.1:4000"));
  CHECK(p.allows("http://EXAMPLE.com:3000", "127.0.0.1:4000"));
  CHECK_FALSE(p.allows("http://www.example.com", "127.0.0.1:4000"));
  CHECK_FALSE(p.allows("http://example.com.evil", "127.0.0.1:4000"));
  CHECK_FALSE(p.allows("http://127.0.0.1:4000", "127.0.0.1:4000")); // the list, not Host, decides
  CHECK_FALSE(p.allows("null", "127.0.0.1:4000"));
  CHECK_FALSE(p.allows("file://", "127.0.0.1:4000"));
}

TEST_CASE("a list: scheme://host fixes the scheme and its default port") {
  auto p = policy("https://example.com");
  CHECK(p.allows("https://example.com", "h"));
  CHECK(p.allows("https://example.com:443", "h"));
  CHECK_FALSE(p.allows("https://example.com:8443", "h"));
  CHECK_FALSE(p.allows("http://example.com", "h"));
  CHECK_FALSE(p.allows("http://example.com:443", "h"));
  auto http = policy("http://example.com");
  CHECK(http.allows("http://example.com", "h"));
  CHECK(http.allows("http://example.com:80", "h"));
  CHECK_FALSE(http.allows("http://example.com:8080", "h"));
  CHECK_FALSE(http.allows("https://example.com", "h"));
}

TEST_CASE("a list: //host:port fixes the port only") {
  auto p = policy("//example.com:8080");
  CHECK(p.allows("http://example.com:8080", "h"));
  CHECK(p.allows("https://example.com:8080", "h"));
  CHECK_FALSE(p.allows("http://example.com", "h"));
  CHECK_FALSE(p.allows("http://example.com:8081", "h"));
  auto fixed = policy("https://example.com:8443");
  CHECK(fixed.allows("https://example.com:8443", "h"));
  CHECK_FALSE(fixed.allows("https://example.com", "h"));
}

TEST_CASE("a list: //*.host allows the host and its subdomains, nothing else") {
  auto p = policy("//*.example.com");
  CHECK(p.allows("https://example.com", "h"));
  CHECK(p.allows("https://a.example.com", "h"));
  CHECK(p.allows("http://a.b.example.com:1234", "h"));
  CHECK(p.allows("http://A.Example.COM", "h"));
  CHECK_FALSE(p.allows("https://prefix-example.com", "h"));
  CHECK_FALSE(p.allows("https://example.com.evil", "h"));
  CHECK_FALSE(p.allows("https://xexample.com", "h"));
  CHECK_FALSE(p.allows("https://com", "h"));
  auto wss = policy("https://*.example.org");
  CHECK(wss.allows("https://a.example.org", "h"));
  CHECK_FALSE(wss.allows("http://a.example.org", "h"));
}

TEST_CASE("a list of several entries, comma-separated, spaces allowed") {
  auto p = policy(" //example.com , https://other.example:8443,//*.third.test ");
  CHECK(p.allows("http://example.com:1", "h"));
  CHECK(p.allows("https://other.example:8443", "h"));
  CHECK_FALSE(p.allows("http://other.example:8443", "h"));
  CHECK_FALSE(p.allows("https://other.example", "h"));
  CHECK(p.allows("http://x.third.test", "h"));
  CHECK_FALSE(p.allows("http://evil.example", "h"));
  // An empty item between commas is skipped.
  auto gaps = policy("//a.test,,//b.test,");
  CHECK(gaps.allows("http://a.test", "h"));
  CHECK(gaps.allows("http://b.test", "h"));
}

TEST_CASE("specifications that do not parse are errors") {
  for (auto bad : {"//", "//a*b.com", ",", " , , ", "//*.", "//*", "//a.*.com", "//exa mple.com",
                   "https://", "//example.com:port", "//example.com:70000", "://example.com"}) {
    CHECK_MESSAGE(!parse_error(bad).empty(), bad);
  }
  // A good entry does not excuse a bad one.
  CHECK_FALSE(parse_error("//example.com,//a*b.com").empty());
  CHECK(parse_error("//example.com").empty());
  CHECK(parse_error("off").empty());
  CHECK(parse_error("host").empty());
}
