// The `lienthong` command line: parses the subcommand and its options and runs it, writing to the
// given streams. Returns the process exit status (0 ok, 1 a checked input failed, 2 usage).
#pragma once

#include <ostream>

namespace lienthong::gateway {

int runCli(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace lienthong::gateway
