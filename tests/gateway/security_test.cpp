// Who may do what, against one real node over HTTPS: per-client bearer keys, certificate roles
// from the explicit map only, revoked client certificates, statuses only from those entitled,
// output hygiene, what is signed is what is read, the cipher list, reason phrases, and a front
// end that bounds slow, idle and ambiguous clients. Each case failed on the code before issue 12.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>

#include <fstream>

#include "gateway/gateway_fixture.h"
#include "gateway/raw_tls.h"
#include "lienthong/gateway/http/auth.h"
#include "lienthong/gateway/node/config.h"
#include "lienthong/gateway/evidence/register.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

Poco::JSON::Object::Ptr parseJson(const std::string& body) {
  Poco::JSON::Parser p;
  return p.parse(body).extract<Poco::JSON::Object::Ptr>();
}

struct SecNode {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers{pki};
  int port = freePort();
  std::unique_ptr<Node> node;

  explicit SecNode(const std::function<void(NodeConfig&)>& tweak = {}) {
    NodeConfig c = testNodeConfig(tmp.path(), pki, "province", port);
    if (tweak) tweak(c);
    NodeOptions o;
    o.directory = schemas::LiveDirectory::make(threeNodeDirectory({{"province", port}}));
    o.start_dispatcher = false;
    auto n = Node::start(c, std::move(o));
    if (!n) FAIL(n.error().describe());
    node = std::move(*n);
  }

  std::string sign(const std::string& organ, const std::string& bytes) { return signers.sign(organ, bytes); }
  std::int64_t messages() { return node->store().counts()->messages; }
  std::unique_ptr<HttpsClient> bearer(const std::string& token) {
    auto c = anonymousClient(pki, node->url());
    c->setBearer(token);
    return c;
  }
  RawTls::Options raw(const std::string& source = "127.0.0.1") const {
    RawTls::Options o;
    o.ca_file = pki.caFile();
    o.source = source;
    return o;
  }
};

void requireError(const Result<ClientResponse>& r, int status, const std::string& code) {
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == status);
  CHECK(parseJson(r->body)->getValue<std::string>("error") == code);
}

// A CRL by the CA in `ca_file`/`key_file` listing `revoked` (certificate files), next update in
// `days`.
void writeCrlBy(const std::string& ca_file, const std::string& key_file, const std::vector<std::string>& revoked,
                long days, const std::string& out) {
  BIO* b = BIO_new_file(ca_file.c_str(), "r");
  X509* ca = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  b = BIO_new_file(key_file.c_str(), "r");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  REQUIRE(ca);
  REQUIRE(key);
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
  ASN1_TIME* t = ASN1_TIME_adj(nullptr, time(nullptr), -1, 0);
  X509_CRL_set1_lastUpdate(crl, t);
  ASN1_TIME_adj(t, time(nullptr), static_cast<int>(days), 0);
  X509_CRL_set1_nextUpdate(crl, t);
  ASN1_TIME_free(t);
  for (const auto& file : revoked) {
    BIO* cb = BIO_new_file(file.c_str(), "r");
    X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    REQUIRE(cert);
    X509_REVOKED* r = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(cert));
    ASN1_TIME* when = ASN1_TIME_adj(nullptr, time(nullptr), -1, 0);
    X509_REVOKED_set_revocationDate(r, when);
    ASN1_TIME_free(when);
    X509_CRL_add0_revoked(crl, r);
    X509_free(cert);
  }
  X509_CRL_sort(crl);
  REQUIRE(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
  BIO* o = BIO_new_file(out.c_str(), "w");
  PEM_write_bio_X509_CRL(o, crl);
  BIO_free(o);
  X509_CRL_free(crl);
  X509_free(ca);
  EVP_PKEY_free(key);
}

// The same for the dev PKI's CA.
void writeCrl(const DevPki& pki, const std::vector<std::string>& revoked, long days, const std::string& out) {
  writeCrlBy(pki.caFile(), (fs::path(pki.caFile()).parent_path() / "ca.key").string(), revoked, days, out);
}

