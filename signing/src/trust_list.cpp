#include "lienthong/signing/trust_list.h"

#include <openssl/pem.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "lienthong/signing/certificate_validator.h"
#include "ossl.h"

namespace lienthong::signing {

using namespace ossl;
namespace fs = std::filesystem;

namespace {

Result<std::vector<X509Ptr>> readCertificates(std::string_view bytes) {
  if (bytes.find("-----BEGIN") != std::string_view::npos) return readCertificatesPem(bytes);
  auto c = readCertificateDer(bytes);
  if (!c) return std::unexpected(c.error());
  std::vector<X509Ptr> out;
  out.push_back(std::move(*c));
  return out;
}

bool selfSigned(X509* c) { return X509_check_issued(c, c) == X509_V_OK; }

TrustListEntry entryOf(X509* c, std::string source, std::string file) {
  const CertificateInfo info = certificateInfo(c);
  TrustListEntry e;
  e.sha256 = info.sha256;
  e.kind = selfSigned(c) ? "anchor" : "intermediate";
  ERR_clear_error();
  e.source = std::move(source);
  e.file = std::move(file);
  e.subject = info.subject;
  e.issuer = info.issuer;
  e.not_before = info.not_before;
  e.not_after = info.not_after;
  return e;
}

Result<std::string> slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return fail(ErrorCode::Io, "cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::set<std::string> removedSet(const fs::path& local) {
  std::set<std::string> out;
  if (local.empty() || !fs::is_directory(local)) return out;
  std::ifstream in(local / kTrustRemovedFile);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty() && line[0] != '#') out.insert(line);
  }
  return out;
}

bool isCertFile(const fs::path& p) {
  const auto ext = p.extension().string();
  return ext == ".pem" || ext == ".crt" || ext == ".cer";
}

Result<std::vector<TrustListEntry>> localEntries(const fs::path& local) {
  std::vector<TrustListEntry> out;
  if (local.empty()) return out;
  std::vector<fs::path> files;
  if (fs::is_directory(local)) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(local, ec))
      if (e.is_regular_file() && isCertFile(e.path())) files.push_back(e.path());
    if (ec) return fail(ErrorCode::Io, "cannot list " + local.string() + ": " + ec.message());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(local);
  }
  for (const auto& f : files) {
    auto bytes = slurp(f);
    if (!bytes) return std::unexpected(bytes.error());
    if (bytes->find("-----BEGIN X509 CRL") != std::string::npos &&
        bytes->find("-----BEGIN CERTIFICATE") == std::string::npos)
      continue;
    auto certs = readCertificates(*bytes);
    if (!certs) return fail(certs.error().code, f.string() + ": " + certs.error().message);
    for (auto& c : *certs) out.push_back(entryOf(c.get(), "local", f.string()));
  }
  return out;
}

}  // namespace

Result<std::vector<TrustListEntry>> trustListEntries(const fs::path& local) {
  std::vector<TrustListEntry> out;
  const auto removed = removedSet(local);
  for (const auto& b : builtinCertificates()) {
    auto certs = readCertificates(b.bytes);
    if (!certs || certs->size() != 1)
      return fail(ErrorCode::CertificateInvalid,
                  "built-in trust list: " + std::string(b.name) + " is not one certificate");
    TrustListEntry e = entryOf(certs->front().get(), "built-in", std::string(b.name));
    if (e.sha256 != b.sha256)
      return fail(ErrorCode::CertificateInvalid, "built-in trust list: " + std::string(b.name) +
                                                     " has fingerprint " + e.sha256 +
                                                     ", not the pinned " + std::string(b.sha256));
    if ((e.kind == "anchor") != b.anchor)
      return fail(ErrorCode::CertificateInvalid,
                  "built-in trust list: " + std::string(b.name) + " is listed as " +
                      (b.anchor ? "an anchor" : "an intermediate") + " but is not");
    e.removed = removed.contains(e.sha256);
    out.push_back(std::move(e));
  }
  auto more = localEntries(local);
  if (!more) return std::unexpected(more.error());
  for (auto& e : *more) out.push_back(std::move(e));
  return out;
}

Result<std::string> trustListVersion(const fs::path& local) {
  auto entries = trustListEntries(local);
  if (!entries) return std::unexpected(entries.error());
  std::vector<std::string> lines;
  for (const auto& e : *entries) {
    if (e.source == "local") lines.push_back("add " + e.kind + " " + e.sha256);
    if (e.removed) lines.push_back("remove " + e.sha256);
  }
  std::string version(builtinTrustListVersion());
  if (lines.empty()) return version;
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  return version + " + local " + hex(digest(all, EVP_sha256())).substr(0, 12);
}

