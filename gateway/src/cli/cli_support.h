// Shared pieces of the lienthong command: argument parsing, the command table entry, and small
// file and output helpers used by every group of subcommands (cli*.cpp).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/schemas/error.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::gateway::cli {

// Options after the subcommand: --name value, --flag, and positionals.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool has(const std::string& k) const { return options.contains(k); }
  std::string get(const std::string& k, std::string fallback = {}) const {
    auto it = options.find(k);
    return it == options.end() ? fallback : it->second;
  }
};

struct Command {
  std::string name;
  std::string summary;
  std::string usage;  // full help text
  std::vector<std::string> flags;  // options that take no value
  std::function<int(const Args&, std::ostream&, std::ostream&)> run;
};

// Each group of subcommands lives in its own file and lists its commands here.
std::vector<Command> documentCommands();  // validate, inspect, directory, sample, demo (cli.cpp)
std::vector<Command> signingCommands();   // sign, verify (cli_sign.cpp)
std::vector<Command> gatewayCommands();   // serve, send, inbox, status (cli_gateway.cpp)
std::vector<Command> caCommands();        // ca ... (cli_ca.cpp)
std::vector<Command> pdfCommands();       // pdf sign, verify, sample (cli_pdf.cpp)
std::vector<Command> auditCommands();     // audit verify, checkpoint (cli_audit.cpp)
std::vector<Command> registerCommands();  // register paper, import, export, index (cli_register.cpp)
std::vector<Command> reportCommands();    // report issuance, deliveries (cli_report.cpp)
std::vector<Command> trustCommands();     // trust list, show, add, remove (cli_trust.cpp)
// `directory reload --node URL ...`: asks a running node to read its directory again
// (cli_gateway.cpp, where the node client lives; the `directory` command is in cli_documents.cpp).
int runDirectoryReload(const Args& a, std::ostream& out, std::ostream& err);
extern const char* const kClientOptions;  // the --node, --ca, --cert/--key, --token lines

Result<std::string> readFile(const std::string& path);
// Writes via a temporary file and rename, so no half-written file is ever seen.
Result<void> writeFileAtomic(const std::filesystem::path& path, std::string_view bytes);
std::shared_ptr<const schemas::SchemaSet> schemasOrDie(std::ostream& err);
std::string humanSize(std::size_t n);
// "FILE:LINE: element 'X': message [code]"
void printError(std::ostream& err, const std::string& file, const Error& e);

}  // namespace lienthong::gateway::cli
