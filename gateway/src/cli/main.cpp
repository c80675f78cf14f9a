// The lienthong command: a thin shell over the gateway library.
#include <iostream>

#include "lienthong/gateway/cli/cli.h"

int main(int argc, char** argv) {
  return lienthong::gateway::runCli(argc, argv, std::cout, std::cerr);
}
