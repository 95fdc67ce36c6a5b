#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace phx::detail {

/// Which browser pages may open a socket: the `check_origin` of Phoenix.
/// A browser sends the page's `Origin` with every WebSocket upgrade and
/// carries the visitor's cookies along, so without this check any web page
/// could act as its visitor (cross-site WebSocket hijacking). Requests
/// without `Origin` (non-browser clients) always pass.
///
/// The specification (`--check-origin`):
/// - `host` (default): the Origin's host must equal the request's own Host
///   header (scheme and port are not compared, so a TLS-terminating proxy
///   that keeps Host works);
/// - `off`: every origin passes;
/// - a comma-separated list of allowed origins, as in Phoenix:
///   `//example.com` (that host, any scheme and port), `https://example.com`
///   (also that scheme and its default port), `//example.com:8080` (that
///   port), `//*.example.com` (example.com and any subdomain of it).
/// When checking, an Origin without a host (`null`, `file://`) is refused.
class origin_policy {
public:
  /// Parses a specification; nullopt (and `error`) when it does not parse.
  static std::optional<origin_policy> parse(std::string_view spec, std::string& error);

  /// The default: `host`.
  origin_policy() = default;

  /// True when a request with this `Origin` value (nullopt: no header) and
  /// this `Host` header may be served.
  bool allows(std::optional<std::string_view> origin, std::string_view host_header) const;

private:
  enum class mode { same_host, off, list };

  struct allowed {
    std::string scheme; ///< empty: any
    std::string host;   ///< lower case, without "*."
    bool subdomains = false;
    std::optional<unsigned> port; ///< nullopt: any
  };

  mode mode_ = mode::same_host;
  std::vector<allowed> list_;
};

/// An origin or Host value taken apart; nullopt when it has no host.
struct origin_parts {
  std::string scheme; ///< lower case; empty for a Host header
  std::string host;   ///< lower case; IPv6 without brackets
  std::optional<unsigned> port;
};

/// Parses "scheme://host[:port]" (an Origin) or, with `expect_scheme`
/// false, "host[:port]" (a Host header).
std::optional<origin_parts> parse_origin(std::string_view text, bool expect_scheme);

} // namespace phx::detail
