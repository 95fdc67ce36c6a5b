// tls_context (the certificate, reloadable) and tls_wire (TLS under a
// WebSocket) against a real OpenSSL client over a socket pair: records
// counted on the wire, partial writes retried, reads and close_notify.
#include "tls/tls_context.hpp"
#include "tls/tls_wire.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/error.hpp>
#include <doctest/doctest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace fs = std::filesystem;
namespace net = boost::asio;

namespace {

// A self-signed certificate and its key, written as PEM files in a
// directory of their own (removed with it).
struct cert_files {
  fs::path dir;
  std::string cert, key;

  explicit cert_files(const char* common_name) {
    char templ[] = "/tmp/phx-tls-XXXXXX";
    dir = mkdtemp(templ);
    cert = (dir / "cert.pem").string();
    key = (dir / "key.pem").string();
    write(common_name, cert, key);
  }
  ~cert_files() { fs::remove_all(dir); }

  static void write(const char* common_name, const std::string& cert_path,
                    const std::string& key_path) {
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, pkey);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, pkey, EVP_sha256());
    FILE* c = std::fopen(cert_path.c_str(), "w");
    PEM_write_X509(c, x);
    std::fclose(c);
    FILE* k = std::fopen(key_path.c_str(), "w");
    PEM_write_PrivateKey(k, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(k);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
};

std::string common_name_of(SSL_CTX* ctx) {
  char text[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(SSL_CTX_get0_certificate(ctx)), NID_commonName,
                            text, sizeof text);
  return text;
}

void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// A server SSL (the endpoint's settings) and an OpenSSL client on the two
// ends of a socket pair, their handshake done.
struct tls_pair {
  cert_files files{"127.0.0.1"};
  phx::detail::tls_context context{files.cert, files.key};
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  int fds[2] = {-1, -1};
  SSL* server = nullptr; // handed to a tls_wire by wire()
  SSL* client = nullptr;

  explicit tls_pair(int buffer_bytes = 0) {
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    if (buffer_bytes > 0) // small socket buffers: writes stop part way
      for (int fd : fds) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
      }
    set_nonblocking(fds[0]);
    set_nonblocking(fds[1]);
    server = SSL_new(context.current()->native_handle());
    SSL_set_num_tickets(server, 0); // nothing but our records after the handshake
    SSL_set_fd(server, fds[0]);
    SSL_set_accept_state(server);
    client = SSL_new(client_ctx);
    SSL_set_fd(client, fds[1]);
    SSL_set_connect_state(client);
    bool server_done = false, client_done = false;
    for (int round = 0; round < 1000 && !(server_done && client_done); ++round) {
      if (!client_done)
        client_done = SSL_do_handshake(client) == 1;
      if (!server_done)
        server_done = SSL_do_handshake(server) == 1;
    }
    REQUIRE(server_done);
    REQUIRE(client_done);
  }
  ~tls_pair() {
    if (server)
      SSL_free(server);
    SSL_free(client);
    SSL_CTX_free(client_ctx);
    close(fds[0]);
    close(fds[1]);
  }

  std::unique_ptr<phx::detail::tls_wire> wire() {
    auto w = std::make_unique<phx::detail::tls_wire>(server, fds[0]);
    server = nullptr;
    return w;
  }

  // Everything the client can decrypt now.
  std::string client_read() {
    std::string out;
    char buf[8192];
    std::size_t n = 0;
    while (SSL_read_ex(client, buf, sizeof buf, &n) == 1)
      out.append(buf, n);
    return out;
  }
};

// Raw TLS records of type application data in `bytes`, and whether they
// are whole.
std::size_t count_records(const std::string& bytes) {
  std::size_t at = 0, records = 0;
  while (at + 5 <= bytes.size()) {
    auto length = (static_cast<unsigned char>(bytes[at + 3]) << 8)
                  | static_cast<unsigned char>(bytes[at + 4]);
    if (bytes[at] == 23)
      ++records;
    at += 5 + static_cast<std::size_t>(length);
  }
  CHECK(at == bytes.size());
  return records;
}

} // namespace

