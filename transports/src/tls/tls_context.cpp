#include "tls/tls_context.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace phx::detail {

namespace ssl = boost::asio::ssl;

namespace {

// OpenSSL's reason for the last failure on this thread, or `fallback`.
std::string openssl_reason(const char* fallback) {
  auto code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0)
    return fallback;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// ALPN: HTTP/1.1 when the client offers it (browsers offer h2 first); with
// no common protocol the handshake goes on without ALPN, as nginx does.
int select_http11(SSL*, const unsigned char** out, unsigned char* out_len,
                  const unsigned char* in, unsigned int in_len, void*) {
  static const unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, http11, sizeof http11, in, in_len)
      != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// A file that cannot be opened: the system's reason (OpenSSL's says "system lib").
void check_readable(const char* what, const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "r");
  if (!file)
    throw std::runtime_error(std::string{what} + " " + path + ": " + std::strerror(errno));
  std::fclose(file);
}

} // namespace

tls_context::tls_context(std::string cert_file, std::string key_file)
  : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)),
    current_(load(cert_file_, key_file_)) {
}

std::shared_ptr<ssl::context> tls_context::current() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return current_;
}

std::string tls_context::reload() {
  std::shared_ptr<ssl::context> fresh;
  try {
    fresh = load(cert_file_, key_file_);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  std::lock_guard<std::mutex> guard{mtx_};
  current_ = std::move(fresh);
  return {};
}

std::shared_ptr<ssl::context> tls_context::load(const std::string& cert_file,
                                                const std::string& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  auto* native = ctx->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION
                                | SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Partial writes, retried from wherever the rest now lies: the WebSocket
  // writer gives OpenSSL at most a record at a time from its queue.
  SSL_CTX_set_mode(native, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                             | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(native, select_http11, nullptr);
  check_readable("TLS certificate", cert_file);
  check_readable("TLS key", key_file);
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1)
    throw std::runtime_error("TLS certificate " + cert_file + ": "
                             + openssl_reason("not a PEM certificate"));
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL compares the key with the certificate as it loads it.
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
      throw std::runtime_error("TLS key " + key_file + " does not match the certificate "
                               + cert_file + ": " + openssl_reason("mismatch"));
    throw std::runtime_error("TLS key " + key_file + ": " + openssl_reason("not a PEM key"));
  }
  if (SSL_CTX_check_private_key(native) != 1)
    throw std::runtime_error("TLS key " + key_file + " does not match the certificate "
                             + cert_file + ": " + openssl_reason("mismatch"));
  return ctx;
}

} // namespace phx::detail
