#include "websocket/websocket_codec.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace ws = phx::detail::ws;

namespace {

// Builds a masked client frame, as browsers send them.
std::string client_frame(ws::opcode op, const std::string& payload, bool fin = true) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<int>(op)));
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i)
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> (8 * i)) & 0xFF));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  out.append(mask, 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    out.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return out;
}

struct recorder {
  std::vector<std::pair<std::string, bool>> messages;
  std::vector<std::string> pings;
  std::vector<std::optional<std::uint16_t>> closes;
  void on_message(std::string&& data, bool binary) { messages.emplace_back(std::move(data), binary); }
  void on_ping(std::string&& payload) { pings.push_back(std::move(payload)); }
  void on_close(std::optional<std::uint16_t> code) { closes.push_back(code); }
};

} // namespace

TEST_CASE("masked frames are unmasked, whatever way the bytes are split") {
  std::string big(70000, 'x');
  auto bytes = client_frame(ws::opcode::text, "[1,2]") + client_frame(ws::opcode::binary, "\x01\x02")
               + client_frame(ws::opcode::text, std::string(300, 'y')) + client_frame(ws::opcode::text, big);
  for (std::size_t step : {bytes.size(), std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    ws::frame_reader reader{1 << 20};
    recorder r;
    bool failed = false;
    for (std::size_t i = 0; i < bytes.size() && !failed; i += step)
      failed = reader.feed(bytes.data() + i, std::min(step, bytes.size() - i), r).has_value();
    REQUIRE_FALSE(failed);
    REQUIRE(r.messages.size() == 4);
    CHECK(r.messages[0] == std::make_pair(std::string{"[1,2]"}, false));
    CHECK(r.messages[1] == std::make_pair(std::string{"\x01\x02"}, true));
    CHECK(r.messages[2].first == std::string(300, 'y'));
    CHECK(r.messages[3].first == big);
    CHECK_FALSE(reader.holds_partial_frame());
  }
}

TEST_CASE("fragments are reassembled, with control frames between them") {
  ws::frame_reader reader{1024};
  recorder r;
  auto bytes = client_frame(ws::opcode::text, "[1,", false) + client_frame(ws::opcode::ping, "p")
               + client_frame(ws::opcode::continuation, "2]");
  REQUIRE_FALSE(reader.feed(bytes.data(), bytes.size(), r));
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0].first == "[1,2]");
  CHECK(r.pings == std::vector<std::string>{"p"});
}

TEST_CASE("a close frame stops parsing and reports its code") {
  ws::frame_reader reader{1024};
  recorder r;
  auto bytes = client_frame(ws::opcode::close, std::string{"\x03\xe8", 2}) + client_frame(ws::opcode::text, "late");
  REQUIRE_FALSE(reader.feed(bytes.data(), bytes.size(), r));
  REQUIRE(r.closes.size() == 1);
  CHECK(r.closes[0] == std::optional<std::uint16_t>{1000});
  CHECK(r.messages.empty());
}

TEST_CASE("protocol violations are errors with the right close code") {
  auto error_of = [](const std::string& bytes, std::size_t max = 100) {
    ws::frame_reader reader{max};
    recorder r;
    auto err = reader.feed(bytes.data(), bytes.size(), r);
    return err ? static_cast<int>(err->code) : 0;
  };
  CHECK(error_of(client_frame(ws::opcode::text, std::string(101, 'a'))) == 1009);
  CHECK(error_of(client_frame(ws::opcode::text, "a", false) + client_frame(ws::opcode::continuation, std::string(100, 'b'))) == 1009);
  std::string unmasked = "\x81\x01" "a";
  CHECK(error_of(unmasked) == 1002);
  auto rsv = client_frame(ws::opcode::text, "a");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  CHECK(error_of(rsv) == 1002);
  CHECK(error_of(client_frame(ws::opcode::continuation, "a")) == 1002);
  CHECK(error_of(client_frame(ws::opcode::ping, std::string(126, 'p'))) == 1002);
  CHECK(error_of(client_frame(static_cast<ws::opcode>(3), "a")) == 1002);
  // The size bound is checked from the header alone: nothing oversized is buffered.
  auto header_only = client_frame(ws::opcode::text, std::string(5000, 'z')).substr(0, 8);
  CHECK(error_of(header_only, 1000) == 1009);
}

TEST_CASE("server frame headers use the shortest length form") {
  std::uint8_t h[ws::max_header_size];
  CHECK(ws::encode_header(ws::opcode::text, 5, h) == 2);
  CHECK(h[0] == 0x81);
  CHECK(h[1] == 5);
  CHECK(ws::encode_header(ws::opcode::binary, 300, h) == 4);
  CHECK(h[0] == 0x82);
  CHECK(h[1] == 126);
  CHECK(((h[2] << 8) | h[3]) == 300);
  CHECK(ws::encode_header(ws::opcode::close, 70000, h) == 10);
  CHECK(h[1] == 127);
  CHECK(ws::close_payload(phx::close_code::going_away, "bye") == std::string{"\x03\xe9" "bye", 5});
}

TEST_CASE("wire_size counts the header encode_header writes") {
  std::uint8_t h[ws::max_header_size];
  for (std::size_t size : {0, 1, 125, 126, 0xFFFF, 0x10000, 1 << 20})
    CHECK(ws::wire_size(size) == ws::encode_header(ws::opcode::text, size, h) + size);
}

