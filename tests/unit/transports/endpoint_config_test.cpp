#include "phx/transports/endpoint_config.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <unistd.h>

#include "config/config_file.hpp"

namespace {

phx::endpoint_config parse(std::vector<std::string> args,
                           const std::vector<phx::cli_option>& extra = {}) {
  args.insert(args.begin(), "app");
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  return phx::endpoint_config::from_args(static_cast<int>(argv.size()), argv.data(), extra);
}

} // namespace

TEST_CASE("endpoint options: defaults, both spellings, and the flow-control limits") {
  auto defaults = parse({});
  CHECK(defaults.port == 4000);
  CHECK(defaults.max_held_frames == 1000);
  CHECK(defaults.max_frames_in_flight == 256);
  auto cfg = parse({"--port=0", "--max-held-frames", "7", "--max-frames-in-flight=9",
                    "--max-outbound-bytes", "2048"});
  CHECK(cfg.port == 0);
  CHECK(cfg.max_held_frames == 7);
  CHECK(cfg.max_frames_in_flight == 9);
  CHECK(cfg.max_outbound_bytes == 2048);
}

TEST_CASE("endpoint options: JSON depth, request timeout, origin check, broadcast key") {
  auto defaults = parse({});
  CHECK(defaults.max_json_depth == 64);
  CHECK(defaults.request_timeout == std::chrono::milliseconds{10000});
  CHECK(defaults.check_origin == "host");
  CHECK(defaults.broadcast_api_key.empty());
  auto cfg = parse({"--max-json-depth", "12", "--request-timeout-ms=2500",
                    "--check-origin", "//example.com, https://*.example.org:8443",
                    "--broadcast-api-key=s3cr3t"});
  CHECK(cfg.max_json_depth == 12);
  CHECK(cfg.request_timeout == std::chrono::milliseconds{2500});
  CHECK(cfg.check_origin == "//example.com, https://*.example.org:8443");
  CHECK(cfg.broadcast_api_key == "s3cr3t");
  CHECK(parse({"--check-origin=off"}).check_origin == "off");
  CHECK(parse({"--check-origin", "host"}).check_origin == "host");
  CHECK(parse({"--max-json-depth=1"}).max_json_depth == 1);
  CHECK(parse({"--broadcast-api-key=k=v"}).broadcast_api_key == "k=v");
  // Other options keep their defaults.
  CHECK(cfg.port == 4000);
  CHECK(cfg.idle_timeout == std::chrono::milliseconds{60000});
}

TEST_CASE("endpoint options: the long-poll window and secret, and an app's flags and values") {
  auto defaults = parse({});
  CHECK(defaults.longpoll_window == std::chrono::milliseconds{10000});
  CHECK(defaults.secret_key_base.empty());
  CHECK(defaults.max_longpoll_sessions == 20000);
  CHECK(parse({"--max-longpoll-sessions=5"}).max_longpoll_sessions == 5);
  std::string secret(40, 's');
  bool only_longpoll = false;
  bool other_flag = false;
  std::string www = "www";
  auto cfg = parse({"--longpoll-window-ms=250", "--no-websocket", "--secret-key-base", secret,
                    "--www", "public"},
                   {{"no-websocket", "flag", nullptr, &only_longpoll},
                    {"other", "flag", nullptr, &other_flag},
                    {"www", "value", &www}});
  CHECK(cfg.longpoll_window == std::chrono::milliseconds{250});
  CHECK(cfg.secret_key_base == secret);
  CHECK(only_longpoll);
  CHECK_FALSE(other_flag); // a flag not given stays false
  CHECK(www == "public");
  // A flag takes no value: what follows it is the next option.
  bool flag = false;
  auto next = parse({"--no-websocket", "--port", "7"}, {{"no-websocket", "f", nullptr, &flag}});
  CHECK(flag);
  CHECK(next.port == 7);
}

TEST_CASE("endpoint options: a cluster node, its peers, secret and bounds") {
  auto single = parse({});
  CHECK_FALSE(single.cluster.enabled());
  CHECK(single.cluster.node_host == "127.0.0.1");
  CHECK(single.cluster.node_timeout == std::chrono::milliseconds{5000});
  auto cfg = parse({"--node-port", "4100", "--peers=127.0.0.1:4101,127.0.0.1:4102",
                    "--cluster-secret", "s3cret", "--node-timeout-ms=750",
                    "--node-queue-bytes", "100000", "--node-name", "node-a"});
  CHECK(cfg.cluster.enabled());
  CHECK(cfg.cluster.node_port == 4100);
  REQUIRE(cfg.cluster.peers.size() == 2);
  CHECK(cfg.cluster.peers[1].text() == "127.0.0.1:4102");
  CHECK(cfg.cluster.secret == "s3cret");
  CHECK(cfg.cluster.node_timeout == std::chrono::milliseconds{750});
  CHECK(cfg.cluster.peer_queue_bytes == 100000);
  CHECK(cfg.cluster.name() == "node-a");
}

