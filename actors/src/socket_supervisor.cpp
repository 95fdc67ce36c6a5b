#include "socket_supervisor.hpp"

#include <caf/exit_reason.hpp>

#include "channel_server.hpp"
#include "phx/actors/atoms.hpp"
#include "phx/protocol/log.hpp"
#include "unexpected_message.hpp"

namespace phx::detail {

using end = restart_policy::end;
using verdict = child_supervision::verdict;

socket_supervisor::socket_supervisor(caf::actor_config& cfg, caf::actor connection,
                                     std::shared_ptr<supervision_counters> counters)
  : shared_behavior_actor(cfg), connection_(std::move(connection)),
    counters_(std::move(counters)) {
  set_down_handler([this](caf::down_msg& down) { on_down(down); });
  // The connection is gone: every channel ends with {shutdown, closed}.
  set_exit_handler([this](caf::exit_msg& msg) {
    for (auto& c : children_)
      send_exit(c.server, caf::exit_reason::user_shutdown);
    children_.clear();
    quit(msg.reason);
  });
  set_default_handler([logged = false](caf::scheduled_actor* self, caf::message_view& view) mutable {
    return drop_unexpected(self, view.move_content_to_message(), "socket supervisor", logged);
  });
}

caf::behavior socket_supervisor::make_behavior() {
  static const caf::behavior shared{
    [](start_atom, std::uint64_t id, child_spec_ptr& spec) { running().start(id, std::move(spec)); },
    [](dismiss_atom, std::uint64_t id) { running().dismiss(id); },
    [](joined_atom, std::uint64_t id) {
      auto& self = running();
      if (auto i = self.find(id); i != self.children_.end())
        i->joined = true;
    },
    [](restart_atom, std::uint64_t id, end how, const std::string& why) {
      return running().decide(id, how, why);
    },
  };
  return shared;
}

void socket_supervisor::on_exit() {
  children_.clear();
  connection_ = nullptr;
}

void socket_supervisor::start(std::uint64_t id, child_spec_ptr spec) {
  child c{id, spawn_server(id, spec, 0), nullptr, nullptr};
  if (spec->restartable()) {
    c.supervision = std::make_unique<child_supervision>(spec->route->policy);
    c.spec = std::move(spec);
  }
  children_.push_back(std::move(c));
}

caf::actor socket_supervisor::spawn_server(std::uint64_t id, const child_spec_ptr& spec,
                                           std::uint32_t restarts) {
  // lazy_init: first scheduled by its join message, one wake-up less.
  auto server = spawn<channel_server, caf::lazy_init>(
    spec, id, restarts, caf::actor_cast<caf::actor>(this), connection_);
  monitor(server);
  send(server, join_atom_v);
  return server;
}

void socket_supervisor::dismiss(std::uint64_t id) {
  // A duplicate join replaced it: killed without terminate, never restarted.
  auto i = find(id);
  if (i == children_.end())
    return;
  demonitor(i->server);
  send_exit(i->server, caf::exit_reason::kill);
  children_.erase(i);
}

caf::message socket_supervisor::decide(std::uint64_t id, end how, const std::string& why) {
  auto i = find(id);
  if (i == children_.end() || !i->supervision)
    return caf::make_message(false, std::uint32_t{0});
  switch (i->supervision->decide(how, child_supervision::clock::now())) {
    case verdict::restart:
      i->joined = false; // until the new instance's join completes
      count_restart(*i, why);
      return caf::make_message(true, i->supervision->restarts());
    case verdict::give_up:
      count_give_up(*i, why);
      break;
    case verdict::end:
      break;
  }
  i->ending = true;
  return caf::make_message(false, std::uint32_t{0});
}

void socket_supervisor::on_down(const caf::down_msg& down) {
  auto i = std::find_if(children_.begin(), children_.end(),
                        [&](const child& c) { return c.server.address() == down.source; });
  if (i == children_.end())
    return;
  bool graceful = down.reason == caf::exit_reason::normal;
  if (!graceful && !i->ending && i->supervision) {
    if (!i->joined) {
      // Only a restart's join can fail here (a first join answers the
      // client itself and ends normally).
      if (i->supervision->restarts() > 0)
        count_give_up(*i, "restart failed in join");
    } else {
      // Died without asking: killed from outside, or an exception the
      // channel could not catch. Messages in its mailbox are lost.
      auto why = to_string(down.reason);
      switch (i->supervision->decide(end::crash, child_supervision::clock::now())) {
        case verdict::restart:
          count_restart(*i, why);
          i->joined = false;
          // Told first, so that the connection holds the topic's frames
          // before the new server can answer.
          send(connection_, restarting_atom_v, i->id);
          i->server = spawn_server(i->id, i->spec, i->supervision->restarts());
          return;
        case verdict::give_up:
          count_give_up(*i, why);
          break;
        case verdict::end:
          break;
      }
    }
  }
  send(connection_, ended_atom_v, i->id, graceful);
  children_.erase(i);
}

void socket_supervisor::count_restart(const child& c, const std::string& why) {
  if (counters_)
    ++counters_->restarts;
  log_for(log_level::warning, c.spec->base.info().connection_id, "channel ", c.spec->join.topic, ": restart ",
      c.supervision->restarts(), " after ", why);
}

void socket_supervisor::count_give_up(const child& c, const std::string& why) {
  if (counters_)
    ++counters_->give_ups;
  const auto& policy = c.supervision->policy();
  log_for(log_level::error, c.spec->base.info().connection_id, "channel ", c.spec->join.topic, ": giving up after ", why, " (",
      c.supervision->restarts(), " restarts; at most ", policy.max_restarts, " within ",
      policy.window.count(), " ms)");
}

std::vector<socket_supervisor::child>::iterator socket_supervisor::find(std::uint64_t id) {
  return std::find_if(children_.begin(), children_.end(),
                      [id](const child& c) { return c.id == id; });
}

} // namespace phx::detail
