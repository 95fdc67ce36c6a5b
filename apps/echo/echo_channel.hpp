#pragma once

#include <phx/phx.hpp>

/// The conformance channel for "room:*": every event exercises one part of
/// the channel API (README.md, "apps/echo", lists the contract).
class echo_channel : public phx::channel {
public:
  echo_channel();

  phx::join_result join(const std::string& topic, const phx::json& params,
                        phx::socket& s) override;
  phx::in_result handle_in(const std::string& event, const phx::json& payload,
                           phx::socket& s) override;
  phx::out_result handle_out(const std::string& event, const phx::json& payload,
                             phx::socket& s) override;
  phx::out_result handle_info(const caf::message& msg, phx::socket& s) override;
};

/// Accepts everyone; `user_id` from the params becomes an assign and the id.
class echo_socket : public phx::socket_handler {
public:
  bool connect(const phx::params& params, phx::socket& s) override;
  std::optional<std::string> id(const phx::socket& s) const override;
  void routes(phx::router& r) override;
};