namespace {

std::string close_body(std::uint16_t code, const std::string& reason = "") {
  std::string out{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  return out + reason;
}

// Feeds one client close frame with `body`: the error code (0 for none) and
// what on_close saw.
struct close_outcome {
  int error = 0;
  std::vector<std::optional<std::uint16_t>> closes;
};

close_outcome feed_close(const std::string& body) {
  ws::frame_reader reader{1024};
  recorder r;
  auto bytes = client_frame(ws::opcode::close, body) + client_frame(ws::opcode::text, "late");
  auto err = reader.feed(bytes.data(), bytes.size(), r);
  CHECK(r.messages.empty()); // parsing stops at the close frame either way
  return {err ? static_cast<int>(err->code) : 0, r.closes};
}

} // namespace

TEST_CASE("is_valid_close_code: 1000-1003, 1007-1014 and 3000-4999 only") {
  for (int code = 0; code <= 0xFFFF; ++code) {
    bool expected = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014)
                    || (code >= 3000 && code <= 4999);
    CAPTURE(code);
    CHECK(ws::is_valid_close_code(static_cast<std::uint16_t>(code)) == expected);
  }
}

TEST_CASE("check_close_payload: empty, or a valid code and a UTF-8 reason") {
  CHECK_FALSE(ws::check_close_payload(""));
  CHECK_FALSE(ws::check_close_payload(close_body(1000)));
  CHECK_FALSE(ws::check_close_payload(close_body(4000, "bye \xc3\xa9")));
  auto one_byte = ws::check_close_payload(std::string(1, '\x03'));
  REQUIRE(one_byte);
  CHECK(one_byte->code == phx::close_code::protocol_error);
  auto bad_code = ws::check_close_payload(close_body(1005));
  REQUIRE(bad_code);
  CHECK(bad_code->code == phx::close_code::protocol_error);
  CHECK(bad_code->why.find("1005") != std::string::npos);
  auto bad_reason = ws::check_close_payload(close_body(1000, "\xc3\x28"));
  REQUIRE(bad_reason);
  CHECK(bad_reason->code == phx::close_code::invalid_payload);
  // A bad code is reported as such even with a bad reason.
  auto both = ws::check_close_payload(close_body(999, "\xff"));
  REQUIRE(both);
  CHECK(both->code == phx::close_code::protocol_error);
}

TEST_CASE("a close frame with a one-byte body is a protocol error (1002)") {
  // Every byte, including those that would start a valid code (0x03, 0x0F).
  for (int b = 0; b <= 0xFF; ++b) {
    CAPTURE(b);
    auto out = feed_close(std::string(1, static_cast<char>(b)));
    CHECK(out.error == 1002);
    CHECK(out.closes.empty());
    auto direct = ws::check_close_payload(std::string(1, static_cast<char>(b)));
    REQUIRE(direct);
    CHECK(direct->code == phx::close_code::protocol_error);
  }
}

TEST_CASE("a close frame with a reserved or out-of-range code is a protocol error (1002)") {
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    CAPTURE(code);
    auto out = feed_close(close_body(code));
    CHECK(out.error == 1002);
    CHECK(out.closes.empty());
    CHECK(feed_close(close_body(code, "reason")).error == 1002);
  }
}

TEST_CASE("a close frame with a valid code reports it to on_close") {
  for (std::uint16_t code : {1000, 1001, 1003, 1007, 1011, 1012, 3000, 4999}) {
    CAPTURE(code);
    auto out = feed_close(close_body(code));
    CHECK(out.error == 0);
    CHECK(out.closes == std::vector<std::optional<std::uint16_t>>{code});
    auto with_reason = feed_close(close_body(code, "going \xe2\x82\xac"));
    CHECK(with_reason.error == 0);
    CHECK(with_reason.closes == std::vector<std::optional<std::uint16_t>>{code});
  }
}

TEST_CASE("a close reason that is not UTF-8 is invalid payload (1007)") {
  auto out = feed_close(close_body(1000, "\xc3\x28"));
  CHECK(out.error == 1007);
  CHECK(out.closes.empty());
  CHECK(feed_close(close_body(3000, "ok\xed\xa0\x80")).error == 1007);
  CHECK(feed_close(close_body(1001, "\xe2\x82")).error == 1007);
}

TEST_CASE("a close frame without a body reports no code") {
  auto out = feed_close("");
  CHECK(out.error == 0);
  CHECK(out.closes == std::vector<std::optional<std::uint16_t>>{std::nullopt});
}

TEST_CASE("an invalid close body is found however the frame is split") {
  auto bytes = client_frame(ws::opcode::text, "[1]") + client_frame(ws::opcode::close, close_body(1005));
  ws::frame_reader reader{1024};
  recorder r;
  std::optional<ws::protocol_error> err;
  for (std::size_t i = 0; i < bytes.size() && !err; ++i)
    err = reader.feed(bytes.data() + i, 1, r);
  REQUIRE(err);
  CHECK(err->code == phx::close_code::protocol_error);
  CHECK(r.messages.size() == 1);
  CHECK(r.closes.empty());
}
