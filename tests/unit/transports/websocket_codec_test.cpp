#include "websocket_codec.hpp"

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
