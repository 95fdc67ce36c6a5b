#pragma once

#include <stdexcept>

namespace phx::token::detail {

/// Thrown by etf_reader on bytes that are not a term it accepts; caught at
/// the edge (etf::decode, decode_payload) and turned into "invalid". An
/// exception keeps every step of the recursive reader a plain function.
class etf_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

} // namespace phx::token::detail
