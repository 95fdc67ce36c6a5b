#pragma once
// Phoenix long-poll on the wire: the HTTP/1.1 requests of a session (GET to
// open or poll, POST of x-ndjson frames), the answers' HTTP framing, and the
// JSON body {"status":N,"token":"...","messages":["<frame>",...]} read by a
// shallow scan (any key order, no full parse: messages are unescaped one by
// one into a reused string).
#include <cstddef>
#include <string>
#include <string_view>

namespace bench {

// Where a worker's sessions send their requests.
struct longpoll_target {
  std::string host_header; // "host:port"
  std::string path;        // e.g. /socket/longpoll?vsn=2.0.0
};

// "/socket/websocket?vsn=2.0.0" -> "/socket/longpoll?vsn=2.0.0"; empty when
// the path has no "/websocket" segment before its query.
std::string longpoll_path(const std::string& websocket_path);

// GET of the session `token` (empty: opens a new session).
std::string longpoll_get(const longpoll_target& t, std::string_view token);
// POST of `ndjson` (frames, one per line) to the session `token`.
std::string longpoll_post(const longpoll_target& t, std::string_view token, std::string_view ndjson);

// One HTTP answer at the start of a buffer (Content-Length framing only).
struct http_answer {
  int status = 0;
  std::string_view body; // views into the buffer
  size_t size = 0;       // bytes the answer takes in the buffer
  bool close = false;    // "Connection: close"
};

// 1: an answer is complete in `buf`; 0: not yet; -1: not an HTTP/1.x answer
// we can frame (chunked, no Content-Length, oversized head).
int parse_http_answer(std::string_view buf, http_answer& out);

// The top-level fields of a long-poll answer body.
struct poll_body {
  int status = -1;             // -1: absent
  std::string_view token;      // raw (still escaped) string content; empty: absent
  std::string_view messages;   // raw array text "[...]"; empty: absent
};

// False when `body` is not a JSON object of that shape.
bool scan_poll_body(std::string_view body, poll_body& out);

// Takes the next string of a messages array (`rest` starts as poll_body::
// messages) and unescapes it into `text`. False at the end or on bad JSON
// (then `rest` is cleared).
bool next_message(std::string_view& rest, std::string& text);

// Unescapes the content of a JSON string (without its quotes) into `out`;
// false on a bad escape.
bool json_unescape(std::string_view raw, std::string& out);

} // namespace bench