TEST_CASE("endpoint options: presence periods, Phoenix's defaults unless given") {
  auto defaults = parse({});
  CHECK(defaults.presence.broadcast_every == std::chrono::milliseconds{1500});
  CHECK(defaults.presence.down_after == std::chrono::milliseconds{30000});
  CHECK(defaults.presence.permdown_after == std::chrono::milliseconds{20 * 60 * 1000});
  CHECK(defaults.presence.diff_every == std::chrono::milliseconds{20});
  auto cfg = parse({"--presence-broadcast-ms", "300", "--presence-down-ms=3000",
                    "--presence-permdown-ms", "60000", "--presence-diff-ms", "0"});
  CHECK(cfg.presence.broadcast_every == std::chrono::milliseconds{300});
  CHECK(cfg.presence.down_after == std::chrono::milliseconds{3000});
  CHECK(cfg.presence.permdown_after == std::chrono::milliseconds{60000});
  CHECK(cfg.presence.diff_every == std::chrono::milliseconds{0});
}

namespace {

// parse() with a fake environment.
phx::endpoint_config_parse parse_with(std::vector<std::string> args,
                                      std::map<std::string, std::string> env,
                                      const std::vector<phx::cli_option>& extra = {}) {
  auto lookup = [env = std::move(env)](const char* name) -> const char* {
    auto i = env.find(name);
    return i == env.end() ? nullptr : i->second.c_str();
  };
  return phx::endpoint_config::parse(args, lookup, extra);
}

// A config file with `text`, removed at the end of the test.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& text) {
    char name[] = "/tmp/phx_config_XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    close(fd);
    path = name;
  }
  ~temp_file() { std::remove(path.c_str()); }
};

} // namespace

TEST_CASE("endpoint options: a config file, the environment and the command line, in that order") {
  temp_file file{"# deployment settings\n"
                 "[global]\n"
                 "port = 4100\n"
                 "idle_timeout_ms = 5000\n"
                 "check-origin = \"//example.com\"  ; the public site\n"
                 "host = '0.0.0.0'\n"
                 "max-connections = 10\n"};
  bool flag = false;
  std::string value = "dflt";
  std::vector<phx::cli_option> extra{{"no-websocket", "", nullptr, &flag},
                                     {"www", "", &value, nullptr}};
  // The file alone.
  auto only_file = parse_with({"--config", file.path}, {});
  REQUIRE(only_file.error.empty());
  CHECK(only_file.config.port == 4100);
  CHECK(only_file.config.idle_timeout == std::chrono::milliseconds{5000});
  CHECK(only_file.config.check_origin == "//example.com");
  CHECK(only_file.config.host == "0.0.0.0");
  CHECK(only_file.config.max_connections == 10);
  // The environment wins over the file, the command line over both.
  auto all = parse_with({"--config=" + file.path, "--port", "4300"},
                        {{"PHX_PORT", "4200"}, {"PHX_IDLE_TIMEOUT_MS", "7000"},
                         {"PHX_NO_WEBSOCKET", "true"}, {"PHX_WWW", "site"}},
                        extra);
  REQUIRE(all.error.empty());
  CHECK(all.config.port == 4300);
  CHECK(all.config.idle_timeout == std::chrono::milliseconds{7000});
  CHECK(all.config.max_connections == 10);
  CHECK(flag);
  CHECK(value == "site");
  // PHX_CONFIG names the file when --config does not.
  auto by_env = parse_with({}, {{"PHX_CONFIG", file.path}});
  REQUIRE(by_env.error.empty());
  CHECK(by_env.config.port == 4100);
  // A flag may be turned off again on the command line.
  flag = false;
  auto off = parse_with({"--no-websocket=false"}, {{"PHX_NO_WEBSOCKET", "1"}}, extra);
  REQUIRE(off.error.empty());
  CHECK_FALSE(flag);
}