// A self-signed CA named `cn` (EC P-256): its certificate and key files in `dir`.
std::pair<std::string, std::string> otherCa(const fs::path& dir, const std::string& cn) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  const std::string cert_file = (dir / "other-ca.pem").string(), key_file = (dir / "other-ca.key").string();
  BIO* o = BIO_new_file(cert_file.c_str(), "w");
  PEM_write_bio_X509(o, cert);
  BIO_free(o);
  o = BIO_new_file(key_file.c_str(), "w");
  PEM_write_bio_PrivateKey(o, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO_free(o);
  X509_free(cert);
  EVP_PKEY_free(key);
  return {cert_file, key_file};
}

X509* readCert(const std::string& file) {
  BIO* b = BIO_new_file(file.c_str(), "r");
  X509* c = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  return c;
}

schemas::StatusMessage statusFor(const std::string& reporter, const std::string& doc_sender,
                                 const std::string& doc_id, schemas::StatusCode code) {
  schemas::StatusMessage s;
  s.from.organ_id = reporter;
  s.from.organ_name = "Đơn vị " + reporter;
  s.response_for.organ_id = doc_sender;
  s.response_for.document_id = doc_id;
  s.staff_info.department = "Văn thư";
  s.staff_info.staff = "Nguyễn Văn A";
  s.status = code;
  s.description = "test";
  s.timestamp = "2024/05/06 10:11:12";
  return s;
}

}  // namespace

// ---- 1. Credentials per client ------------------------------------------------------------

