// lienthong trust list | show | add | remove: the Vietnamese trust list (built in, pinned by
// SHA-256, versioned) and the operator's local folder beside it (the node's own CA, anchors and
// intermediates the operator adds; built-in entries the operator withdraws).
#include <iomanip>

#include "cli_support.h"
#include "lienthong/signing/trust_list.h"

namespace lienthong::gateway::cli {

namespace {

using namespace lienthong::signing;

constexpr const char* kUsage =
    "usage:\n"
    "  lienthong trust list [--dir DIR] [--json]\n"
    "  lienthong trust show SHA256 [--dir DIR]\n"
    "  lienthong trust add CERT.pem|CERT.crt --dir DIR\n"
    "  lienthong trust remove SHA256 --dir DIR\n"
    "\n"
    "The trust list is the built-in Vietnamese snapshot (National Root CA, the Government Cipher\n"
    "Committee's public-duty root G2, and intermediates that only help build chains) plus the\n"
    "local folder DIR (the node's trust.dir: its own CA, certificates the operator adds, CRLs).\n"
    "Self-signed certificates are trust anchors; others only help build chains. SHA256 is a\n"
    "certificate fingerprint or its first 8 or more hex digits. remove deletes a local file, or\n"
    "withdraws a built-in entry by listing it in DIR/removed.sha256. Every validation report\n"
    "names the version printed by list.\n";

int report(std::ostream& err, const Error& e) {
  err << "lienthong trust: " << e.message << " [" << errorCodeName(e.code) << "]\n";
  return 2;
}

std::string json(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void printEntry(std::ostream& out, const TrustListEntry& e, bool full) {
  out << e.sha256.substr(0, 16) << "  " << std::left << std::setw(12) << e.kind << " "
      << std::setw(8) << e.source << " " << (e.removed ? "[removed] " : "") << e.subject << "\n";
  if (!full) return;
  out << "  sha256:     " << e.sha256 << "\n"
      << "  issuer:     " << e.issuer << "\n"
      << "  valid:      " << e.not_before << " .. " << e.not_after << "\n"
      << "  file:       " << e.file << "\n";
}

int runTrust(const Args& a, std::ostream& out, std::ostream& err) {
  const std::string sub = a.positional.empty() ? "" : a.positional[0];
  const std::filesystem::path dir = a.get("dir");
  if (sub == "list" && a.positional.size() == 1) {
    auto entries = trustListEntries(dir);
    if (!entries) return report(err, entries.error());
    auto version = trustListVersion(dir);
    if (!version) return report(err, version.error());
    if (a.has("json")) {
      out << "{\"version\":" << json(*version) << ",\"entries\":[";
      for (std::size_t i = 0; i < entries->size(); ++i) {
        const auto& e = (*entries)[i];
        out << (i ? "," : "") << "{\"sha256\":" << json(e.sha256) << ",\"kind\":" << json(e.kind)
            << ",\"source\":" << json(e.source) << ",\"subject\":" << json(e.subject)
            << ",\"not_after\":" << json(e.not_after)
            << ",\"removed\":" << (e.removed ? "true" : "false") << "}";
      }
      out << "]}\n";
      return 0;
    }
    out << "trust list " << *version << " (" << entries->size() << " entries)\n";
    for (const auto& e : *entries) printEntry(out, e, false);
    return 0;
  }
  if (sub == "show" && a.positional.size() == 2) {
    auto e = trustListFind(dir, a.positional[1]);
    if (!e) return report(err, e.error());
    printEntry(out, *e, true);
    return 0;
  }
  if (sub == "add" && a.positional.size() == 2 && a.has("dir")) {
    auto bytes = readFile(a.positional[1]);
    if (!bytes) return report(err, bytes.error());
    auto e = trustListAdd(dir, *bytes);
    if (!e) return report(err, e.error());
    auto version = trustListVersion(dir);
    out << "added " << e->kind << " " << e->sha256 << " " << e->subject << "\n"
        << "trust list " << (version ? *version : std::string("?")) << "\n";
    return 0;
  }
  if (sub == "remove" && a.positional.size() == 2 && a.has("dir")) {
    auto e = trustListRemove(dir, a.positional[1]);
    if (!e) return report(err, e.error());
    auto version = trustListVersion(dir);
    out << "removed " << e->source << " " << e->kind << " " << e->sha256 << " " << e->subject
        << "\n"
        << "trust list " << (version ? *version : std::string("?")) << "\n";
    return 0;
  }
  err << kUsage;
  return 2;
}

}  // namespace

std::vector<Command> trustCommands() {
  return {Command{"trust", "the Vietnamese trust list: list, show, add, remove", kUsage, {"json"},
                  runTrust}};
}

}  // namespace lienthong::gateway::cli
