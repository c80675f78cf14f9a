// lienthong register ...: the Decree 30 registers of a node's units, on the node's data folder.
#include <cstdlib>
#include <iostream>

#include "cli_support.h"
#include "report_context.h"

namespace lienthong::gateway::cli {

namespace {

constexpr const char* kUsage =
    "usage: lienthong register SUBCOMMAND [OPTIONS]\n"
    "  (all take --data DIR (default lienthong-data) or --config FILE, and --node NAME)\n"
    "\n"
    "  paper --unit ORGANID --number N --notation KH --date YYYY-MM-DD --to ORGANID[;ORGANID...]\n"
    "        [--type TYPE] [--subject TEXT] [--signer TEXT] [--dispatch-date YYYY-MM-DD]\n"
    "        [--copies N] [--keeper TEXT] [--receipt TEXT] [--notes TEXT] [--document-id ID]\n"
    "        [--direction in --sender ORGANID --arrival-date YYYY-MM-DD]\n"
    "      records a document issued on paper (no --dispatch-date: registered, not yet issued),\n"
    "      or a paper copy of a document that went through the gateway (same --document-id, or\n"
    "      same number, notation and date: the recipients named also get it on paper)\n"
    "  import FILE.csv\n"
    "      records many at once (header: unit,number,notation,date,type,subject,signer,\n"
    "      recipients,dispatch_date,copies,file_keeper,receipt,notes,document_id,direction,\n"
    "      sender,arrival_date[,channel]; recipients separated by ';'); all or nothing, a bad row\n"
    "      is named. channel (electronic|paper|both|not_issued) imports a DMS's own history from\n"
    "      before its documents went through the gateway: the line counts as the DMS recorded it\n"
    "  export --unit ORGANID [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format csv|html|json]\n"
    "         [--direction out|in] [--out FILE]\n"
    "      the outgoing register's 10 columns (Decree 30) as CSV or a printable HTML page\n"
    "  index\n"
    "      reads the documents stored since the last run into the register (reports and\n"
    "      exports do this first anyway)\n"
    "\n"
    "--actor NAME names who records (default cli:$USER).\n";

std::string actorOf(const Args& a) {
  if (a.has("actor")) return a.get("actor");
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user ? user : "unknown");
}

int failWith(std::ostream& err, const Error& e) {
  err << "lienthong register: " << e.message << " [" << errorCodeName(e.code) << "]\n";
  return 1;
}

int runPaper(const Args& a, EvidenceContext& c, std::ostream& out, std::ostream& err) {
  PaperRecord r;
  auto dir = parseDirection(a.get("direction", "out"));
  if (!dir) return failWith(err, dir.error());
  r.direction = *dir;
  r.unit = a.get("unit");
  r.document_id = a.get("document-id");
  r.number = a.get("number");
  r.notation = a.get("notation");
  r.date = a.get("date");
  r.type = a.get("type");
  r.subject = a.get("subject");
  r.signer = a.get("signer");
  r.sender = a.get("sender");
  std::string to = a.get("to");
  for (auto& ch : to) {
    if (ch == ',') ch = ';';
  }
  std::string cur;
  for (char ch : to + ";") {
    if (ch == ';') {
      if (!cur.empty()) r.recipients.push_back(cur);
      cur.clear();
    } else if (ch != ' ') {
      cur += ch;
    }
  }
  r.file_keeper = a.get("keeper");
  const std::string copies = a.get("copies", "0");
  if (copies.empty() || copies.size() > 6 || copies.find_first_not_of("0123456789") != std::string::npos) {
    err << "lienthong register paper: --copies '" << copies << "' is not a count\n";
    return 2;
  }
  r.copies = std::stoi(copies);
  r.dispatch_date = a.get("dispatch-date");
  r.arrival_date = a.get("arrival-date");
  r.receipt = a.get("receipt");
  r.notes = a.get("notes");
  if (auto idx = c.indexer->run(); !idx) return failWith(err, idx.error());
  auto e = c.book->recordPaper(r, actorOf(a));
  if (!e) return failWith(err, e.error());
  out << "recorded " << e->numberNotation() << " of " << e->date << " for " << e->unit << ": "
      << issueChannelName(e->channel()) << " (entry " << e->id << ")\n";
  return 0;
}

int runImport(const Args& a, EvidenceContext& c, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 2) {
    err << "usage: lienthong register import FILE.csv [--data DIR]\n";
    return 2;
  }
  const std::string file = a.positional[1];
  auto text = readFile(file);
  if (!text) return failWith(err, text.error());
  auto records = parsePaperCsv(*text, file);
  if (!records) return failWith(err, records.error());
  if (auto idx = c.indexer->run(); !idx) return failWith(err, idx.error());
  auto n = c.book->recordPaperBatch(*records, actorOf(a), [&](std::size_t i) {
    return file + ": line " + std::to_string(i + 2);
  });
  if (!n) return failWith(err, n.error());
  out << "recorded " << *n << " entries from " << file << "\n";
  return 0;
}

