#pragma once
// One client of the server over one non-blocking TCP socket, driven by a
// worker's epoll loop (level-triggered): the TCP part (source address,
// connect, buffered sends) is here, with TLS (--tls) in connection_tls.cpp;
// the transport (ws_connection: WebSocket, longpoll_session: Phoenix long-poll
// over HTTP/1.1) speaks through it. What the Phoenix messages mean is up to
// the handler.
#include "phx_frame.hpp"
#include "read_buffer.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace bench {

class connection;
class tls_client;

// `upgrading`: the transport's handshake (WebSocket 101, long-poll session
// token) is under way; `open`: frames can be sent.
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
  virtual ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // --tls: every attempt from now on speaks TLS, with SNI `server_name`
  // (empty: none). A failed TLS handshake ends the attempt as connect_failed.
  void use_tls(const std::string& server_name);
  // Starts a non-blocking connect from `source` (port chosen at connect time).
  void start(const sockaddr_in& server, const sockaddr_in& source);
  void on_event(uint32_t events);
  // Sends one Phoenix frame (JSON text) once the connection is open.
  virtual void send_text(std::string_view text) = 0;
  // Ends the connection the transport's clean way.
  virtual void close_gracefully() = 0;
  // Drops the socket at once (no close handshake, no on_closed).
  void abort();

  conn_state state() const { return state_; }
  uint32_t slot() const { return slot_; }

  // Scenario bookkeeping, owned by the handler.
  int64_t t0 = 0;          // when the current attempt/cycle started
  uint32_t joined = 0;     // channels joined
  uint32_t pending = 0;    // replies awaited (joins, pushes)
  uint32_t tag = 0;        // scenario-specific

protected:
  // Forgets the previous attempt (churn reuses connections).
  virtual void reset() = 0;
  // TCP is up: send the handshake.
  virtual void on_connected() = 0;
  // Bytes were appended to in_.
  virtual void on_input() = 0;
  // Why the connection ends when the server closed it (`eof`) or the socket
  // failed, given the state it was in.
  virtual close_cause end_cause(bool eof) const = 0;

  // Ends the connection (closes the socket) and tells the handler, once.
  void finish(close_cause why);
  // Queues bytes and sends what the socket takes now; the rest on EPOLLOUT.
  void send_bytes(std::string_view bytes);
  bool has_socket() const { return fd_ >= 0; }

  uint32_t slot_;
  connection_handler& handler_;
  conn_state state_ = conn_state::idle;
  read_buffer in_;
  // At least this many bytes complete the message in in_ (0: unknown).
  size_t in_wanted_ = 0;

private:
  void flush();
  void want_write(bool on);
  void on_readable();
  // Room to read into: all of a big message at once, else 64 KiB.
  size_t read_room() const {
    return std::max<size_t>(65536, in_wanted_ > in_.size() ? in_wanted_ - in_.size() : 0);
  }
  // Closes the socket; `notify`: a TLS session says goodbye first.
  void close_socket(bool notify);

  // TLS (connection_tls.cpp): the same buffers, OpenSSL instead of send/recv.
  void on_tls_event(uint32_t events);
  void flush_tls();
  void read_tls();
  void end_tls(bool eof);

  int epoll_fd_;
  int fd_ = -1;
  bool writing_ = false; // EPOLLOUT registered
  std::string out_;
  std::unique_ptr<tls_client> tls_; // null: plain TCP
  // A TLS read or write waits for the socket to take bytes (EPOLLOUT).
  bool tls_read_needs_out_ = false, tls_write_needs_out_ = false;
};

} // namespace bench
