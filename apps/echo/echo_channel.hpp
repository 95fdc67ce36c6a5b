#pragma once

#include <phx/phx.hpp>

// The echo app's own messages, in a type-id block after phx's.
CAF_BEGIN_TYPE_ID_BLOCK(phx_echo, caf::id_block::phx_actors::end)
  /// (later_atom, socket_ref, payload): a reply due later.
  CAF_ADD_ATOM(phx_echo, echo, later_atom, "later")
  /// (next_atom) -> std::int64_t: the counter's next value.
  CAF_ADD_ATOM(phx_echo, echo, next_atom, "next")
CAF_END_TYPE_ID_BLOCK(phx_echo)

/// The endpoint-wide counter: each (next_atom) request gets the next value
/// after `last` (last + 1, last + 2, ...), unique across every client and
/// connection.
caf::behavior counter_actor(caf::stateful_actor<std::int64_t>* self, std::int64_t last);

/// The conformance channel for "room:*" (temporary, as in Phoenix) and
/// "durable:*" (transient): every event exercises one part of the channel
/// API (README.md, "apps/echo", lists the contract).
class echo_channel : public phx::channel {
public:
  /// `secret`: the endpoint's secret_key_base (owned by the socket handler).
  echo_channel(caf::actor counter, const std::string& secret);

  phx::join_result join(const std::string& topic, const phx::json& params,
                        phx::channel_socket& s) override;
  phx::in_result handle_in(const std::string& event, const phx::json& payload,
                           phx::channel_socket& s) override;
  phx::out_result handle_out(const std::string& event, const phx::json& payload,
                             phx::channel_socket& s) override;
  caf::message_handler make_handlers(phx::channel_socket& s) override;

private:
  phx::in_result next_counter_value(phx::channel_socket& s);

  caf::actor counter_;
  const std::string& secret_;
  phx::json join_params_; ///< of the join that started this instance
};

/// Accepts everyone (routes: room:*, durable:*, presence:*); `user_id` from the params becomes an assign and the id.
class echo_socket : public phx::socket_handler {
public:
  echo_socket(caf::actor counter, phx::presence presence, std::string secret_key_base)
    : counter_(std::move(counter)), presence_(std::move(presence)),
      secret_(std::move(secret_key_base)) {}

  bool connect(const phx::params& params, phx::socket& s) override;
  std::optional<std::string> id(const phx::socket& s) const override;
  void routes(phx::router& r) override;

private:
  caf::actor counter_;
  phx::presence presence_;
  std::string secret_; ///< signs sign_token's tokens
};