int runExport(const Args& a, EvidenceContext& c, std::ostream& out, std::ostream& err) {
  Scope scope;
  scope.unit = a.get("unit");
  if (scope.unit.empty()) {
    err << "lienthong register export: --unit ORGANID is required\n";
    return 2;
  }
  const auto directory = c.reporter->directory();
  auto units = c.reporter->unitsOf(*directory, scope);
  if (!units) return failWith(err, units.error());
  auto dir = parseDirection(a.get("direction", "out"));
  if (!dir) return failWith(err, dir.error());
  RegisterQuery q;
  q.direction = *dir;
  q.units = {(*units)[0]->code};
  if (!(*units)[0]->legacy_code.empty()) q.units.push_back((*units)[0]->legacy_code);
  q.from = a.get("from");
  q.to = a.get("to");
  if (!q.from.empty()) {
    if (auto ok = checkDate(q.from, "--from"); !ok) return failWith(err, ok.error());
  }
  if (!q.to.empty()) {
    if (auto ok = checkDate(q.to, "--to"); !ok) return failWith(err, ok.error());
  }
  const std::string format = a.get("format", "csv");
  if (format != "csv" && format != "html" && format != "json") {
    err << "lienthong register export: --format '" << format << "' is not csv, html or json\n";
    return 2;
  }
  if (auto idx = c.indexer->run(); !idx) return failWith(err, idx.error());
  auto entries = c.book->entries(q);
  if (!entries) return failWith(err, entries.error());
  const std::string body = format == "csv"    ? registerCsv(*entries)
                           : format == "json" ? registerJson(*entries) + "\n"
                                              : registerHtml(*entries, (*units)[0]->code,
                                                             (*units)[0]->name, q.from, q.to);
  if (a.has("out")) {
    if (auto w = writeFileAtomic(a.get("out"), body); !w) return failWith(err, w.error());
    out << "wrote " << entries->size() << " entries to " << a.get("out") << "\n";
    return 0;
  }
  out << body;
  return 0;
}

int cmdRegister(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.empty()) {
    err << kUsage;
    return 2;
  }
  const std::string& sub = a.positional[0];
  if (sub != "paper" && sub != "import" && sub != "export" && sub != "index") {
    err << "lienthong register: unknown subcommand '" << sub << "'\n" << kUsage;
    return 2;
  }
  auto c = openEvidenceContext(a);
  if (!c) return failWith(err, c.error());
  if (sub == "paper") return runPaper(a, *c, out, err);
  if (sub == "import") return runImport(a, *c, out, err);
  if (sub == "export") return runExport(a, *c, out, err);
  auto stats = c->indexer->run();
  if (!stats) return failWith(err, stats.error());
  out << "indexed " << stats->documents << " stored documents: " << stats->outgoing << " outgoing, "
      << stats->incoming << " incoming entries";
  if (stats->unreadable) out << ", " << stats->unreadable << " unreadable (noted in the entries)";
  out << "\n";
  return 0;
}

}  // namespace

std::vector<Command> registerCommands() {
  return {Command{"register", "document registers (Decree 30): paper, import, export, index", kUsage, {},
                  cmdRegister}};
}

}  // namespace lienthong::gateway::cli
