#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace phx {

/// An encoded frame, ready for the wire. The bytes are immutable and shared:
/// one broadcast is encoded once and the same buffer goes to every receiver.
///
/// A frame may also be spliced: a big shared `body` (a payload encoded once
/// for many clients) placed at offset `body_at` of the frame's own small
/// `bytes`, so that no client's frame copies it. Writers send parts();
/// text() joins them for consumers that need one string.
///
/// Every frame queued for a client holds one, so the two small fields come
/// last and share one word: 40 bytes, not 48.
struct frame {
  std::shared_ptr<const std::string> bytes;
  std::shared_ptr<const std::string> body; ///< spliced in at body_at, if any
  std::uint32_t body_at = 0;
  /// WebSocket opcode: binary (true) or text (false).
  bool binary = false;

  static frame text(std::string s) {
    return frame{std::make_shared<const std::string>(std::move(s)), nullptr, 0, false};
  }

  static frame binary_bytes(std::string s) {
    return frame{std::make_shared<const std::string>(std::move(s)), nullptr, 0, true};
  }

  /// `around` with `body` inserted at offset `at`, as a text frame.
  static frame spliced(std::string around, std::size_t at,
                       std::shared_ptr<const std::string> body) {
    return frame{std::make_shared<const std::string>(std::move(around)), std::move(body),
                 static_cast<std::uint32_t>(at), false};
  }

  std::size_t size() const noexcept {
    return (bytes ? bytes->size() : 0) + (body ? body->size() : 0);
  }

  /// The frame's bytes in wire order (empty parts where there is no body).
  std::array<std::string_view, 3> parts() const noexcept {
    if (!bytes)
      return {};
    std::string_view all{*bytes};
    if (!body)
      return {all, {}, {}};
    return {all.substr(0, body_at), *body, all.substr(body_at)};
  }

  /// The whole frame as one string (a copy when spliced).
  std::string str() const {
    std::string out;
    out.reserve(size());
    for (auto part : parts())
      out += part;
    return out;
  }
};

} // namespace phx
