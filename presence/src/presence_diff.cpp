#include "presence_diff.hpp"

#include <algorithm>

namespace phx::detail {

namespace {

const json& ref_of(const json& meta) {
  static const json none;
  auto i = meta.find("phx_ref");
  return i == meta.end() ? none : *i;
}

bool has_ref(const std::vector<json>& metas, const json& meta) {
  auto& ref = ref_of(meta);
  return std::any_of(metas.begin(), metas.end(), [&](const json& m) { return ref_of(m) == ref; });
}

json by_key(const std::map<std::string, std::vector<json>>& metas) {
  auto out = json::object();
  for (auto& [key, list] : metas)
    out[key] = json{{"metas", list}};
  return out;
}

} // namespace

void presence_diff::add(const presence_change& change) {
  auto& k = topics_[change.topic][change.key];
  (change.joined ? k.joins : k.leaves).push_back(change.meta.value());
}

bool presence_diff::rejoins(const presence_change& change) const {
  if (!change.joined)
    return false;
  auto t = topics_.find(change.topic);
  if (t == topics_.end())
    return false;
  auto k = t->second.find(change.key);
  return k != t->second.end() && !k->second.leaves.empty() &&
         has_ref(k->second.leaves, change.meta.value());
}

std::vector<std::pair<std::string, json>> presence_diff::take() {
  std::vector<std::pair<std::string, json>> out;
  for (auto& [topic, keys] : topics_) {
    std::map<std::string, std::vector<json>> joins;
    std::map<std::string, std::vector<json>> leaves;
    for (auto& [key, k] : keys) {
      if (!k.joins.empty())
        joins[key] = std::move(k.joins);
      if (!k.leaves.empty())
        leaves[key] = std::move(k.leaves);
    }
    out.emplace_back(topic, json{{"joins", by_key(joins)}, {"leaves", by_key(leaves)}});
  }
  topics_.clear();
  return out;
}

} // namespace phx::detail
