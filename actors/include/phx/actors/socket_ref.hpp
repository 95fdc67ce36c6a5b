#pragma once

#include <memory>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>

#include "phx/protocol/frame_sink.hpp"
#include "phx/protocol/json.hpp"
#include "phx/protocol/serializer.hpp"

namespace phx {

/// Enough of a socket to answer one client message later, from any thread
/// or actor (Phoenix's `socket_ref` + `reply/2`). Obtain it
/// with `socket::ref()` inside handle_in. It does not keep the connection
/// alive: replying after the client left does nothing.
class socket_ref {
public:
  socket_ref() = default;
  socket_ref(std::weak_ptr<frame_sink> sink, const serializer* format, std::string topic,
             json join_ref, json ref)
    : sink_(std::move(sink)), format_(format), topic_(std::move(topic)),
      join_ref_(std::move(join_ref)), ref_(std::move(ref)) {}

  /// Sends `phx_reply` with `status` ("ok", "error", ...) and `response`.
  /// Returns false when the connection is gone or the ref is empty.
  bool reply(const std::string& status, const json& response = json::object()) const;

  const std::string& topic() const noexcept { return topic_; }
  const json& ref() const noexcept { return ref_; }

private:
  std::weak_ptr<frame_sink> sink_;
  const serializer* format_ = nullptr;
  std::string topic_;
  json join_ref_;
  json ref_;
};

} // namespace phx

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(phx::socket_ref)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(phx::json)
