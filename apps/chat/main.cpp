// phx-chat: a chat server in one screen. Open http://127.0.0.1:4000/ twice.
#include <phx/phx.hpp>

#include "room_channel.hpp"
#include "room_history.hpp"

class chat_socket : public phx::socket_handler {
public:
  chat_socket(caf::actor history, phx::presence presence)
    : history_(std::move(history)), presence_(std::move(presence)) {}

  void routes(phx::router& r) override {
    r.add("room:*", [h = history_, p = presence_] { return std::make_unique<room_channel>(h, p); });
  }

private:
  caf::actor history_;
  phx::presence presence_;
};

int main(int argc, char** argv) {
  std::string www = PHX_CHAT_WWW;
  std::string phoenix_js = PHX_PHOENIX_JS_DIR;
  phx::endpoint ep{phx::endpoint_config::from_args(
    argc, argv,
    {{"www", "directory of the chat page", &www},
     {"phoenix-js", "directory holding the npm package's phoenix.js", &phoenix_js}})};
  ep.socket<chat_socket>("/socket", ep.system().spawn(history_keeper, history_length),
                         ep.presence());
  ep.static_files("/vendor", phoenix_js);
  ep.static_files("/", www);
  return ep.run();
}
