// Query strings (the connect params of every socket), the base64 of the
// bearer subprotocol and of long-poll's binary lines, and long-poll session
// tokens (which only verify when this endpoint signed them). parse_query nests `a[b][c]` keys into JSON that the
// server copies and dumps (recursively), so a deep key must stay flat past
// the limit: the property is that the result never nests deeper than it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_util.hpp"
#include "phx/protocol/serializer.hpp"
#include "http/query_params.hpp"
#include "longpoll/session_token.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  constexpr std::size_t limit = 64;

  auto params = phx::detail::parse_query(input, limit);
  FUZZ_CHECK(params.is_object());
  FUZZ_CHECK(phx_fuzz::json_depth(params) <= limit);
  auto copy = params;
  FUZZ_CHECK(!phx::dump_json(copy).empty());
  // The transport picks the serializer from `vsn`, whatever the client sent.
  if (auto vsn = params.find("vsn"); vsn != params.end() && vsn->is_string())
    phx::serializer_for_vsn(vsn->get_ref<const std::string&>());

  if (auto bytes = phx::detail::decode_base64(input))
    FUZZ_CHECK(bytes->size() <= input.size() * 3 / 4 + 1);

  // A token verifies only as the exact text this secret signed for its id.
  static const phx::detail::session_token tokens{"fuzzing secret, at least 32 chars long"};
  if (auto id = tokens.verify(input))
    FUZZ_CHECK(tokens.sign(*id) == input);
  return 0;
}
