// Document commands: validate, inspect, directory, sample, demo.
#include "cli_demo.h"
#include "cli_support.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>
#include <sstream>

#include "lienthong/schemas/directory.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/organ_id.h"
#include "lienthong/schemas/sample.h"

namespace lienthong::gateway::cli {
namespace {

namespace fs = std::filesystem;
using namespace lienthong::schemas;

Result<MessageKind> validateOne(const std::string& bytes, const SchemaSet& schemas,
                                std::string* summary) {
  auto doc = XmlDocument::parse(bytes);
  if (!doc) return std::unexpected(doc.error());
  auto kind = detectKind(*doc);
  if (!kind) return std::unexpected(kind.error());
  if (*kind == MessageKind::Status) {
    auto s = StatusMessage::parse(bytes, &schemas);
    if (!s) return std::unexpected(s.error());
    *summary = "status " + statusCodeText(s->status) + " (" + std::string(statusLabel(s->status)) +
               ") from " + s->from.organ_id + " for " + s->response_for.document_id;
  } else {
    auto p = Package::parse(bytes, &schemas);
    if (!p) return std::unexpected(p.error());
    *summary = "document " + p->documentId() + ", " + std::to_string(p->header.to.size()) +
               " recipient(s), " + std::to_string(p->attachments.size()) + " attachment(s)" +
               (p->isSigned() ? ", signed" : ", unsigned");
  }
  return *kind;
}

int cmdValidate(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.empty()) {
    err << "lienthong validate: name at least one .edxml file\n";
    return 2;
  }
  auto schemas = schemasOrDie(err);
  if (!schemas) return 1;
  int failed = 0;
  for (const auto& file : a.positional) {
    auto bytes = readFile(file);
    if (!bytes) {
      printError(err, file, bytes.error());
      ++failed;
      continue;
    }
    std::string summary;
    auto r = validateOne(*bytes, *schemas, &summary);
    if (!r) {
      printError(err, file, r.error());
      ++failed;
    } else {
      out << file << ": ok, " << summary << "\n";
    }
  }
  if (a.positional.size() > 1) {
    out << (a.positional.size() - failed) << " valid, " << failed << " invalid\n";
  }
  return failed ? 1 : 0;
}

void inspectPackage(const Package& p, std::ostream& out) {
  const auto& h = p.header;
  out << "Document       " << p.documentId() << "\n";
  out << "Number         " << (h.code.str().empty() ? "-" : h.code.str()) << "\n";
  out << "Type           " << (h.type_name.empty() ? h.type : h.type_name) << "\n";
  out << "Subject        " << h.subject << "\n";
  out << "Date           " << h.promulgation_date << (h.place.empty() ? "" : ", " + h.place) << "\n";
  out << "Priority       " << priorityLabel(h.other_info.priority) << "\n";
  out << "From           " << h.from.organ_id << "  " << h.from.organ_name << "\n";
  for (const auto& to : h.to) out << "To             " << to.organ_id << "  " << to.organ_name << "\n";
  if (!h.signer.full_name.empty()) {
    out << "Signer         " << h.signer.competence << " " << h.signer.position << " "
        << h.signer.full_name << "\n";
  }
  if (p.business && p.business->doc_type != BusinessDocType::New) {
    static const char* kNames[] = {"new", "revoke", "update", "replace"};
    out << "Business       " << kNames[static_cast<int>(p.business->doc_type)] << " of "
        << p.business->document_id << "\n";
  }
  out << "Signature      " << (p.isSigned() ? "present (run 'lienthong verify' to check it)" : "none")
      << "\n";
  out << "Attachments    " << p.attachments.size() << "\n";
  for (const auto& att : p.attachments) {
    out << "  " << att.attachment_name << "  " << att.content_type << "  "
        << humanSize(att.decodedSize()) << "  " << att.content_id << "\n";
    if (att.isZip()) {
      auto files = att.unzip();
      if (!files) {
        out << "    (zip unreadable: " << files.error().message << ")\n";
      } else {
        for (const auto& f : *files) out << "    " << f.name << "  " << humanSize(f.data.size()) << "\n";
      }
    }
  }
}

int cmdInspect(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) {
    err << "lienthong inspect: name exactly one .edxml file\n";
    return 2;
  }
  auto schemas = schemasOrDie(err);
  if (!schemas) return 1;
  const auto& file = a.positional[0];
  auto bytes = readFile(file);
  if (!bytes) {
    printError(err, file, bytes.error());
    return 1;
  }
  auto doc = XmlDocument::parse(*bytes);
  auto kind = doc ? detectKind(*doc) : Result<MessageKind>(std::unexpected(doc.error()));
  if (!kind) {
    printError(err, file, kind.error());
    return 1;
  }
  if (*kind == MessageKind::Status) {
    auto s = StatusMessage::parse(*bytes, schemas.get());
    if (!s) {
      printError(err, file, s.error());
      return 1;
    }
    out << "Status         " << statusCodeText(s->status) << " " << statusLabel(s->status) << "\n";
    out << "From           " << s->from.organ_id << "  " << s->from.organ_name << "\n";
    out << "For document   " << s->response_for.document_id << " (sender "
        << s->response_for.organ_id << ")\n";
    out << "Time           " << s->timestamp << "\n";
    out << "Description    " << s->description << "\n";
    return 0;
  }
  auto p = Package::parse(*bytes, schemas.get());
  if (!p) {
    printError(err, file, p.error());
    return 1;
  }
  inspectPackage(*p, out);
  return 0;
}