TEST_CASE("endpoint options: a bad value names the option, where it came from and what it accepts") {
  auto cli = parse_with({"--port", "70000"}, {});
  CHECK(cli.error == "bad value \"70000\" for --port (command line); accepted: an integer from 0 "
                     "to 65535");
  auto env = parse_with({}, {{"PHX_LOG_LEVEL", "loud"}});
  CHECK(env.error == "bad value \"loud\" for --log-level (environment PHX_LOG_LEVEL); accepted: "
                     "debug, info, warning or error");
  temp_file file{"port = 1\nmax-channels = none\n"};
  auto from_file = parse_with({"--config", file.path}, {});
  CHECK(from_file.error == "bad value \"none\" for --max-channels (" + file.path +
                               ", line 2); accepted: an integer from 1 up");
  CHECK(parse_with({"--frobnicate"}, {}).error == "unknown option --frobnicate");
  CHECK(parse_with({"--port"}, {}).error == "option --port needs a value");
  bool flag = false;
  auto flag_env = parse_with({}, {{"PHX_NO_WEBSOCKET", "maybe"}},
                             {{"no-websocket", "", nullptr, &flag}});
  CHECK(flag_env.error.find("accepted: true or false") != std::string::npos);
  CHECK(parse_with({"--config", "/nonexistent/phx.conf"}, {}).error ==
        "cannot read the config file /nonexistent/phx.conf");
  auto help = parse_with({"--help"}, {});
  CHECK(help.help);
  CHECK(help.usage.find("--drain-ms") != std::string::npos);
  CHECK(help.usage.find("--config FILE") != std::string::npos);
}

TEST_CASE("endpoint options: TLS takes a certificate and its key, both or neither") {
  auto both = parse_with({"--tls-cert", "c.pem"}, {{"PHX_TLS_KEY", "k.pem"}});
  CHECK(both.error.empty());
  CHECK(both.config.tls_cert == "c.pem");
  CHECK(both.config.tls_key == "k.pem");
  CHECK(parse_with({}, {}).config.tls_cert.empty()); // plain by default
  CHECK(parse_with({"--tls-cert", "c.pem"}, {}).error
        == "--tls-cert needs --tls-key (PEM files: both or neither)");
  CHECK(parse_with({}, {{"PHX_TLS_KEY", "k.pem"}}).error
        == "--tls-key needs --tls-cert (PEM files: both or neither)");
}

TEST_CASE("config files: comments, quotes, sections and malformed lines") {
  std::string error;
  auto entries = phx::detail::config_file::parse(
    "; comment\n\n  [global]  \nname_with_underscores = a b  \nquoted = \"x \\\" # y\" # c\n"
    "single = 'it'\nempty =\n",
    error);
  REQUIRE(error.empty());
  REQUIRE(entries.size() == 4);
  CHECK(entries[0].key == "name-with-underscores");
  CHECK(entries[0].value == "a b");
  CHECK(entries[0].line == 4);
  CHECK(entries[1].value == "x \" # y");
  CHECK(entries[2].value == "it");
  CHECK(entries[3].value.empty());
  auto fails = [](const char* text) {
    std::string e;
    CHECK(phx::detail::config_file::parse(text, e).empty());
    return e;
  };
  CHECK(fails("port = 1\n[scheduler]\npolicy = x\n") ==
        "line 2: unknown section [scheduler] (only [global])");
  CHECK(fails("port 4000\n") == "line 1: expected key = value");
  CHECK(fails("= 4\n") == "line 1: a key is missing before =");
  CHECK(fails("a = \"open\n") == "line 1: a quoted value must close on its line");
  CHECK(fails("[global\n") == "line 1: a section header must end with ]");
}

TEST_CASE("endpoint options: the heap's upkeep (mmap threshold, trim interval)") {
  auto defaults = parse_with({}, {});
  CHECK(defaults.config.malloc_mmap_threshold == 128 * 1024);
  CHECK(defaults.config.malloc_trim_every == std::chrono::milliseconds(10000));
  auto set = parse_with({"--malloc-mmap-threshold", "0"}, {{"PHX_MALLOC_TRIM_MS", "2500"}});
  CHECK(set.error.empty());
  CHECK(set.config.malloc_mmap_threshold == 0);
  CHECK(set.config.malloc_trim_every == std::chrono::milliseconds(2500));
  CHECK(parse_with({"--malloc-trim-ms", "-1"}, {}).error.find("--malloc-trim-ms") !=
        std::string::npos);
}
