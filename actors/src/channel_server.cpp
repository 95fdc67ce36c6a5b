#include "channel_server.hpp"

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

#include "atoms.hpp"
#include "phx/protocol/log.hpp"
#include "phx/pubsub/atoms.hpp"

namespace phx::detail {

channel_server::channel_server(caf::actor_config& cfg, std::unique_ptr<channel> impl,
                               socket sock, caf::actor connection)
  : caf::event_based_actor(cfg), impl_(std::move(impl)), socket_(std::move(sock)),
    connection_(std::move(connection)) {
  socket_.self_ = this;
  // The connection sends an exit message when the client is gone.
  set_exit_handler([this](caf::exit_msg&) { stop(exit_reason::closed()); });
  set_default_handler([this](caf::scheduled_actor*, caf::message_view& view) {
    on_info(view.move_content_to_message());
    return caf::result<caf::message>{caf::message{}};
  });
}

caf::behavior channel_server::make_behavior() {
  return {
    [this](join_atom, const message& join) { on_join(join); },
    [this](inbound_atom, message& msg) { on_event(msg); },
    [this](leave_atom, const message& leave) { on_leave(leave); },
    [this](broadcast_atom, const broadcast_ptr& msg) { on_broadcast(*msg); },
  };
}

void channel_server::on_exit() {
  // Handles to the connection and the registry would otherwise keep a cycle
  // of terminated actors alive.
  connection_ = nullptr;
  socket_ = socket{};
  impl_.reset();
}

template <class F>
bool channel_server::guarded(const char* callback, F&& f) {
  try {
    f();
    return true;
  } catch (const std::exception& e) {
    crash(callback, e.what());
  } catch (...) {
    crash(callback, "unknown exception");
  }
  return false;
}

void channel_server::crash(const char* callback, const std::string& why) {
  log(log_level::error, "channel ", socket_.topic_, " crashed in ", callback, ": ", why);
  // Phoenix runs terminate after a raise (GenServer semantics); an exception
  // from terminate itself is only logged.
  try {
    run_terminate(exit_reason::error(why));
  } catch (const std::exception& e) {
    log(log_level::error, "channel ", socket_.topic_, ": terminate threw: ", e.what());
  } catch (...) {
    log(log_level::error, "channel ", socket_.topic_, ": terminate threw");
  }
  stopped_ = true;
  quit(caf::exit_reason::unhandled_exception);
}

void channel_server::run_terminate(const exit_reason& why) {
  // Once, and only for a channel that joined: a join still running just ends.
  if (terminated_ || !join_accepted_)
    return;
  terminated_ = true;
  impl_->terminate(why, socket_);
}

void channel_server::reply(const json& ref, const std::string& status, const json& response) {
  socket_.sink_->send(
    socket_.format_->encode_reply(socket_.join_ref_, ref, socket_.topic_, status, response));
}

void channel_server::on_join(const message& join) {
  std::optional<join_result> result;
  guarded("join", [&] { result = impl_->join(join.topic, join.payload, socket_); });
  // The reply carries the join_ref exactly as the client sent it.
  auto answer = [&](const char* status, const json& response) {
    socket_.sink_->send(
      socket_.format_->encode_reply(join.join_ref, join.ref, join.topic, status, response));
  };
  if (!result) { // join threw: crash() already stopped us
    answer("error", json{{"reason", "join crashed"}});
    send(connection_, joined_atom::value, false);
    return;
  }
  if (!result->accepted()) {
    answer("error", result->response());
    send(connection_, joined_atom::value, false);
    stopped_ = true;
    quit();
    return;
  }
  join_accepted_ = true;
  // The reply, and pushes made inside join, go out through the registry just
  // before it adds the subscription: they precede every broadcast, and every
  // broadcast accepted after the client reads "ok" reaches it (Phoenix too
  // subscribes before it replies).
  std::vector<frame> first;
  first.push_back(socket_.format_->encode_reply(join.join_ref, join.ref, join.topic, "ok",
                                                result->response()));
  for (auto& f : socket_.held_pushes_)
    first.push_back(std::move(f));
  socket_.held_pushes_.clear();
  request(socket_.pubsub_.registry(), caf::infinite, subscribe_atom::value, socket_.topic_,
          subscription{caf::actor_cast<caf::actor>(this), socket_.sink_, socket_.format_,
                       impl_->intercepts()},
          std::move(first))
    .then([this](bool) { on_subscribed(); },
          [this](caf::error& err) { crash("join", "subscribing failed: " + to_string(err)); });
}

void channel_server::on_subscribed() {
  // Pushes made while the subscription was on its way were held: the reply
  // is out now, they may follow.
  socket_.joined_ = true;
  for (auto& f : socket_.held_pushes_)
    socket_.sink_->send(std::move(f));
  socket_.held_pushes_.clear();
  socket_.held_pushes_.shrink_to_fit();
  send(connection_, joined_atom::value, true);
}

void channel_server::on_event(message& msg) {
  socket_.ref_ = std::move(msg.ref);
  std::optional<in_result> result;
  guarded("handle_in", [&] { result = impl_->handle_in(msg.event, msg.payload, socket_); });
  auto ref = std::move(socket_.ref_);
  socket_.ref_ = nullptr;
  if (!result)
    return;
  if (result->has_reply())
    reply(ref, result->status(), result->response());
  apply(result->stop_reason());
}

void channel_server::on_leave(const message& leave) {
  reply(leave.ref, "ok", json::object());
  stop(exit_reason::left());
}

void channel_server::on_broadcast(const phx::broadcast& msg) {
  std::optional<out_result> result;
  if (msg.topic == socket_.topic_ && impl_->intercepts()) {
    guarded("handle_out", [&] { result = impl_->handle_out(msg.event, msg.payload, socket_); });
  } else {
    // A broadcast of a topic this channel subscribed to itself.
    on_info(caf::make_message(broadcast_atom::value,
                              std::make_shared<const phx::broadcast>(msg)));
    return;
  }
  if (result)
    apply(result->stop_reason());
}

void channel_server::on_info(const caf::message& msg) {
  std::optional<out_result> result;
  guarded("handle_info", [&] { result = impl_->handle_info(msg, socket_); });
  if (result)
    apply(result->stop_reason());
}

void channel_server::apply(const std::optional<exit_reason>& stop_reason) {
  if (stop_reason)
    stop(*stop_reason);
}

void channel_server::stop(const exit_reason& why) {
  if (stopped_)
    return;
  if (!guarded("terminate", [&] { run_terminate(why); }))
    return; // crash() stopped us
  stopped_ = true;
  if (why.graceful())
    quit();
  else
    quit(caf::make_error(caf::sec::runtime_error, why.to_string()));
}

} // namespace phx::detail
