#pragma once

#include "phx/metrics/counter.hpp"
#include "phx/metrics/node_metrics.hpp"
#include "phx/metrics/process_stats.hpp"
#include "phx/metrics/prometheus_writer.hpp"
