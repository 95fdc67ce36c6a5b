// The TLS side of connection (--tls): the same buffers and epoll registration
// as the plain path in connection.cpp, with OpenSSL's reads and writes on the
// socket's fd instead of recv() and send(). Two things differ, and shape this:
//  - during the handshake a write may wait for the socket to be readable (and
//    a read, rarely, for it to be writable), so an event retries the waiting
//    write before reading, and EPOLLOUT is asked for only while some TLS call
//    waits for room;
//  - OpenSSL reads ahead and may hold records the fd no longer shows as
//    readable (level-triggered epoll would not wake us for them), so a read
//    goes on while tls_client::has_pending().
// Only the handshake makes SSL_write read, and it runs from on_connected()
// (before the server has said anything) and then from events, which read
// right after: a write from a handler never strands read-ahead input.
#include "connection.hpp"

#include "tls_client.hpp"

#include <sys/epoll.h>

namespace bench {

void connection::use_tls(const std::string& server_name) {
  tls_ = std::make_unique<tls_client>(server_name);
}

void connection::on_tls_event(uint32_t events) {
  if (!out_.empty())
    flush_tls(); // it may have waited for the handshake's input
  bool input = events & (EPOLLIN | EPOLLERR | EPOLLHUP);
  if (fd_ >= 0 && (input || tls_read_needs_out_ || tls_->has_pending()))
    read_tls();
}

void connection::flush_tls() {
  tls_write_needs_out_ = false;
  while (!out_.empty() && fd_ >= 0) {
    tls_io r = tls_->write(out_.data(), out_.size());
    if (r.status == tls_status::ok) {
      out_.erase(0, r.n);
      continue;
    }
    if (r.status == tls_status::want_write)
      tls_write_needs_out_ = true;
    else if (r.status != tls_status::want_read) // want_read: EPOLLIN is always on
      return end_tls(r.status == tls_status::eof);
    break;
  }
  want_write(tls_read_needs_out_ || tls_write_needs_out_);
}

void connection::read_tls() {
  tls_read_needs_out_ = false;
  bool got = false, ended = false, eof = false;
  for (;;) {
    size_t room = read_room();
    tls_io r = tls_->read(in_.prepare(room), room);
    if (r.status == tls_status::ok) {
      in_.commit(r.n);
      got = true;
      if (tls_->has_pending())
        continue;
    } else if (r.status == tls_status::want_write) {
      tls_read_needs_out_ = true;
    } else if (r.status != tls_status::want_read) {
      ended = true;
      eof = r.status == tls_status::eof;
    }
    break;
  }
  want_write(tls_read_needs_out_ || tls_write_needs_out_);
  // What came before the end is the server's still, as with recv().
  if (got)
    on_input();
  if (ended && has_socket())
    end_tls(eof);
}

// Before the handshake is through the connection was never made, as far as
// the scenario goes; after it, as a plain socket's EOF (`eof`) or error.
void connection::end_tls(bool eof) {
  finish(tls_->handshake_done() ? end_cause(eof) : close_cause::connect_failed);
}

} // namespace bench
