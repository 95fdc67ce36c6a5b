#include "connection_actor.hpp"

#include <algorithm>
#include <utility>

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "child_spec.hpp"
#include "phx/actors/atoms.hpp"
#include "phx/metrics/node_metrics.hpp"
#include "phx/protocol/log.hpp"
#include "socket_supervisor.hpp"
#include "unexpected_message.hpp"

namespace phx {

caf::actor spawn_connection(caf::actor_system& sys, connection_setup setup) {
  // With an id, make_behavior subscribes the id topic, which must happen even
  // if the client never sends a frame. Without one, lazy_init spares a thread
  // wake-up per connection: the actor starts with its first frame.
  if (setup.id)
    return sys.spawn<detail::connection_actor>(std::move(setup));
  return sys.spawn<detail::connection_actor, caf::lazy_init>(std::move(setup));
}

void deliver_frame(const caf::actor& connection, std::string data, bool binary) {
  caf::anon_send(connection, detail::frame_atom_v, std::move(data), binary);
}

void notify_closed(const caf::actor& connection) {
  caf::anon_send(connection, detail::closed_atom_v);
}

} // namespace phx

namespace phx::detail {

connection_actor::connection_actor(caf::actor_config& cfg, connection_setup setup)
  : shared_behavior_actor(cfg), setup_(std::move(setup)) {
  setup_.base.id_ = setup_.id;
  set_default_handler([logged = false](caf::scheduled_actor* self, caf::message_view& view) mutable {
    return drop_unexpected(self, view.move_content_to_message(), "connection", logged);
  });
}

caf::behavior connection_actor::make_behavior() {
  // With an id, listen on the id topic for "disconnect".
  if (auto& id = setup_.base.id_)
    setup_.pubsub.subscribe(*id, subscription{caf::actor_cast<caf::actor>(this), nullptr,
                                              nullptr, nullptr});
  static const caf::behavior shared{
    [](frame_atom, const std::string& data, bool binary) { running().on_frame(data, binary); },
    [](closed_atom) { running().quit(); },
    [](joined_atom, std::uint64_t id, bool accepted) {
      auto& self = running();
      self.settle(id, accepted ? outcome::joined : outcome::refused,
                  caf::actor_cast<caf::actor>(self.current_sender()));
    },
    [](restarting_atom, std::uint64_t id) { running().on_restarting(id); },
    [](ended_atom, std::uint64_t id, bool graceful) {
      running().settle(id, graceful ? outcome::closed : outcome::failed);
    },
    [](broadcast_atom, const broadcast_ptr& msg) { running().on_id_broadcast(*msg); },
  };
  return shared;
}

void connection_actor::on_exit() {
  // The supervisor ends the channels with {shutdown, closed} (their exit
  // handler runs terminate), then itself.
  if (supervisor_)
    send_exit(supervisor_, caf::exit_reason::user_shutdown);
  supervisor_ = nullptr;
  // Channels past their join (joined, leaving, restarting) end with the
  // connection: no settle will count them down.
  metrics::node().channels.sub(std::count_if(
    channels_.begin(), channels_.end(),
    [](const channel_entry& ch) { return ch.state != channel_state::joining; }));
  channels_.clear();
  // Break handle cycles (registry, sink) once terminated.
  setup_ = connection_setup{};
}

void connection_actor::on_frame(const std::string& data, bool binary) {
  if (closing_)
    return setup_.sink->frame_consumed();
  auto decoded = setup_.format->decode(data, binary, setup_.limits.max_json_depth);
  if (!decoded.ok()) {
    // Closed first: a transport that acknowledges taken frames (long-poll's
    // POST) then reports the frame as refused, not as taken.
    auto sink = setup_.sink; // close_connection quits
    close_connection(decoded.code, decoded.error);
    sink->frame_consumed();
    return;
  }
  if (dispatch(std::move(decoded.msg)))
    setup_.sink->frame_consumed();
}

bool connection_actor::dispatch(message msg) {
  // Heartbeats are answered before routing, even if "phoenix" is joined.
  if (msg.topic == heartbeat_topic && msg.event == events::heartbeat) {
    reply(nullptr, msg.ref, msg.topic, "ok", json::object());
    return true;
  }
  if (auto* ch = find_topic(msg.topic); ch && ch->state != channel_state::joined) {
    if (ch->held.size() >= setup_.limits.max_held_frames) {
      metrics::node().held_frame_closes.add(1);
      close_connection(close_code::policy_violation,
                       "too many frames for " + msg.topic + " while its join or leave runs");
      return true;
    }
    ch->held.push_back(std::move(msg));
    return false;
  }
  if (msg.event == events::join)
    join(std::move(msg));
  else
    route(std::move(msg));
  return true;
}

void connection_actor::replay(std::vector<message> held) {
  for (auto& msg : held) {
    if (closing_)
      return;
    if (dispatch(std::move(msg)))
      setup_.sink->frame_consumed();
  }
}

void connection_actor::route(message msg) {
  auto* ch = find_topic(msg.topic);
  if (!ch) {
    if (msg.event == events::leave) // leaving what is not there succeeds
      reply(msg.join_ref, msg.ref, msg.topic, "ok", json::object());
    else
      reply_unmatched(msg);
    return;
  }
  // A non-null join_ref of another instance is stale: drop it silently.
  if (!msg.join_ref.is_null() && msg.join_ref != ch->join_ref) {
    log_for(log_level::debug, conn_id(), "dropping ", msg.event, " on ", msg.topic, ": stale join_ref ",
        dump_json(msg.join_ref));
    return;
  }
  if (msg.event == events::leave) {
    ch->state = channel_state::leaving; // later frames wait for its end
    send(ch->server, leave_atom_v, std::move(msg));
  } else {
    send(ch->server, inbound_atom_v, std::move(msg));
  }
}

void connection_actor::join(message msg) {
  // A duplicate join replaces the (joined) instance: the supervisor kills it
  // without terminate, and it is closed on the wire once the new join's
  // reply is out.
  std::optional<json> close_old;
  if (auto* old = find_topic(msg.topic)) {
    close_old = old->join_ref;
    send(supervisor(), dismiss_atom_v, old->id);
    // It ends here, joined: a topic whose join runs holds this frame.
    metrics::node().channels.sub();
    // Unsubscribing before the new channel exists keeps the registry from
    // holding both instances at once.
    setup_.pubsub.unsubscribe(old->topic, old->server);
    channels_.erase(find_id(old->id));
  }
  auto* r = setup_.routes->match(msg.topic, setup_.transport);
  auto fail = [&](json response, const json& join_ref) {
    metrics::node().joins_error.add(); // refused before any channel ran
    reply(join_ref, msg.ref, msg.topic, "error", response);
    if (close_old)
      send_lifecycle(msg.topic, *close_old, events::close, json::object());
  };
  if (!r) {
    log_for(log_level::info, conn_id(), "ignoring unmatched topic \"", msg.topic, "\"");
    fail(json{{"reason", "unmatched topic"}}, nullptr);
  } else if (channels_.size() >= setup_.limits.max_channels) {
    log_for(log_level::warning, conn_id(), "refusing join of \"", msg.topic, "\": ",
        setup_.limits.max_channels, " channels already joined");
    fail(json{{"reason", "too many channels joined"}}, msg.join_ref);
  } else {
    start_channel(*r, std::move(msg), std::move(close_old));
  }
}

void connection_actor::start_channel(const struct route& r, message msg,
                                     std::optional<json> close_old) {
  auto spec = std::make_shared<child_spec>();
  spec->routes = setup_.routes;
  spec->route = &r;
  spec->base = setup_.base;
  spec->base.assigns_.update(r.assigns);
  spec->sink = setup_.sink;
  spec->format = setup_.format;
  spec->pubsub = setup_.pubsub;
  auto id = ++next_id_;
  channels_.push_back(channel_entry{msg.topic, id, nullptr, msg.join_ref, msg.ref,
                                    channel_state::joining, {}, std::move(close_old)});
  spec->join = std::move(msg);
  send(supervisor(), start_atom_v, id, child_spec_ptr{std::move(spec)});
}

void connection_actor::settle(std::uint64_t id, outcome what, caf::actor server) {
  auto i = find_id(id);
  if (i == channels_.end())
    return; // replaced by a duplicate join, or its refusal came first
  auto held = std::move(i->held);
  auto close_old = std::exchange(i->close_old, std::nullopt);
  auto topic = i->topic;
  if (what == outcome::joined) {
    // A first join, or a restart by a fresh server (still joined for the
    // client: counted once, by its first join).
    if (i->state == channel_state::joining) {
      metrics::node().joins_ok.add();
      metrics::node().channels.add();
    }
    i->state = channel_state::joined;
    i->server = std::move(server);
    i->join_msg_ref = nullptr; // only a join that never completes needs it
  } else {
    auto entry = std::move(*i);
    channels_.erase(i);
    if (entry.state != channel_state::joining)
      metrics::node().channels.sub();
    // A refusal was answered, and counted, by the channel.
    if (what != outcome::refused) {
      if (entry.state == channel_state::joining) {
        // Died before it could answer its join.
        metrics::node().joins_crash.add();
        reply(entry.join_ref, entry.join_msg_ref, topic, "error",
              json{{"reason", "join crashed"}});
      } else if (what == outcome::closed)
        send_lifecycle(topic, entry.join_ref, events::close, json::object());
      else
        send_lifecycle(topic, entry.join_ref, events::error, json{{"reason", "channel_crash"}});
    }
  }
  if (close_old)
    send_lifecycle(topic, *close_old, events::close, json::object());
  // Frames that waited see the topic as it is now: routed to the channel,
  // or "unmatched topic" once it is gone.
  replay(std::move(held));
}

void connection_actor::on_restarting(std::uint64_t id) {
  // The supervisor replaces a channel that died: hold the topic's frames
  // until the new server joined.
  if (auto i = find_id(id); i != channels_.end()) {
    i->state = channel_state::restarting;
    i->server = nullptr;
  }
}

void connection_actor::on_id_broadcast(const phx::broadcast& msg) {
  // Only "disconnect" means anything on the id topic; the rest is ignored.
  if (msg.event != "disconnect")
    return;
  log_for(log_level::info, conn_id(), "disconnecting socket ", msg.topic, " on request");
  close_connection(close_code::going_away, "disconnect");
}

void connection_actor::reply(const json& join_ref, const json& ref, const std::string& topic,
                             const char* status, const json& response) {
  setup_.sink->send(setup_.format->encode_reply(join_ref, ref, topic, status, response));
}

void connection_actor::reply_unmatched(const message& msg) {
  reply(nullptr, msg.ref, msg.topic, "error", json{{"reason", "unmatched topic"}});
}

void connection_actor::send_lifecycle(const std::string& topic, const json& join_ref,
                                      const char* event, json payload) {
  // phx_close / phx_error carry the instance's join_ref in both slots.
  setup_.sink->send(
    setup_.format->encode(message{join_ref, join_ref, topic, event, std::move(payload)}));
}

void connection_actor::close_connection(close_code code, const std::string& why) {
  if (closing_)
    return;
  closing_ = true;
  if (code != close_code::going_away)
    log_for(log_level::warning, conn_id(), "closing connection (", static_cast<int>(code), " ",
        to_string(code), "): ", why);
  setup_.sink->close(code, why);
  quit();
}

connection_actor::channel_entry* connection_actor::find_topic(const std::string& topic) {
  for (auto& ch : channels_)
    if (ch.topic == topic)
      return &ch;
  return nullptr;
}

std::vector<connection_actor::channel_entry>::iterator
connection_actor::find_id(std::uint64_t id) {
  return std::find_if(channels_.begin(), channels_.end(),
                      [id](const channel_entry& ch) { return ch.id == id; });
}

const caf::actor& connection_actor::supervisor() {
  if (!supervisor_)
    supervisor_ = spawn<socket_supervisor, caf::lazy_init>(caf::actor_cast<caf::actor>(this),
                                                           setup_.counters);
  return supervisor_;
}

} // namespace phx::detail
