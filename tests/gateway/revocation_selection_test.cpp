// Which certificate the gateway checks for revocation (issue 16): with revocation "auto" it
// checks a certificate of the path built from the verified signer when that certificate names a
// source. The order of the certificates in KeyInfo (not covered by the signature) must not
// decide it: a revoked signer listed after a self-signed certificate is still found revoked.
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>

#include "lienthong/gateway/node/signature.h"
#include "lienthong/schemas/sample.h"
#include "lienthong/signing/signing_key.h"
#include "lienthong/signing/xml_signer.h"
#include "signing/pki.h"

using namespace lienthong;
namespace st = lienthong::signing::test;

namespace {

class CrlHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  CrlHandler(std::string crl, std::atomic<int>& hits) : crl_(std::move(crl)), hits_(hits) {}
  void handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& res) override {
    ++hits_;
    res.setContentType("application/pkix-crl");
    res.setContentLength(static_cast<std::streamsize>(crl_.size()));
    res.send().write(crl_.data(), static_cast<std::streamsize>(crl_.size()));
  }

 private:
  std::string crl_;
  std::atomic<int>& hits_;
};

class CrlFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  CrlFactory(std::string crl, std::atomic<int>& hits) : crl_(std::move(crl)), hits_(hits) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new CrlHandler(crl_, hits_);
  }

 private:
  std::string crl_;
  std::atomic<int>& hits_;
};

// The two X509Certificate texts of the signature swapped (KeyInfo is outside the signed data).
std::string swapCertificates(std::string doc) {
  const std::string open = "X509Certificate>";
  const auto a = doc.find(open);
  const auto a_end = doc.find('<', a + open.size());
  const auto b = doc.find(open, a_end + 2 + open.size());
  const auto b_end = doc.find('<', b + open.size());
  REQUIRE(b != std::string::npos);
  const std::string first = doc.substr(a + open.size(), a_end - a - open.size());
  const std::string second = doc.substr(b + open.size(), b_end - b - open.size());
  doc.replace(b + open.size(), second.size(), first);
  doc.replace(a + open.size(), first.size(), second);
  return doc;
}

}  // namespace

TEST_CASE("gateway: revocation is checked on the verified signer, whatever the KeyInfo order") {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  const int port = socket.address().port();
  st::CertSpec spec;
  spec.crl_url = "http://127.0.0.1:" + std::to_string(port) + "/root.crl";
  const auto& root = st::pki().root;  // self-signed, names no revocation source
  const auto revoked = st::makeCert(spec, &root);
  std::atomic<int> hits{0};
  auto params = new Poco::Net::HTTPServerParams;
  Poco::Net::HTTPServer server(new CrlFactory(st::makeCrl(root, {&revoked}), hits), socket, params);
  server.start();

  st::TempDir dir;
  const auto trust = dir.write("root.pem", root.certPem());  // no CRL in the trust folder
  gateway::SignaturePolicy policy;  // revocation: auto
  policy.signer_must_match = false;
  auto checker = gateway::makeXmlChecker(trust.string(), policy, nullptr, 1 << 20);
  REQUIRE(checker);
  auto key = signing::SigningKey::fromPem(revoked.keyPem(""), "", revoked.certPem() + root.certPem());
  REQUIRE(key);
  auto doc = signing::XmlSigner(*key).sign(schemas::sample::package().serialize());
  REQUIRE(doc);
  const std::string reordered = swapCertificates(*doc);
  REQUIRE(reordered != *doc);

  const std::string original = *doc;
  for (const std::string* bytes : {&original, &reordered}) {
    std::string report;
    auto r = (*checker)->check(*bytes, true, {}, report);
    INFO(report);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ErrorCode::CertificateInvalid);
    CHECK(r.error().message.find("REVOKED") != std::string::npos);
    CHECK(report.find("\"status\":\"REVOKED\"") != std::string::npos);
  }
  CHECK(hits.load() >= 1);
  server.stop();
}
