#pragma once

#include <map>
#include <string>

#include <phx/phx.hpp>

#include "atoms.hpp"

/// How many messages a room remembers.
constexpr std::size_t history_length = 50;

/// The rooms' histories: one room_history actor per room, spawned when the
/// room is first used. Takes record_atom and history_atom messages and hands
/// each to its room's actor.
caf::behavior history_keeper(caf::stateful_actor<std::map<std::string, caf::actor>>* self,
                             std::size_t length);

/// One room's last `length` messages.
caf::behavior room_history(caf::stateful_actor<phx::json>* self, std::size_t length);
