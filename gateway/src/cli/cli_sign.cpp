// lienthong sign / verify: XMLDSig for edXML files, CAdES detached (.p7s) for any file.
#include <cstdlib>
#include <iostream>

#include "cli_support.h"
#include "lienthong/signing/trust_list.h"
#include "lienthong/signing/cms.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"

namespace lienthong::gateway::cli {

namespace {

// Exit status follows the indication: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 usage
// or input error.
int exitFor(signing::Indication i) {
  switch (i) {
    case signing::Indication::TotalPassed: return 0;
    case signing::Indication::TotalFailed: return 1;
    case signing::Indication::Indeterminate: return 2;
  }
  return 3;
}

std::string passphrase(const Args& a) {
  if (a.has("pass-env")) {
    const char* v = std::getenv(a.get("pass-env").c_str());
    return v != nullptr ? v : "";
  }
  return a.get("pass");
}

int runSign(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1 || !a.has("key")) {
    err << "usage: lienthong sign FILE --key KEY [--cert CERT.pem] [--pass-env VAR] [--cms] "
           "[--tsa URL] [--out FILE]\n";
    return 3;
  }
  const std::string file = a.positional[0];
  auto key = signing::SigningKey::load(a.get("key"), passphrase(a), a.get("cert"),
                                       a.get("module", "/usr/lib/softhsm/libsofthsm2.so"));
  if (!key) {
    printError(err, a.get("key"), key.error());
    return 3;
  }
  auto bytes = readFile(file);
  if (!bytes) {
    printError(err, file, bytes.error());
    return 3;
  }
  std::shared_ptr<const signing::TsaClient> tsa;
  if (a.has("tsa")) tsa = std::make_shared<signing::TsaClient>(a.get("tsa"));
  Result<std::string> signed_bytes;
  std::string target;
  if (a.has("cms")) {
    signed_bytes = signing::CmsSigner(*key).sign(*bytes);
    target = a.get("out", file + ".p7s");
  } else {
    signing::XmlSignOptions o;
    o.tsa = tsa;
    signed_bytes = signing::XmlSigner(*key, o).sign(*bytes);
    target = a.get("out", file + ".signed.edxml");
  }
  if (!signed_bytes) {
    printError(err, file, signed_bytes.error());
    return 3;
  }
  if (auto w = writeFileAtomic(target, *signed_bytes); !w) {
    printError(err, target, w.error());
    return 3;
  }
  out << "signed " << file << " -> " << target << " (" << key->source() << ")\n";
  return 0;
}

int runVerify(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 1) {
    err << "usage: lienthong verify FILE [--trust DIR|BUNDLE] [--p7s SIG.p7s] [--json] "
           "[--allow-sha1] [--no-revocation] [--lang vi|en]\n";
    return 3;
  }
  const std::string file = a.positional[0];
  // The built-in Vietnamese trust list, with --trust beside it. Without a usable anchor the
  // report still says whether the signature is intact and which chain it found.
  auto trust = signing::nationalTrustStore(a.get("trust"));
  if (!trust) {
    printError(err, a.get("trust"), trust.error());
    return 3;
  }
  auto bytes = readFile(file);
  if (!bytes) {
    printError(err, file, bytes.error());
    return 3;
  }
  signing::ValidationPolicy policy;
  policy.allow_sha1 = a.has("allow-sha1");
  policy.revocation.check = !a.has("no-revocation");
  signing::ValidationReport report;
  std::string p7s = a.get("p7s");
  if (p7s.empty() && file.ends_with(".p7s")) {
    p7s = file;
  }
  if (!p7s.empty()) {
    std::string content_file = p7s == file ? file.substr(0, file.size() - 4) : file;
    auto sig = readFile(p7s);
    auto content = readFile(content_file);
    if (!sig || !content) {
      printError(err, !sig ? p7s : content_file, !sig ? sig.error() : content.error());
      return 3;
    }
    report = signing::CmsVerifier(*trust, policy).verify(*content, *sig);
  } else {
    report = signing::XmlVerifier(*trust, policy).verify(*bytes);
  }
  if (a.has("json")) {
    out << report.toJson() << "\n";
  } else {
    out << (a.get("lang", "vi") == "en" ? report.textEn() : report.textVi()) << "\n";
    out << signing::indicationName(report.indication);
    if (report.sub_indication != signing::SubIndication::None) {
      out << " / " << signing::subIndicationName(report.sub_indication) << ": " << report.detail;
    }
    out << "\n";
    if (!report.integrity.empty()) out << "integrity: " << report.integrity << "\n";
    if (!report.chain.empty()) {
      out << "chain:";
      for (const auto& c : report.chain) out << "\n  " << c.subject;
      out << "\n";
    }
    if (!report.trust_list.empty()) out << "trust list: " << report.trust_list << "\n";
  }
  return exitFor(report.indication);
}

}  // namespace

std::vector<Command> signingCommands() {
  return {
      Command{"sign", "sign an edXML file (XMLDSig) or any file (--cms, CAdES .p7s)",
              "lienthong sign FILE --key KEY [--cert CERT.pem] [--pass-env VAR | --pass P] [--cms]\n"
              "               [--tsa URL] [--out FILE] [--module PKCS11.so]\n"
              "  KEY is an encrypted PEM key (with --cert: the certificate then its chain), a\n"
              "  .p12/.pfx file, or a pkcs11: URI (the PIN from --pass-env/--pass).\n"
              "  Writes FILE.signed.edxml, or FILE.p7s with --cms.",
              {"cms"}, runSign},
      Command{"verify", "verify a signed edXML file or a .p7s against a trust store",
              "lienthong verify FILE [--trust DIR|BUNDLE] [--p7s SIG] [--json] [--lang vi|en]\n"
              "                 [--allow-sha1] [--no-revocation]\n"
              "  Trusts the built-in Vietnamese trust list (lienthong trust list) and --trust beside it.\n"
              "  Integrity (intact/broken) is reported apart from trust in the certificate.\n"
              "  Exit status: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 usage or input error.",
              {"json", "allow-sha1", "no-revocation"}, runVerify},
  };
}

}  // namespace lienthong::gateway::cli
