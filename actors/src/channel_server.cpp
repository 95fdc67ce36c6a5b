#include "channel_server.hpp"

#include <stdexcept>

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

#include "phx/actors/atoms.hpp"
#include "phx/metrics/node_metrics.hpp"
#include "phx/protocol/log.hpp"
#include "unexpected_message.hpp"

namespace phx::detail {

using end = restart_policy::end;

channel_server::channel_server(caf::actor_config& cfg, child_spec_ptr spec, std::uint64_t id,
                               std::uint32_t restarts, caf::actor supervisor,
                               caf::actor connection)
  : shared_behavior_actor(cfg), spec_(std::move(spec)), supervisor_(std::move(supervisor)),
    connection_(std::move(connection)), id_(id) {
  reset_socket(restarts);
  set_exit_handler([this](caf::exit_msg& msg) { on_exit_msg(msg); });
  // Monitors set up through channel_socket::monitor report to the handlers.
  set_down_handler([this](caf::down_msg& msg) {
    auto wrapped = caf::make_message(std::move(msg));
    on_info(wrapped);
  });
  set_default_handler([this](caf::scheduled_actor*, caf::message_view& view) {
    auto msg = view.move_content_to_message();
    return on_info(msg);
  });
}

caf::behavior channel_server::make_behavior() {
  static const caf::behavior shared{
    [](join_atom) {
      auto& self = running();
      self.run_join(self.socket_.restarts_ > 0 ? start::fresh_restart : start::first);
    },
    [](inbound_atom, message& msg) { running().on_event(msg); },
    [](leave_atom, const message& leave) { running().on_leave(leave); },
    [](broadcast_atom, const broadcast_ptr& msg) { running().on_broadcast(msg); },
  };
  return shared;
}

void channel_server::on_exit() {
  untie();
  // Handles to the connection, supervisor and registry would otherwise keep
  // a cycle of terminated actors alive; the user's handlers go before the
  // channel they capture.
  handlers_ = caf::message_handler{};
  impl_.reset();
  socket_ = channel_socket{};
  spec_.reset();
  supervisor_ = nullptr;
  connection_ = nullptr;
}

void channel_server::reset_socket(std::uint32_t restarts) {
  auto& s = socket_;
  static_cast<socket&>(s) = spec_->base;
  s.sink_ = spec_->sink;
  s.format_ = spec_->format;
  s.pubsub_ = spec_->pubsub;
  s.topic_ = spec_->join.topic;
  // Replies and pushes carry the join's join_ref, or its ref when a V1
  // client sent none.
  s.join_ref_ = spec_->join.join_ref.is_null() ? spec_->join.ref : spec_->join.join_ref;
  s.ref_ = nullptr;
  s.self_ = this;
  s.restarts_ = restarts;
  s.joined_ = false;
  s.held_pushes_.clear();
  s.after_join_.reset();
  s.stop_.reset();
}

// -- joining ----------------------------------------------------------------

void channel_server::run_join(start mode) {
  const auto& join = spec_->join;
  // Restarted in place, the subscription never went away: pushes made in
  // join go straight out (there is no join reply to wait for).
  socket_.joined_ = mode == start::in_place_restart;
  std::optional<join_result> result;
  auto err = attempt([&] {
    impl_ = spec_->route->make();
    if (!impl_)
      throw std::runtime_error("the route's channel factory made no channel");
    result = impl_->join(join.topic, join.payload, socket_);
  });
  // A client's join is counted by its answer: refused or crashed here, ok
  // by the connection once it settles. A restart's join is no client's.
  if (err) {
    log_for(log_level::error, conn_id(), "channel ", join.topic, " crashed in join: ", *err);
    if (mode == start::first)
      metrics::node().joins_crash.add();
    return join_failed(mode, "error", json{{"reason", "join crashed"}}, *err);
  }
  if (!result->accepted()) {
    if (mode == start::first)
      metrics::node().joins_error.add();
    return join_failed(mode, "error", result->response(), "join refused");
  }
  join_accepted_ = true;
  if (mode == start::in_place_restart) {
    send(supervisor_, joined_atom_v, id_);
    return apply(std::nullopt);
  }
  // The reply, and pushes made inside join, go out through the registry just
  // before it adds the subscription: they precede every broadcast, and every
  // broadcast accepted after the client reads "ok" reaches it (Phoenix too
  // subscribes before it replies). A restart tells the client nothing.
  std::vector<frame> first;
  if (mode == start::first) {
    auto encoded = attempt([&] {
      first.push_back(socket_.format_->encode_reply(join.join_ref, join.ref, join.topic, "ok",
                                                    result->response()));
    });
    if (encoded) { // a reply of bytes to a V1 client: answered as a crash
      metrics::node().joins_crash.add();
      return join_failed(mode, "error", json{{"reason", "join crashed"}}, *encoded);
    }
  }
  for (auto& f : socket_.held_pushes_)
    first.push_back(std::move(f));
  socket_.held_pushes_.clear();
  subscribe(std::move(first));
}

void channel_server::join_failed(start mode, const char* status, const json& response,
                                 const std::string& why) {
  handlers_ = caf::message_handler{};
  impl_.reset();
  stopped_ = true;
  // Pushes made inside the join wait for its reply: they die with it.
  metrics::node().held_frames_dropped.add(static_cast<std::int64_t>(socket_.held_pushes_.size()));
  if (mode == start::first) {
    // The client hears it as the answer to its join; nothing to restart.
    const auto& join = spec_->join;
    auto answer = [&](const json& body) {
      return socket_.format_->encode_reply(join.join_ref, join.ref, join.topic, status, body);
    };
    frame out;
    if (attempt([&] { out = answer(response); })) // bytes for a V1 client
      out = answer(json{{"reason", "join crashed"}});
    socket_.sink_->send(std::move(out));
    send(connection_, joined_atom_v, id_, false);
    quit();
    return;
  }
  // A restart whose join fails gives the channel up: phx_error.
  log_for(log_level::error, conn_id(), "channel ", spec_->join.topic, ": restart failed in join (", why,
      "); giving up");
  quit(caf::make_error(caf::sec::runtime_error, "restart failed: " + why));
}

void channel_server::subscribe(std::vector<frame> first) {
  // Awaited: nothing else runs before the topic is subscribed, so a
  // message sent to self inside join sees a joined channel.
  request(socket_.pubsub_.registry(), caf::infinite, subscribe_atom_v, socket_.topic_,
          subscription{caf::actor_cast<caf::actor>(this), socket_.sink_, socket_.format_,
                       impl_->intercepts()},
          std::move(first))
    .await([this](bool) { on_subscribed(); },
           [this](caf::error& err) { finish(exit_reason::error("subscribing failed: " + to_string(err))); });
}

void channel_server::on_subscribed() {
  // Pushes made while the subscription was on its way were held: the reply
  // is out now, they may follow.
  socket_.joined_ = true;
  for (auto& f : socket_.held_pushes_)
    socket_.sink_->send(std::move(f));
  socket_.held_pushes_.clear();
  socket_.held_pushes_.shrink_to_fit();
  send(connection_, joined_atom_v, id_, true);
  if (spec_->restartable())
    send(supervisor_, joined_atom_v, id_);
  else
    spec_.reset(); // never needed again
  auto after_join = std::move(socket_.after_join_);
  apply(std::nullopt);
  if (after_join)
    for (auto& f : *after_join)
      socket_.callbacks()("an after_join callback", f);
}

// -- client events, broadcasts, messages -------------------------------------

void channel_server::on_event(message& msg) {
  socket_.ref_ = std::move(msg.ref);
  std::optional<in_result> result;
  auto err = attempt([&] { result = impl_->handle_in(msg.event, msg.payload, socket_); });
  auto ref = std::move(socket_.ref_);
  socket_.ref_ = nullptr;
  if (err)
    return crash("handle_in", *err);
  if (result->has_reply())
    reply(ref, result->status(), result->response());
  apply(result->stop_reason());
}

void channel_server::on_leave(const message& leave) {
  reply(leave.ref, "ok", json::object());
  stop(exit_reason::left(), end::client_asked);
}

void channel_server::on_broadcast(const broadcast_ptr& msg) {
  if (msg->topic != socket_.topic_ || !impl_->intercepts()) {
    // A broadcast of a topic this channel subscribed to itself.
    auto wrapped = caf::make_message(broadcast_atom_v, msg);
    on_info(wrapped);
    return;
  }
  std::optional<out_result> result;
  auto err = attempt([&] { result = impl_->handle_out(msg->event, msg->payload, socket_); });
  if (err)
    return crash("handle_out", *err);
  apply(result->stop_reason());
}

caf::result<caf::message> channel_server::on_info(caf::message& msg) {
  if (stopped_ || !impl_) { // ending: a request must not hang
    if (current_message_id().is_request())
      return caf::make_error(caf::sec::request_receiver_down);
    return caf::message{};
  }
  caf::optional<caf::message> answer;
  auto err = attempt([&] {
    // Made with the first message: an idle channel holds no handlers.
    if (!handlers_made_) {
      handlers_made_ = true;
      handlers_ = impl_->make_handlers(socket_);
    }
    answer = handlers_(msg);
  });
  if (err) {
    crash("a message handler", *err);
    return caf::make_error(caf::sec::runtime_error, *err);
  }
  if (!answer)
    return drop_unexpected(this, msg, "channel " + socket_.topic_, unexpected_logged_);
  apply(std::nullopt);
  return std::move(*answer);
}

void channel_server::on_exit_msg(const caf::exit_msg& msg) {
  if (msg.source == supervisor_.address())
    return stop(exit_reason::closed(), end::client_asked); // the connection is gone
  if (msg.reason == caf::exit_reason::normal)
    return; // a linked worker finished its job
  crash("a linked actor", "linked actor exited: " + to_string(msg.reason));
}

void channel_server::run_callback(const char* what, void (*fn)(void*), void* f) {
  if (stopped_)
    return;
  if (auto err = attempt([&] { fn(f); }))
    return crash(what, *err);
  apply(std::nullopt);
}

void channel_server::reply(const json& ref, const std::string& status, const json& response) {
  // Bytes cannot be encoded for a V1 client: that crashes the channel, as a
  // push of bytes would.
  frame out;
  if (auto err = attempt([&] {
        out = socket_.format_->encode_reply(socket_.join_ref_, ref, socket_.topic_, status,
                                            response);
      }))
    return crash("a reply", *err);
  socket_.sink_->send(std::move(out));
}

// -- ending and restarting -----------------------------------------------------

template <class F>
std::optional<std::string> channel_server::attempt(F&& f) {
  try {
    f();
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string{e.what()};
  } catch (...) {
    return std::string{"unknown exception"};
  }
}

void channel_server::apply(const std::optional<exit_reason>& stop_reason) {
  if (stopped_)
    return;
  std::optional<exit_reason> why = stop_reason;
  if (socket_.stop_) {
    if (!why)
      why = *socket_.stop_;
    socket_.stop_.reset();
  }
  if (why)
    stop(*why, why->graceful() ? end::stop : end::crash);
}

void channel_server::crash(const char* callback, const std::string& why) {
  if (stopped_)
    return;
  log_for(log_level::error, conn_id(), "channel ", socket_.topic_, " crashed in ", callback, ": ", why);
  if (join_accepted_) // a joined instance (a restart's join does not get here)
    metrics::node().channel_crashes.add();
  // Phoenix runs terminate after a raise (GenServer semantics); an exception
  // from terminate itself is only logged.
  if (auto err = attempt([&] { run_terminate(exit_reason::error(why)); }))
    log_for(log_level::error, conn_id(), "channel ", socket_.topic_, ": terminate threw: ", *err);
  end_instance(exit_reason::error(why), end::crash);
}

void channel_server::stop(const exit_reason& why, end how) {
  if (stopped_)
    return;
  if (auto err = attempt([&] { run_terminate(why); }))
    return crash("terminate", *err);
  end_instance(why, how);
}

void channel_server::run_terminate(const exit_reason& why) {
  // Once per instance, and only for one that joined.
  if (terminated_ || !join_accepted_)
    return;
  terminated_ = true;
  impl_->terminate(why, socket_);
}

void channel_server::end_instance(const exit_reason& why, end how) {
  stopped_ = true;
  if (!spec_ || !join_accepted_ || how == end::client_asked)
    return finish(why);
  // Restartable: the supervisor decides. Awaiting its answer keeps every
  // later message in the mailbox, for this instance's successor.
  request(supervisor_, caf::infinite, restart_atom_v, id_, how, why.to_string())
    .await(
      [this, why](bool restart, std::uint32_t restarts) {
        if (restart)
          restart_in_place(restarts);
        else
          finish(why);
      },
      [this, why](caf::error&) { finish(why); });
}

void channel_server::restart_in_place(std::uint32_t restarts) {
  ++socket_.generation_; // answers to the old instance's requests are dropped
  untie();
  handlers_ = caf::message_handler{};
  impl_.reset();
  reset_socket(restarts);
  stopped_ = false;
  terminated_ = false;
  join_accepted_ = false;
  unexpected_logged_ = false;
  handlers_made_ = false;
  run_join(start::in_place_restart);
}

void channel_server::finish(const exit_reason& why) {
  stopped_ = true;
  if (why.graceful())
    quit();
  else
    quit(caf::make_error(caf::sec::runtime_error, why.to_string()));
}

void channel_server::untie() {
  auto ties = std::move(socket_.ties_);
  if (!ties)
    return;
  for (auto& worker : ties->workers) {
    unlink_from(worker);
    send_exit(worker, caf::exit_reason::kill);
  }
  for (auto& other : ties->monitored)
    demonitor(other);
}

} // namespace phx::detail
