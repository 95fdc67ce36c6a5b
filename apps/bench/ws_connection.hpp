#pragma once
// A client WebSocket: the HTTP upgrade, then RFC 6455 framing (masked text
// frames out, close handshake both ways) over a connection's socket.
#include "connection.hpp"

namespace bench {

class ws_connection final : public connection {
public:
  // `upgrade`: the upgrade request (ws_upgrade_request), shared by a worker's
  // connections; it must outlive them.
  ws_connection(int epoll_fd, uint32_t slot, connection_handler& handler,
                const std::string& upgrade);

  void send_text(std::string_view text) override;
  // Sends a close frame; the connection ends when the server closes too.
  void close_gracefully() override;

private:
  void reset() override;
  void on_connected() override;
  void on_input() override;
  close_cause end_cause(bool eof) const override;
  bool process_input();
  bool handle_frame(uint8_t opcode, bool fin, std::string_view payload);
  void send_frame(uint8_t opcode, std::string_view payload);
  uint32_t next_mask();

  const std::string& upgrade_;
  bool server_closed_ = false; // server sent its close frame first
  std::string fragments_;
  std::string frame_; // scratch: the frame being sent
  uint32_t mask_state_;
};

} // namespace bench
