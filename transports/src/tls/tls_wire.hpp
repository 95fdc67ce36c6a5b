#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

using SSL = struct ssl_st;

namespace phx::detail {

/// TLS on a WebSocket's socket once the HTTP upgrade is done: OpenSSL reads
/// and writes records straight on the non-blocking descriptor, so that the
/// session keeps its model of plain TCP (non-blocking tries from any
/// thread, a wait on the socket when it is full or empty) with plaintext in
/// place of bytes.
///
/// Small frames are gathered into one record of up to 16 KB: a fan-out of
/// 100-byte frames costs one SSL_write per 160 frames, not one each. A
/// write that the socket cannot take whole is retried by OpenSSL's rules:
/// from the same plaintext, at least as long (the session's queue keeps
/// what is not consumed, so its next try starts there). Reads and writes
/// may come from different threads: the SSL object is used under a mutex.
class tls_wire {
public:
  /// Takes over one reference to `ssl`, whose handshake is done, for the
  /// non-blocking socket `fd`.
  tls_wire(SSL* ssl, int fd);
  ~tls_wire();
  tls_wire(const tls_wire&) = delete;
  tls_wire& operator=(const tls_wire&) = delete;

  /// Encrypts and sends what the socket takes now of the plaintext in
  /// `iov`; returns the plaintext bytes consumed. `ec` is would_block when
  /// the socket is full (wait for it to be writable), or the failure.
  std::size_t write(const iovec* iov, std::size_t count, boost::system::error_code& ec);

  /// Reads and decrypts up to `size` bytes; `ec` is would_block when
  /// nothing is there (wait for the socket, see wants_write), eof once the
  /// client is done.
  std::size_t read(void* data, std::size_t size, boost::system::error_code& ec);

  /// Plaintext or records already taken from the socket: read before
  /// waiting on it, which would not wake for them.
  bool has_buffered_input();

  /// The last read needs the socket writable first (a TLS 1.3 key update
  /// waiting to go out).
  bool read_wants_write() const noexcept { return read_wants_write_; }

  /// Sends close_notify, if the socket takes it now.
  void shutdown();

  /// Writes all of `buffers` (whose memory the caller keeps) on `socket`,
  /// waiting for it when full, then calls `done` with the plaintext bytes
  /// written; never from within this call.
  void async_write(boost::asio::ip::tcp::socket& socket,
                   std::vector<boost::asio::const_buffer> buffers,
                   std::function<void(boost::system::error_code, std::size_t)> done);

private:
  struct write_op;
  static void continue_write(const std::shared_ptr<write_op>& op);
  std::size_t write_record(const void* data, std::size_t size, boost::system::error_code& ec);
  boost::system::error_code failure(int result);

  std::mutex mtx_;
  SSL* ssl_;
  /// Plaintext length of a write the socket did not take: the next one must
  /// give at least as much (OpenSSL's retry rule).
  std::size_t retry_size_ = 0;
  bool read_wants_write_ = false;
};

} // namespace phx::detail
