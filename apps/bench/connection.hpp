#pragma once
// One non-blocking client WebSocket over a raw socket, driven by a worker's
// epoll loop (level-triggered). It knows TCP, the HTTP upgrade and WebSocket
// framing; what the Phoenix messages mean is up to the handler.
#include "phx_frame.hpp"

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

class connection;

enum class conn_state { idle, connecting, upgrading, open, closing, closed };

// Why a connection ended; `local` is the clean case (we sent close, server answered).
enum class close_cause { local, connect_failed, upgrade_failed, protocol_error, server_close, reset };

const char* to_string(close_cause c);

class connection_handler {
public:
  virtual ~connection_handler() = default;
  virtual void on_open(connection& c) = 0;
  virtual void on_message(connection& c, const phx_msg& m) = 0;
  virtual void on_closed(connection& c, close_cause why) = 0;
};

class connection {
public:
  connection(int epoll_fd, uint32_t slot, connection_handler& handler);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Starts a non-blocking connect from `source` (port chosen at connect time).
  void start(const sockaddr_in& server, const sockaddr_in& source, const std::string* upgrade);
  void on_event(uint32_t events);
  void send_text(std::string_view text);
  // Sends a close frame; the connection ends when the server closes too.
  void close_gracefully();
  // Drops the socket at once (no close handshake).
  void abort();

  conn_state state() const { return state_; }
  uint32_t slot() const { return slot_; }

  // Scenario bookkeeping, owned by the handler.
  int64_t t0 = 0;          // when the current attempt/cycle started
  uint32_t joined = 0;     // channels joined
  uint32_t pending = 0;    // replies awaited (joins, pushes)
  uint32_t tag = 0;        // scenario-specific

private:
  void finish(close_cause why);
  void on_connected();
  void on_readable();
  void flush();
  void want_write(bool on);
  bool process_input();
  bool handle_frame(uint8_t opcode, bool fin, std::string_view payload);
  void send_frame(uint8_t opcode, std::string_view payload);
  uint32_t next_mask();

  int epoll_fd_;
  int fd_ = -1;
  uint32_t slot_;
  connection_handler& handler_;
  conn_state state_ = conn_state::idle;
  bool writing_ = false;       // EPOLLOUT registered
  bool server_closed_ = false; // server sent its close frame first
  const std::string* upgrade_ = nullptr;
  std::string in_;
  std::string out_;
  std::string fragments_;
  uint32_t mask_state_;
};

} // namespace bench
