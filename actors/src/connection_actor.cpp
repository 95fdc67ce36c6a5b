#include "connection_actor.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include "atoms.hpp"
#include "channel_server.hpp"
#include "phx/protocol/log.hpp"
#include "phx/pubsub/atoms.hpp"

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
  caf::anon_send(connection, detail::frame_atom::value, std::move(data), binary);
}

void notify_closed(const caf::actor& connection) {
  caf::anon_send(connection, detail::closed_atom::value);
}

} // namespace phx

namespace phx::detail {

connection_actor::connection_actor(caf::actor_config& cfg, connection_setup setup)
  : caf::event_based_actor(cfg), setup_(std::move(setup)) {
  auto& base = setup_.base;
  base.sink_ = setup_.sink;
  base.format_ = setup_.format;
  base.pubsub_ = setup_.pubsub;
  base.id_ = setup_.id;
  set_down_handler([this](caf::down_msg& down) { on_down(down); });
}

caf::behavior connection_actor::make_behavior() {
  // With an id, listen on the id topic for "disconnect".
  if (auto& id = setup_.base.id_)
    setup_.pubsub.subscribe(*id, subscription{caf::actor_cast<caf::actor>(this), nullptr,
                                              nullptr, nullptr});
  return {
    [this](frame_atom, const std::string& data, bool binary) { on_frame(data, binary); },
    [this](closed_atom) { quit(); },
    [this](joined_atom, bool accepted) { on_joined(caf::actor_cast<caf::actor_addr>(current_sender()), accepted); },
    [this](broadcast_atom, const broadcast_ptr& msg) { on_id_broadcast(*msg); },
  };
}

void connection_actor::on_exit() {
  // Channels end with {shutdown, closed} (their exit handler runs terminate).
  for (auto& ch : channels_)
    send_exit(ch.server, caf::exit_reason::user_shutdown);
  channels_.clear();
  // Break handle cycles (registry, sink) once terminated.
  setup_ = connection_setup{};
}

void connection_actor::on_frame(const std::string& data, bool binary) {
  if (closing_)
    return setup_.sink->frame_consumed();
  auto decoded = setup_.format->decode(data, binary, setup_.limits.max_json_depth);
  if (!decoded.ok()) {
    setup_.sink->frame_consumed();
    close_connection(binary ? close_code::unsupported_data : close_code::invalid_payload,
                     decoded.error);
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
    log(log_level::debug, "dropping ", msg.event, " on ", msg.topic, ": stale join_ref ",
        dump_json(msg.join_ref));
    return;
  }
  if (msg.event == events::leave) {
    ch->state = channel_state::leaving; // later frames wait for its end
    send(ch->server, leave_atom::value, std::move(msg));
  } else {
    send(ch->server, inbound_atom::value, std::move(msg));
  }
}

void connection_actor::join(message msg) {
  // A duplicate join replaces the (joined) instance: kill it without
  // terminate, and close it on the wire once the new join's reply is out.
  std::optional<json> close_old;
  if (auto* old = find_topic(msg.topic)) {
    close_old = old->join_ref;
    demonitor(old->server);
    // Unsubscribing before the new channel exists keeps the registry from
    // holding both instances at once.
    setup_.pubsub.unsubscribe(old->topic, old->server);
    send_exit(old->server, caf::exit_reason::kill);
    channels_.erase(find_server(old->server.address()));
  }
  auto* r = setup_.routes->match(msg.topic);
  auto fail = [&](json response, const json& join_ref) {
    reply(join_ref, msg.ref, msg.topic, "error", response);
    if (close_old)
      send_lifecycle(msg.topic, *close_old, events::close, json::object());
  };
  if (!r) {
    log(log_level::info, "ignoring unmatched topic \"", msg.topic, "\"");
    fail(json{{"reason", "unmatched topic"}}, nullptr);
  } else if (channels_.size() >= setup_.limits.max_channels) {
    log(log_level::warning, "refusing join of \"", msg.topic, "\": ",
        setup_.limits.max_channels, " channels already joined");
    fail(json{{"reason", "too many channels joined"}}, msg.join_ref);
  } else {
    start_channel(*r, std::move(msg), std::move(close_old));
  }
}

void connection_actor::start_channel(const struct route& r, message msg,
                                     std::optional<json> close_old) {
  std::unique_ptr<channel> impl;
  try {
    impl = r.make();
  } catch (const std::exception& e) {
    log(log_level::error, "channel for ", msg.topic, " could not be created: ", e.what());
  }
  if (!impl) {
    reply(msg.join_ref, msg.ref, msg.topic, "error", json{{"reason", "join crashed"}});
    if (close_old)
      send_lifecycle(msg.topic, *close_old, events::close, json::object());
    return;
  }
  socket sock = setup_.base;
  sock.assigns_.update(r.assigns);
  sock.topic_ = msg.topic;
  // Replies and pushes carry the join's join_ref, or its ref when a V1
  // client sent none.
  sock.join_ref_ = msg.join_ref.is_null() ? msg.ref : msg.join_ref;
  // lazy_init: first scheduled by its join message, one wake-up less.
  auto server = spawn<channel_server, caf::lazy_init>(std::move(impl), std::move(sock),
                                      caf::actor_cast<caf::actor>(this));
  monitor(server);
  channels_.push_back(channel_entry{msg.topic, server, msg.join_ref, msg.ref,
                                    channel_state::joining, {}, std::move(close_old)});
  send(server, join_atom::value, std::move(msg));
}

void connection_actor::on_joined(const caf::actor_addr& server, bool accepted) {
  auto i = find_server(server);
  if (i == channels_.end())
    return; // replaced by a duplicate join meanwhile
  auto close_old = std::move(i->close_old);
  auto held = std::move(i->held);
  auto topic = i->topic;
  if (accepted) {
    i->state = channel_state::joined;
  } else {
    demonitor(i->server);
    channels_.erase(i);
  }
  if (close_old)
    send_lifecycle(topic, *close_old, events::close, json::object());
  // Frames that waited for the join now see its outcome: routed to the new
  // channel, or "unmatched topic" after a refusal.
  replay(std::move(held));
}

void connection_actor::on_down(const caf::down_msg& down) {
  auto i = find_server(down.source);
  if (i == channels_.end())
    return;
  auto entry = std::move(*i);
  channels_.erase(i);
  if (entry.state == channel_state::joining) {
    // Died before it could answer its join.
    reply(entry.join_ref, entry.join_msg_ref, entry.topic, "error",
          json{{"reason", "join crashed"}});
    if (entry.close_old)
      send_lifecycle(entry.topic, *entry.close_old, events::close, json::object());
  } else if (down.reason == caf::exit_reason::normal) {
    send_lifecycle(entry.topic, entry.join_ref, events::close, json::object());
  } else {
    send_lifecycle(entry.topic, entry.join_ref, events::error,
                   json{{"reason", "channel_crash"}});
  }
  // Frames that waited for a join or a leave see the topic as it is now.
  replay(std::move(entry.held));
}

void connection_actor::on_id_broadcast(const phx::broadcast& msg) {
  // Only "disconnect" means anything on the id topic; the rest is ignored.
  if (msg.event != "disconnect")
    return;
  log(log_level::info, "disconnecting socket ", msg.topic, " on request");
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
    log(log_level::warning, "closing connection (", static_cast<int>(code), " ",
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
connection_actor::find_server(const caf::actor_addr& server) {
  return std::find_if(channels_.begin(), channels_.end(),
                      [&](const channel_entry& ch) { return ch.server.address() == server; });
}

} // namespace phx::detail
