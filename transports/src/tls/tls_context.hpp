#pragma once

#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace phx::detail {

/// The endpoint's TLS settings and certificate (--tls-cert, --tls-key),
/// replaceable while it runs: reload() reads the files again (SIGHUP), and
/// connections accepted afterwards get the new certificate while those
/// already open keep theirs (each SSL holds a reference to its context).
///
/// Settings: TLS 1.2 and 1.3 with OpenSSL's default ciphers, the server's
/// preference, ALPN answering "http/1.1", no renegotiation, and buffers
/// released while a connection is idle (an idle WSS connection then holds
/// only OpenSSL's connection state).
class tls_context {
public:
  /// Loads the PEM files; throws std::runtime_error naming the file that
  /// cannot be read or used, or saying that the key does not match.
  tls_context(std::string cert_file, std::string key_file);

  /// The context new connections use.
  std::shared_ptr<boost::asio::ssl::context> current() const;

  /// Reads the files again. On success new connections use them; on
  /// failure nothing changes and the text says why.
  std::string reload();

  const std::string& cert_file() const noexcept { return cert_file_; }

private:
  static std::shared_ptr<boost::asio::ssl::context> load(const std::string& cert_file,
                                                         const std::string& key_file);

  const std::string cert_file_;
  const std::string key_file_;
  mutable std::mutex mtx_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

} // namespace phx::detail
