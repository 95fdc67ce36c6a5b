// phx_token_tool: phx::token from the command line, for the interop test
// (tests/interop/token_interop.sh) and for checking a token by hand.
//
//   phx_token_tool sign   SECRET SALT JSON [SIGNED_AT_MS [MAX_AGE_S|infinity]]
//   phx_token_tool verify SECRET SALT TOKEN|--null [MAX_AGE_S|infinity|- [NOW_MS]]
//   phx_token_tool etf    JSON
//   phx_token_tool batch
//
// sign prints the token; verify prints "ok <data as JSON>" or "error
// <reason>" (exit 0 either way: the answer is the output); etf prints
// term_to_binary's bytes in hex. Bad usage exits 2. `batch` reads commands
// from standard input, one a line with tab-separated arguments, and answers
// each with one line (a failure as "failed: <why>"): one process for the
// whole interop run, which matters under AddressSanitizer's slow start.
#include "phx/token.hpp"

#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using args = std::vector<std::string>;

constexpr const char* usage_text =
    "usage: phx_token_tool sign SECRET SALT JSON [SIGNED_AT_MS [MAX_AGE_S|infinity]]\n"
    "       phx_token_tool verify SECRET SALT TOKEN|--null [MAX_AGE_S|infinity|- [NOW_MS]]\n"
    "       phx_token_tool etf JSON\n"
    "       phx_token_tool batch\n";

class usage_error : public std::invalid_argument {
public:
  usage_error() : std::invalid_argument("bad usage") {}
};

phx::token::max_age parse_max_age(const std::string& text) {
  if (text == "infinity")
    return phx::token::max_age::infinity();
  return std::stoll(text);
}

std::string hex(std::string_view bytes) {
  constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out += digits[static_cast<unsigned char>(c) >> 4];
    out += digits[static_cast<unsigned char>(c) & 15];
  }
  return out;
}

std::string sign(const args& a) {
  if (a.size() < 4 || a.size() > 6)
    throw usage_error{};
  phx::token::sign_options options;
  if (a.size() > 4)
    options.signed_at_ms = std::stoll(a[4]);
  if (a.size() > 5)
    options.max_age = parse_max_age(a[5]);
  return phx::token::sign(a[1], a[2], phx::json::parse(a[3]), options);
}

std::string verify(const args& a) {
  if (a.size() < 4 || a.size() > 6)
    throw usage_error{};
  phx::token::verify_options options;
  if (a.size() > 4 && a[4] != "-")
    options.max_age = parse_max_age(a[4]);
  if (a.size() > 5)
    options.now_ms = std::stoll(a[5]);
  auto token = a[3] == "--null" ? phx::json() : phx::json(a[3]);
  auto result = phx::token::verify(a[1], a[2], token, options);
  if (result)
    return "ok " + result.data().dump();
  return "error " + std::string{phx::token::to_string(result.error())};
}

std::string etf(const args& a) {
  if (a.size() != 2)
    throw usage_error{};
  return hex(phx::token::etf::encode(phx::json::parse(a[1])));
}

std::string run(const args& a) {
  if (!a.empty() && a[0] == "sign")
    return sign(a);
  if (!a.empty() && a[0] == "verify")
    return verify(a);
  if (!a.empty() && a[0] == "etf")
    return etf(a);
  throw usage_error{};
}

args split_tabs(const std::string& line) {
  args out;
  std::size_t start = 0;
  for (auto tab = line.find('\t'); tab != std::string::npos; tab = line.find('\t', start)) {
    out.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  out.push_back(line.substr(start));
  return out;
}

int batch() {
  std::string line;
  while (std::getline(std::cin, line)) {
    try {
      std::cout << run(split_tabs(line));
    } catch (const std::exception& e) {
      std::cout << "failed: " << e.what();
    }
    std::cout << std::endl; // flushed: the other end waits for each answer
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  args a(argv + 1, argv + argc);
  if (a.size() == 1 && a[0] == "batch")
    return batch();
  try {
    std::cout << run(a) << '\n';
    return 0;
  } catch (const usage_error&) {
    std::cerr << usage_text;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "phx_token_tool: " << e.what() << '\n';
    return 1;
  }
}
