#include "http/static_files.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <doctest/doctest.h>

namespace fs = std::filesystem;
using phx::detail::read_static_file;

TEST_CASE("static files are served below their directory and nowhere else") {
  auto dir = fs::temp_directory_path() / ("phx_static_test_" + std::to_string(::getpid()));
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "index.html") << "<p>hi</p>";
  std::ofstream(dir / "sub" / "app.js") << "x()";
  auto root = dir.string();
  auto index = read_static_file("/", root, "/");
  REQUIRE(index);
  CHECK(index->body == "<p>hi</p>");
  CHECK(index->content_type.find("text/html") == 0);
  auto js = read_static_file("/", root, "/sub/app.js");
  REQUIRE(js);
  CHECK(js->content_type.find("text/javascript") == 0);
  auto vendored = read_static_file("/vendor", root, "/vendor/sub/app.js");
  REQUIRE(vendored);
  CHECK(vendored->body == "x()");
  CHECK_FALSE(read_static_file("/", root, "/missing.txt"));
  CHECK_FALSE(read_static_file("/", root, "/../etc/passwd"));
  CHECK_FALSE(read_static_file("/", root, "/sub/../index.html"));
  CHECK_FALSE(read_static_file("/vendor", root, "/other/app.js"));
  fs::remove_all(dir);
}
