// Phoenix.Token verification of untrusted text (a token arrives in a
// socket's connect params), and the ETF decoder under it. The properties:
// neither crashes nor recurses without bound, and whatever decodes encodes
// back to the same bytes (one term, one form).
//
// Input: one byte choosing what to exercise (even: a whole token, odd: ETF
// bytes), then the text.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "phx/token.hpp"

namespace {

constexpr std::string_view secret = "fuzz secret key base of at least sixty-four characters, for real";

void exercise_token(std::string_view text) {
  auto result = phx::token::verify(secret, "fuzz", text);
  if (result) // only our own tokens verify: the fuzzer cannot forge a MAC
    FUZZ_CHECK(!result.data().is_discarded());
}

void exercise_etf(std::string_view bytes) {
  auto term = phx::token::etf::decode(bytes);
  if (!term)
    return;
  std::string again;
  try {
    again = phx::token::etf::encode(*term);
  } catch (const std::invalid_argument&) {
    return; // decodable but not JSON-representable one way round: refused, fine
  }
  FUZZ_CHECK(phx::token::etf::decode(again) == term);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  std::string_view rest{reinterpret_cast<const char*>(data + 1), size - 1};
  if (data[0] % 2 == 0)
    exercise_token(rest);
  else
    exercise_etf(rest);
  return 0;
}
