#include "phx/metrics.hpp"

#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

using phx::metrics::counter;
using phx::metrics::prometheus_writer;

TEST_CASE("prometheus text: HELP and TYPE per family, then its samples") {
  prometheus_writer w;
  w.family("phx_joins_total", "counter", "Channel joins, by result.")
    .sample(12, {{"result", "ok"}})
    .sample(3, {{"result", "error"}});
  w.single("phx_channels", "gauge", "Joined channels.", 7);
  CHECK(w.text() == "# HELP phx_joins_total Channel joins, by result.\n"
                    "# TYPE phx_joins_total counter\n"
                    "phx_joins_total{result=\"ok\"} 12\n"
                    "phx_joins_total{result=\"error\"} 3\n"
                    "# HELP phx_channels Joined channels.\n"
                    "# TYPE phx_channels gauge\n"
                    "phx_channels 7\n");
}

TEST_CASE("prometheus text: label values and help texts are escaped") {
  prometheus_writer w;
  w.family("m", "gauge", "a \\ help\nover two lines \"quoted\"")
    .sample(-1, {{"peer", "a\"b\\c\nd"}, {"x", ""}});
  CHECK(w.text() == "# HELP m a \\\\ help\\nover two lines \"quoted\"\n"
                    "# TYPE m gauge\n"
                    "m{peer=\"a\\\"b\\\\c\\nd\",x=\"\"} -1\n");
}

TEST_CASE("prometheus text: floating point samples, infinities and NaN") {
  prometheus_writer w;
  w.family("process_cpu_seconds_total", "counter", "CPU.").sample_double(1.5);
  w.family("f", "gauge", "F.")
    .sample_double(std::numeric_limits<double>::infinity(), {{"k", "inf"}})
    .sample_double(-std::numeric_limits<double>::infinity())
    .sample_double(std::numeric_limits<double>::quiet_NaN());
  auto text = w.take();
  CHECK(text.find("process_cpu_seconds_total 1.5\n") != std::string::npos);
  CHECK(text.find("f{k=\"inf\"} +Inf\n") != std::string::npos);
  CHECK(text.find("f -Inf\n") != std::string::npos);
  CHECK(text.find("f NaN\n") != std::string::npos);
  CHECK(w.text().empty()); // taken
}

TEST_CASE("a striped counter sums every thread's adds, and goes down as a gauge") {
  counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) // more threads than stripes: some share one
    threads.emplace_back([&c] {
      for (int i = 0; i < 10000; ++i)
        c.add();
    });
  for (auto& t : threads)
    t.join();
  CHECK(c.value() == 120000);
  c.sub(20000);
  c.add(-100000);
  CHECK(c.value() == 0);
}

TEST_CASE("process stats read this process") {
  auto p = phx::metrics::process_stats::read();
  CHECK(p.rss_bytes > 1024 * 1024);
  CHECK(p.open_files >= 3); // stdin, stdout, stderr at least
  CHECK(p.cpu_seconds >= 0);
  auto limit = phx::metrics::raise_open_files_limit();
  CHECK((limit == -1 || limit >= p.open_files));
}
