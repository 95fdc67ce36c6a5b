#pragma once

// Umbrella header of phx::cluster.
#include "phx/cluster/cluster_config.hpp"
#include "phx/cluster/cluster_node.hpp"
#include "phx/cluster/peer_info.hpp"