std::string today() {
  const auto now = std::chrono::system_clock::now();
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(now)};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

int cmdDirectoryShow(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) {
    err << "lienthong directory show: name exactly one organization code\n";
    return 2;
  }
  const std::string path = a.get("directory", "lienthong-data/directory.xml");
  auto schemas = schemasOrDie(err);
  if (!schemas) return 1;
  auto dir = Directory::loadFile(path, *schemas);
  if (!dir) {
    err << "lienthong directory show: " << dir.error().describe()
        << "\n(give the file with --directory FILE; 'lienthong demo' writes one)\n";
    return 1;
  }
  const std::string& code = a.positional[0];
  if (auto id = OrganId::parse(code); !id) {
    err << "lienthong directory show: " << id.error().message << "\n";
    return 1;
  }
  const Unit* u = dir->find(code);
  if (!u) {
    err << "lienthong directory show: '" << code << "' is not in " << path << " (version "
        << dir->version() << ")\n";
    return 1;
  }
  const std::string date = a.get("date", today());
  auto id = OrganId::parse(u->code);
  out << "Code           " << u->code << "\n";
  if (!u->legacy_code.empty()) out << "Legacy code    " << u->legacy_code << "\n";
  out << "Name           " << u->name << "\n";
  out << "Level          " << u->level << " ("
      << levelLabel(static_cast<OrganLevel>(std::clamp(u->level, 1, 4))) << ")\n";
  if (!u->parent.empty()) {
    const Unit* p = dir->find(u->parent);
    out << "Parent         " << u->parent << (p ? "  " + p->name : "") << "\n";
  }
  out << "Valid          " << (u->valid_from.empty() ? "-" : u->valid_from) << " to "
      << (u->valid_to.empty() ? "open" : u->valid_to) << "\n";
  out << "Home node      " << u->home_node;
  if (const NodeInfo* n = dir->node(u->home_node); n && !n->url.empty()) out << "  " << n->url;
  out << "\n";
  out << "Channel        " << channelName(u->channel) << "\n";
  for (const auto& [k, v] : u->settings) {
    // A secret is not shown, only that it is there (the directory file itself is the admin's).
    const bool secret = k == "secret" || k.ends_with("_secret") || k == "password" || k == "token";
    out << "  " << k << " = " << (secret ? "(set, " + std::to_string(v.size()) + " characters)" : v) << "\n";
  }
  if (!u->successor.empty()) {
    auto r = dir->resolve(code, date);
    out << "Successor      " << u->successor;
    if (r && (*r)->code != u->code) out << "  (on " << date << " documents go to " << (*r)->code << " " << (*r)->name << ")";
    out << "\n";
  }
  const auto kids = dir->children(u->code);
  if (!kids.empty()) out << "Units below    " << kids.size() << "\n";
  return 0;
}

int cmdDemo(const Args& a, std::ostream& out, std::ostream& err) { return runDemo(a, out, err); }

