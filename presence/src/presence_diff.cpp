#include "presence_diff.hpp"

#include <algorithm>

namespace phx::detail {

namespace {

const json& ref_of(const json& meta) {
  static const json none;
  auto i = meta.find("phx_ref");
  return i == meta.end() ? none : *i;
}

// Removes the meta with `meta`'s phx_ref from `metas`; true if there was one.
bool cancel(std::vector<json>& metas, const json& meta) {
  auto& ref = ref_of(meta);
  auto i = std::find_if(metas.begin(), metas.end(),
                        [&](const json& m) { return ref_of(m) == ref; });
  if (i == metas.end())
    return false;
  metas.erase(i);
  return true;
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
  if (change.joined) {
    if (!cancel(k.leaves, change.meta))
      k.joins.push_back(change.meta);
  } else if (!cancel(k.joins, change.meta)) {
    k.leaves.push_back(change.meta);
  }
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
    if (joins.empty() && leaves.empty())
      continue;
    out.emplace_back(topic, json{{"joins", by_key(joins)}, {"leaves", by_key(leaves)}});
  }
  topics_.clear();
  return out;
}

} // namespace phx::detail
