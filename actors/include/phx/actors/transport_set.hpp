#pragma once

#include <cstdint>
#include <initializer_list>

namespace phx {

/// The transports a client can connect over.
enum class transport : std::uint8_t {
  websocket = 1u << 0,
  longpoll = 1u << 1,
};

/// A set of transports (Phoenix's `via`); all of them unless narrowed.
class transport_set {
public:
  constexpr transport_set() noexcept = default;

  constexpr transport_set(std::initializer_list<transport> members) noexcept : bits_(0) {
    for (auto t : members)
      bits_ = static_cast<std::uint8_t>(bits_ | static_cast<std::uint8_t>(t));
  }

  constexpr bool contains(transport t) const noexcept {
    return (bits_ & static_cast<std::uint8_t>(t)) != 0;
  }

private:
  std::uint8_t bits_ = 0xff;
};

} // namespace phx
