// phx-chat: a chat server in one screen. Open http://127.0.0.1:4000/ twice.
#include <phx/phx.hpp>

#include <random>

#include "room_channel.hpp"
#include "room_history.hpp"
#include "user_token.hpp"

// Connects whoever brings a token from POST /token; their name comes from it.
class chat_socket : public phx::socket_handler {
public:
  chat_socket(std::string secret, caf::actor history, phx::presence presence)
    : secret_(std::move(secret)), history_(std::move(history)), presence_(std::move(presence)) {}

  bool connect(const phx::params& params, phx::socket& s) override {
    auto name = verify_user_token(secret_, params.value("token", phx::json{}));
    if (!name)
      return false; // the client gets 403 and retries; the page asks for a new token
    s.assign("name", *name);
    return true;
  }

  void routes(phx::router& r) override {
    r.add("room:*", [h = history_, p = presence_] { return std::make_unique<room_channel>(h, p); });
  }

private:
  std::string secret_;
  caf::actor history_;
  phx::presence presence_;
};

// Without --secret-key-base (or PHX_SECRET_KEY_BASE) tokens are signed with
// a secret made at start: they stop working when the server restarts.
std::string random_secret() {
  static constexpr char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  std::string out(64, ' ');
  for (auto& c : out)
    c = chars[rd() % (sizeof chars - 1)];
  return out;
}

int main(int argc, char** argv) {
  std::string www = PHX_CHAT_WWW;
  std::string phoenix_js = PHX_PHOENIX_JS_DIR;
  auto config = phx::endpoint_config::from_args(
    argc, argv,
    {{"www", "directory of the chat page", &www},
     {"phoenix-js", "directory holding the npm package's phoenix.js", &phoenix_js}});
  if (config.secret_key_base.empty())
    config.secret_key_base = random_secret();
  auto secret = config.secret_key_base;
  phx::endpoint ep{std::move(config)};
  ep.socket<chat_socket>("/socket", secret, ep.system().spawn(history_keeper, history_length),
                         ep.presence());
  ep.route("POST", "/token", issue_user_token(secret));
  ep.static_files("/vendor", phoenix_js);
  ep.static_files("/", www);
  return ep.run();
}
