#pragma once

// Everything an application needs: channels, socket handlers, the endpoint.
#include "phx/actors.hpp"
#include "phx/cluster.hpp"
#include "phx/metrics.hpp"
#include "phx/presence.hpp"
#include "phx/protocol.hpp"
#include "phx/pubsub.hpp"
#include "phx/token.hpp"
#include "phx/transports.hpp"
