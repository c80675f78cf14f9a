#include "cli_support.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>
#include <sstream>

#include "lienthong/gateway/cli/cli.h"

#ifndef LIENTHONG_VERSION
#define LIENTHONG_VERSION "dev"
#endif

namespace lienthong::gateway::cli {

namespace fs = std::filesystem;
using schemas::SchemaSet;

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::Io, "cannot open '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::Io, "cannot read '" + path + "'");
  return ss.str();
}

Result<void> writeFileAtomic(const fs::path& path, std::string_view bytes) {
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return fail(ErrorCode::Io, "cannot write '" + tmp.string() + "'");
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return fail(ErrorCode::Io, "cannot write '" + tmp.string() + "'");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return fail(ErrorCode::Io, "cannot rename to '" + path.string() + "': " + ec.message());
  return {};
}

std::shared_ptr<const SchemaSet> schemasOrDie(std::ostream& err) {
  auto s = SchemaSet::load();
  if (!s) {
    err << "lienthong: " << s.error().describe() << "\n";
    return nullptr;
  }
  return *s;
}

std::string humanSize(std::size_t n) {
  std::ostringstream ss;
  if (n < 1024) ss << n << " B";
  else if (n < 1024 * 1024) ss << std::fixed << std::setprecision(1) << n / 1024.0 << " KiB";
  else ss << std::fixed << std::setprecision(1) << n / (1024.0 * 1024.0) << " MiB";
  return ss.str();
}

// "FILE:LINE: element 'X': message [code]"
void printError(std::ostream& err, const std::string& file, const Error& e) {
  err << file;
  if (e.line > 0) err << ":" << e.line;
  err << ": ";
  if (!e.element.empty()) err << "element '" << e.element << "': ";
  err << e.message << " [" << errorCodeName(e.code) << "]\n";
}

}  // namespace lienthong::gateway::cli

namespace lienthong::gateway {
namespace {

using cli::Args;
using cli::Command;

std::vector<Command> commands() {
  std::vector<Command> all;
  for (auto group : {cli::documentCommands, cli::signingCommands, cli::gatewayCommands,
                     cli::caCommands, cli::pdfCommands, cli::auditCommands, cli::registerCommands,
                     cli::reportCommands, cli::trustCommands}) {
    for (auto& c : group()) all.push_back(std::move(c));
  }
  return all;
}

std::optional<Args> parseArgs(const std::vector<std::string>& words, const Command& cmd,
                              std::ostream& err) {
  Args a;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w.rfind("--", 0) == 0 && w.size() > 2) {
      std::string key = w.substr(2);
      if (auto eq = key.find('='); eq != std::string::npos) {
        a.options[key.substr(0, eq)] = key.substr(eq + 1);
      } else if (std::find(cmd.flags.begin(), cmd.flags.end(), key) != cmd.flags.end() ||
                 key == "help") {
        a.options[key] = "1";
      } else if (i + 1 < words.size()) {
        a.options[key] = words[++i];
      } else {
        err << "lienthong " << cmd.name << ": option --" << key << " needs a value\n";
        return std::nullopt;
      }
    } else {
      a.positional.push_back(w);
    }
  }
  return a;
}

void printHelp(std::ostream& out) {
  out << "lienthong " << LIENTHONG_VERSION
      << ": gateway for signed official documents (edXML, QCVN 102:2016)\n\n"
      << "usage: lienthong COMMAND [OPTIONS]   (lienthong COMMAND --help for its options)\n\n"
      << "commands:\n";
  for (const auto& c : commands()) {
    out << "  " << c.name << std::string(12 - std::min<std::size_t>(c.name.size(), 11), ' ')
        << c.summary << "\n";
  }
}
}  // namespace

int runCli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    printHelp(words.empty() ? err : out);
    return words.empty() ? 2 : 0;
  }
  if (words[0] == "--version" || words[0] == "version") {
    out << "lienthong " << LIENTHONG_VERSION << "\n";
    return 0;
  }
  for (const auto& c : commands()) {
    if (c.name != words[0]) continue;
    auto args = parseArgs({words.begin() + 1, words.end()}, c, err);
    if (!args) return 2;
    if (args->has("help")) {
      out << c.usage;
      return 0;
    }
    return c.run(*args, out, err);
  }
  err << "lienthong: unknown command '" << words[0] << "'\n";
  printHelp(err);
  return 2;
}

}  // namespace lienthong::gateway

