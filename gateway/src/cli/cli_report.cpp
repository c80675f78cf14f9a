// lienthong report ...: issuance reports and delivery health on a node's data folder.
#include <iostream>

#include "cli_support.h"
#include "report_context.h"

namespace lienthong::gateway::cli {

namespace {

constexpr const char* kUsage =
    "usage: lienthong report issuance (--unit ORGANID [--subtree] | --level N) --period P\n"
    "                                 [--tree as_was|today] [--format text|json|csv] [--out FILE]\n"
    "                                 [--targets FILE]\n"
    "       lienthong report deliveries\n"
    "  (both take --data DIR (default lienthong-data) or --config FILE, and --node NAME)\n"
    "\n"
    "P: 2022 | 2022-Q3 | 2022-07 | 2022-07-15 | 2022-07-01..2022-09-30\n"
    "--tree: as_was (default) counts the units as they were in the period (before 1 July 2025:\n"
    "districts and their communes); today counts today's units, each with what the closed units\n"
    "that became it did (a trend across a merger).\n"
    "Outgoing documents are counted once each: electronic only + paper only + both + not yet\n"
    "issued = total; electronic rate = (electronic only + both) / total, paper rate = (paper\n"
    "only + both) / total, rounded to two decimals. Targets: --targets FILE or DIR/targets.csv\n"
    "(lines level,year,target, e.g. 3,2022,80 or 2,*,90), default 90% for every level.\n";

int failWith(std::ostream& err, const Error& e) {
  err << "lienthong report: " << e.message << " [" << errorCodeName(e.code) << "]\n";
  return 1;
}

int runIssuance(const Args& a, std::ostream& out, std::ostream& err) {
  Scope scope;
  if (a.has("unit") == a.has("level")) {
    err << "lienthong report issuance: give either --unit ORGANID [--subtree] or --level N\n";
    return 2;
  }
  auto parsed = a.has("unit") ? Scope::parse((a.has("subtree") ? "subtree:" : "unit:") + a.get("unit"))
                              : Scope::parse("level:" + a.get("level"));
  if (!parsed) return failWith(err, parsed.error());
  scope = *parsed;
  if (a.has("tree")) {
    auto tree = Scope::parseTree(a.get("tree"));
    if (!tree) return failWith(err, tree.error());
    scope.tree = *tree;
  }
  if (!a.has("period")) {
    err << "lienthong report issuance: --period is required (2022-Q3, 2022-07, 2022, A..B)\n";
    return 2;
  }
  auto period = Period::parse(a.get("period"));
  if (!period) return failWith(err, period.error());
  const std::string format = a.get("format", "text");
  if (format != "text" && format != "json" && format != "csv") {
    err << "lienthong report issuance: --format '" << format << "' is not text, json or csv\n";
    return 2;
  }
  auto c = openEvidenceContext(a);
  if (!c) return failWith(err, c.error());
  auto rep = c->reporter->issuance(scope, *period);
  if (!rep) return failWith(err, rep.error());
  const std::string body = format == "json"  ? issuanceJson(*rep) + "\n"
                           : format == "csv" ? issuanceCsv(*rep)
                                             : issuanceText(*rep);
  if (a.has("out")) {
    if (auto w = writeFileAtomic(a.get("out"), body); !w) return failWith(err, w.error());
    out << "wrote the report to " << a.get("out") << "\n";
    return 0;
  }
  out << body;
  return 0;
}

int cmdReport(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string& sub = a.positional[0];
  if (sub == "issuance") return runIssuance(a, out, err);
  if (sub == "deliveries") {
    auto c = openEvidenceContext(a);
    if (!c) return failWith(err, c.error());
    auto h = c->reporter->deliveryHealth();
    if (!h) return failWith(err, h.error());
    out << deliveryHealthJson(*h) << "\n";
    return 0;
  }
  err << "lienthong report: unknown subcommand '" << sub << "'\n" << kUsage;
  return 2;
}

}  // namespace

std::vector<Command> reportCommands() {
  return {Command{"report", "issuance reports (electronic vs paper) and delivery health", kUsage,
                  {"subtree"}, cmdReport}};
}

}  // namespace lienthong::gateway::cli
