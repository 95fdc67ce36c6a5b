#include "io_flush.hpp"

#include <algorithm>
#include <memory>

#include <boost/asio/post.hpp>

namespace phx::detail {

namespace {

// Sinks one handler flushes: about one send() each, so a few milliseconds.
constexpr std::size_t max_slice = 512;

} // namespace

flush_function flush_on(boost::asio::io_context& ioc, unsigned threads) {
  threads = std::max(1u, threads);
  return [&ioc, threads](std::vector<frame_sink_ptr> sinks) {
    auto per_thread = (sinks.size() + threads - 1) / threads;
    auto slice = std::clamp<std::size_t>(per_thread, 1, max_slice);
    auto all = std::make_shared<const std::vector<frame_sink_ptr>>(std::move(sinks));
    for (std::size_t begin = 0; begin < all->size(); begin += slice) {
      auto end = std::min(all->size(), begin + slice);
      boost::asio::post(ioc, [all, begin, end] {
        for (auto i = begin; i < end; ++i)
          (*all)[i]->flush();
      });
    }
  };
}

} // namespace phx::detail
