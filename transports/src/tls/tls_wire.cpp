#include "tls/tls_wire.hpp"

#include <array>
#include <cerrno>
#include <cstring>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace phx::detail {

namespace net = boost::asio;
using boost::system::error_code;

namespace {

// The largest TLS record's plaintext.
constexpr std::size_t record_size = 16 * 1024;

// A position in a list of iovecs.
struct iov_cursor {
  const iovec* iov;
  std::size_t count;
  std::size_t part = 0;
  std::size_t offset = 0;

  bool at_end() {
    while (part < count && offset == iov[part].iov_len) {
      ++part;
      offset = 0;
    }
    return part == count;
  }
  const char* data() const { return static_cast<const char*>(iov[part].iov_base) + offset; }
  std::size_t left_in_part() const { return iov[part].iov_len - offset; }
  void advance(std::size_t n) {
    while (n > 0 && !at_end()) {
      auto k = std::min(n, left_in_part());
      offset += k;
      n -= k;
    }
  }
};

std::size_t plaintext_size(const iovec* iov, std::size_t count) {
  std::size_t size = 0;
  for (std::size_t i = 0; i < count; ++i)
    size += iov[i].iov_len;
  return size;
}

} // namespace

struct tls_wire::write_op {
  tls_wire* wire;
  net::ip::tcp::socket* socket;
  std::vector<net::const_buffer> buffers;
  std::size_t next = 0; ///< the first buffer not written whole
  std::size_t total = 0;
  std::function<void(error_code, std::size_t)> done;
};

tls_wire::tls_wire(SSL* ssl, int fd) : ssl_(ssl) {
  BIO* bio = BIO_new_socket(fd, BIO_NOCLOSE);
  SSL_set_bio(ssl_, bio, bio); // one reference for both directions
  // One recv() takes every record that is there, not a header then a body.
  SSL_set_read_ahead(ssl_, 1);
}

tls_wire::~tls_wire() {
  SSL_free(ssl_);
}

std::size_t tls_wire::write(const iovec* iov, std::size_t count, error_code& ec) {
  ec = {};
  std::lock_guard<std::mutex> guard{mtx_};
  if (retry_size_ > 0 && plaintext_size(iov, count) < retry_size_) {
    ec = net::error::would_block; // not all of what OpenSSL holds yet: wait
    return 0;
  }
  thread_local std::array<char, record_size> stage;
  iov_cursor at{iov, count};
  std::size_t consumed = 0;
  while (!at.at_end()) {
    const char* data = at.data();
    std::size_t size = std::min(at.left_in_part(), record_size);
    if (size < record_size && at.part + 1 < count) { // gather small frames into one record
      auto fill = at;
      size = 0;
      while (size < record_size && !fill.at_end()) {
        auto k = std::min(record_size - size, fill.left_in_part());
        std::memcpy(stage.data() + size, fill.data(), k);
        size += k;
        fill.advance(k);
      }
      data = stage.data();
    }
    auto n = write_record(data, size, ec);
    consumed += n;
    at.advance(n);
    if (ec)
      break;
  }
  return consumed;
}

std::size_t tls_wire::write_record(const void* data, std::size_t size, error_code& ec) {
  ERR_clear_error();
  std::size_t written = 0;
  int result = SSL_write_ex(ssl_, data, size, &written);
  if (result == 1) {
    retry_size_ = 0;
    return written;
  }
  if (SSL_get_error(ssl_, result) == SSL_ERROR_WANT_WRITE) {
    retry_size_ = size;
    ec = net::error::would_block;
  } else {
    ec = failure(result);
  }
  return 0;
}

std::size_t tls_wire::read(void* data, std::size_t size, error_code& ec) {
  ec = {};
  std::lock_guard<std::mutex> guard{mtx_};
  read_wants_write_ = false;
  std::size_t got = 0;
  while (got < size) {
    ERR_clear_error();
    std::size_t n = 0;
    int result = SSL_read_ex(ssl_, static_cast<char*>(data) + got, size - got, &n);
    if (result == 1) {
      got += n;
      continue;
    }
    auto error = SSL_get_error(ssl_, result);
    if (error == SSL_ERROR_WANT_WRITE)
      read_wants_write_ = true;
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE || got > 0)
      break; // an error comes back on the next read
    ec = error == SSL_ERROR_ZERO_RETURN ? error_code{net::error::eof} : failure(result);
    return 0;
  }
  if (got == 0)
    ec = net::error::would_block;
  return got;
}

bool tls_wire::has_buffered_input() {
  std::lock_guard<std::mutex> guard{mtx_};
  return SSL_has_pending(ssl_) == 1;
}

void tls_wire::shutdown() {
  std::lock_guard<std::mutex> guard{mtx_};
  ERR_clear_error();
  SSL_shutdown(ssl_); // close_notify, or nothing if the socket is full
  ERR_clear_error();
}

error_code tls_wire::failure(int result) {
  auto error = SSL_get_error(ssl_, result);
  if (error == SSL_ERROR_SYSCALL) {
    auto code = ERR_get_error();
    if (code != 0)
      return {static_cast<int>(code), net::error::get_ssl_category()};
    return errno != 0 ? error_code{errno, boost::system::system_category()}
                      : error_code{net::error::connection_reset};
  }
  auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0)
    return net::error::connection_reset;
  return {static_cast<int>(code), net::error::get_ssl_category()};
}

void tls_wire::async_write(net::ip::tcp::socket& socket, std::vector<net::const_buffer> buffers,
                           std::function<void(error_code, std::size_t)> done) {
  auto op = std::make_shared<write_op>();
  op->wire = this;
  op->socket = &socket;
  op->buffers = std::move(buffers);
  op->done = std::move(done);
  continue_write(op);
}

void tls_wire::continue_write(const std::shared_ptr<write_op>& op) {
  std::vector<iovec> iov;
  iov.reserve(op->buffers.size() - op->next);
  for (auto i = op->next; i < op->buffers.size(); ++i)
    iov.push_back(iovec{const_cast<void*>(op->buffers[i].data()), op->buffers[i].size()});
  error_code ec;
  auto n = op->wire->write(iov.data(), iov.size(), ec);
  op->total += n;
  for (; op->next < op->buffers.size() && n > 0; ++op->next) {
    auto& b = op->buffers[op->next];
    auto k = std::min(n, b.size());
    b += k;
    n -= k;
    if (b.size() > 0)
      break;
  }
  while (op->next < op->buffers.size() && op->buffers[op->next].size() == 0)
    ++op->next;
  if (op->next == op->buffers.size() || (ec && ec != net::error::would_block)) {
    if (op->next == op->buffers.size())
      ec = {};
    // Not from within the caller's call (a completion may start the next write).
    return net::post(op->socket->get_executor(), [op, ec] { op->done(ec, op->total); });
  }
  op->socket->async_wait(net::ip::tcp::socket::wait_write, [op](error_code wait_ec) {
    if (wait_ec)
      return op->done(wait_ec, op->total);
    continue_write(op);
  });
}

} // namespace phx::detail
