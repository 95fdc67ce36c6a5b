#pragma once

#include <memory>
#include <optional>
#include <string>

#include "phx/actors/connect_info.hpp"
#include "phx/protocol/json.hpp"

namespace phx {

namespace detail {
class channel_server;
class connection_actor;
} // namespace detail

/// One connection as socket_handler::connect sees it: what the transport
/// knew of the client, and the assigns that connect sets. Every channel of
/// the connection starts with a copy of these assigns (channel_socket);
/// assigns set in a channel stay private to it.
///
/// Pushing, broadcasting and talking to actors need a joined topic, so they
/// exist only on channel_socket: calling them from connect does not compile.
class socket {
public:
  socket() = default;
  explicit socket(std::shared_ptr<const connect_info> info) : info_(std::move(info)) {}

  /// What the transport knew of the client at connect time.
  const connect_info& info() const noexcept;

  /// The socket id from socket_handler::id ("users_socket:42"), once known:
  /// empty inside connect, set in every channel.
  const std::optional<std::string>& id() const noexcept { return id_; }

  /// The assigns map (a JSON object).
  const json& assigns() const noexcept { return assigns_; }
  json& assigns() noexcept { return assigns_; }
  /// Sets one assign.
  void assign(const std::string& key, json value) { assigns_[key] = std::move(value); }
  /// One assign, or null when absent.
  const json& get(const std::string& key) const;

private:
  friend class detail::connection_actor;

  std::shared_ptr<const connect_info> info_;
  std::optional<std::string> id_;
  json assigns_ = json::object();
};

} // namespace phx