TEST_CASE("security: a DMS client's key mints only its own role and unit; other kids and claims are refused with 401") {
  SecNode n;
  const TokenClient province = testTokenClient(kProvince);
  requireError(n.bearer(makeJwt(province.id, kProvince, Role::Admin, province.secret, 60))
                   ->request("POST", "/api/v1/directory/reload"),
               401, "unauthorized");
  requireError(n.bearer(makeJwt(province.id, kDistrictA, Role::Office, province.secret, 60))
                   ->request("GET", "/api/v1/mailbox"),
               401, "unauthorized");
  requireError(n.bearer(makeJwt(province.id, "kiem-tra-1", Role::Auditor, province.secret, 60))
                   ->request("GET", "/api/v1/mailbox"),
               401, "unauthorized");
  requireError(n.bearer(makeJwt("no-such-client", kProvince, Role::Office, province.secret, 60))
                   ->request("GET", "/api/v1/mailbox"),
               401, "unauthorized");
  // The genuine token works.
  auto ok = n.bearer(makeJwt(province, 60))->request("GET", "/api/v1/mailbox");
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("security: the auditor reads counts, not mailboxes or single documents (403)") {
  SecNode n;
  auto auditor = n.bearer(testToken("kiem-tra-1", Role::Auditor));
  requireError(auditor->request("GET", std::string("/api/v1/mailbox?organ=") + kDistrictA), 403, "forbidden");
  requireError(auditor->request("GET", "/api/v1/documents/X?sender=000.00.00.H41"), 403, "forbidden");
}

TEST_CASE("security: /metrics is public but names no unit and no document") {
  SecNode n;
  auto office = officeClient(n.pki, kProvince, n.node->url());
  auto pkg = testPackage(kProvince, {kDistrictA}, 1);
  REQUIRE(office->request("POST", "/api/v1/documents", n.sign(kProvince, pkg.serialize()))->status == 202);
  auto m = anonymousClient(n.pki, n.node->url())->request("GET", "/metrics");
  REQUIRE(m);
  CHECK(m->status == 200);
  CHECK(m->body.find("H41") == std::string::npos);
  CHECK(m->body.find(pkg.documentId()) == std::string::npos);
}

TEST_CASE("security: certificate roles come only from auth.certificates, never from the OU") {
  std::string alice_cert;
  SecNode n([&](NodeConfig& c) {
    auto pki = DevPki::open(fs::path(c.http.ca_file).parent_path().string());
    auto alice = pki->issue("alice", Role::Admin, "admin-alice");
    alice_cert = alice->cert;
    X509* x = readCert(alice->cert);
    // Offices and nodes by their dev policies; the one admin by her fingerprint.
    auto office_rule = parseCertificateRule("office * policy " + DevPki::rolePolicy(Role::Office));
    auto alice_rule = parseCertificateRule("admin alice sha256 " + certificateSha256(x));
    X509_free(x);
    REQUIRE(office_rule);
    REQUIRE(alice_rule);
    c.http.certificate_rules = {*office_rule, *alice_rule};
  });
  // Mallory has a certificate from the same CA, OU=admin and the admin policy: not in the map.
  auto mallory = HttpsClient::open(n.node->url(), *n.pki.issue("mallory", Role::Admin), 5000);
  requireError((*mallory)->request("POST", "/api/v1/directory/reload"), 401, "unauthorized");
  auto alice = HttpsClient::open(n.node->url(), TlsFiles{alice_cert, fs::path(alice_cert).replace_extension(".key").string(), n.pki.caFile()}, 5000);
  auto r = (*alice)->request("POST", "/api/v1/directory/reload");
  REQUIRE(r);
  CHECK(r->status != 401);
  CHECK(r->status != 403);
}

TEST_CASE("security: certificate rules match by serial and subject; a bad rule is refused with its reason") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  auto files = pki.issue("district-a", Role::Node, "node-district-a");
  X509* x = readCert(files->cert);
  REQUIRE(x);
  const auto by_serial = *parseCertificateRule("node district-a serial " + certificateSerial(x));
  const auto by_subject = *parseCertificateRule("node district-a subject " + certificateSubject(x));
  const auto wrong_serial = *parseCertificateRule("node district-a serial 1234");
  CHECK(certificateIdentity(x, {by_serial}).role == Role::Node);
  CHECK(certificateIdentity(x, {by_subject}).subject == "district-a");
  CHECK(certificateIdentity(x, {wrong_serial}).role == Role::None);
  CHECK(certificateIdentity(x, {}).role == Role::None);  // the OU says node; nothing maps it
  // A fingerprint keeps its leading zeros (one certificate in sixteen has one); a serial is a
  // number and does not.
  const std::string zero_sha = "0a" + std::string(62, 'b');
  auto by_zero_sha = parseCertificateRule("admin alice sha256 " + zero_sha);
  REQUIRE(by_zero_sha);
  CHECK(by_zero_sha->value == zero_sha);
  auto by_zero_serial = parseCertificateRule("node district-a serial 00:" + certificateSerial(x));
  REQUIRE(by_zero_serial);
  CHECK(certificateIdentity(x, {*by_zero_serial}).role == Role::Node);
  X509_free(x);
  CHECK_FALSE(parseCertificateRule("root alice sha256 00"));
  CHECK_FALSE(parseCertificateRule("admin * sha256 00"));
  CHECK_FALSE(parseCertificateRule("admin alice sha256 zz"));
}

TEST_CASE("security: a revoked client certificate is refused (tls.crl), and so is one whose issuer has no current CRL") {
  std::string crl_file;
  std::string revoked_cert;
  SecNode n([&](NodeConfig& c) {
    auto pki = DevPki::open(fs::path(c.http.ca_file).parent_path().string());
    revoked_cert = pki->issue(kDistrictB, Role::Office)->cert;
    crl_file = (fs::path(c.data_dir).parent_path() / "tls.crl").string();
    writeCrl(*pki, {revoked_cert}, 7, crl_file);
    c.http.crl_file = crl_file;
  });
  auto revoked = officeClient(n.pki, kDistrictB, n.node->url());
  auto r = revoked->request("GET", "/api/v1/mailbox");
  requireError(r, 401, "unauthorized");
  CHECK(r->body.find("revoked") != std::string::npos);
  auto good = officeClient(n.pki, kDistrictA, n.node->url());
  auto ok = good->request("GET", "/api/v1/mailbox");
  REQUIRE(ok);
  CHECK(ok->status == 200);
  // The CRL expires: nobody's status is known any more (re-read without a restart).
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a new mtime and the 1 s re-read
  writeCrl(n.pki, {}, -1, crl_file);
  auto stale = officeClient(n.pki, kDistrictA, n.node->url())->request("GET", "/api/v1/mailbox");
  requireError(stale, 401, "unauthorized");
  CHECK(stale->body.find("no current CRL") != std::string::npos);
}

