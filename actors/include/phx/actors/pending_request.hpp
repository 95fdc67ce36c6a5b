#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include <caf/detail/type_traits.hpp>
#include <caf/error.hpp>

namespace phx {

class channel_socket;

namespace detail {

/// Runs callbacks of one channel instance on its actor, as the engine runs
/// the channel's own callbacks (an exception crashes the channel), and drops
/// them once the instance was replaced by a restart.
class callback_runner {
public:
  callback_runner(channel_socket* socket, std::uint32_t generation)
    : socket_(socket), generation_(generation) {}

  template <class F>
  void operator()(const char* what, F&& f) const {
    run(what, &invoke<std::decay_t<F>>, &f);
  }

private:
  template <class F>
  static void invoke(void* f) {
    (*static_cast<F*>(f))();
  }

  void run(const char* what, void (*fn)(void*), void* f) const;

  channel_socket* socket_;
  std::uint32_t generation_;
};

} // namespace detail

/// A request sent with channel_socket::request, waiting for its callbacks.
template <class Handle>
class pending_request {
public:
  pending_request(Handle handle, detail::callback_runner run)
    : handle_(std::move(handle)), run_(run) {}

  /// `on_result` takes the answer's values (typed, as in CAF), `on_error`
  /// a caf::error& (a timeout is sec::request_timeout).
  template <class OnResult, class OnError>
  void then(OnResult on_result, OnError on_error) && {
    using args = typename caf::detail::get_callable_trait<OnResult>::arg_types;
    std::move(handle_).then(guard(std::move(on_result), args{}),
                            [run = run_, g = std::move(on_error)](caf::error& err) mutable {
                              run("a request's error handler", [&] { g(err); });
                            });
  }

  /// As above, but an error (a timeout included) crashes the channel, as an
  /// unanswered call crashes its caller in Erlang.
  template <class OnResult>
  void then(OnResult on_result) && {
    std::move(*this).then(std::move(on_result), [](caf::error& err) {
      throw std::runtime_error("request failed: " + caf::to_string(err));
    });
  }

private:
  template <class F, class... Ts>
  auto guard(F f, caf::detail::type_list<Ts...>) {
    return [run = run_, f = std::move(f)](Ts... xs) mutable {
      run("a request's result handler", [&] { f(xs...); });
    };
  }

  Handle handle_;
  detail::callback_runner run_;
};

} // namespace phx
