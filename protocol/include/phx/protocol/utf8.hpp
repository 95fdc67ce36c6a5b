#pragma once

#include <string_view>

namespace phx {

/// True when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no
/// surrogates, nothing past U+10FFFF. WebSocket text (messages and close
/// reasons) must be, or the connection closes with 1007 (RFC 6455 8.1).
bool is_valid_utf8(std::string_view text) noexcept;

} // namespace phx
