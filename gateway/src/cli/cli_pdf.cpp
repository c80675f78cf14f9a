// lienthong pdf sign | verify | sample: PAdES signatures on PDFs (Decree 30/2020: the official's
// personal signature, then the agency's).
#include <cstdlib>
#include <memory>
#include <sstream>

#include "cli_support.h"
#include "lienthong/signing/pdf_sample.h"
#include "lienthong/signing/pdf_signer.h"
#include "lienthong/signing/pdf_verifier.h"
#include "lienthong/signing/timestamp.h"
#include "lienthong/signing/trust_list.h"

namespace lienthong::gateway::cli {

namespace fs = std::filesystem;
using namespace lienthong::signing;

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  lienthong pdf sign IN.pdf OUT.pdf --key KEY --cert CERT.pem [--trust DIR]\n"
    "        [--image PNG --page N --rect x,y,w,h] [--tsa URL] [--reason TEXT] [--location TEXT]\n"
    "        [--agency-name TEXT] [--font TTF] [--offline | --no-revocation]\n"
    "  lienthong pdf verify FILE.pdf [--trust DIR] [--json] [--en] [--offline | --no-revocation]\n"
    "        [--sender-name NAME [--sender-parent NAME]] [--seals DIR|PEM] [--allow-sha1]\n"
    "  lienthong pdf sample OUT.pdf [--size BYTES] [--pages N]\n"
    "\n"
    "sign: adds a PAdES baseline B signature (B-T with --tsa) as an incremental update. The role\n"
    "  comes from the certificate: a personal signer certificate signs first; an agency seal\n"
    "  certificate is refused unless the PDF already carries a valid personal signature, which\n"
    "  is checked against --trust. KEY is a PEM key (then --cert is required), a .p12/.pfx file\n"
    "  or a pkcs11: URI; its passphrase or PIN is read from the environment variable named by\n"
    "  --pass-env (default LIENTHONG_KEY_PASS). Invisible unless --rect is given (points from\n"
    "  the lower-left corner of page N, default 1); the agency's appearance shows its name and\n"
    "  the signing time.\n"
    "verify: checks every signature (byte range, what was added after it, CMS, certificate path\n"
    "  and revocation) and the Decree 30 verdict; legacy adbe.pkcs7.detached and adbe.pkcs7.sha1\n"
    "  signatures too, with a warning. The built-in Vietnamese trust list is used, and --trust DIR\n"
    "  (CA certificates *.pem, *.crt and CRLs *.crl) beside it. Roles: UID CCCD:/CMND:/HC:/...\n"
    "  a person, MST:/MNS: or organizationIdentifier an organisation; a certificate without an\n"
    "  identifier (public-duty CA) is the agency when --seals lists it or its CN is --sender-name.\n"
    "  --offline uses only the CRLs in DIR and checks only the\n"
    "  signer's certificate; --no-revocation skips revocation (reported as NOT_CHECKED).\n"
    "  Exit status: 0 valid, 1 not valid, 2 usage or unreadable input.\n";

int report(std::ostream& err, const Error& e) {
  err << "lienthong pdf: " << e.message << " [" << errorCodeName(e.code) << "]\n";
  return 2;
}

ValidationPolicy policyFrom(const Args& a) {
  ValidationPolicy p;
  p.allow_sha1 = a.has("allow-sha1");  // legacy SHA-1 signatures, reported as weak
  if (a.has("no-revocation")) {
    p.revocation.check = false;
  } else if (a.has("offline")) {
    p.revocation.use_ocsp = false;
    p.revocation.check_intermediates = false;
  }
  return p;
}

// The built-in Vietnamese trust list with --trust beside it.
Result<TrustStore> trustFrom(const Args& a) {
  auto t = nationalTrustStore(a.get("trust"));
  if (!t) return t;
  if (a.has("offline")) {
    t->setHttpFetch([](const HttpRequest& r) -> Result<std::string> {
      return fail(ErrorCode::Network, "offline: not fetching " + r.url);
    });
  }
  return t;
}

Result<PdfAppearance> appearanceFrom(const Args& a) {
  PdfAppearance ap;
  ap.page = std::atoi(a.get("page", "1").c_str());
  std::istringstream in(a.get("rect"));
  char c1 = 0, c2 = 0, c3 = 0;
  if (!(in >> ap.x >> c1 >> ap.y >> c2 >> ap.width >> c3 >> ap.height) || c1 != ',' || c2 != ',' ||
      c3 != ',')
    return fail(ErrorCode::InvalidArgument, "--rect must be x,y,w,h in points, e.g. 350,80,200,80");
  if (a.has("image")) {
    auto png = readFile(a.get("image"));
    if (!png) return std::unexpected(png.error());
    ap.png = std::move(*png);
  }
  return ap;
}

int runSign(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 3 || !a.has("key")) {
    err << kUsage;
    return 2;
  }
  const char* pass = std::getenv(a.get("pass-env", "LIENTHONG_KEY_PASS").c_str());
  auto key = SigningKey::load(a.get("key"), pass ? pass : "", a.get("cert"));
  if (!key) return report(err, key.error());
  auto trust = trustFrom(a);
  if (!trust) return report(err, trust.error());
  PdfSignOptions options;
  options.reason = a.get("reason");
  options.location = a.get("location");
  options.agency_name = a.get("agency-name");
  if (a.has("font")) options.font_file = a.get("font");
  if (a.has("rect")) {
    auto ap = appearanceFrom(a);
    if (!ap) return report(err, ap.error());
    options.appearance = std::move(*ap);
  } else if (a.has("image")) {
    err << "lienthong pdf: --image needs --rect x,y,w,h (and --page N)\n";
    return 2;
  }
  if (a.has("tsa")) options.tsa = std::make_shared<const TsaClient>(a.get("tsa"));
  auto input = readFile(a.positional[1]);
  if (!input) return report(err, input.error());
  PdfSigner signer(*key, PdfVerifier(std::move(*trust), policyFrom(a)), options);
  auto signed_pdf = signer.sign(*input);
  if (!signed_pdf) return report(err, signed_pdf.error());
  if (auto w = writeFileAtomic(a.positional[2], *signed_pdf); !w) return report(err, w.error());
  out << "signed " << a.positional[2] << " (" << signerRoleName(signer.role()) << " signature, "
      << humanSize(signed_pdf->size()) << ")\n";
  return 0;
}

