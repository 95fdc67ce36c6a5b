#include "phx/token/etf.hpp"

#include "etf_error.hpp"
#include "etf_reader.hpp"
#include "etf_writer.hpp"

namespace phx::token {

std::string etf::encode(const json& value) {
  detail::etf_writer out;
  out.version();
  out.value(value);
  return std::move(out).take();
}

std::optional<json> etf::decode(std::string_view bytes) {
  try {
    detail::etf_reader in{bytes};
    in.version();
    auto value = in.value();
    in.expect_end();
    return value;
  } catch (const detail::etf_error&) {
    return std::nullopt;
  }
}

} // namespace phx::token
