// The province CA mounted on a node the way `lienthong serve` mounts it (nodeCaFor + caRoutes):
// admin-only /api/v1/ca/* over real HTTPS with mutual TLS, public /crl and /crl/root, and CA audit
// records in the node's hash-chained audit log with the actor.
#include <Poco/JSON/Object.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/store/audit_log.h"
#include "lienthong/gateway/ca/ca_api.h"
#include "lienthong/gateway/app/node_ca.h"
#include "lienthong/signing/ca.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

TEST_CASE("serve mounts the CA of the node's store: admin gets 200, an office 403, /crl and /crl/root are public; CA audit goes to the node's log") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  const int port = freePort();
  NodeConfig c = testNodeConfig(tmp.path(), pki, "province", port);
  fs::create_directories(c.data_dir);
  const std::string store_file = (fs::path(c.data_dir) / "store.sqlite").string();

  // No CA in the store yet: nothing to mount.
  auto none = nodeCaFor(c);
  REQUIRE(none);
  CHECK_FALSE(*none);

  {
    auto ca_store = CaStore::open(store_file);
    REQUIRE(ca_store);
    signing::CaSettings s;
    s.province_name = "UBND tinh Nghe An";
    s.organ_id = kProvince;
    s.crl_url = "http://127.0.0.1:8080/crl";
    s.ocsp_url = "http://127.0.0.1:8080/ocsp";
    s.ca_key_type = signing::KeyType::P256;
    REQUIRE(CaService::init(std::shared_ptr<CaStore>(std::move(*ca_store)), s, "a long ca passphrase",
                            "admin:setup", {}));
  }
  c.ca_passphrase_file = (tmp.path() / "ca-pass.txt").string();
  std::ofstream(c.ca_passphrase_file) << "wrong passphrase here\n";
  auto wrong = nodeCaFor(c);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::KeyUnavailable);

  std::ofstream(c.ca_passphrase_file) << "a long ca passphrase\n";
  auto ca = nodeCaFor(c);
  REQUIRE(ca);
  REQUIRE(*ca);
  NodeOptions o;
  o.directory = schemas::LiveDirectory::make(threeNodeDirectory({{"province", port}}));
  o.start_dispatcher = false;
  o.extra_routes = caRoutes((*ca)->service);
  auto node = std::move(*Node::start(c, std::move(o)));
  (*ca)->audit->attach(&node->store());

  auto admin = std::move(*HttpsClient::open(node->url(), *pki.issue("alice", Role::Admin), 5000));
  auto office = officeClient(pki, kProvince, node->url());
  auto anonymous = anonymousClient(pki, node->url());

  auto list = admin->request("GET", "/api/v1/ca/certificates");
  REQUIRE(list);
  CHECK(list->status == 200);
  auto refused = office->request("GET", "/api/v1/ca/certificates");
  REQUIRE(refused);
  CHECK(refused->status == 403);
  auto anon = anonymous->request("GET", "/api/v1/ca/certificates");
  REQUIRE(anon);
  CHECK(anon->status == 401);
  auto crl = anonymous->request("GET", "/crl");
  REQUIRE(crl);
  CHECK(crl->status == 200);
  CHECK(crl->content_type == "application/pkix-crl");
  // The root's CRL (ARL), signed by the root key.
  auto arl = anonymous->request("GET", "/crl/root");
  REQUIRE(arl);
  CHECK(arl->status == 200);
  CHECK(arl->content_type == "application/pkix-crl");
  {
    const auto* p = reinterpret_cast<const unsigned char*>(arl->body.data());
    std::unique_ptr<X509_CRL, decltype(&X509_CRL_free)> parsed(
        d2i_X509_CRL(nullptr, &p, static_cast<long>(arl->body.size())), X509_CRL_free);
    REQUIRE(parsed);
    const std::string root_pem = (*ca)->service->authority().rootCertPem();
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(root_pem.data(), static_cast<int>(root_pem.size())),
                                                  BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> root(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                     X509_free);
    REQUIRE(root);
    CHECK(X509_CRL_verify(parsed.get(), X509_get0_pubkey(root.get())) == 1);
  }

  signing::SubjectFields subject;
  subject.common_name = "UBND huyen Quynh Luu";
  subject.organization = "UBND huyen Quynh Luu";
  subject.organ_id = kDistrictA;
  auto req = signing::makeRequest(subject, signing::KeyType::P256);
  REQUIRE(req);
  Poco::JSON::Object body;
  body.set("profile", "seal");
  body.set("csr", req->csr_pem);
  std::ostringstream json;
  body.stringify(json);
  auto issued = admin->request("POST", "/api/v1/ca/certificates", json.str(), "application/json");
  REQUIRE(issued);
  INFO(issued->body);
  CHECK(issued->status == 201);
  auto by_office = office->request("POST", "/api/v1/ca/certificates", json.str(), "application/json");
  REQUIRE(by_office);
  CHECK(by_office->status == 403);

  auto records = node->store().auditRecords(0, 100);
  REQUIRE(records);
  int issues = 0;
  for (const auto& r : *records) {
    if (r.event != "ca.issue") continue;
    ++issues;
    CHECK(r.actor == "admin:alice");
    CHECK(r.subject.starts_with("ca:"));
  }
  CHECK(issues == 1);
  node->stop();
  (*ca)->audit->attach(nullptr);
  auto v = verifyAuditLog(node->store(), {});
  REQUIRE(v);
  CHECK(v->intact);
}
