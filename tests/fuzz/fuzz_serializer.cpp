// Client frames through the V1 and V2 JSON serializers, used the way the
// server uses them: what decodes is copied and encoded again, and both of
// those recurse once per nesting level. The property: nothing that decodes
// nests deeper than the limit, so those recursions stay bounded.
//
// Input: one byte choosing the depth limit (0 = the default, 64), then the
// frame text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "phx/protocol/json_reader.hpp"
#include "phx/protocol/serializer.hpp"

namespace {

using phx_fuzz::json_depth;

// Small limits reach the off-by-one edges quickly; 64 is what runs in production.
constexpr std::size_t depth_limits[] = {phx::default_max_json_depth, 0, 1, 2, 3, 16, 65, 200};

void exercise(const phx::serializer& format, std::string_view frame, std::size_t limit) {
  auto result = format.decode(frame, false, limit);
  if (!result.ok())
    return;
  const auto& msg = result.msg;
  FUZZ_CHECK(json_depth(msg.join_ref) <= limit);
  FUZZ_CHECK(json_depth(msg.ref) <= limit);
  FUZZ_CHECK(json_depth(msg.payload) <= limit);
  phx::message copy = msg; // channels keep copies of payloads and refs
  auto push = format.encode(copy);
  auto reply = format.encode_reply(copy.join_ref, copy.ref, copy.topic, "ok", copy.payload);
  // What the server writes must read back as the same message (V1 frames
  // carry no join_ref); a reply wraps the payload one level deeper.
  auto back = format.decode(*push.bytes, false, limit);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(back.msg.topic == msg.topic && back.msg.event == msg.event);
  FUZZ_CHECK(back.msg.ref == msg.ref && back.msg.payload == msg.payload);
  if (&format == &phx::v2_json_serializer())
    FUZZ_CHECK(back.msg.join_ref == msg.join_ref);
  FUZZ_CHECK(format.decode(*reply.bytes, false, limit + 1).ok());
}

void test_one_input(const std::uint8_t* data, std::size_t size) {
  auto limit = depth_limits[data[0] % (sizeof depth_limits / sizeof depth_limits[0])];
  std::string_view frame{reinterpret_cast<const char*>(data + 1), size - 1};

  exercise(phx::v1_json_serializer(), frame, limit);
  exercise(phx::v2_json_serializer(), frame, limit);
  // Binary frames: V1 has none; V2 reads the kind-0 client layout, and what
  // it reads encodes back as a binary push, reply and broadcast.
  auto v1_binary = phx::v1_json_serializer().decode(frame, true, limit);
  FUZZ_CHECK(!v1_binary.ok() && v1_binary.code == phx::close_code::unsupported_data);
  auto& v2 = phx::v2_json_serializer();
  if (auto binary = v2.decode(frame, true, limit); binary.ok()) {
    FUZZ_CHECK(binary.msg.payload.is_binary());
    FUZZ_CHECK(v2.encode(binary.msg).binary);
    FUZZ_CHECK(v2.encode_reply(binary.msg.join_ref, binary.msg.ref, binary.msg.topic, "ok",
                               binary.msg.payload).binary);
    FUZZ_CHECK(v2.encode_broadcast(binary.msg.topic, binary.msg.event, binary.msg.payload).binary);
  } else {
    FUZZ_CHECK(binary.code == phx::close_code::invalid_payload);
  }

  // Endpoint params and broadcast bodies arrive through read_client_json.
  std::string error;
  if (auto value = phx::read_client_json(frame, limit, error)) {
    FUZZ_CHECK(json_depth(*value) <= limit);
    phx::json copy = *value;
    FUZZ_CHECK(phx::json::parse(phx::dump_json(copy)) == *value);
  } else {
    FUZZ_CHECK(!error.empty());
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 0)
    phx_fuzz::run_on_small_stack([=] { test_one_input(data, size); });
  return 0;
}