Result<TrustStore> nationalTrustStore(const fs::path& local) {
  auto entries = trustListEntries(local);  // checks the pins
  if (!entries) return std::unexpected(entries.error());
  Result<TrustStore> store = local.empty() ? Result<TrustStore>(TrustStore()) : TrustStore::load(local, false);
  if (!store) return store;
  const auto removed = removedSet(local);
  for (const auto& b : builtinCertificates()) {
    if (removed.contains(std::string(b.sha256))) continue;
    auto certs = readCertificates(b.bytes);
    if (!certs) return std::unexpected(certs.error());
    BioPtr pem(BIO_new(BIO_s_mem()), BIO_free_all);
    PEM_write_bio_X509(pem.get(), certs->front().get());
    const std::string text = bioString(pem.get());
    auto r = b.anchor ? store->addAnchorsPem(text) : store->addIntermediatesPem(text);
    if (!r) return std::unexpected(r.error());
  }
  auto version = trustListVersion(local);
  if (!version) return std::unexpected(version.error());
  store->setVersion(*version);
  return store;
}

Result<TrustListEntry> trustListFind(const fs::path& local, std::string_view prefix) {
  std::string p(prefix);
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return std::tolower(c); });
  p.erase(std::remove(p.begin(), p.end(), ':'), p.end());
  if (p.size() < 8 || p.find_first_not_of("0123456789abcdef") != std::string::npos)
    return fail(ErrorCode::InvalidArgument,
                "'" + std::string(prefix) + "' is not a SHA-256 fingerprint (at least 8 hex digits)");
  auto entries = trustListEntries(local);
  if (!entries) return std::unexpected(entries.error());
  std::vector<TrustListEntry> hits;
  for (auto& e : *entries)
    if (e.sha256.starts_with(p)) hits.push_back(e);
  if (hits.empty())
    return fail(ErrorCode::NotFound, "no trust list entry has fingerprint " + p + "...");
  // The same certificate may be listed built in and locally: the first (built-in) is named.
  for (const auto& h : hits)
    if (h.sha256 != hits.front().sha256)
      return fail(ErrorCode::InvalidArgument, "fingerprint prefix " + p + " names several entries");
  return hits.front();
}

Result<TrustListEntry> trustListAdd(const fs::path& local, std::string_view bytes) {
  if (local.empty() || !fs::is_directory(local))
    return fail(ErrorCode::InvalidArgument,
                "the local trust folder '" + local.string() + "' is not a folder");
  auto certs = readCertificates(bytes);
  if (!certs || certs->size() != 1)
    return fail(ErrorCode::InvalidArgument, "the file must hold exactly one certificate (PEM or DER)");
  TrustListEntry e = entryOf(certs->front().get(), "local", "");
  auto entries = trustListEntries(local);
  if (!entries) return std::unexpected(entries.error());
  for (const auto& x : *entries) {
    if (x.sha256 == e.sha256 && !x.removed)
      return fail(ErrorCode::InvalidArgument,
                  "certificate " + e.sha256 + " is already in the trust list (" + x.source + ")");
  }
  // A built-in entry that was removed comes back by leaving the removal list.
  const auto removed = removedSet(local);
  if (removed.contains(e.sha256)) {
    std::ofstream out(local / kTrustRemovedFile, std::ios::trunc);
    for (const auto& r : removed)
      if (r != e.sha256) out << r << "\n";
    if (!out) return fail(ErrorCode::Io, "cannot write " + (local / kTrustRemovedFile).string());
    for (auto& x : *entries)
      if (x.sha256 == e.sha256) return x;
  }
  BioPtr pem(BIO_new(BIO_s_mem()), BIO_free_all);
  PEM_write_bio_X509(pem.get(), certs->front().get());
  const fs::path file = local / (e.sha256.substr(0, 16) + ".pem");
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << bioString(pem.get());
    if (!out) return fail(ErrorCode::Io, "cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) return fail(ErrorCode::Io, "cannot write " + file.string() + ": " + ec.message());
  e.file = file.string();
  return e;
}

Result<TrustListEntry> trustListRemove(const fs::path& local, std::string_view prefix) {
  if (local.empty() || !fs::is_directory(local))
    return fail(ErrorCode::InvalidArgument,
                "the local trust folder '" + local.string() + "' is not a folder");
  auto e = trustListFind(local, prefix);
  if (!e) return e;
  if (e->source == "built-in") {
    if (e->removed) return fail(ErrorCode::InvalidArgument, "built-in entry " + e->sha256 + " is removed already");
    std::ofstream out(local / kTrustRemovedFile, std::ios::app);
    out << e->sha256 << "\n";
    if (!out) return fail(ErrorCode::Io, "cannot write " + (local / kTrustRemovedFile).string());
    e->removed = true;
    return e;
  }
  // A local file holding only this certificate is deleted.
  auto bytes = slurp(e->file);
  if (!bytes) return std::unexpected(bytes.error());
  auto certs = readCertificates(*bytes);
  if (!certs || certs->size() != 1)
    return fail(ErrorCode::InvalidArgument,
                e->file + " holds several certificates: edit it by hand");
  std::error_code ec;
  fs::remove(e->file, ec);
  if (ec) return fail(ErrorCode::Io, "cannot remove " + e->file + ": " + ec.message());
  e->removed = true;
  return e;
}

}  // namespace lienthong::signing