TEST_CASE("security: configuration: per-client keys, no shared secret, a separate trust list") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  auto tls = pki.issue("province", Role::Node, "node-province");
  auto seal = pki.issueSeal(kProvince, "Node", "seal-node-province");
  std::ofstream(tmp.path() / "dms1.key") << "0123456789abcdef-dms1\n";
  std::ofstream(tmp.path() / "short.key") << "short\n";
  std::ofstream(tmp.path() / "certs.map") << "# role identity match value\nadmin alice sha256 "
                                         << std::string(64, 'a') << "\n";
  const auto load = [&](const std::string& extra) {
    const fs::path file = tmp.path() / "node.conf";
    std::ofstream(file) << "tls.cert = " << tls->cert << "\ntls.key = " << tls->key << "\ntls.ca = " << tls->ca
                        << "\nsigning.key = " << seal->key << "\nsigning.cert = " << seal->cert << "\n"
                        << extra;
    return loadConfig(file.string());
  };
  auto ok = load("trust.dir = " + pki.caFile() + "\nauth.clients = dms1:office:000.00.31.H41:dms1.key\n" +
                 "auth.certificates = certs.map\n");
  REQUIRE(ok);
  REQUIRE(ok->http.token_clients.size() == 1);
  CHECK(ok->http.token_clients[0].organ == kDistrictA);
  CHECK(ok->http.token_clients[0].secret == "0123456789abcdef-dms1");
  REQUIRE(ok->http.certificate_rules.size() == 1);
  CHECK(ok->http.certificate_rules[0].role == Role::Admin);
  const auto refused = [&](const std::string& extra, const std::string& key) {
    auto c = load(extra);
    REQUIRE_FALSE(c);
    INFO(c.error().message);
    CHECK(c.error().message.find(key) != std::string::npos);
  };
  refused("trust.dir = " + pki.caFile() + "\nauth.jwt_secret = 0123456789abcdef0123\n", "auth.jwt_secret");
  refused("trust.dir = " + pki.caFile() + "\nauth.clients = root:admin:x:dms1.key\n", "auth.clients");
  refused("trust.dir = " + pki.caFile() + "\nauth.clients = dms1:office:000.00.31.H41:short.key\n", "auth.clients");
  refused("", "trust.dir");  // never tls.ca by default
}

// ---- 2. Status rules ----------------------------------------------------------------------

TEST_CASE("security: statuses come only from those entitled, for documents this node carried; nothing is stored otherwise") {
  SecNode n;
  auto province = officeClient(n.pki, kProvince, n.node->url());
  auto pkg = testPackage(kProvince, {kDistrictA}, 21);
  REQUIRE(province->request("POST", "/api/v1/documents", n.sign(kProvince, pkg.serialize()))->status == 202);
  const auto post = [&](const std::string& as, const schemas::StatusMessage& s) {
    return officeClient(n.pki, as, n.node->url())
        ->request("POST", "/api/v1/statuses", n.sign(as, s.serialize(false)));
  };
  const auto before = n.messages();
  // 06 from a unit that never received it.
  requireError(post(kDistrictB, statusFor(kDistrictB, kProvince, pkg.documentId(), schemas::StatusCode::Completed)),
               403, "forbidden");
  // 03 for a document never sent.
  requireError(post(kDistrictA, statusFor(kDistrictA, kProvince, "NEVER-SENT-1", schemas::StatusCode::Accepted)),
               422, "unknown_document");
  // 13 (recall) from a recipient: only the sender recalls.
  requireError(post(kDistrictA, statusFor(kDistrictA, kProvince, pkg.documentId(), schemas::StatusCode::RecallRequested)),
               403, "forbidden");
  // 15 (recall agreed) from the sender itself: only a recipient answers a recall.
  requireError(post(kProvince, statusFor(kProvince, kProvince, pkg.documentId(), schemas::StatusCode::RecallAgreed)),
               403, "forbidden");
  CHECK(n.messages() == before);
  // The recipient's 03 and the sender's 13 are accepted.
  auto ok = post(kDistrictA, statusFor(kDistrictA, kProvince, pkg.documentId(), schemas::StatusCode::Accepted));
  REQUIRE(ok);
  INFO(ok->body);
  CHECK(ok->status == 202);
  auto recall = post(kProvince, statusFor(kProvince, kProvince, pkg.documentId(), schemas::StatusCode::RecallRequested));
  REQUIRE(recall);
  INFO(recall->body);
  CHECK(recall->status == 202);
}

