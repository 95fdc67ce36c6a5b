#include "phx/actors/exit_reason.hpp"

namespace phx {

std::string exit_reason::to_string() const {
  switch (what_) {
    case kind::normal: return "normal";
    case kind::shutdown: return detail_.empty() ? "shutdown" : "shutdown: " + detail_;
    case kind::error: return "error: " + detail_;
  }
  return "?";
}

} // namespace phx
