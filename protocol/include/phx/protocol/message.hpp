#pragma once

#include <string>

#include "phx/protocol/json.hpp"

namespace phx {

/// One Phoenix message, as every serializer carries it.
/// `join_ref` and `ref` are opaque JSON values (normally strings or null) that
/// the server only compares and echoes.
struct message {
  json join_ref;
  json ref;
  std::string topic;
  std::string event;
  json payload;
};

/// The reserved events of the protocol.
namespace events {
inline constexpr const char* join = "phx_join";
inline constexpr const char* leave = "phx_leave";
inline constexpr const char* reply = "phx_reply";
inline constexpr const char* close = "phx_close";
inline constexpr const char* error = "phx_error";
inline constexpr const char* heartbeat = "heartbeat";
} // namespace events

/// The topic heartbeats travel on.
inline constexpr const char* heartbeat_topic = "phoenix";

} // namespace phx
