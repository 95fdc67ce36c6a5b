// Built against an installed phx: starts an endpoint on a free loopback port.
#include <cstdio>

#include <phx/phx.hpp>

class lobby : public phx::channel {
public:
  phx::join_result join(const std::string&, const phx::json&, phx::channel_socket&) override {
    return phx::join_result::ok();
  }
};

class user_socket : public phx::socket_handler {
public:
  void routes(phx::router& r) override { r.channel<lobby>("lobby"); }
};

int main() {
  phx::endpoint_config cfg;
  cfg.port = 0;
  phx::endpoint ep{cfg};
  ep.socket<user_socket>("/socket");
  auto port = ep.start();
  ep.stop();
  std::printf("installed phx served on port %u\n", static_cast<unsigned>(port));
  return port > 0 ? 0 : 1;
}
