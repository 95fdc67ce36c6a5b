#pragma once

// Umbrella header of phx::protocol.
#include "phx/protocol/close_code.hpp"
#include "phx/protocol/frame.hpp"
#include "phx/protocol/frame_sink.hpp"
#include "phx/protocol/json.hpp"
#include "phx/protocol/json_reader.hpp"
#include "phx/protocol/log.hpp"
#include "phx/protocol/message.hpp"
#include "phx/protocol/serializer.hpp"
#include "phx/protocol/utf8.hpp"
