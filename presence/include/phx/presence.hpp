#pragma once

// Presence: who is online, per topic, on every node.
#include "phx/presence/presence.hpp"
#include "phx/presence/presence_config.hpp"
