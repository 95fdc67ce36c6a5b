#pragma once
// Keep-alive HTTP/1.1 client for POST /api/broadcast: one request at a time
// (post_json), or pipelined without waiting for the answers (send_post,
// then collect_answers), which is what an open-loop publisher needs. HTTPS
// with `tls`.
#include "blocking_socket.hpp"

#include <cstdint>
#include <string>

namespace bench {

class http_client {
public:
  http_client(std::string host, int port, bool tls)
      : host_(std::move(host)), port_(port), tls_(tls) {}
  // POSTs a JSON body; returns the HTTP status, -1 when no response came.
  int post_json(const std::string& path, const std::string& body);

  // Pipelining: sends a POST and returns at once; false if it could not be sent.
  bool send_post(const std::string& path, const std::string& body);
  // Parses the answers that have arrived (waiting up to `wait_ms` for the
  // first when any is due) and counts those that were not `ok_status`.
  // Returns false once the connection is gone.
  bool collect_answers(int ok_status, int wait_ms, int64_t& not_ok);
  int64_t answers_due() const { return due_; }

private:
  std::string request(const std::string& path, const std::string& body) const;
  int exchange(const std::string& request);
  // The status of the first complete answer in buf_ (consumed), 0 if none
  // yet, -1 if it is not HTTP; notes "Connection: close" in closing_.
  int take_answer();
  std::string host_;
  int port_;
  bool tls_;
  blocking_socket sock_;
  std::string buf_;
  int64_t due_ = 0; // pipelined requests not yet answered
  bool closing_ = false; // the last answer said "Connection: close"
};

} // namespace bench
