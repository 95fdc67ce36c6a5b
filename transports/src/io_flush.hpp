#pragma once

#include <boost/asio/io_context.hpp>

#include "phx/protocol/frame_sink.hpp"

namespace phx::detail {

/// The registry's flush_function for sessions on `ioc`: the sinks of a
/// broadcast are cut into slices, each flushed by one handler on whichever
/// I/O thread is free. `threads` I/O threads write at once; slices are small
/// enough that reads and HTTP answers interleave with a large fan-out.
flush_function flush_on(boost::asio::io_context& ioc, unsigned threads);

} // namespace phx::detail
