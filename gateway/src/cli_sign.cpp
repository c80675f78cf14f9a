// Commands of this group are added here as their issue lands.
#include "cli_support.h"

namespace lienthong::gateway::cli {

std::vector<Command> signingCommands() { return {}; }

}  // namespace lienthong::gateway::cli
