#pragma once

// Umbrella header of phx::transports.
#include "phx/transports/endpoint.hpp"
#include "phx/transports/endpoint_config.hpp"
#include "phx/transports/http_message.hpp"
