#pragma once

// Umbrella header of phx::actors: everything a channel or socket handler needs.
#include "phx/actors/channel.hpp"
#include "phx/actors/connect_info.hpp"
#include "phx/actors/connection.hpp"
#include "phx/actors/exit_reason.hpp"
#include "phx/actors/in_result.hpp"
#include "phx/actors/join_result.hpp"
#include "phx/actors/out_result.hpp"
#include "phx/actors/router.hpp"
#include "phx/actors/socket.hpp"
#include "phx/actors/socket_handler.hpp"
#include "phx/actors/socket_ref.hpp"
#include "phx/actors/topic_pattern.hpp"
