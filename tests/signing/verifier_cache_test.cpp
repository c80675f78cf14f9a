// The caches behind XmlVerifier (parsed certificates, certificate paths, CRL signature checks)
// must never change an outcome: not across threads, not across validation times, not across
// signatures that carry different intermediates, not after the trust store changes.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "lienthong/schemas/sample.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"
#include "pki.h"

using namespace lienthong;
using namespace lienthong::signing;
using namespace lienthong::signing::test;
using Clock = std::chrono::system_clock;

namespace {

std::string signWith(const TestCert& c, const std::string& certificates_pem,
                     XmlSignOptions o = {}) {
  auto k = SigningKey::fromPem(c.keyPem(""), "", certificates_pem);
  REQUIRE(k);
  auto s = XmlSigner(*k, o).sign(schemas::sample::package().serialize());
  REQUIRE(s);
  return *s;
}

TrustStore rootTrust(const std::string& crl) {
  TrustStore ts;
  REQUIRE(ts.addAnchorsPem(pki().root.certPem()));
  if (!crl.empty()) REQUIRE(ts.addCrl(crl, "test"));
  return ts;
}

std::string tamper(std::string doc) {
  auto pos = doc.find("Về việc");
  REQUIRE(pos != std::string::npos);
  doc[pos] = 'W';
  return doc;
}

}  // namespace

TEST_CASE("a verifier shared by four threads gives every call its exact report") {
  const auto& p = pki();
  const XmlVerifier verifier(rootTrust(p.crl));
  const std::string rsa = signWith(p.rsa, p.rsa.certPem());
  const std::string ec = signWith(p.ec, p.ec.certPem());
  const std::string bad = tamper(rsa);
  std::atomic<int> passed{0};
  std::atomic<int> hash_failures{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 30; ++i) {
        for (const std::string* doc : {&rsa, &ec, &bad}) {
          auto r = verifier.verify(*doc);
          if (r.passed() && r.chain.size() == 2 && r.signer->sha256 == r.chain[0].sha256) {
            ++passed;
          } else if (r.sub_indication == SubIndication::HashFailure) {
            ++hash_failures;
          } else {
            ++other;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(passed == 4 * 30 * 2);
  CHECK(hash_failures == 4 * 30);
  CHECK(other == 0);
}

TEST_CASE("a cached certificate path is never used outside the validity of its certificates") {
  const auto& p = pki();
  CertSpec s;
  s.not_before_days = -1;
  s.not_after_days = 20;
  const auto leaf = makeCert(s, &p.root);
  const std::string doc = signWith(leaf, leaf.certPem());
  const TrustStore ts = rootTrust(p.crl);
  ValidationPolicy later;
  later.validation_time = Clock::now() + std::chrono::hours(24 * 40);
  ValidationPolicy earlier;
  earlier.validation_time = Clock::now() - std::chrono::hours(24 * 5);

  auto now_report = XmlVerifier(ts).verify(doc);
  CHECK(now_report.sub_indication == SubIndication::None);
  CHECK(now_report.passed());
  auto later_report = XmlVerifier(ts, later).verify(doc);
  CHECK(later_report.sub_indication == SubIndication::Expired);
  auto earlier_report = XmlVerifier(ts, earlier).verify(doc);
  CHECK(earlier_report.sub_indication == SubIndication::NotYetValid);
  auto again = XmlVerifier(ts).verify(doc);
  CHECK(again.passed());
  CHECK(again.toJson() == now_report.toJson());
}

TEST_CASE("a path found through a signature's intermediate is not reused for one without it") {
  const auto& p = pki();
  CertSpec ca;
  ca.ca = true;
  ca.cn = "Sở Thông tin và Truyền thông";
  ca.key_usage = "critical,keyCertSign,cRLSign";
  const auto intermediate = makeCert(ca, &p.root);
  const auto leaf = makeCert(CertSpec{}, &intermediate);
  ValidationPolicy no_revocation;
  no_revocation.revocation.check = false;
  const XmlVerifier verifier(rootTrust(""), no_revocation);

  const std::string with_chain = signWith(leaf, leaf.certPem() + intermediate.certPem());
  XmlSignOptions leaf_only;
  leaf_only.include_chain = false;
  const std::string without_chain =
      signWith(leaf, leaf.certPem() + intermediate.certPem(), leaf_only);

  auto first = verifier.verify(with_chain);
  CHECK(first.passed());
  CHECK(first.chain.size() == 3);
  auto second = verifier.verify(without_chain);
  CHECK(second.sub_indication == SubIndication::NoCertificateChainFound);
  auto third = verifier.verify(with_chain);
  CHECK(third.passed());
}

TEST_CASE("a CRL added to the trust store after a verification applies to the next one") {
  const auto& p = pki();
  const auto leaf = makeCert(CertSpec{}, &p.root);
  TrustStore ts = rootTrust(p.crl);
  const XmlVerifier verifier(ts);
  const std::string doc = signWith(leaf, leaf.certPem());
  CHECK(verifier.verify(doc).passed());
  CHECK(verifier.verify(doc).passed());
  // The verifier holds a copy of `ts`: copies share one state.
  REQUIRE(ts.addCrl(makeCrl(p.root, {&leaf}), "later"));
  auto r = verifier.verify(doc);
  // No time-stamp proves the signature older than the revocation (issue 16).
  CHECK(r.sub_indication == SubIndication::RevokedNoPoe);
  CHECK(r.revocation.status == RevocationStatus::Revoked);
}
