#include "http_client.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <poll.h>

namespace bench {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

long content_length(const std::string& head_lower) {
  auto at = head_lower.find("\r\ncontent-length:");
  return at == std::string::npos ? 0 : std::strtol(head_lower.c_str() + at + 17, nullptr, 10);
}

} // namespace

std::string http_client::request(const std::string& path, const std::string& body) const {
  return "POST " + path + " HTTP/1.1\r\nHost: " + host_ + ":" + std::to_string(port_) +
         "\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

bool http_client::send_post(const std::string& path, const std::string& body) {
  if (!sock_.is_open() && !sock_.connect(host_, port_, 5000, tls_))
    return false;
  if (!sock_.send_all(request(path, body)))
    return false;
  ++due_;
  return true;
}

bool http_client::collect_answers(int ok_status, int wait_ms, int64_t& not_ok) {
  if (!sock_.recv_ready(buf_))
    return false;
  if (due_ > 0 && wait_ms > 0 && buf_.find("\r\n\r\n") == std::string::npos) {
    pollfd p{sock_.fd(), POLLIN, 0};
    if (::poll(&p, 1, wait_ms) > 0 && !sock_.recv_ready(buf_))
      return false;
  }
  for (int status; due_ > 0 && (status = take_answer()) != 0; --due_)
    if (status != ok_status)
      ++not_ok;
  return true;
}

int http_client::take_answer() {
  size_t head_end = buf_.find("\r\n\r\n");
  if (head_end == std::string::npos)
    return 0;
  std::string head = lower(buf_.substr(0, head_end));
  size_t total = head_end + 4 + size_t(content_length(head));
  if (buf_.size() < total)
    return 0;
  buf_.erase(0, total);
  if (head.find("\r\nconnection: close") != std::string::npos)
    closing_ = true;
  if (head.rfind("http/1.", 0) != 0 || head.size() < 12)
    return -1;
  return std::atoi(head.c_str() + 9);
}

int http_client::post_json(const std::string& path, const std::string& body) {
  std::string req = request(path, body);
  // A kept-alive connection may have been closed by the server: retry once.
  for (int attempt = 0; attempt < 2; ++attempt) {
    int status = exchange(req);
    if (status > 0)
      return status;
    sock_.close();
  }
  return -1;
}

int http_client::exchange(const std::string& request) {
  if (!sock_.is_open() && !sock_.connect(host_, port_, 5000, tls_))
    return -1;
  buf_.clear();
  closing_ = false;
  if (!sock_.send_all(request))
    return -1;
  int status;
  while ((status = take_answer()) == 0)
    if (!sock_.recv_some(buf_))
      return -1;
  if (closing_)
    sock_.close();
  return status;
}

} // namespace bench
