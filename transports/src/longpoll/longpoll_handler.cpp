#include "longpoll/longpoll_handler.hpp"

#include <atomic>
#include <chrono>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/field.hpp>

#include "phx/protocol/log.hpp"
#include "phx/protocol/serializer.hpp"
#include "http/header_text.hpp"
#include "http/query_params.hpp"
#include "longpoll/longpoll_session.hpp"
#include "phx/metrics/node_metrics.hpp"
#include "socket_connect.hpp"

namespace phx::detail {

namespace net = boost::asio;
namespace http = boost::beast::http;
using response = longpoll_request::response;
using poll_result = longpoll_session::poll_result;

namespace {

// phoenix.js never posts more per request; Phoenix ignores the rest, we
// refuse the request rather than lose frames silently.
constexpr std::size_t max_lines_per_post = 100;

// What an answer needs of its request, kept past the request's life.
struct reply_to {
  unsigned version;
  bool keep_alive;

  explicit reply_to(const longpoll_request& r)
    : version(r.req.version()), keep_alive(r.req.keep_alive()) {}
};

response answer(reply_to r, http::status status, std::string body) {
  response res{status, r.version};
  res.set(http::field::server, "phoenix-caf");
  // Cross-origin use is safe: the Origin header is checked on every request.
  res.set(http::field::access_control_allow_origin, "*");
  if (!body.empty()) {
    res.set(http::field::content_type, "application/json; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
  }
  res.keep_alive(r.keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

response status_answer(reply_to r, int status) {
  return answer(r, http::status::ok, "{\"status\":" + std::to_string(status) + "}");
}

void append_json_string(std::string& out, std::string_view text) {
  out += json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

// {"status":...,"token":"...","messages":[...]}: each message is the text
// frame the WebSocket transport would have sent, as a JSON string.
response poll_answer(reply_to r, int status, const std::string& token,
                     const std::vector<frame>& frames) {
  std::string body = "{\"status\":" + std::to_string(status) + ",\"token\":";
  append_json_string(body, token);
  body += ",\"messages\":[";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (i > 0)
      body += ',';
    if (frames[i].body)
      append_json_string(body, frames[i].str());
    else
      append_json_string(body, *frames[i].bytes);
  }
  body += "]}";
  return answer(r, http::status::ok, std::move(body));
}

// The session token: the header wins over the query parameter.
std::string token_of(const longpoll_request& r, const json& params) {
  if (auto field = r.req.find("x-phoenix-longpoll-token"); field != r.req.end())
    return std::string{field->value()};
  auto token = params.find("token");
  return token != params.end() && token->is_string() ? token->get<std::string>() : std::string{};
}

std::shared_ptr<longpoll_session> find_session(const longpoll_request& r,
                                               const std::string& token) {
  if (token.empty())
    return nullptr;
  auto id = r.state->tokens.verify(token);
  return id ? r.state->longpolls.find(*id) : nullptr;
}

// Logs at most once a second: a flood of refusals must not flood the log.
void log_full(const longpoll_request& r) {
  static std::atomic<std::int64_t> last_logged{0};
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::steady_clock::now().time_since_epoch())
               .count();
  auto last = last_logged.load();
  if (now != last && last_logged.compare_exchange_strong(last, now))
    log(log_level::warning, "refusing long-poll connects on ", r.mount.path, " (503): ",
        r.state->config.max_longpoll_sessions, " sessions open (--max-longpoll-sessions)");
}

// Not a JSON status: the stock client reads a failed request as "retry
// later" (close 1011, reconnect with backoff).
void answer_unavailable(longpoll_request& r) {
  r.respond(answer(reply_to{r}, http::status::service_unavailable, ""));
}

void open_session(longpoll_request& r, const json& params) {
  auto& m = metrics::node();
  if (r.state->longpolls.size() >= r.state->config.max_longpoll_sessions) {
    m.refused_limit.add(1);
    log_full(r);
    return answer_unavailable(r);
  }
  auto vsn_param = params.find("vsn");
  auto vsn = vsn_param != params.end() && vsn_param->is_string() ? vsn_param->get<std::string>()
                                                                  : std::string{};
  auto* format = serializer_for_vsn(vsn, true);
  if (!format) {
    m.refused_vsn.add(1);
    log(log_level::warning, "refusing long-poll connect on ", r.mount.path,
        ": transport version \"", vsn, "\" matches neither ~> 1.0.0 nor ~> 2.0.0");
    return r.respond(status_answer(reply_to{r}, 403));
  }
  auto info = std::make_shared<connect_info>();
  info->transport = "longpoll";
  info->peer_address = r.peer_address;
  info->user_agent = std::string{r.req[http::field::user_agent]};
  info->connection_id = next_connection_id();
  auto number = info->connection_id;
  if (auto field = r.req.find("x-phoenix-authtoken"); field != r.req.end())
    info->auth_token = std::string{field->value()};
  auto slot = r.state->take_connection_slot(m.longpoll_connections);
  if (!slot)
    return answer_unavailable(r);
  auto accepted = connect_socket(r.mount, params, std::move(info));
  if (!accepted) {
    m.refused_connect.add(1);
    return r.respond(status_answer(reply_to{r}, 403));
  }
  m.longpoll_connects.add(1);
  auto id = session_token::new_session_id();
  auto session =
    std::make_shared<longpoll_session>(id, r.state, r.executor, std::move(slot), number);
  auto connection = start_connection(*r.state, r.mount, session, *format, std::move(*accepted),
                                     transport::longpoll);
  r.state->longpolls.add(id, session);
  session->start(std::move(connection));
  // 410 ("gone") is how Phoenix says "here is your new session".
  r.respond(poll_answer(reply_to{r}, 410, r.state->tokens.sign(id), {}));
}

// Calls `end` (end_poll or end_post) for `ticket` once the window is over,
// unless the answer came first and cancelled `timer`.
void end_after_window(net::steady_timer& timer, const longpoll_request& r,
                      const std::shared_ptr<longpoll_session>& session, std::uint64_t ticket,
                      void (longpoll_session::*end)(std::uint64_t)) {
  timer.expires_after(r.state->config.longpoll_window);
  timer.async_wait([weak = std::weak_ptr<longpoll_session>(session), ticket, end](
                     boost::system::error_code ec) {
    if (auto s = weak.lock(); s && !ec)
      ((*s).*end)(ticket);
  });
}

void poll(longpoll_request& r, const std::shared_ptr<longpoll_session>& session,
          std::string token) {
  auto timer = std::make_shared<net::steady_timer>(r.executor);
  auto handler = [to = reply_to{r}, respond = r.respond, executor = r.executor, timer,
                  token = std::move(token)](poll_result result) {
    response res;
    switch (result.what) {
      case poll_result::outcome::messages:
        res = poll_answer(to, 200, token, result.frames);
        break;
      case poll_result::outcome::timeout:
        res = poll_answer(to, 204, token, {});
        break;
      case poll_result::outcome::gone:
        res = status_answer(to, 410);
        break;
    }
    // The timer is the strand's: cancel it there.
    net::post(executor, [timer] { timer->cancel(); });
    respond(std::move(res));
  };
  auto ticket = session->poll(std::move(handler));
  if (ticket == 0)
    return; // answered at once
  end_after_window(*timer, r, session, ticket, &longpoll_session::end_poll);
}

// Splits an x-ndjson body into frames: a line starting with '[' is a text
// frame, any other a binary one in base64. Returns the status that refuses
// the body (0: none).
int split_frames(const longpoll_request& r, std::vector<longpoll_session::client_frame>& out) {
  std::string_view body = r.req.body();
  std::string_view content_type = r.req[http::field::content_type];
  content_type = content_type.substr(0, content_type.find(';')); // the media type
  while (!content_type.empty() && content_type.back() == ' ')
    content_type.remove_suffix(1);
  if (!iequals(content_type, "application/x-ndjson")) {
    // What a V1 client posts: one frame, the whole body.
    if (body.size() > r.state->config.max_frame_size)
      return 413;
    out.push_back({std::string{body}, false});
    return 0;
  }
  while (!body.empty()) {
    auto end = body.find('\n');
    auto line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view{} : body.substr(end + 1);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty())
      continue;
    if (out.size() == max_lines_per_post)
      return 413;
    if (line.size() > r.state->config.max_frame_size)
      return 413;
    if (line.front() == '[') {
      out.push_back({std::string{line}, false});
      continue;
    }
    auto bytes = decode_base64(line);
    if (!bytes)
      return 400;
    out.push_back({std::move(*bytes), true});
  }
  return 0;
}

void post(longpoll_request& r, const std::shared_ptr<longpoll_session>& session) {
  std::vector<longpoll_session::client_frame> frames;
  if (auto refused = split_frames(r, frames)) {
    log(log_level::warning, "refusing a long-poll POST on ", r.mount.path, " (", refused, "): ",
        refused == 400 ? "a line is neither a JSON frame nor base64"
                       : "more than 100 frames, or a frame over max_frame_size");
    return r.respond(status_answer(reply_to{r}, refused));
  }
  auto timer = std::make_shared<net::steady_timer>(r.executor);
  auto handler = [to = reply_to{r}, respond = r.respond, executor = r.executor,
                  timer](int status) {
    net::post(executor, [timer] { timer->cancel(); });
    respond(status_answer(to, status));
  };
  auto ticket = session->post(std::move(frames), std::move(handler));
  if (ticket == 0) {
    log(log_level::warning, "refusing a long-poll POST on ", r.mount.path,
        " (429): more than max_frames_in_flight frames not yet taken");
    return r.respond(status_answer(reply_to{r}, 429));
  }
  end_after_window(*timer, r, session, ticket, &longpoll_session::end_post);
}

} // namespace

void serve_longpoll(longpoll_request r) {
  std::optional<std::string_view> origin;
  if (auto field = r.req.find(http::field::origin); field != r.req.end())
    origin = field->value();
  if (!r.state->origins.allows(origin, r.req[http::field::host])) {
    log(log_level::warning, "refusing long-poll request on ", r.mount.path, ": origin \"",
        *origin, "\" is not allowed (check_origin)");
    return r.respond(status_answer(reply_to{r}, 403));
  }
  switch (r.req.method()) {
    case http::verb::options: {
      auto res = answer(reply_to{r}, http::status::ok, "");
      res.set(http::field::access_control_allow_headers,
              r.req[http::field::access_control_request_headers]);
      res.set(http::field::access_control_allow_methods, "get, post, options");
      res.set(http::field::access_control_max_age, "3600");
      return r.respond(std::move(res));
    }
    case http::verb::get: {
      auto params = parse_query(r.query, r.state->config.max_json_depth);
      auto token = token_of(r, params);
      if (auto session = find_session(r, token))
        return poll(r, session, std::move(token));
      return open_session(r, params);
    }
    case http::verb::post: {
      auto params = parse_query(r.query, r.state->config.max_json_depth);
      if (auto session = find_session(r, token_of(r, params)))
        return post(r, session);
      return r.respond(status_answer(reply_to{r}, 410));
    }
    default:
      return r.respond(answer(reply_to{r}, http::status::bad_request, ""));
  }
}

} // namespace phx::detail
