#include "room_history.hpp"

caf::behavior history_keeper(caf::stateful_actor<std::map<std::string, caf::actor>>* self,
                             std::size_t length) {
  auto room = [self, length](const std::string& name) {
    auto& history = self->state[name];
    if (!history)
      history = self->spawn(room_history, length);
    return history;
  };
  return {
    [self, room](chat::record_atom, const std::string& name, const phx::json& msg) {
      self->send(room(name), chat::record_atom_v, name, msg);
    },
    // The room's actor answers the original requester.
    [self, room](chat::history_atom, const std::string& name) {
      return self->delegate(room(name), chat::history_atom_v, name);
    },
  };
}

caf::behavior room_history(caf::stateful_actor<phx::json>* self, std::size_t length) {
  self->state = phx::json::array();
  return {
    [self, length](chat::record_atom, const std::string&, const phx::json& msg) {
      auto& messages = self->state;
      if (messages.size() == length)
        messages.erase(messages.begin());
      messages.push_back(msg);
    },
    [self](chat::history_atom, const std::string&) { return self->state; },
  };
}
