#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>

#include "child_spec.hpp"
#include "child_supervision.hpp"
#include "phx/actors/supervision_counters.hpp"
#include "shared_behavior_actor.hpp"

namespace phx::detail {

/// The supervisor of one connection's channels (one per connection, spawned
/// with its first join): it starts each channel, monitors it and applies its
/// route's restart_policy, counting restarts against the intensity.
///
/// - A channel that crashes or stops asks (restart_atom) and, told yes,
///   restarts in place (channel_server); told no, it ends.
/// - A channel that dies without asking (killed from outside) is replaced
///   by a fresh server, if its policy and intensity allow; the connection
///   holds the topic's frames meanwhile (restarting_atom).
/// - Every end for good reaches the connection as (ended_atom, id,
///   graceful): phx_close or phx_error, or the answer to a join that never
///   completed.
/// - An exit message (the connection closed) shuts every channel down with
///   {shutdown, closed}, then the supervisor.
class socket_supervisor : public shared_behavior_actor<socket_supervisor> {
public:
  socket_supervisor(caf::actor_config& cfg, caf::actor connection,
                    std::shared_ptr<supervision_counters> counters);

  caf::behavior make_behavior() override;

  void on_exit() override;

private:
  struct child {
    std::uint64_t id;
    caf::actor server;
    child_spec_ptr spec;                   ///< restartable routes only
    std::unique_ptr<child_supervision> supervision; ///< restartable routes only
    bool joined = false;                   ///< its (latest) join completed
    bool ending = false;                   ///< told to end: its down is final
  };

  void start(std::uint64_t id, child_spec_ptr spec);
  caf::actor spawn_server(std::uint64_t id, const child_spec_ptr& spec, std::uint32_t restarts);
  void dismiss(std::uint64_t id);
  caf::message decide(std::uint64_t id, restart_policy::end how, const std::string& why);
  void on_down(const caf::down_msg& down);
  void count_restart(const child& c, const std::string& why);
  void count_give_up(const child& c, const std::string& why);

  std::vector<child>::iterator find(std::uint64_t id);

  caf::actor connection_;
  std::shared_ptr<supervision_counters> counters_;
  std::vector<child> children_;
};

} // namespace phx::detail