TEST_CASE("tls_context: loads a certificate, names the file it cannot use, keeps the old on a failed reload") {
  cert_files first{"first"};
  phx::detail::tls_context context{first.cert, first.key};
  auto before = context.current();
  CHECK(common_name_of(before->native_handle()) == "first");

  CHECK_THROWS_WITH_AS(phx::detail::tls_context("/nonexistent/cert.pem", first.key),
                       doctest::Contains("/nonexistent/cert.pem"), std::runtime_error);
  cert_files other{"other"};
  CHECK_THROWS_WITH_AS(phx::detail::tls_context(first.cert, other.key),
                       doctest::Contains("does not match"), std::runtime_error);

  // A key file replaced with garbage: the reload says why, nothing changes.
  {
    FILE* k = std::fopen(first.key.c_str(), "w");
    std::fputs("garbage\n", k);
    std::fclose(k);
  }
  auto problem = context.reload();
  CHECK(problem.find(first.key) != std::string::npos);
  CHECK(context.current() == before);

  // A renewed certificate: the next connections get it.
  cert_files::write("renewed", first.cert, first.key);
  CHECK(context.reload().empty());
  CHECK(context.current() != before);
  CHECK(common_name_of(context.current()->native_handle()) == "renewed");
  CHECK(common_name_of(before->native_handle()) == "first"); // still usable by its connections
}

TEST_CASE("tls_wire: small frames share records, several to one SSL_write") {
  tls_pair pair;
  auto wire = pair.wire();
  std::vector<std::string> frames;
  std::vector<iovec> iov;
  for (int i = 0; i < 500; ++i)
    frames.push_back(std::string(99, static_cast<char>('a' + i % 26)) + "\n");
  for (auto& f : frames)
    iov.push_back(iovec{f.data(), f.size()});
  boost::system::error_code ec;
  CHECK(wire->write(iov.data(), iov.size(), ec) == 50000);
  CHECK(!ec);
  // On the wire: 50,000 bytes in 4 records (16 KB each at most), not 500.
  std::string raw(70000, '\0');
  auto n = recv(pair.fds[1], raw.data(), raw.size(), 0);
  REQUIRE(n > 0);
  raw.resize(static_cast<std::size_t>(n));
  CHECK(count_records(raw) == 4);
  // And they decrypt to the frames, in order.
  BIO* mem = BIO_new_mem_buf(raw.data(), static_cast<int>(raw.size()));
  SSL_set0_rbio(pair.client, mem);
  std::string expected;
  for (auto& f : frames)
    expected += f;
  CHECK(pair.client_read() == expected);
}

TEST_CASE("tls_wire: a write the socket cannot take is retried from where it stopped") {
  tls_pair pair{16 * 1024};
  auto wire = pair.wire();
  std::string payload(1024 * 1024, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>(i * 7 % 251);
  std::size_t sent = 0;
  std::string received;
  int full = 0;
  for (int round = 0; round < 100000 && received.size() < payload.size(); ++round) {
    boost::system::error_code ec;
    if (sent < payload.size()) {
      // What is left, as a queue would hold it: two parts.
      auto rest = payload.size() - sent;
      iovec iov[2] = {{payload.data() + sent, rest / 2}, {payload.data() + sent + rest / 2, rest - rest / 2}};
      auto n = wire->write(iov, 2, ec);
      sent += n;
      if (ec) {
        REQUIRE(ec == net::error::would_block);
        ++full;
        // Less than OpenSSL holds: wait, without an error.
        iovec one{payload.data() + sent, std::min<std::size_t>(1, payload.size() - sent)};
        CHECK(wire->write(&one, 1, ec) == 0);
        CHECK(ec == net::error::would_block);
      }
    }
    received += pair.client_read();
  }
  CHECK(full > 0); // the socket did fill up
  CHECK(sent == payload.size());
  CHECK(received == payload);
}

TEST_CASE("tls_wire: reads what the client sends, keeps what it read ahead, then eof") {
  tls_pair pair;
  auto wire = pair.wire();
  boost::system::error_code ec;
  char buf[1000];
  CHECK(wire->read(buf, sizeof buf, ec) == 0);
  CHECK(ec == net::error::would_block);
  std::string message(40000, 'm');
  std::size_t written = 0;
  REQUIRE(SSL_write_ex(pair.client, message.data(), message.size(), &written) == 1);
  std::string got;
  auto n = wire->read(buf, sizeof buf, ec);
  CHECK(n == sizeof buf);
  got.append(buf, n);
  // The rest was taken from the socket already: a wait on it would hang.
  CHECK(wire->has_buffered_input());
  while (got.size() < message.size()) {
    n = wire->read(buf, sizeof buf, ec);
    REQUIRE(!ec);
    got.append(buf, n);
  }
  CHECK(got == message);
  CHECK_FALSE(wire->has_buffered_input());
  SSL_shutdown(pair.client); // close_notify
  CHECK(wire->read(buf, sizeof buf, ec) == 0);
  CHECK(ec == net::error::eof);
}
