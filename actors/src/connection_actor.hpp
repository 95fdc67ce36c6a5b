#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "phx/actors/connection.hpp"
#include "phx/protocol/message.hpp"
#include "phx/pubsub/broadcast.hpp"
#include "shared_behavior_actor.hpp"

namespace phx::detail {

/// One client connection (Phoenix's Socket process): decodes frames, answers
/// heartbeats, routes events by topic to channel servers, and runs the
/// join/leave lifecycle. Its socket_supervisor starts, watches and restarts
/// the channels and reports how each ended; the connection turns that into
/// replies, phx_close or phx_error (settle), and never dies with a channel.
///
/// Phoenix joins synchronously: a frame that follows a join is handled once
/// the join is settled. Here a topic whose join, leave or restart is under
/// way holds every later frame of that topic (joins and leaves included) and
/// replays them in order once it settles, so pipelined join/leave/join
/// sequences get every reply and every phx_close, in order. A held frame is
/// not "consumed" (frame_sink::frame_consumed) until it is replayed, so
/// holding applies the transport's read backpressure instead of buffering
/// without bound.
class connection_actor : public shared_behavior_actor<connection_actor> {
public:
  connection_actor(caf::actor_config& cfg, connection_setup setup);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  enum class channel_state { joining, joined, leaving, restarting };

  /// The connection's number in log lines.
  std::uint64_t conn_id() const noexcept { return setup_.base.info().connection_id; }

  struct channel_entry {
    std::string topic;
    std::uint64_t id;              ///< names the channel to the supervisor
    caf::actor server;             ///< set once joined
    json join_ref;                 ///< as the client sent it (may be null)
    json join_msg_ref;             ///< ref of the phx_join message
    channel_state state = channel_state::joining;
    std::vector<message> held;     ///< frames that arrived while not joined
    std::optional<json> close_old; ///< join_ref of the instance this join replaced
  };

  /// How a channel's join or life ended, as settle sees it.
  enum class outcome { joined, refused, closed, failed };

  void on_frame(const std::string& data, bool binary);
  // Routes, joins, or holds `msg`; false when it was held.
  bool dispatch(message msg);
  // Dispatches frames that waited for their topic to settle.
  void replay(std::vector<message> held);
  void route(message msg);
  void join(message msg);
  void start_channel(const struct route& r, message msg, std::optional<json> close_old);
  // The one place where a join, leave or restart settles: replies,
  // lifecycle events, the replaced instance's phx_close, held frames.
  void settle(std::uint64_t id, outcome what, caf::actor server = {});
  void on_restarting(std::uint64_t id);
  void on_id_broadcast(const phx::broadcast& msg);

  void reply(const json& join_ref, const json& ref, const std::string& topic,
             const char* status, const json& response);
  void reply_unmatched(const message& msg);
  void send_lifecycle(const std::string& topic, const json& join_ref, const char* event,
                      json payload);
  void close_connection(close_code code, const std::string& why);

  const caf::actor& supervisor();
  channel_entry* find_topic(const std::string& topic);
  std::vector<channel_entry>::iterator find_id(std::uint64_t id);

  connection_setup setup_;
  caf::actor supervisor_; ///< spawned with the first join
  std::vector<channel_entry> channels_;
  std::uint64_t next_id_ = 0;
  bool closing_ = false;
};

} // namespace phx::detail
