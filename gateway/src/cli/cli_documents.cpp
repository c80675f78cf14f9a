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

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "lienthong/schemas/codec.h"
#include "lienthong/schemas/directory.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/organ_id.h"
#include "lienthong/schemas/sample.h"

namespace lienthong::gateway::cli {
namespace {

namespace fs = std::filesystem;
using namespace lienthong::schemas;

// What one reading of a file found: the kind, what could be read, every error and warning.
struct FileReport {
  std::optional<MessageKind> kind;
  std::optional<Package> package;
  std::optional<StatusMessage> status;
  std::vector<Error> errors;
  Warnings warnings;
  bool ok() const { return errors.empty() && (package || status); }
};

FileReport analyzeBytes(const std::string& bytes, const SchemaSet& schemas) {
  FileReport r;
  auto doc = XmlDocument::parse(bytes);
  if (!doc) {
    r.errors.push_back(doc.error());
    return r;
  }
  auto kind = detectKind(*doc);
  if (!kind) {
    r.errors.push_back(kind.error());
    return r;
  }
  r.kind = *kind;
  if (*kind == MessageKind::Status) {
    auto a = StatusMessage::analyze(bytes, &schemas);
    r.status = std::move(a.value);
    r.errors = std::move(a.errors);
    r.warnings = std::move(a.warnings);
  } else {
    auto a = Package::analyze(bytes, &schemas);
    r.package = std::move(a.value);
    r.errors = std::move(a.errors);
    r.warnings = std::move(a.warnings);
  }
  return r;
}

// For bytes the safe parser refused as not well-formed: the text of the first element named
// `name` (any prefix) after `from`, by a plain scan that builds no tree and resolves nothing, so
// an operator can see who sent it. "" when there is none.
std::string scanText(std::string_view bytes, std::string_view name, std::size_t from = 0,
                     std::size_t* end = nullptr) {
  for (std::size_t p = bytes.find(name, from); p != std::string_view::npos; p = bytes.find(name, p + 1)) {
    const std::size_t after = p + name.size();
    const bool opens = p > 0 && (bytes[p - 1] == '<' || bytes[p - 1] == ':') && after < bytes.size() &&
                       (bytes[after] == '>' || bytes[after] == ' ');
    if (!opens) continue;
    const auto gt = bytes.find('>', after);
    if (gt == std::string_view::npos) return {};
    const auto lt = bytes.find('<', gt);
    if (lt == std::string_view::npos || lt - gt > 300) return {};
    if (end) *end = lt;
    std::string t(bytes.substr(gt + 1, lt - gt - 1));
    for (char& c : t) {
      if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return t;
  }
  return {};
}

void printRawScan(std::ostream& out, std::string_view bytes) {
  std::size_t from_at = bytes.find("From>");
  std::string from = from_at == std::string_view::npos ? std::string() : scanText(bytes, "OrganId", from_at);
  const std::string doc = scanText(bytes, "DocumentId");
  if (from.empty() && doc.empty()) return;
  out << "Read by a plain scan of the bytes (not parsed, not trusted):\n";
  if (!from.empty()) out << "From           " << from << "\n";
  if (!doc.empty()) out << "DocumentId     " << doc << "\n";
}

std::string summaryOf(const FileReport& r) {
  if (r.status) {
    const auto& s = *r.status;
    return "status " + statusCodeText(s.status) + " (" + std::string(statusLabel(s.status)) +
           ") from " + s.from.organ_id + " for " + s.response_for.document_id;
  }
  if (r.package) {
    const auto& p = *r.package;
    std::string out = "document " + p.documentId() + ", " + std::to_string(p.header.to.size()) +
                      " recipient(s), " + std::to_string(p.attachments.size()) + " attachment(s)" +
                      (p.isSigned() ? ", signed" : ", unsigned");
    if (p.business && p.business->doc_type != BusinessDocType::New) {
      out += ", " + std::string(businessLabel(p.business->doc_type));
      const auto targets = p.businessTargets();
      for (std::size_t i = 0; i < targets.size(); ++i) out += (i ? ", " : " of ") + targets[i];
    }
    return out;
  }
  return {};
}

void printWarning(std::ostream& out, const std::string& file, const Warning& w) {
  out << file;
  if (w.line > 0) out << ":" << w.line;
  out << ": warning: ";
  if (!w.element.empty()) out << "element '" << w.element << "': ";
  out << w.message << " [" << w.code << "]\n";
}

Poco::JSON::Object errorJson(const Error& e) {
  Poco::JSON::Object o;
  o.set("code", std::string(errorCodeName(e.code)));
  o.set("message", e.message);
  o.set("line", e.line);
  o.set("element", e.element);
  return o;
}

Poco::JSON::Object warningJson(const Warning& w) {
  Poco::JSON::Object o;
  o.set("code", w.code);
  o.set("message", w.message);
  o.set("line", w.line);
  o.set("element", w.element);
  return o;
}

void addFindings(Poco::JSON::Object& o, const FileReport& r) {
  Poco::JSON::Array errors, warnings;
  for (const auto& e : r.errors) errors.add(errorJson(e));
  for (const auto& w : r.warnings) warnings.add(warningJson(w));
  o.set("errors", errors);
  o.set("warnings", warnings);
}

int cmdValidate(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.empty()) {
    err << "lienthong validate: name at least one .edxml file\n";
    return 2;
  }
  auto schemas = schemasOrDie(err);
  if (!schemas) return 1;
  const bool json = a.has("json");
  Poco::JSON::Array files;
  int failed = 0;
  for (const auto& file : a.positional) {
    FileReport r;
    if (auto bytes = readFile(file); !bytes) {
      r.errors.push_back(bytes.error());
    } else {
      r = analyzeBytes(*bytes, *schemas);
    }
    if (!r.ok()) ++failed;
    if (json) {
      Poco::JSON::Object o;
      o.set("file", file);
      o.set("valid", r.ok());
      o.set("kind", !r.kind ? std::string() : *r.kind == MessageKind::Status ? "status" : "document");
      o.set("summary", summaryOf(r));
      addFindings(o, r);
      files.add(o);
      continue;
    }
    for (const auto& e : r.errors) printError(err, file, e);
    for (const auto& w : r.warnings) printWarning(out, file, w);
    const std::string warned =
        r.warnings.empty() ? "" : ", " + std::to_string(r.warnings.size()) + " warning(s)";
    if (r.ok()) {
      out << file << ": ok, " << summaryOf(r) << warned << "\n";
    } else if (r.errors.size() > 1) {
      err << file << ": refused, " << r.errors.size() << " errors" << warned << "\n";
    }
  }
  if (json) {
    Poco::JSON::Object o;
    o.set("files", files);
    o.set("valid", static_cast<int>(a.positional.size()) - failed);
    o.set("invalid", failed);
    o.stringify(out, 2);
    out << "\n";
  } else if (a.positional.size() > 1) {
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
    out << "Business       " << businessLabel(p.business->doc_type) << " of";
    const auto targets = p.businessTargets();
    if (targets.empty()) out << " (no target)";
    for (const auto& t : targets) {
      out << " " << t;
      const auto at = p.replacedAt(t);
      if (!at.empty()) {
        out << " (at";
        for (const auto& o : at) out << " " << o;
        out << ")";
      }
    }
    out << "\n";
  }
  out << "Signature      " << (p.isSigned() ? "present (run 'lienthong verify' to check it)" : "none")
      << "\n";
  out << "Attachments    " << p.attachments.size() << "\n";
  for (const auto& att : p.attachments) {
    out << "  " << att.attachment_name << "  " << att.content_type << "  "
        << humanSize(att.decodedSize()) << "  " << att.content_id << "\n";
    if (att.isZip() && !att.encoded().empty() && codec::checkBase64(att.encoded())) {
      auto files = att.unzip();
      if (!files) {
        out << "    (zip unreadable: " << files.error().message << ")\n";
      } else {
        for (const auto& f : *files) out << "    " << f.name << "  " << humanSize(f.data.size()) << "\n";
      }
    }
  }
}

Poco::JSON::Object organizationJson(const Organization& o) {
  Poco::JSON::Object x;
  x.set("organ_id", o.organ_id);
  x.set("name", o.organ_name);
  return x;
}

Poco::JSON::Object packageJson(const Package& p) {
  const auto& h = p.header;
  Poco::JSON::Object o;
  o.set("document_id", p.documentId());
  o.set("number", h.code.str());
  o.set("type", h.type_name.empty() ? h.type : h.type_name);
  o.set("subject", h.subject);
  o.set("date", h.promulgation_date);
  o.set("priority", static_cast<int>(h.other_info.priority));
  o.set("from", organizationJson(h.from));
  Poco::JSON::Array to;
  for (const auto& t : h.to) to.add(organizationJson(t));
  o.set("to", to);
  o.set("business", std::string(businessLabel(p.business ? p.business->doc_type : BusinessDocType::New)));
  Poco::JSON::Array targets;
  for (const auto& t : p.businessTargets()) targets.add(t);
  o.set("targets", targets);
  o.set("signed", p.isSigned());
  Poco::JSON::Array atts;
  for (const auto& a : p.attachments) {
    Poco::JSON::Object x;
    x.set("content_id", a.content_id);
    x.set("name", a.attachment_name);
    x.set("content_type", a.content_type);
    x.set("bytes", static_cast<Poco::UInt64>(a.decodedSize()));
    atts.add(x);
  }
  o.set("attachments", atts);
  return o;
}

Poco::JSON::Object statusJson(const StatusMessage& s) {
  Poco::JSON::Object o;
  o.set("status", statusCodeText(s.status));
  o.set("label", std::string(statusLabel(s.status)));
  o.set("from", organizationJson(s.from));
  o.set("document_id", s.response_for.document_id);
  o.set("document_sender", s.response_for.organ_id);
  o.set("timestamp", s.timestamp);
  o.set("description", s.description);
  return o;
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
  const FileReport r = analyzeBytes(*bytes, *schemas);
  if (a.has("json")) {
    Poco::JSON::Object o;
    o.set("file", file);
    o.set("valid", r.ok());
    if (r.package) o.set("document", packageJson(*r.package));
    if (r.status) o.set("status", statusJson(*r.status));
    addFindings(o, r);
    o.stringify(out, 2);
    out << "\n";
    return r.ok() ? 0 : 1;
  }
  if (!r.ok()) {
    out << "REFUSED        " << r.errors.size() << " error(s); what could be read is shown below\n";
  }
  if (r.status) {
    const auto& s = *r.status;
    out << "Status         " << statusCodeText(s.status) << " " << statusLabel(s.status) << "\n";
    out << "From           " << s.from.organ_id << "  " << s.from.organ_name << "\n";
    out << "For document   " << s.response_for.document_id << " (sender "
        << s.response_for.organ_id << ")\n";
    out << "Time           " << s.timestamp << "\n";
    out << "Description    " << s.description << "\n";
  } else if (r.package) {
    inspectPackage(*r.package, out);
  } else if (!r.errors.empty() && r.errors.front().code == ErrorCode::MalformedXml) {
    printRawScan(out, *bytes);
  }
  if (!r.errors.empty()) {
    out << "Errors         " << r.errors.size() << "\n";
    for (const auto& e : r.errors) printError(out, "  " + file, e);
  }
  if (!r.warnings.empty()) {
    out << "Warnings       " << r.warnings.size() << "\n";
    for (const auto& w : r.warnings) printWarning(out, "  " + file, w);
  }
  return r.ok() ? 0 : 1;
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
  auto parsed = OrganId::parse(code);
  if (!parsed) {
    err << "lienthong directory show: " << parsed.error().message << "\n";
    return 1;
  }
  const Unit* u = dir->find(code);
  if (!u) {
    err << "lienthong directory show: '" << code << "' is not in " << path << " (version "
        << dir->version() << ")";
    if (parsed->form() == OrganId::Form::Other) {
      err << "; it fits neither the legacy nor the Decision 20/2020 form: " << parsed->note();
    }
    err << "\n";
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
  for (const auto& e : u->earlier) {
    const Unit* ep = e.parent.empty() ? nullptr : dir->find(e.parent);
    out << "Until " << e.until << " parent " << (e.parent.empty() ? std::string("(none)") : e.parent)
        << (ep ? "  " + ep->name : "") << ", level " << e.level << "\n";
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
       "usage: lienthong validate FILE... [--json]\n\n"
       "Checks each edXML document package or status message: safe parsing (no DOCTYPE, no\n"
       "entities, size and depth limits), the embedded XSD, and the rules the gateway relies on\n"
       "(From, at least one To, document identity, business targets, attachments). Every error\n"
       "and every warning (a tolerated oddity: unknown element, placeholder, a code of neither\n"
       "government form, ...) of each file in one run, each naming the file, line, element and\n"
       "reason. --json prints them as JSON. Exit status 1 if any file is refused.\n",
       {"json"}, cmdValidate},
      {"inspect", "show what an edXML package or status message says",
       "usage: lienthong inspect FILE [--json]\n\n"
       "Prints sender, recipients, number/notation, type, subject, priority, what an update,\n"
       "replacement or revocation acts on, and the attachments with their sizes and types (and\n"
       "the files inside zipped attachments), then every error and warning. A refused package\n"
       "shows what could be read of it beside its errors (exit status 1).\n",
       {"json"}, cmdInspect},
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