// ---- 3. Output hygiene --------------------------------------------------------------------

TEST_CASE("security: a DocumentId with CR LF is refused with 400 before anything is stored or echoed") {
  SecNode n;
  auto office = officeClient(n.pki, kProvince, n.node->url());
  auto pkg = testPackage(kProvince, {kDistrictA}, 31);
  pkg.header.document_id = "ABC\r\nX-Injected: yes";
  auto r = office->request("POST", "/api/v1/documents", n.sign(kProvince, pkg.serialize()));
  REQUIRE(r);
  INFO(r->body);
  CHECK((r->status == 400 || r->status == 422));
  CHECK(n.messages() == 0);
}

TEST_CASE("security: a response header value with CR LF is never written: 500 instead of a split response") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  auto files = pki.issue("province", Role::Node, "node-province");
  HttpServerConfig http;
  http.cert_file = files->cert;
  http.key_file = files->key;
  http.ca_file = files->ca;
  auto routes = std::make_shared<HttpRoutes>();
  routes->add({"GET", "/echo", false, {}, 0, [](const HttpRequest&) {
                 HttpResponse out = HttpResponse::json(200, "{}");
                 out.headers.push_back({"X-Lienthong-Document-Id", "A\r\nSet-Cookie: stolen=1"});
                 return out;
               }});
  auto server = HttpServer::start(http, routes);
  REQUIRE(server);
  RawTls::Options o;
  o.ca_file = pki.caFile();
  auto t = RawTls::open((*server)->port(), o);
  REQUIRE(t);
  REQUIRE(t->send("GET /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string answer = t->read("}");
  INFO(answer);
  CHECK(answer.starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
  CHECK(answer.find("Set-Cookie") == std::string::npos);
}

TEST_CASE("security: X-Lienthong-Hops is accepted from nodes only") {
  SecNode n;
  auto office = officeClient(n.pki, kProvince, n.node->url());
  auto pkg = testPackage(kProvince, {kDistrictA}, 32);
  requireError(office->request("POST", "/api/v1/documents", n.sign(kProvince, pkg.serialize()),
                               "application/xml", {{"X-Lienthong-Hops", "forged@2020"}}),
               403, "forbidden");
  CHECK(n.messages() == 0);
}

TEST_CASE("security: register CSV cells that a spreadsheet would evaluate start with an apostrophe") {
  CHECK(csvField("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"");
  CHECK(csvField("+1") == "\"'+1\"");
  CHECK(csvField("-2+3") == "\"'-2+3\"");
  CHECK(csvField("@SUM(A1)") == "\"'@SUM(A1)\"");
  CHECK(csvField("\t=1") == "\"'\t=1\"");
  CHECK(csvField("12/UBND-VP") == "12/UBND-VP");
}

// ---- 4. What is signed is what is read ----------------------------------------------------

TEST_CASE("security: a signed package followed by a NUL byte and a second document, or by a second root, is refused with 400") {
  SecNode n;
  auto office = officeClient(n.pki, kProvince, n.node->url());
  const std::string good = n.sign(kProvince, testPackage(kProvince, {kDistrictA}, 41).serialize());
  const std::string second = n.sign(kProvince, testPackage(kProvince, {kDistrictB}, 42).serialize());
  requireError(office->request("POST", "/api/v1/documents", good + std::string(1, '\0') + second), 400, "malformed_xml");
  const auto root_end = second.find("<edXMLEnvelope") != std::string::npos ? second.find("<edXMLEnvelope")
                                                                            : second.find("<edXML:edXMLEnvelope");
  REQUIRE(root_end != std::string::npos);
  requireError(office->request("POST", "/api/v1/documents", good + second.substr(root_end)), 400, "malformed_xml");
  CHECK(n.messages() == 0);
}

TEST_CASE("security: a comment inside signed content (splitting an attachment's base64) is refused, though the signature stays valid") {
  SecNode n;
  auto office = officeClient(n.pki, kProvince, n.node->url());
  std::string bytes = n.sign(kProvince, testPackage(kProvince, {kDistrictA}, 43).serialize());
  const auto tag = bytes.find("ContentTransferEncoded>");
  REQUIRE(tag != std::string::npos);
  const auto at = tag + std::string("ContentTransferEncoded>").size() + 8;
  bytes.insert(at, "<!-- hidden -->");
  requireError(office->request("POST", "/api/v1/documents", bytes), 400, "malformed_xml");
  std::string pi = n.sign(kProvince, testPackage(kProvince, {kDistrictA}, 44).serialize());
  pi.insert(pi.find("ContentTransferEncoded>") + 30, "<?x y?>");
  requireError(office->request("POST", "/api/v1/documents", pi), 400, "malformed_xml");
  CHECK(n.messages() == 0);
}

// ---- 7. TLS -------------------------------------------------------------------------------

TEST_CASE("security: TLS 1.2 CBC and SHA-1 suites are not offered; AEAD with ECDHE is; status lines carry their reason") {
  SecNode n;
  RawTls::Options cbc = n.raw();
  cbc.tls12_ciphers = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256";
  std::string why;
  CHECK(RawTls::open(n.port, cbc, &why) == nullptr);
  RawTls::Options gcm = n.raw();
  gcm.tls12_ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  auto t = RawTls::open(n.port, gcm, &why);
  INFO(why);
  REQUIRE(t);
  REQUIRE(t->send("GET /api/v1/mailbox HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string answer = t->read("}");
  CHECK(answer.starts_with("HTTP/1.1 401 Unauthorized\r\n"));
}

// ---- 8. A front end that bounds every client ----------------------------------------------

TEST_CASE("security: ambiguous framing is refused with 400; an over-limit body behind Expect is refused with 413 without 100 Continue") {
  SecNode n;
  const auto ask = [&](const std::string& request) {
    auto t = RawTls::open(n.port, n.raw());
    REQUIRE(t);
    REQUIRE(t->send(request));
    return t->read("}");
  };
  CHECK(ask("POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\nhello")
            .starts_with("HTTP/1.1 400 Bad Request"));
  CHECK(ask("POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
            .starts_with("HTTP/1.1 400 Bad Request"));
  CHECK(ask("POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
            .starts_with("HTTP/1.1 400 Bad Request"));
  CHECK(ask("GET /api/v1/mailbox%zz HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 400 Bad Request"));
  CHECK(ask("GET /healthz?x=%zz HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 400 Bad Request"));
  const auto started = std::chrono::steady_clock::now();
  const std::string big = ask(
      "POST /api/v1/documents HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 100000000000\r\n\r\n");
  const auto took = std::chrono::steady_clock::now() - started;
  INFO(big);
  CHECK(big.find("100 Continue") == std::string::npos);
  CHECK(big.starts_with("HTTP/1.1 413"));
  CHECK(took < std::chrono::seconds(1));
}

TEST_CASE("security: the front end's own refusals carry their error codes: 405 method_not_allowed, 431 headers_too_large, 404 not_found") {
  SecNode n([](NodeConfig& c) { c.http.max_header = 2048; });
  const auto ask = [&](const std::string& request) {
    auto t = RawTls::open(n.port, n.raw());
    REQUIRE(t);
    REQUIRE(t->send(request));
    return t->read("}");
  };
  const std::string wrong_method = ask("DELETE /api/v1/mailbox HTTP/1.1\r\nHost: x\r\n\r\n");
  INFO(wrong_method);
  CHECK(wrong_method.starts_with("HTTP/1.1 405 Method Not Allowed"));
  CHECK(wrong_method.find(R"("error":"method_not_allowed")") != std::string::npos);
  const std::string big_headers = ask("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " +
                                      std::string(3000, 'a') + "\r\n\r\n");
  INFO(big_headers);
  CHECK(big_headers.starts_with("HTTP/1.1 431 Request Header Fields Too Large"));
  CHECK(big_headers.find(R"("error":"headers_too_large")") != std::string::npos);
  const std::string no_route = ask("GET /api/v1/nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(no_route.starts_with("HTTP/1.1 404 Not Found"));
  CHECK(no_route.find(R"("error":"not_found")") != std::string::npos);
}

TEST_CASE("security: a client sending its headers slowly is cut at the request deadline, an idle one at the handshake deadline") {
  SecNode n([](NodeConfig& c) {
    c.http.read_timeout_ms = 1500;
    c.http.read_gap_ms = 1000;
    c.http.handshake_timeout_ms = 500;
    c.http.keepalive_ms = 300;
  });
  // One byte every 300 ms: each read is quick, the request never ends.
  auto slow = RawTls::open(n.port, n.raw());
  REQUIRE(slow);
  const auto started = std::chrono::steady_clock::now();
  REQUIRE(slow->send("GET /healthz HTTP/1.1\r\n"));
  bool cut = false;
  for (int i = 0; i < 30 && !cut; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cut = !slow->send("X");
  }
  slow->setTimeout(500);
  cut = cut || slow->closedByPeer();
  CHECK(cut);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(4000));

  // TCP only, never a ClientHello.
  RawTls::Options idle = n.raw();
  idle.handshake = false;
  auto quiet = RawTls::open(n.port, idle);
  REQUIRE(quiet);
  quiet->setTimeout(2000);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(quiet->closedByPeer());
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1500));

  // A kept-alive connection left idle after its answer is closed after keepalive_ms.
  auto kept = RawTls::open(n.port, n.raw());
  REQUIRE(kept);
  REQUIRE(kept->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(kept->read("}").starts_with("HTTP/1.1 200 OK"));
  kept->setTimeout(2000);
  const auto t1 = std::chrono::steady_clock::now();
  CHECK(kept->closedByPeer());
  CHECK(std::chrono::steady_clock::now() - t1 < std::chrono::milliseconds(1500));
}

TEST_CASE("security: one source address holds at most max_per_address connections; others are still served at once") {
  SecNode n([](NodeConfig& c) {
    c.http.max_per_address = 4;
    c.http.keepalive_ms = 10000;
  });
  std::vector<std::unique_ptr<RawTls>> held;
  for (int i = 0; i < 4; ++i) {
    auto t = RawTls::open(n.port, n.raw("127.0.0.2"));
    REQUIRE(t);
    // One answered request: the connection is being served (and counted), then kept alive.
    REQUIRE(t->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    REQUIRE(t->read("}").starts_with("HTTP/1.1 200 OK"));
    held.push_back(std::move(t));
  }
  std::string why;
  auto fifth = RawTls::open(n.port, n.raw("127.0.0.2"), &why);
  CHECK(fifth == nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  auto other = RawTls::open(n.port, n.raw("127.0.0.1"));
  REQUIRE(other);
  REQUIRE(other->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  CHECK(other->read("}").starts_with("HTTP/1.1 200 OK"));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
}

TEST_CASE("security: content added inside ds:Object is never read by the node (decision: passed on unsigned, unread)") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  OfficeSigners signers(pki);
  auto pkg = testPackage(kProvince, {kDistrictA}, 51);
  std::string bytes = signers.sign(kProvince, pkg.serialize());
  const auto end = bytes.find("</Signature>");
  REQUIRE(end != std::string::npos);
  bytes.insert(end, "<Object><MessageHeader xmlns=\"http://www.mic.gov.vn/TBT/QCVN_102_2016\"><Subject>FORGED"
                    "</Subject><From><OrganId>000.00.32.H41</OrganId></From></MessageHeader></Object>");
  auto parsed = schemas::Package::parse(bytes, nullptr);
  REQUIRE(parsed);
  CHECK(parsed->header.subject == pkg.header.subject);
  CHECK(parsed->header.from.organ_id == kProvince);
}

TEST_CASE("security: lienthong token prints a client's token that lienthong send uses; another organ's is refused") {
  SecNode n;
  const TokenClient dms = testTokenClient(kProvince);
  std::ofstream(n.tmp.path() / "dms.key") << dms.secret << "\n";
  const std::string file = (n.tmp.path() / "doc.edxml").string();
  std::ofstream(file) << n.sign(kProvince, testPackage(kProvince, {kDistrictA}, 61).serialize());
  const auto run = [](const std::string& cmd) {
    std::string out;
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    char buf[4096];
    std::size_t k = 0;
    while ((k = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
    const int rc = pclose(p);
    return std::pair<int, std::string>{WEXITSTATUS(rc), out};
  };
  const std::string bin = LIENTHONG_BINARY;
  const std::string key = (n.tmp.path() / "dms.key").string();
  auto [trc, token] = run(bin + " token --client " + dms.id + " --role office --organ " + kProvince + " --key-file " + key);
  REQUIRE(trc == 0);
  token.pop_back();
  auto [src, sent] = run(bin + " send " + file + " --node " + n.node->url() + " --ca " + n.pki.caFile() + " --token " + token);
  INFO(sent);
  CHECK(src == 0);
  CHECK(n.messages() == 1);
  auto [frc, forged] = run(bin + " token --client " + dms.id + " --role office --organ " + kDistrictA + " --key-file " + key);
  REQUIRE(frc == 0);
  forged.pop_back();
  auto [rrc, refused] = run(bin + " send " + file + " --node " + n.node->url() + " --ca " + n.pki.caFile() + " --token " + forged);
  CHECK(rrc != 0);
  CHECK(refused.find("unauthorized") != std::string::npos);
}

TEST_CASE("security: tls.crl may be a folder shared with signature CRLs: other CAs' CRLs are skipped, tls.ca's apply") {
  TempDir other_dir;
  const auto other = otherCa(other_dir.path(), "Signature CA outside tls.ca");
  std::string revoked_cert;
  SecNode n([&](NodeConfig& c) {
    auto pki = DevPki::open(fs::path(c.http.ca_file).parent_path().string());
    revoked_cert = pki->issue(kDistrictB, Role::Office)->cert;
    const fs::path folder = fs::path(c.data_dir).parent_path() / "crls";
    fs::create_directories(folder);
    writeCrl(*pki, {revoked_cert}, 7, (folder / "tls-ca.crl").string());
    writeCrlBy(other.first, other.second, {}, 7, (folder / "signature-ca.crl").string());
    c.http.crl_file = folder.string();
  });
  requireError(officeClient(n.pki, kDistrictB, n.node->url())->request("GET", "/api/v1/mailbox"), 401,
               "unauthorized");
  auto ok = officeClient(n.pki, kDistrictA, n.node->url())->request("GET", "/api/v1/mailbox");
  REQUIRE(ok);
  CHECK(ok->status == 200);
}

TEST_CASE("security: the dev PKI makes again a certificate from before the role policies (it would have no role)") {
  TempDir tmp;
  DevPki pki = *DevPki::open((tmp.path() / "pki").string());
  auto first = pki.issue(kProvince, Role::Office);
  REQUIRE(first);
  const auto old = otherCa(tmp.path(), "a certificate without a role policy");
  fs::copy_file(old.first, first->cert, fs::copy_options::overwrite_existing);
  fs::copy_file(old.second, first->key, fs::copy_options::overwrite_existing);
  X509* stale = readCert(first->cert);
  CHECK(certificateIdentity(stale, DevPki::certificateRules()).role == Role::None);
  X509_free(stale);
  auto again = pki.issue(kProvince, Role::Office);
  REQUIRE(again);
  X509* fresh = readCert(again->cert);
  const Credential c = certificateIdentity(fresh, DevPki::certificateRules());
  CHECK(c.role == Role::Office);
  CHECK(c.subject == kProvince);
  X509_free(fresh);
}
