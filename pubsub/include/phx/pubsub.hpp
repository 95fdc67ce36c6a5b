#pragma once

// Umbrella header of phx::pubsub.
#include "phx/pubsub/atoms.hpp"
#include "phx/pubsub/broadcast.hpp"
#include "phx/pubsub/pubsub.hpp"
#include "phx/pubsub/registry.hpp"
#include "phx/pubsub/subscription.hpp"
