#pragma once
// The parent's own blocking WebSocket for `fanout --trigger shout`: joins the
// topic and pushes `shout` events. It is a subscriber too, so its own copy of
// each broadcast is its acknowledgement (shout has no reply). Over TLS with --tls.
#include "blocking_socket.hpp"
#include "options.hpp"

#include <cstdint>
#include <string>

namespace bench {

class ws_publisher {
public:
  explicit ws_publisher(const options& o) : o_(o) {}
  // Connects, upgrades and joins --topic; false (with `error` set) on failure.
  bool open(std::string& error);
  bool publish(int64_t seq, const std::string& payload);
  // Reads until our copy of broadcast `seq` arrives; false on timeout/close.
  bool wait_own_copy(int64_t seq);
  // Sends a WebSocket close and waits briefly for the server's.
  void close();

private:
  bool send_text(const std::string& text);
  bool next_text(std::string& text); // next text frame's payload
  const options& o_;
  blocking_socket sock_;
  std::string buf_;
  uint64_t ref_ = 0;
};

} // namespace bench
