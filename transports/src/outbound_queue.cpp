#include "outbound_queue.hpp"

#include <iterator>

namespace phx::detail {

namespace {

void note(outbound_queue::completed& done, const outbound_frame& f) {
  done.pong = done.pong || f.kind == outbound_kind::pong;
  done.close = done.close || f.kind == outbound_kind::close;
}

} // namespace

outbound_queue::admission outbound_queue::admit(outbound_frame& f, bool is_close) {
  if (closed_)
    return admission::refused;
  if (is_close) {
    closed_ = true; // frames queued so far still go out first
    return admission::accepted;
  }
  if (bytes_ + cost(f) <= max_bytes_)
    return admission::accepted;
  // A slow reader: close it rather than buffer without bound. A frame partly
  // on the wire must be finished, or the stream is garbage; the batch being
  // written stays counted until batch_written.
  closed_ = true;
  std::size_t keep = !pending_.empty() && pending_.front().written > 0 ? 1 : 0;
  for (auto i = keep; i < pending_.size(); ++i)
    add_bytes(-static_cast<std::int64_t>(cost(pending_[i])));
  pending_.resize(keep);
  f = outbound_frame{frame::text(ws::close_payload(close_code::policy_violation,
                                                   "outbound queue full")),
                     outbound_kind::close};
  return admission::overflow;
}

void outbound_queue::push(outbound_frame f) {
  add_bytes(static_cast<std::int64_t>(cost(f)));
  pending_.push_back(std::move(f));
}

outbound_queue::completed outbound_queue::consume(std::size_t n, std::size_t frames) {
  completed done;
  std::size_t k = 0;
  for (; k < frames && k < pending_.size(); ++k) {
    auto& f = pending_[k];
    auto rest = f.wire_size() - f.written;
    if (n < rest) {
      f.written += static_cast<std::uint32_t>(n); // n < rest <= max_frame_bytes
      break;
    }
    n -= rest;
    add_bytes(-static_cast<std::int64_t>(cost(f)));
    note(done, f);
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(k));
  return done;
}

bool outbound_queue::take_batch() {
  if (pending_.empty())
    return false;
  batch_.swap(pending_); // the batch is empty here: pending_ keeps its buffer
  return true;
}

outbound_queue::completed outbound_queue::batch_written() {
  completed done;
  for (auto& f : batch_) {
    add_bytes(-static_cast<std::int64_t>(cost(f)));
    note(done, f);
  }
  batch_.clear();
  if (batch_.capacity() > 64) // after a burst, an idle connection holds none
    batch_.shrink_to_fit();
  return done;
}

void outbound_queue::clear() noexcept {
  closed_ = true;
  pending_.clear();
  batch_.clear();
  add_bytes(-static_cast<std::int64_t>(bytes_));
}

void outbound_queue::add_bytes(std::int64_t delta) noexcept {
  bytes_ = static_cast<std::size_t>(static_cast<std::int64_t>(bytes_) + delta);
  if (gauge_)
    gauge_->add(delta);
}

} // namespace phx::detail
