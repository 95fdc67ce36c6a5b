#include "phx/transports/endpoint_config.hpp"

#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace {

phx::endpoint_config parse(std::vector<std::string> args) {
  args.insert(args.begin(), "app");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  return phx::endpoint_config::from_args(static_cast<int>(argv.size()), argv.data());
}

} // namespace

TEST_CASE("endpoint options: defaults, both spellings, and the flow-control limits") {
  auto defaults = parse({});
  CHECK(defaults.port == 4000);
  CHECK(defaults.max_held_frames == 1000);
  CHECK(defaults.max_frames_in_flight == 256);
  auto cfg = parse({"--port=0", "--max-held-frames", "7", "--max-frames-in-flight=9",
                    "--max-outbound-bytes", "2048"});
  CHECK(cfg.port == 0);
  CHECK(cfg.max_held_frames == 7);
  CHECK(cfg.max_frames_in_flight == 9);
  CHECK(cfg.max_outbound_bytes == 2048);
}
