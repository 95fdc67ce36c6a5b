#include "phx/protocol/encoded_json.hpp"

namespace phx {

encoded_json::encoded_json() : text_(std::make_shared<const std::string>("{}")) {}

encoded_json::encoded_json(const json& value)
  : text_(std::make_shared<const std::string>(dump_json(value))) {}

} // namespace phx
