#pragma once
// Phoenix V2 JSON frames: `[join_ref, ref, topic, event, payload]`.
// Building is string concatenation; reading is a shallow scan of the first four
// elements plus string search inside the payload, never a full JSON parse:
// this is the hot path of every worker.
#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

// Refs we send start with a letter saying what they answer, so a reply is
// classified by its first byte: j = join, h = heartbeat, p = push, l = leave,
// q = a presence `list` request.
enum : char { ref_join = 'j', ref_heartbeat = 'h', ref_push = 'p', ref_leave = 'l', ref_list = 'q' };

struct phx_msg {
  std::string_view join_ref; // data() == nullptr when JSON null
  std::string_view ref;
  std::string_view topic;
  std::string_view event;
  std::string_view payload; // raw JSON text
};

// Shallow JSON scanning, shared by the frame and long-poll readers.
// Advances i past spaces, tabs and line breaks.
void json_skip_ws(std::string_view s, size_t& i);
// At an opening quote: leaves i after the closing one, `raw` = the content
// (escapes left as they are). False when there is no string at i.
bool json_scan_string(std::string_view s, size_t& i, std::string_view& raw);

// False when `text` is not a 5-element array in the expected shape.
bool phx_scan(std::string_view text, phx_msg& out);

// Finds `"key":<integer>` in `json` (top level or not: keys are ours and unique).
bool phx_find_int(std::string_view json, std::string_view key, int64_t& value);

inline bool json_is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Presence maps (`{key: {"metas": [...]}, ...}`: presence_state, a
// presence_diff's joins and leaves, a list reply) read without parsing them:
// a key is the string right before each `{"metas":`. Calls f(key) for every
// one in `json` (keys left escaped as they are) and returns how many there
// were. Cheap on purpose: N clients of one topic read N^2 entries in all.
template <class F>
size_t phx_presence_keys(std::string_view json, F&& f) {
  constexpr std::string_view marker = "{\"metas\":";
  size_t count = 0;
  for (size_t at = json.find(marker); at != std::string_view::npos;
       at = json.find(marker, at + marker.size())) {
    size_t i = at;
    while (i > 0 && json_is_ws(json[i - 1]))
      --i;
    if (i == 0 || json[--i] != ':')
      continue;
    while (i > 0 && json_is_ws(json[i - 1]))
      --i;
    if (i < 2 || json[--i] != '"')
      continue;
    size_t end = i;
    while (i > 0 && json[i - 1] != '"')
      --i;
    if (i == 0)
      continue;
    ++count;
    f(json.substr(i, end - i));
  }
  return count;
}

// True for a phx_reply whose payload says "status":"ok".
bool phx_reply_ok(const phx_msg& m);

std::string phx_join_frame(std::string_view topic, std::string_view join_ref);
std::string phx_leave_frame(std::string_view topic, std::string_view join_ref, uint64_t ref);
std::string phx_heartbeat_frame(uint64_t ref);
std::string phx_push_frame(std::string_view topic, std::string_view join_ref, std::string_view event,
                           uint64_t ref, std::string_view payload);

// Payload object carrying a CLOCK_MONOTONIC timestamp, a sequence number and
// `filler` bytes: {"t":<ns>,"s":<seq>,"f":"xxx..."}.
std::string timed_payload(int64_t t_ns, int64_t seq, int filler);

} // namespace bench
