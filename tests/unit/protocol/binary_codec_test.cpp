#include "phx/protocol/binary_codec.hpp"

#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

namespace codec = phx::binary_codec;

namespace {

// "00 02 03" -> the bytes.
std::string hex(std::string_view text) {
  std::string out;
  std::string digits;
  for (char c : text)
    if (c != ' ')
      digits.push_back(c);
  for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

} // namespace

// The vectors of Phoenix's own serializer tests: join_ref "12", ref "123",
// topic "topic", event "event", payload 0x65 0x66 0x67.
TEST_CASE("a client push decodes as Phoenix's test vector says") {
  std::string error;
  auto push = codec::decode_push(hex("00 02 03 05 05 3132 313233 746f706963 6576656e74 656667"),
                                 error);
  REQUIRE(push);
  CHECK(push->join_ref == "12");
  CHECK(push->ref == "123");
  CHECK(push->topic == "topic");
  CHECK(push->event == "event");
  CHECK(push->payload == "efg");
}

TEST_CASE("server frames encode as Phoenix's test vectors say") {
  CHECK(codec::encode_push("12", "topic", "event", "efg") ==
        hex("00 02 05 05 3132 746f706963 6576656e74 656667"));
  CHECK(codec::encode_reply("12", "123", "topic", "ok", "efg") ==
        hex("01 02 03 05 02 3132 313233 746f706963 6f6b 656667"));
  CHECK(codec::encode_broadcast("topic", "event", "efg") ==
        hex("02 05 05 746f706963 6576656e74 656667"));
}

TEST_CASE("payloads are bytes: zeros and invalid UTF-8 pass, empty fields stand for null") {
  std::string bytes{"\x00\xff\xfe\x00", 4};
  auto frame = codec::encode_push("", "t", "e", bytes);
  CHECK(frame.size() == 4 + 2 + 4);
  std::string error;
  auto client = std::string{"\x00\x00\x00\x01\x01", 5} + "te" + bytes;
  auto push = codec::decode_push(client, error);
  REQUIRE(push);
  CHECK(push->join_ref.empty());
  CHECK(push->ref.empty());
  CHECK(push->payload == bytes);
}

TEST_CASE("malformed client frames are refused with a reason") {
  std::string error;
  CHECK_FALSE(codec::decode_push("", error));
  CHECK(error.find("header") != std::string::npos);
  CHECK_FALSE(codec::decode_push(hex("00 02 03 05"), error));
  CHECK_FALSE(codec::decode_push(hex("01 02 03 05 02 3132 313233 746f706963 6f6b"), error));
  CHECK(error.find("kind 1") != std::string::npos);
  // Lengths that promise more than the frame holds.
  CHECK_FALSE(codec::decode_push(hex("00 ff 03 05 05 3132"), error));
  CHECK(error.find("past its end") != std::string::npos);
  // Exactly the header and fields, no payload: fine.
  CHECK(codec::decode_push(hex("00 00 00 01 01 74 65"), error));
}

TEST_CASE("fields over 255 bytes cannot be encoded") {
  std::string long_topic(256, 't');
  CHECK_THROWS_AS(codec::encode_broadcast(long_topic, "e", ""), std::length_error);
  CHECK_NOTHROW(codec::encode_broadcast(std::string(255, 't'), "e", ""));
}
