#include "tls_revocation.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace lienthong::gateway {

namespace {

namespace fs = std::filesystem;

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using CrlPtr = std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::vector<fs::path> crlFiles(const fs::path& path) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      const auto ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".crl" || ext == ".pem")) out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
  } else {
    out.push_back(path);
  }
  return out;
}

std::string stampOf(const std::vector<fs::path>& files) {
  std::string s;
  for (const auto& f : files) {
    std::error_code ec;
    const auto t = fs::last_write_time(f, ec).time_since_epoch().count();
    const auto n = fs::file_size(f, ec);
    s += f.string() + "|" + std::to_string(t) + "|" + std::to_string(n) + ";";
  }
  return s;
}

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string nameText(const X509_NAME* name) {
  char buf[512];
  X509_NAME_oneline(name, buf, sizeof buf);
  return buf;
}

}  // namespace

struct ClientRevocation::Snapshot {
  std::vector<X509Ptr> cas;
  std::vector<CrlPtr> crls;  // each verified against one of `cas`
};

ClientRevocation::ClientRevocation(std::string crl_path, std::string ca_file)
    : crl_path_(std::move(crl_path)), ca_file_(std::move(ca_file)) {}
ClientRevocation::~ClientRevocation() = default;

Result<std::shared_ptr<ClientRevocation>> ClientRevocation::open(const std::string& crl_path,
                                                                 const std::string& ca_file) {
  std::shared_ptr<ClientRevocation> r(new ClientRevocation(crl_path, ca_file));
  std::lock_guard lock(r->mu_);
  if (auto l = r->reload(); !l) return std::unexpected(l.error());
  return r;
}

Result<void> ClientRevocation::reload() const {
  const auto files = crlFiles(crl_path_);
  const std::string stamp = stampOf(files);
  checked_ = std::chrono::steady_clock::now();
  if (snapshot_ && stamp == stamp_) return {};
  auto snap = std::make_shared<Snapshot>();
  {
    const std::string pem = readAll(ca_file_);
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    while (X509* c = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) snap->cas.emplace_back(c, &X509_free);
    if (snap->cas.empty()) return fail(ErrorCode::Config, "tls.crl: tls.ca '" + ca_file_ + "' holds no certificate");
  }
  for (const auto& f : files) {
    const std::string bytes = readAll(f);
    if (bytes.empty()) return fail(ErrorCode::Config, "tls.crl: cannot read '" + f.string() + "'");
    std::vector<CrlPtr> found;
    BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())), &BIO_free);
    while (X509_CRL* c = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) found.emplace_back(c, &X509_CRL_free);
    if (found.empty()) {
      const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
      if (X509_CRL* c = d2i_X509_CRL(nullptr, &p, static_cast<long>(bytes.size()))) found.emplace_back(c, &X509_CRL_free);
    }
    if (found.empty()) {
      // A folder may hold other PEM files (certificates); a named file must be a CRL.
      if (fs::is_directory(crl_path_)) continue;
      return fail(ErrorCode::Config, "tls.crl: '" + f.string() + "' holds no CRL");
    }
    for (auto& crl : found) {
      bool verified = false, known_issuer = false;
      for (const auto& ca : snap->cas) {
        if (X509_NAME_cmp(X509_get_subject_name(ca.get()), X509_CRL_get_issuer(crl.get())) != 0) continue;
        known_issuer = true;
        EVP_PKEY* key = X509_get0_pubkey(ca.get());
        if (key != nullptr && X509_CRL_verify(crl.get(), key) == 1) verified = true;
      }
      // A folder (say trust.dir) may hold CRLs of CAs that issue no TLS certificates: skipped.
      // A CRL naming a CA of tls.ca must verify, and a file named alone must be tls.ca's.
      if (!known_issuer && fs::is_directory(crl_path_)) continue;
      if (!verified) {
        return fail(ErrorCode::Config, "tls.crl: the CRL in '" + f.string() + "' (issuer " +
                                           nameText(X509_CRL_get_issuer(crl.get())) +
                                           ") is not signed by a CA of tls.ca");
      }
      snap->crls.push_back(std::move(crl));
    }
  }
  snapshot_ = std::move(snap);
  stamp_ = stamp;
  return {};
}

Result<void> ClientRevocation::check(const X509* cert) const {
  std::shared_ptr<const Snapshot> snap;
  {
    std::lock_guard lock(mu_);
    if (std::chrono::steady_clock::now() - checked_ > std::chrono::seconds(1)) {
      // A CRL being rewritten may be half there: keep the previous set until it reads cleanly.
      (void)reload();
    }
    snap = snapshot_;
  }
  const X509_NAME* issuer = X509_get_issuer_name(cert);
  bool current = false;
  for (const auto& crl : snap->crls) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), issuer) != 0) continue;
    const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
    if (next != nullptr && X509_cmp_current_time(next) < 0) continue;  // past its nextUpdate
    current = true;
    X509_REVOKED* entry = nullptr;
    if (X509_CRL_get0_by_cert(crl.get(), &entry, const_cast<X509*>(cert)) == 1) {
      return fail(ErrorCode::Unauthorized, "the client certificate is revoked (CRL of " + nameText(issuer) + ")");
    }
  }
  if (!current) {
    return fail(ErrorCode::Unauthorized, "no current CRL of " + nameText(issuer) +
                                             " in tls.crl: the client certificate's status is unknown");
  }
  return {};
}

}  // namespace lienthong::gateway
