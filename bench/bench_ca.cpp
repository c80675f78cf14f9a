// CA figures: certificates issued per second (from a PKCS#10 request, issuing CA P-384 and
// P-256), CRL generation with N entries, OCSP answers per second (engine with an in-memory
// lookup, and the service with its SQLite lookup). Default N = 1,000 (well under a minute);
// --full runs N = 10,000.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <unordered_map>

#include <openssl/ocsp.h>
#include <openssl/pem.h>

#include "lienthong/gateway/ca/ca_service.h"
#include "lienthong/signing/ca.h"

using namespace lienthong;
using namespace lienthong::signing;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

CaSettings settings(KeyType type) {
  CaSettings s;
  s.province_name = "UBND tinh Lao Cai";
  s.organ_id = "000.00.00.H41";
  s.crl_url = "http://127.0.0.1:8081/crl";
  s.ocsp_url = "http://127.0.0.1:8081/ocsp";
  s.ca_key_type = type;
  return s;
}

// A DER OCSP request for one certificate, as `openssl ocsp` would send it (with a nonce).
std::string ocspRequest(const std::string& cert_pem, const std::string& issuer_pem) {
  auto load = [](const std::string& pem) {
    BIO* b = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
    BIO_free(b);
    return x;
  };
  X509* cert = load(cert_pem);
  X509* issuer = load(issuer_pem);
  OCSP_REQUEST* req = OCSP_REQUEST_new();
  OCSP_request_add0_id(req, OCSP_cert_to_id(EVP_sha1(), cert, issuer));
  OCSP_request_add1_nonce(req, nullptr, -1);
  int len = i2d_OCSP_REQUEST(req, nullptr);
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_OCSP_REQUEST(req, &p);
  OCSP_REQUEST_free(req);
  X509_free(cert);
  X509_free(issuer);
  return der;
}

int benchEngine(KeyType ca_key, int n) {
  auto bundle = createCa(settings(ca_key), "bench passphrase 123");
  if (!bundle) return std::fprintf(stderr, "%s\n", bundle.error().describe().c_str()), 1;
  auto ca = CertificateAuthority::load(settings(ca_key), *bundle, "bench passphrase 123");
  if (!ca) return std::fprintf(stderr, "%s\n", ca.error().describe().c_str()), 1;
  std::vector<std::string> csrs;
  for (int i = 0; i < 8; ++i) {
    SubjectFields s{"Can bo " + std::to_string(i), "", "", "000.00.31.H41", "Chuyen vien", "CCCD:" + std::to_string(i),
                    "", "VN"};
    auto r = makeRequest(s, i % 2 ? KeyType::Rsa2048 : KeyType::P256);
    if (!r) return 1;
    csrs.push_back(r->csr_pem);
  }
  std::vector<std::string> serials;
  serials.reserve(static_cast<std::size_t>(n));
  std::string last_pem;
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto c = ca->issue(CertProfile::PersonalSigner, csrs[static_cast<std::size_t>(i) % csrs.size()]);
    if (!c) return std::fprintf(stderr, "%s\n", c.error().describe().c_str()), 1;
    serials.push_back(c->serial);
    last_pem = c->cert_pem;
  }
  auto t1 = Clock::now();
  std::printf("issue (CA %s): %d certificates in %.2f s = %.0f/s\n", std::string(keyTypeName(ca_key)).c_str(), n,
              seconds(t0, t1), n / seconds(t0, t1));

  const UnixTime now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  std::vector<RevokedEntry> revoked;
  for (const auto& s : serials) revoked.push_back({s, now, RevocationReason::KeyCompromise});
  auto t2 = Clock::now();
  auto crl = ca->makeCrl(revoked, 1, now, now + std::chrono::days(7));
  auto t3 = Clock::now();
  if (!crl) return 1;
  std::printf("CRL (CA %s): %zu entries in %.3f s, %zu bytes\n", std::string(keyTypeName(ca_key)).c_str(),
              revoked.size(), seconds(t2, t3), crl->size());

  std::unordered_map<std::string, bool> status;
  for (std::size_t i = 0; i < serials.size(); ++i) status[serials[i]] = i % 2;
  const std::string req = ocspRequest(last_pem, ca->issuingCertPem());
  auto lookup = [&](const std::string& serial) {
    SerialStatus s;
    auto it = status.find(serial);
    if (it != status.end()) {
      s.kind = it->second ? SerialStatus::Kind::Revoked : SerialStatus::Kind::Good;
      s.revoked_at = now;
    }
    return s;
  };
  const int q = std::max(1000, n);
  auto t4 = Clock::now();
  std::size_t bytes = 0;
  for (int i = 0; i < q; ++i) bytes += ca->answerOcsp(req, lookup, now).size();
  auto t5 = Clock::now();
  std::printf("OCSP (engine, responder P-256): %d answers in %.2f s = %.0f/s (%zu bytes each)\n", q, seconds(t4, t5),
              q / seconds(t4, t5), bytes / static_cast<std::size_t>(q));
  return 0;
}

int benchService(int n) {
  namespace fs = std::filesystem;
  std::random_device rd;
  fs::path dir = fs::temp_directory_path() / ("lienthong-bench-ca-" + std::to_string(rd()));
  fs::create_directories(dir);
  int rc = 0;
  {
    auto store = gateway::CaStore::open((dir / "store.sqlite").string());
    if (!store) return 1;
    std::shared_ptr<gateway::CaStore> shared(std::move(*store));
    auto svc = gateway::CaService::init(shared, settings(KeyType::P256), "bench passphrase 123", "bench", {});
    if (!svc) return std::fprintf(stderr, "%s\n", svc.error().describe().c_str()), 1;
    SubjectFields s{"Can bo", "", "", "000.00.31.H41", "Chuyen vien", "CCCD:1", "", "VN"};
    auto r = makeRequest(s, KeyType::P256);
    if (!r) return 1;
    auto t0 = Clock::now();
    std::string last;
    for (int i = 0; i < n; ++i) {
      auto c = (*svc)->issue("bench", CertProfile::PersonalSigner, r->csr_pem);
      if (!c) return 1;
      last = c->cert_pem;
    }
    auto t1 = Clock::now();
    std::printf("issue (service, SQLite, one transaction each): %d in %.2f s = %.0f/s\n", n, seconds(t0, t1),
                n / seconds(t0, t1));
    const std::string req = ocspRequest(last, (*svc)->authority().issuingCertPem());
    const int q = std::max(1000, n);
    auto t2 = Clock::now();
    for (int i = 0; i < q; ++i) (*svc)->answerOcsp(req);
    auto t3 = Clock::now();
    std::printf("OCSP (service, SQLite lookup among %d): %d answers in %.2f s = %.0f/s\n", n, q, seconds(t2, t3),
                q / seconds(t2, t3));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 1000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--full") n = 10000;
    else if (a == "--n" && i + 1 < argc) n = std::max(1, std::atoi(argv[++i]));
    else {
      std::fprintf(stderr, "usage: bench_ca [--full | --n N]\n");
      return 2;
    }
  }
  std::printf("bench_ca: N = %d\n", n);
  if (int rc = benchEngine(KeyType::P384, n)) return rc;
  if (int rc = benchEngine(KeyType::P256, n)) return rc;
  return benchService(n);
}
