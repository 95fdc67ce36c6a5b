#include "replication_json.hpp"

#include <stdexcept>

namespace phx::detail {

namespace {

// Versions are start times in nanoseconds: sent as strings, as JSON
// numbers above 2^53 do not survive every parser.
std::uint64_t vsn_of(const json& j) {
  return std::stoull(j.at("vsn").get<std::string>());
}

presence_entry entry_of(const json& topic, const json& key, const json& meta) {
  if (!meta.is_object())
    throw std::invalid_argument("a presence meta must be an object");
  return presence_entry{topic.get<std::string>(), key.get<std::string>(), meta};
}

} // namespace

json to_json(const replica_delta& d) {
  auto ops = json::array();
  for (auto& op : d.ops) {
    if (op.added)
      ops.push_back(
        json::array({"+", op.dot, op.added->topic, op.added->key, op.added->meta.value()}));
    else
      ops.push_back(json::array({"-", op.clock, op.dot}));
  }
  return json{{"replica", d.replica}, {"vsn", std::to_string(d.vsn)}, {"from", d.from},
              {"to", d.to}, {"ops", std::move(ops)}};
}

replica_delta delta_from_json(const json& j) {
  replica_delta d;
  d.replica = j.at("replica").get<std::string>();
  d.vsn = vsn_of(j);
  d.from = j.at("from").get<std::uint64_t>();
  d.to = j.at("to").get<std::uint64_t>();
  if (d.from > d.to)
    throw std::invalid_argument("a delta must not end before it starts");
  for (auto& op : j.at("ops")) {
    auto& kind = op.at(0);
    if (kind == "+") {
      auto dot = op.at(1).get<std::uint64_t>();
      d.ops.push_back(presence_op{dot, dot, entry_of(op.at(2), op.at(3), op.at(4))});
    } else if (kind == "-") {
      d.ops.push_back(presence_op{op.at(1).get<std::uint64_t>(), op.at(2).get<std::uint64_t>(),
                                  std::nullopt});
    } else {
      throw std::invalid_argument("unknown presence operation");
    }
  }
  return d;
}

json to_json(const replica_snapshot& s) {
  auto entries = json::array();
  for (auto& [dot, e] : s.entries)
    entries.push_back(json::array({dot, e.topic, e.key, e.meta.value()}));
  return json{{"replica", s.replica}, {"vsn", std::to_string(s.vsn)}, {"clock", s.clock},
              {"entries", std::move(entries)}};
}

replica_snapshot snapshot_from_json(const json& j) {
  replica_snapshot s;
  s.replica = j.at("replica").get<std::string>();
  s.vsn = vsn_of(j);
  s.clock = j.at("clock").get<std::uint64_t>();
  for (auto& e : j.at("entries"))
    s.entries.emplace_back(e.at(0).get<std::uint64_t>(), entry_of(e.at(1), e.at(2), e.at(3)));
  return s;
}

} // namespace phx::detail
