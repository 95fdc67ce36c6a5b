#include "outbound_queue.hpp"

#include <cstdint>
#include <string>

#include <doctest/doctest.h>

using phx::detail::outbound_frame;
using phx::detail::outbound_queue;
using phx::detail::outbound_kind;
using admission = outbound_queue::admission;

namespace {

outbound_frame text(std::size_t size) {
  return outbound_frame{phx::frame::text(std::string(size, 'x')), outbound_kind::data};
}

outbound_frame pong() {
  return outbound_frame{phx::frame::text("p"), outbound_kind::pong};
}

// Admits and pushes `f`; the admission.
admission add(outbound_queue& q, outbound_frame f, bool is_close = false) {
  auto verdict = q.admit(f, is_close);
  if (verdict != admission::refused)
    q.push(std::move(f));
  return verdict;
}

// The invariant: bytes() is the cost of every pending and batched frame.
std::size_t counted(const outbound_queue& q) {
  std::size_t sum = 0;
  for (auto& f : q.pending())
    sum += outbound_queue::cost(f);
  for (auto& f : q.batch())
    sum += outbound_queue::cost(f);
  return sum;
}

} // namespace

TEST_CASE("each frame costs its wire size plus the floor, empty frames included") {
  CHECK(outbound_queue::cost(text(0)) == 2 + outbound_queue::frame_floor);
  CHECK(outbound_queue::cost(text(200)) == 204 + outbound_queue::frame_floor);
  outbound_queue q{10 * (2 + outbound_queue::frame_floor)};
  for (int i = 0; i < 10; ++i)
    REQUIRE(add(q, text(0)) == admission::accepted);
  CHECK(add(q, text(0)) == admission::overflow); // the 11th empty frame
  CHECK(q.bytes() == counted(q));
}

TEST_CASE("past the bound, unstarted frames go and a 1008 close takes their place") {
  outbound_queue q{1000};
  REQUIRE(add(q, text(300)) == admission::accepted);
  REQUIRE(add(q, text(300)) == admission::accepted);
  auto big = text(600);
  CHECK(q.admit(big, false) == admission::overflow);
  CHECK(big.kind == outbound_kind::close);
  CHECK(*big.payload.bytes == phx::detail::ws::close_payload(phx::close_code::policy_violation,
                                                             "outbound queue full"));
  q.push(std::move(big));
  REQUIRE(q.pending().size() == 1);
  CHECK(q.pending().front().kind == outbound_kind::close);
  CHECK(q.closed());
  CHECK(q.bytes() == counted(q));
  auto late = text(1);
  CHECK(q.admit(late, false) == admission::refused);
  auto close = text(0);
  CHECK(q.admit(close, true) == admission::refused); // one close frame only
}

TEST_CASE("a frame partly on the wire survives an overflow, and the batch stays counted") {
  outbound_queue q{1000};
  REQUIRE(add(q, text(100)) == admission::accepted);
  REQUIRE(q.take_batch()); // an asynchronous write is under way
  REQUIRE(add(q, text(300)) == admission::accepted);
  REQUIRE(add(q, text(300)) == admission::accepted);
  q.consume(10, 1); // the head went out in part
  CHECK(q.pending().front().written == 10);
  CHECK(add(q, text(600)) == admission::overflow);
  REQUIRE(q.pending().size() == 2); // the started frame, then the close
  CHECK(q.pending()[0].written == 10);
  CHECK(q.pending()[1].kind == outbound_kind::close);
  CHECK(q.bytes() == counted(q));
  auto done = q.batch_written();
  CHECK_FALSE(done.close);
  CHECK(q.bytes() == counted(q));
}

TEST_CASE("a close frame is accepted once and frames queued before it stay ahead") {
  outbound_queue q{1 << 20};
  REQUIRE(add(q, text(5)) == admission::accepted);
  auto close = outbound_frame{phx::frame::text(std::string{"\x03\xe8", 2}), outbound_kind::close};
  CHECK(add(q, close, true) == admission::accepted);
  CHECK(q.closed());
  CHECK(add(q, text(5)) == admission::refused);
  REQUIRE(q.pending().size() == 2);
  CHECK(q.pending()[0].kind == outbound_kind::data);
  REQUIRE(q.take_batch());
  auto done = q.batch_written();
  CHECK(done.close);
  CHECK(q.bytes() == 0);
}

TEST_CASE("a gathered write that stops anywhere: done frames leave, the cut one remembers") {
  outbound_queue q{1 << 20};
  add(q, pong());          // wire size 3
  add(q, text(10));        // wire size 12
  add(q, text(10));
  auto done = q.consume(3 + 5, 3);
  CHECK(done.pong);
  REQUIRE(q.pending().size() == 2);
  CHECK(q.pending()[0].written == 5);
  CHECK(q.bytes() == counted(q));
  done = q.consume(7, 1); // the rest of the cut frame, and only the frames offered
  CHECK_FALSE(done.pong);
  REQUIRE(q.pending().size() == 1);
  CHECK(q.pending()[0].written == 0);
  q.consume(12, 1);
  CHECK(q.pending().empty());
  CHECK(q.bytes() == 0);
}

TEST_CASE("batches take every pending frame, binary ones included, and report pongs") {
  outbound_queue q{1 << 20};
  CHECK_FALSE(q.take_batch());
  auto bin = outbound_frame{phx::frame::binary_bytes("\x01\x02"),
                            outbound_kind::data};
  add(q, std::move(bin));
  add(q, pong());
  REQUIRE(q.take_batch());
  CHECK(q.pending().empty());
  REQUIRE(q.batch().size() == 2);
  CHECK(q.batch()[0].kind == outbound_kind::data);
  CHECK(q.batch()[0].payload.binary);
  add(q, text(1)); // queued while the batch is written
  auto done = q.batch_written();
  CHECK(done.pong);
  CHECK(q.batch().empty());
  CHECK(q.bytes() == outbound_queue::cost(text(1)));
}

TEST_CASE("clear drops everything and admits nothing more") {
  outbound_queue q{1 << 20};
  add(q, text(10));
  q.take_batch();
  add(q, text(10));
  q.clear();
  CHECK(q.bytes() == 0);
  CHECK(q.pending().empty());
  CHECK(q.batch().empty());
  auto f = text(1);
  CHECK(q.admit(f, false) == admission::refused);
}

TEST_CASE("a queue slot is 48 bytes, and the bound keeps a frame's written count in 32 bits") {
  if (sizeof(void*) == 8) // two shared_ptrs of 16 bytes each
    CHECK(sizeof(outbound_frame) == 48);
  outbound_queue huge{SIZE_MAX};
  CHECK(huge.max_bytes() == outbound_queue::max_frame_bytes);
  outbound_queue small{4096};
  CHECK(small.max_bytes() == 4096);
}