int runVerify(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 2) {
    err << kUsage;
    return 2;
  }
  auto trust = trustFrom(a);
  if (!trust) return report(err, trust.error());
  auto input = readFile(a.positional[1]);
  if (!input) return report(err, input.error());
  RoleContext roles;
  roles.sender_name = a.get("sender-name");
  roles.sender_parent = a.get("sender-parent");
  SealRegistry seals;
  if (a.has("seals")) {
    std::vector<std::filesystem::path> files;
    const std::filesystem::path p = a.get("seals");
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else {
      files.push_back(p);
    }
    for (const auto& f : files) {
      auto pem = readFile(f.string());
      if (!pem) return report(err, pem.error());
      if (auto r = seals.addPem(*pem); !r)
        return report(err, Error{r.error().code, f.string() + ": " + r.error().message, 0, {}});
    }
    roles.seals = &seals;
  }
  auto result = PdfVerifier(std::move(*trust), policyFrom(a)).verify(*input, roles);
  if (!result) return report(err, result.error());
  if (a.has("json"))
    out << result->toJson() << "\n";
  else
    out << (a.has("en") ? result->textEn() : result->textVi());
  return result->valid() ? 0 : 1;
}

int runSample(const Args& a, std::ostream& out, std::ostream& err) {
  if (a.positional.size() != 2) {
    err << kUsage;
    return 2;
  }
  SamplePdfOptions options;
  options.target_size =
      static_cast<std::size_t>(std::strtoull(a.get("size", "0").c_str(), nullptr, 10));
  options.pages = std::atoi(a.get("pages", "1").c_str());
  auto pdf = makeSamplePdf(options);
  if (!pdf) return report(err, pdf.error());
  if (auto w = writeFileAtomic(a.positional[1], *pdf); !w) return report(err, w.error());
  out << "wrote " << a.positional[1] << " (" << humanSize(pdf->size()) << ")\n";
  return 0;
}

int runPdf(const Args& a, std::ostream& out, std::ostream& err) {
  const std::string sub = a.positional.empty() ? "" : a.positional[0];
  if (sub == "sign") return runSign(a, out, err);
  if (sub == "verify") return runVerify(a, out, err);
  if (sub == "sample") return runSample(a, out, err);
  err << kUsage;
  return 2;
}

}  // namespace

std::vector<Command> pdfCommands() {
  return {Command{"pdf",
                  "PAdES signatures on PDFs: sign, verify, sample",
                  kUsage,
                  {"json", "en", "offline", "no-revocation", "allow-sha1"},
                  runPdf}};
}

}  // namespace lienthong::gateway::cli
