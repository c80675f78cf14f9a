// signer_must_match with real Vietnamese certificates (issue 16), which carry no OrganId: an
// organisation's UID MST:<tax code> acts for the enterprise sender "02" + tax code; a
// public-duty seal with no identifier acts for the sender whose directory name is its CN; a
// personal certificate never acts for the unit. The project's CA profile (organizationIdentifier)
// keeps working as before.
#include <catch2/catch.hpp>

#include "gateway_fixture.h"
#include "lienthong/schemas/live_directory.h"
#include "lienthong/gateway/node/routing.h"
#include "lienthong/gateway/node/signature.h"
#include "signing/pki.h"

using namespace lienthong;
using namespace lienthong::gateway::testing;
namespace st = lienthong::signing::test;

namespace {

std::string signedFrom(const st::TestCert& cert, const std::string& from) {
  auto key = signing::SigningKey::fromPem(cert.keyPem(""), "", cert.certPem());
  REQUIRE(key);
  auto doc = signing::XmlSigner(*key).sign(testPackage(from, {kProvince}, 41).serialize());
  REQUIRE(doc);
  return *doc;
}

}  // namespace

TEST_CASE("gateway: signer_must_match reads real certificate profiles") {
  const auto& root = st::pki().root;
  st::TempDir dir;
  const auto trust = dir.write("root.pem", root.certPem());
  gateway::SignaturePolicy policy;
  policy.revocation = gateway::RevocationMode::Off;
  auto routing = std::make_shared<const gateway::RoutingTable>(
      schemas::LiveDirectory::make(threeNodeDirectory({})), "province");
  auto checker = gateway::makeXmlChecker(trust.string(), policy, routing, 1 << 20);
  REQUIRE(checker);
  auto check = [&](const std::string& bytes, const std::string& from) {
    std::string report;
    gateway::EnvelopeContext ctx;
    ctx.from = from;
    return (*checker)->check(bytes, true, ctx, report);
  };

  st::CertSpec seal;  // VGCA-like: no UID, CN the agency's name
  seal.cn = "ỦY BAN NHÂN DÂN HUYỆN QUỲNH LƯU";
  seal.organization = "Ủy ban nhân dân tỉnh Nghệ An";
  const auto vgca_seal = st::makeCert(seal, &root);
  CHECK(check(signedFrom(vgca_seal, kDistrictA), kDistrictA));
  auto other = check(signedFrom(vgca_seal, kDistrictB), kDistrictB);
  REQUIRE_FALSE(other);
  CHECK(other.error().code == ErrorCode::CertificateInvalid);

  st::CertSpec company;  // Viettel-like organisation: UID=MST:
  company.cn = "CÔNG TY CỔ PHẦN SÔNG HỒNG";
  company.subject = {{"UID", "MST:0100109106"}};
  const auto mst = st::makeCert(company, &root);
  auto enterprise = check(signedFrom(mst, "020100109106"), "020100109106");
  INFO((enterprise ? std::string() : enterprise.error().message));
  CHECK(enterprise);
  CHECK_FALSE(check(signedFrom(mst, kDistrictA), kDistrictA));

  st::CertSpec person = seal;  // a person named like the agency still is a person
  person.subject = {{"UID", "CCCD:001099000123"}};
  CHECK_FALSE(check(signedFrom(st::makeCert(person, &root), kDistrictA), kDistrictA));

  st::CertSpec ours;  // the project's CA profile: organizationIdentifier = OrganId
  ours.organ_id = kDistrictA;
  const auto own = st::makeCert(ours, &root);
  CHECK(check(signedFrom(own, kDistrictA), kDistrictA));
  CHECK_FALSE(check(signedFrom(own, kDistrictB), kDistrictB));
}
