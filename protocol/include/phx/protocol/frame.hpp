#pragma once

#include <memory>
#include <string>

namespace phx {

/// An encoded frame, ready for the wire. The bytes are immutable and shared:
/// one broadcast is encoded once and the same buffer goes to every receiver.
struct frame {
  std::shared_ptr<const std::string> bytes;
  /// WebSocket opcode: binary (true) or text (false).
  bool binary = false;

  static frame text(std::string s) {
    return frame{std::make_shared<const std::string>(std::move(s)), false};
  }

  std::size_t size() const noexcept { return bytes ? bytes->size() : 0; }
};

} // namespace phx
