#include "longpoll_codec.hpp"

#include <cstdint>
#include <cstdlib>

#include "phx_frame.hpp"

namespace bench {
namespace {

constexpr size_t max_head = 16384;

char lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// The value of header `name` in `head` (the lines after the status line).
bool find_header(std::string_view head, std::string_view name, std::string_view& value) {
  size_t at = head.find("\r\n");
  while (at != std::string_view::npos) {
    size_t start = at + 2;
    size_t end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name)) {
      value = trim(line.substr(colon + 1));
      return true;
    }
    at = end;
  }
  return false;
}


// Skips any JSON value at s[i] (nesting counted, strings respected).
bool skip_value(std::string_view s, size_t& i) {
  int depth = 0;
  std::string_view ignored;
  do {
    json_skip_ws(s, i);
    if (i >= s.size())
      return false;
    char c = s[i];
    if (c == '"') {
      if (!json_scan_string(s, i, ignored))
        return false;
    } else if (c == '{' || c == '[') {
      ++depth;
      ++i;
    } else if (c == '}' || c == ']') {
      if (--depth < 0)
        return false;
      ++i;
    } else if (c == ',' || c == ':') {
      if (depth == 0)
        return false;
      ++i;
    } else { // number, true, false, null
      size_t start = i;
      while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
             s[i] != '\n' && s[i] != '\r' && s[i] != '\t' && s[i] != ':')
        ++i;
      if (i == start)
        return false;
    }
  } while (depth > 0);
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  c = lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

bool read_hex4(std::string_view raw, size_t at, uint32_t& v) {
  if (at + 4 > raw.size())
    return false;
  v = 0;
  for (size_t k = at; k < at + 4; ++k) {
    int d = hex_digit(raw[k]);
    if (d < 0)
      return false;
    v = v << 4 | uint32_t(d);
  }
  return true;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xc0 | cp >> 6);
    out += char(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += char(0xe0 | cp >> 12);
    out += char(0x80 | (cp >> 6 & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  } else {
    out += char(0xf0 | cp >> 18);
    out += char(0x80 | (cp >> 12 & 0x3f));
    out += char(0x80 | (cp >> 6 & 0x3f));
    out += char(0x80 | (cp & 0x3f));
  }
}

std::string with_token(const std::string& path, std::string_view token) {
  std::string target = path;
  if (!token.empty()) {
    target += path.find('?') == std::string::npos ? "?token=" : "&token=";
    target += token; // base64url and '.': nothing to escape
  }
  return target;
}

} // namespace

std::string longpoll_path(const std::string& websocket_path) {
  size_t query = websocket_path.find('?');
  std::string_view route = std::string_view(websocket_path).substr(0, query);
  constexpr std::string_view ws = "/websocket";
  size_t at = route.rfind(ws);
  if (at == std::string_view::npos || at + ws.size() != route.size())
    return {};
  return websocket_path.substr(0, at) + "/longpoll" +
         (query == std::string::npos ? std::string() : websocket_path.substr(query));
}

std::string longpoll_get(const longpoll_target& t, std::string_view token) {
  return "GET " + with_token(t.path, token) + " HTTP/1.1\r\nHost: " + t.host_header + "\r\n\r\n";
}

std::string longpoll_post(const longpoll_target& t, std::string_view token, std::string_view ndjson) {
  std::string req = "POST " + with_token(t.path, token) + " HTTP/1.1\r\nHost: " + t.host_header +
                    "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " +
                    std::to_string(ndjson.size()) + "\r\n\r\n";
  req.append(ndjson.data(), ndjson.size());
  return req;
}

int parse_http_answer(std::string_view buf, http_answer& out) {
  size_t head_end = buf.find("\r\n\r\n");
  if (head_end == std::string_view::npos)
    return buf.size() > max_head ? -1 : 0;
  std::string_view head = buf.substr(0, head_end);
  if (head.size() < 12 || head.substr(0, 7) != "HTTP/1.")
    return -1;
  out.status = std::atoi(std::string(head.substr(9, 3)).c_str());
  std::string_view value;
  if (find_header(head, "transfer-encoding", value))
    return -1; // our servers answer with Content-Length
  size_t length = 0;
  if (find_header(head, "content-length", value))
    length = size_t(std::strtoull(std::string(value).c_str(), nullptr, 10));
  else if (out.status != 204 && out.status != 304 && out.status >= 200)
    return -1;
  size_t total = head_end + 4 + length;
  if (buf.size() < total)
    return 0;
  out.body = buf.substr(head_end + 4, length);
  out.size = total;
  out.close = find_header(head, "connection", value) && iequals(value, "close");
  return 1;
}

bool scan_poll_body(std::string_view s, poll_body& out) {
  size_t i = 0;
  json_skip_ws(s, i);
  if (i >= s.size() || s[i] != '{')
    return false;
  ++i;
  json_skip_ws(s, i);
  if (i < s.size() && s[i] == '}')
    return true;
  while (true) {
    std::string_view key;
    json_skip_ws(s, i);
    if (!json_scan_string(s, i, key))
      return false;
    json_skip_ws(s, i);
    if (i >= s.size() || s[i] != ':')
      return false;
    ++i;
    json_skip_ws(s, i);
    size_t start = i;
    if (key == "status") {
      long v = std::strtol(std::string(s.substr(i, 12)).c_str(), nullptr, 10);
      if (!skip_value(s, i))
        return false;
      out.status = int(v);
    } else if (key == "token" && i < s.size() && s[i] == '"') {
      if (!json_scan_string(s, i, out.token))
        return false;
    } else {
      if (!skip_value(s, i))
        return false;
      if (key == "messages" && s[start] == '[')
        out.messages = s.substr(start, i - start);
    }
    json_skip_ws(s, i);
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    return i < s.size() && s[i] == '}';
  }
}

bool next_message(std::string_view& rest, std::string& text) {
  size_t i = 0;
  json_skip_ws(rest, i);
  if (i < rest.size() && (rest[i] == '[' || rest[i] == ','))
    ++i;
  json_skip_ws(rest, i);
  std::string_view raw;
  if (i >= rest.size() || rest[i] != '"' || !json_scan_string(rest, i, raw) || !json_unescape(raw, text)) {
    rest = {};
    return false;
  }
  rest.remove_prefix(i);
  return true;
}

bool json_unescape(std::string_view raw, std::string& out) {
  out.clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    size_t next = raw.find('\\', i);
    if (next == std::string_view::npos)
      next = raw.size();
    out.append(raw.data() + i, next - i);
    i = next;
    if (i >= raw.size())
      break;
    if (++i >= raw.size())
      return false;
    switch (raw[i]) {
    case '"': out += '"'; break;
    case '\\': out += '\\'; break;
    case '/': out += '/'; break;
    case 'b': out += '\b'; break;
    case 'f': out += '\f'; break;
    case 'n': out += '\n'; break;
    case 'r': out += '\r'; break;
    case 't': out += '\t'; break;
    case 'u': {
      uint32_t cp = 0, low = 0;
      if (!read_hex4(raw, i + 1, cp))
        return false;
      i += 4;
      // A surrogate pair is two escapes; a lone half becomes U+FFFD.
      if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < raw.size() && raw[i + 1] == '\\' &&
          raw[i + 2] == 'u' && read_hex4(raw, i + 3, low) && low >= 0xdc00 && low < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i += 6;
      } else if (cp >= 0xd800 && cp < 0xe000) {
        cp = 0xfffd;
      }
      append_utf8(out, cp);
      break;
    }
    default: return false;
    }
  }
  return true;
}

} // namespace bench
