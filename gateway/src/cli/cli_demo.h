// lienthong demo: three real nodes on loopback, a province CA, signed documents across every
// level, statuses back, a summary and where to look next (cli_demo.cpp).
#pragma once

#include <ostream>

#include "cli_support.h"
#include "lienthong/schemas/directory.h"

namespace lienthong::gateway::cli {

// The demo tree: a province, two districts, their communes (one closed code, one paper-only),
// with node URLs on 127.0.0.1 at the given ports (province, district-a, district-b).
schemas::Directory demoDirectory(int province_port, int district_a_port, int district_b_port);

int runDemo(const Args& a, std::ostream& out, std::ostream& err);

}  // namespace lienthong::gateway::cli
