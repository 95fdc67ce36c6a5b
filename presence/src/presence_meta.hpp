#pragma once

#include <string>
#include <string_view>

#include "phx/protocol/json.hpp"

namespace phx::detail {

/// A presence's meta as the tracker keeps it: the JSON object's text, not a
/// parsed tree. A tree of two fields costs about 350 bytes in allocations,
/// its text about 60; a topic with 10,000 presences holds 10,000 of them,
/// and a joiner's presence_state splices the texts as they are. The meta is
/// parsed again only where a field is read (phx_ref on an update, the
/// comparison of a restarted channel's meta) and for the JSON of a diff,
/// a list or a replication message.
class presence_meta {
public:
  presence_meta() : text_("{}") {}
  /// Encodes `meta` (a JSON object).
  presence_meta(const json& meta) : text_(dump_json(meta)) { // NOLINT: implicit by design
    text_.shrink_to_fit(); // the dump's spare room would be a quarter of it, per presence
  }

  json value() const { return json::parse(text_); }
  std::string_view text() const noexcept { return text_; }
  /// Its phx_ref, or an empty string.
  std::string ref() const;

private:
  std::string text_;
};

} // namespace phx::detail