int cmdSample(const Args& a, std::ostream& out, std::ostream& err) {
  sample::PackageSpec spec;
  if (a.has("size")) {
    const std::string size = a.get("size");
    constexpr std::size_t kMax = 200u << 20;
    const bool digits = !size.empty() && size.size() <= 10 &&
                        std::all_of(size.begin(), size.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || std::stoull(size) > kMax) {
      err << "lienthong sample: --size takes a number of bytes from 0 to " << kMax << "\n";
      return 2;
    }
    spec.pdf_bytes = std::stoull(size);
  }
  const std::string bytes = sample::package(spec).serialize();
  if (!a.has("out")) {
    out << bytes;
    return 0;
  }
  if (auto r = writeFileAtomic(a.get("out"), bytes); !r) {
    err << "lienthong sample: " << r.error().message << "\n";
    return 1;
  }
  out << "wrote " << a.get("out") << " (" << humanSize(bytes.size()) << ")\n";
  return 0;
}
}  // namespace

std::vector<Command> documentCommands() {
  return {
      {"validate", "check edXML files against the schemas and the package rules",
       "usage: lienthong validate FILE...\n\n"
       "Checks each edXML document package or status message: safe parsing (no DOCTYPE, no\n"
       "entities, size and depth limits), the embedded XSD, and the rules the gateway relies on\n"
       "(From, at least one To, document identity, attachments). Each error names the file, line,\n"
       "element and reason. Exit status 1 if any file fails.\n",
       {}, cmdValidate},
      {"inspect", "show what an edXML package or status message says",
       "usage: lienthong inspect FILE\n\n"
       "Prints sender, recipients, number/notation, type, subject, priority and the attachments\n"
       "with their sizes and types (and the files inside zipped attachments).\n",
       {}, cmdInspect},
      {"directory", "look up organization units (show CODE); switch a running node to an edited directory (reload)",
       std::string("usage: lienthong directory show CODE [--directory FILE] [--date yyyy-mm-dd]\n"
                   "       lienthong directory reload --node URL --ca FILE --cert ADMIN.pem --key ADMIN.key\n\n"
                   "show: a unit by its current or legacy code: name, level, parent, validity, home node\n"
                   "and delivery channel with its settings (secrets are not printed); a closed code shows\n"
                   "the successor that receives for it. FILE is a directory XML or CSV (default\n"
                   "lienthong-data/directory.xml).\n\n"
                   "reload: the node reads its directory.file again and switches to it without a restart\n"
                   "(an administrator's certificate named in auth.certificates; `kill -HUP` on the serve process does the same). The\n"
                   "next message is routed, and the next delivery to a unit made, by the new version. A\n"
                   "file that does not load, that lacks the node, or whose adapter settings are unusable\n"
                   "is refused and the node keeps its version. Prints what changed.\n\n") +
           kClientOptions,
       {}, [](const Args& a, std::ostream& out, std::ostream& err) {
         const std::string sub = a.positional.empty() ? std::string() : a.positional[0];
         if (sub != "show" && sub != "reload") {
           err << "lienthong directory: the subcommand is 'show CODE' or 'reload --node URL ...'\n";
           return 2;
         }
         Args rest = a;
         rest.positional.erase(rest.positional.begin());
         if (sub == "reload") return runDirectoryReload(rest, out, err);
         return cmdDirectoryShow(rest, out, err);
       }},
      {"sample", "write a realistic sample edXML package",
       "usage: lienthong sample [--out FILE] [--size BYTES]\n\n"
       "Writes a package with two recipients, a PDF of about BYTES bytes and a zipped appendix.\n",
       {}, cmdSample},
      {"demo", "run a province, two districts and their communes, send signed documents, answer them",
       "usage: lienthong demo [--data DIR] [--docs N] [--once]\n\n"
       "Starts three nodes on free loopback ports (a province, two districts hosting their\n"
       "communes), makes a province CA and its seal certificates and the nodes' TLS certificates,\n"
       "sends N (default 40) signed documents across every level (some to a paper-only commune),\n"
       "answers them with statuses 03 and 06, and prints a summary and where to look next. The\n"
       "nodes keep running until Ctrl-C unless --once. DIR (default ./lienthong-data) is replaced\n"
       "on each run; the demo refuses a folder holding files it did not make.\n",
       {"once"}, cmdDemo},
  };
}

}  // namespace lienthong::gateway::cli
