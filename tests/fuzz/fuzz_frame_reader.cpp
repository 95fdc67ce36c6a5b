// Client WebSocket bytes through frame_reader, as a session reads them: in
// whatever pieces TCP delivers, stopping at a close frame or the first
// protocol error. Properties: messages respect the size bound, pings the
// control frame bound, nothing follows a close, and how the bytes are split
// changes nothing (a split run must report exactly what a whole run does).
//
// Input: one byte seeding the chunk sizes (0 = no splitting), then the bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_util.hpp"
#include "phx/protocol/utf8.hpp"
#include "websocket/websocket_codec.hpp"

namespace {

namespace ws = phx::detail::ws;

constexpr std::size_t max_message = 4096;

// Records what the reader reports, checking each event as it comes.
struct recorder {
  std::vector<std::string> events;
  bool closed = false;

  void on_message(std::string&& payload, bool binary) {
    FUZZ_CHECK(!closed);
    FUZZ_CHECK(payload.size() <= max_message);
    // The session refuses text that is not UTF-8; run the same check.
    bool utf8 = binary || phx::is_valid_utf8(payload);
    events.push_back((binary ? "bin " : "text ") + std::to_string(utf8) + ' ' + payload);
  }
  void on_ping(std::string&& payload) {
    FUZZ_CHECK(!closed);
    FUZZ_CHECK(payload.size() <= 125);
    events.push_back("ping " + payload);
  }
  void on_close(std::optional<std::uint16_t> code) {
    FUZZ_CHECK(!closed);
    FUZZ_CHECK(!code || ws::is_valid_close_code(*code));
    closed = true;
    events.push_back("close " + (code ? std::to_string(*code) : std::string{"-"}));
  }
};

// Feeds `bytes` in chunks of the given sizes (cycled) until a close or an error.
std::vector<std::string> run(const std::string& bytes, const std::vector<std::size_t>& chunks) {
  ws::frame_reader reader{max_message};
  recorder handler;
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < bytes.size() && !handler.closed; ++i) {
    auto n = std::min(chunks[i % chunks.size()], bytes.size() - pos);
    auto error = reader.feed(bytes.data() + pos, n, handler);
    pos += n;
    if (error) {
      FUZZ_CHECK(!error->why.empty());
      handler.events.push_back("error " + std::to_string(static_cast<int>(error->code)));
      break;
    }
  }
  return handler.events;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  std::string bytes{reinterpret_cast<const char*>(data + 1), size - 1};
  auto whole = run(bytes, {bytes.size() + 1});
  if (data[0] == 0)
    return 0;
  // Chunk sizes from a tiny LCG seeded by the first byte: 1-byte pieces,
  // pieces that split headers, and pieces that span frames.
  std::vector<std::size_t> chunks;
  std::uint32_t state = data[0];
  for (int i = 0; i < 16; ++i) {
    state = state * 1103515245u + 12345u;
    auto r = (state >> 16) & 0xFF;
    chunks.push_back(r < 64 ? 1 : r < 160 ? r % 14 + 1 : r * 4);
  }
  FUZZ_CHECK(run(bytes, chunks) == whole);
  return 0;
}
