#include "phx/protocol/encoded_json.hpp"

namespace phx {

encoded_json::encoded_json() : text_(std::make_shared<const std::string>("{}")) {}

encoded_json::encoded_json(const json& value)
  : text_(std::make_shared<const std::string>(dump_json(value))) {}

encoded_json encoded_json::from_text(std::string text) {
  return encoded_json{std::make_shared<const std::string>(std::move(text))};
}

} // namespace phx
