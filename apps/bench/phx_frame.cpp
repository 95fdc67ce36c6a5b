#include "phx_frame.hpp"

namespace bench {

void json_skip_ws(std::string_view s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
    ++i;
}

bool json_scan_string(std::string_view s, size_t& i, std::string_view& raw) {
  if (i >= s.size() || s[i] != '"')
    return false;
  size_t start = ++i;
  while (i < s.size() && s[i] != '"')
    i += s[i] == '\\' ? 2 : 1;
  if (i >= s.size())
    return false;
  raw = s.substr(start, i - start);
  ++i;
  return true;
}

namespace {

// Reads a JSON string or null at s[i]; leaves i after it and its comma.
bool scan_element(std::string_view s, size_t& i, std::string_view& out) {
  json_skip_ws(s, i);
  if (i >= s.size())
    return false;
  if (s.compare(i, 4, "null") == 0) {
    out = std::string_view();
    i += 4;
  } else if (!json_scan_string(s, i, out)) {
    return false;
  }
  json_skip_ws(s, i);
  if (i >= s.size() || s[i] != ',')
    return false;
  ++i;
  return true;
}

} // namespace

bool phx_scan(std::string_view s, phx_msg& m) {
  size_t i = 0;
  json_skip_ws(s, i);
  if (i >= s.size() || s[i] != '[')
    return false;
  ++i;
  if (!scan_element(s, i, m.join_ref) || !scan_element(s, i, m.ref) ||
      !scan_element(s, i, m.topic) || !scan_element(s, i, m.event))
    return false;
  auto end = s.rfind(']');
  if (end == std::string_view::npos || end < i)
    return false;
  m.payload = s.substr(i, end - i);
  return true;
}

bool phx_find_int(std::string_view json, std::string_view key, int64_t& value) {
  size_t from = 0;
  while (true) {
    auto at = json.find(key, from);
    if (at == std::string_view::npos)
      return false;
    size_t i = at + key.size();
    // key is given with its quotes, e.g. "\"t\"": require a colon after it.
    json_skip_ws(json, i);
    if (i < json.size() && json[i] == ':') {
      ++i;
      json_skip_ws(json, i);
      bool neg = i < json.size() && json[i] == '-';
      if (neg)
        ++i;
      if (i >= json.size() || json[i] < '0' || json[i] > '9')
        return false;
      int64_t v = 0;
      while (i < json.size() && json[i] >= '0' && json[i] <= '9')
        v = v * 10 + (json[i++] - '0');
      value = neg ? -v : v;
      return true;
    }
    from = at + 1;
  }
}

bool phx_reply_ok(const phx_msg& m) {
  return m.payload.find("\"status\":\"ok\"") != std::string_view::npos ||
         m.payload.find("\"status\": \"ok\"") != std::string_view::npos;
}

namespace {
std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  out += s;
  out += '"';
  return out;
}
} // namespace

std::string phx_join_frame(std::string_view topic, std::string_view join_ref) {
  return "[" + quoted(join_ref) + "," + quoted(join_ref) + "," + quoted(topic) +
         ",\"phx_join\",{}]";
}

std::string phx_leave_frame(std::string_view topic, std::string_view join_ref, uint64_t ref) {
  return "[" + quoted(join_ref) + ",\"l" + std::to_string(ref) + "\"," + quoted(topic) +
         ",\"phx_leave\",{}]";
}

std::string phx_heartbeat_frame(uint64_t ref) {
  return "[null,\"h" + std::to_string(ref) + "\",\"phoenix\",\"heartbeat\",{}]";
}

std::string phx_push_frame(std::string_view topic, std::string_view join_ref, std::string_view event,
                           uint64_t ref, std::string_view payload) {
  std::string out = "[" + quoted(join_ref) + ",\"p" + std::to_string(ref) + "\"," + quoted(topic) +
                    "," + quoted(event) + ",";
  out += payload;
  out += ']';
  return out;
}

std::string timed_payload(int64_t t_ns, int64_t seq, int filler) {
  std::string out = "{\"t\":" + std::to_string(t_ns) + ",\"s\":" + std::to_string(seq) + ",\"f\":\"";
  out.append(size_t(filler), 'x');
  out += "\"}";
  return out;
}

} // namespace bench
