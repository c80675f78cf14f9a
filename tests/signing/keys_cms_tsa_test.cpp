#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <functional>
#include <thread>

#include "lienthong/schemas/sample.h"
#include "lienthong/signing/ca.h"
#include "lienthong/signing/cms.h"
#include "lienthong/signing/timestamp.h"
#include "lienthong/signing/xml_signer.h"
#include "lienthong/signing/xml_verifier.h"
#include "pki.h"

using namespace lienthong;
using namespace lienthong::signing;
using namespace lienthong::signing::test;

namespace {

TrustStore trust() {
  TrustStore ts;
  REQUIRE(ts.addAnchorsPem(pki().root.certPem()));
  REQUIRE(ts.addCrl(pki().crl, "test"));
  return ts;
}

SigningKey rsaKey() {
  auto k = SigningKey::fromPem(pki().rsa.keyPem(""), "", pki().rsa.certPem());
  REQUIRE(k);
  return *k;
}

}  // namespace

TEST_CASE("encrypted PEM keys open only with their passphrase, never prompting") {
  const std::string pem = pki().rsa.keyPem("đúng mật khẩu");
  CHECK(SigningKey::fromPem(pem, "đúng mật khẩu", pki().rsa.certPem()));
  auto wrong = SigningKey::fromPem(pem, "sai", pki().rsa.certPem());
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::KeyUnavailable);
  auto none = SigningKey::fromPem(pem, "", pki().rsa.certPem());
  REQUIRE_FALSE(none);
  CHECK(none.error().code == ErrorCode::KeyUnavailable);
  auto mismatch = SigningKey::fromPem(pki().ec.keyPem(""), "", pki().rsa.certPem());
  REQUIRE_FALSE(mismatch);
  CHECK(mismatch.error().code == ErrorCode::CertificateInvalid);
}

TEST_CASE("a PKCS#12 key signs a package that verifies, with its chain") {
  TempDir dir;
  auto p12 = dir.write("signer.p12", pki().ec.pkcs12("passphrase-123", {&pki().root}));
  auto key = SigningKey::load(p12.string(), "passphrase-123", {});
  REQUIRE(key);
  CHECK(key->algorithm() == KeyAlgorithm::Ec);
  CHECK(key->chain().size() == 1);
  CHECK(key->source() == "pkcs12:" + p12.string());
  auto s = XmlSigner(*key).sign(schemas::sample::package().serialize());
  REQUIRE(s);
  auto r = XmlVerifier(trust()).verify(*s);
  CHECK(r.indication == Indication::TotalPassed);
  auto wrong = SigningKey::fromPkcs12File(p12, "wrong");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::KeyUnavailable);
}

TEST_CASE("CAdES-BES detached signature over a file: valid, changed file, changed signature") {
  const std::string file = schemas::sample::pdf("Quyết định 123/QĐ-UBND", 4096);
  auto p7s = CmsSigner(rsaKey()).sign(file);
  REQUIRE(p7s);
  CmsVerifier v(trust());
  auto ok = v.verify(file, *p7s);
  INFO(ok.toJson());
  CHECK(ok.indication == Indication::TotalPassed);
  // The signing-time attribute is a claim: shown, not the validation time (issue 16).
  CHECK(ok.signing_time_source == "validation");
  CHECK(ok.claimed_time.has_value());
  CHECK(ok.claimed_time_signed);
  CHECK(ok.signer->organ_id == "000.00.00.H41");
  std::string changed = file;
  changed[100] ^= 1;
  auto hash = v.verify(changed, *p7s);
  CHECK(hash.sub_indication == SubIndication::HashFailure);
  std::string bad_sig = *p7s;
  bad_sig[bad_sig.size() - 10] ^= 1;
  auto crypto = v.verify(file, bad_sig);
  CHECK(crypto.sub_indication == SubIndication::SigCryptoFailure);
  CHECK(v.verify(file, "not der").sub_indication == SubIndication::FormatFailure);
  // openssl cms agrees.
  TempDir dir;
  auto f = dir.write("qd.pdf", file);
  auto sig = dir.write("qd.pdf.p7s", *p7s);
  auto root = dir.write("root.pem", pki().root.certPem());
  auto r = run("openssl cms -verify -binary -inform DER -in " + sig.string() + " -content " +
               f.string() + " -CAfile " + root.string() + " -purpose any -out /dev/null");
  INFO(r.output);
  CHECK(r.status == 0);
}

TEST_CASE("RFC 3161: a local TSA time-stamps a signature and the verifier uses that time") {
  CertSpec ts;
  ts.cn = "Lienthong Test TSA";
  ts.key_usage = "critical,digitalSignature";
  ts.ext_key_usage = "critical,timeStamping";
  auto tsa_cert = makeCert(ts, &pki().root);
  auto tsa_key = SigningKey::fromPem(tsa_cert.keyPem(""), "", tsa_cert.certPem());
  REQUIRE(tsa_key);
  LocalTsa tsa(*tsa_key);
  auto client = std::make_shared<TsaClient>(tsa.transport());
  auto token = client->timestamp("dữ liệu");
  REQUIRE(token);
  auto info = verifyTimeStampToken(*token, "dữ liệu", trust());
  REQUIRE(info);
  CHECK(std::chrono::abs(info->time - std::chrono::system_clock::now()) < std::chrono::minutes(1));
  auto wrong = verifyTimeStampToken(*token, "khác", trust());
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == ErrorCode::SignatureInvalid);

  XmlSignOptions o;
  o.tsa = client;
  o.signing_time = false;
  auto s = XmlSigner(rsaKey(), o).sign(schemas::sample::package().serialize());
  REQUIRE(s);
  auto r = XmlVerifier(trust()).verify(*s);
  INFO(r.toJson());
  CHECK(r.indication == Indication::TotalPassed);
  CHECK(r.signing_time_source == "timestamp");
}

namespace {

TestCert tsaCert(const TestCert* issuer) {  // issuer: a CA
  CertSpec ts;
  ts.cn = "Lienthong Test TSA";
  ts.key_usage = "critical,digitalSignature";
  ts.ext_key_usage = "critical,timeStamping";
  return makeCert(ts, issuer);
}

std::shared_ptr<const TsaClient> localTsaClient(const TestCert& cert) {
  auto key = SigningKey::fromPem(cert.keyPem(""), "", cert.certPem());
  REQUIRE(key);
  return std::make_shared<TsaClient>(LocalTsa(*key).transport());
}

// A one-connection-at-a-time HTTP/1.0 server on 127.0.0.1 (over TLS when given a server
// context) that answers `count` requests with `answer(body)` and records each request's head.
class LoopbackHttp {
 public:
  LoopbackHttp(int count, std::function<std::string(const std::string&)> answer,
               SSL_CTX* tls = nullptr)
      : answer_(std::move(answer)), tls_(tls) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(fd_, 4) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, count] {
      for (int i = 0; i < count; ++i) serveOne();
    });
  }
  ~LoopbackHttp() {
    if (thread_.joinable()) thread_.join();
    close(fd_);
  }
  LoopbackHttp(const LoopbackHttp&) = delete;
  LoopbackHttp& operator=(const LoopbackHttp&) = delete;

  std::string url(const std::string& path) const {
    return std::string(tls_ != nullptr ? "https" : "http") + "://127.0.0.1:" +
           std::to_string(port_) + path;
  }
  // Waits for the server to have answered every request; returns the request heads.
  std::vector<std::string> finish() {
    thread_.join();
    return heads_;
  }

 private:
  void serveOne() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    SSL* ssl = nullptr;
    if (tls_ != nullptr) {
      ssl = SSL_new(tls_);
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) != 1) {  // e.g. the client refused the certificate
        ERR_clear_error();
        SSL_free(ssl);
        close(c);
        return;
      }
    }
    auto receive = [&](char* buf, int size) {
      return ssl != nullptr ? SSL_read(ssl, buf, size) : static_cast<int>(recv(c, buf, size, 0));
    };
    std::string in;
    char buf[4096];
    std::size_t need = std::string::npos;
    while (true) {
      auto end = in.find("\r\n\r\n");
      if (end != std::string::npos && need == std::string::npos) {
        std::string head = in.substr(0, end);
        std::string lower = head;
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        auto cl = lower.find("content-length:");
        need = end + 4 + (cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 15)));
        heads_.push_back(head);
      }
      if (need != std::string::npos && in.size() >= need) break;
      int n = receive(buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
    }
    const auto body_at = in.find("\r\n\r\n");
    const std::string body = body_at == std::string::npos ? "" : in.substr(body_at + 4);
    const std::string reply = answer_(body);
    const std::string out = "HTTP/1.0 200 OK\r\nContent-Type: application/timestamp-reply\r\n"
                            "Content-Length: " + std::to_string(reply.size()) +
                            "\r\nConnection: close\r\n\r\n" + reply;
    if (ssl != nullptr) {
      SSL_write(ssl, out.data(), static_cast<int>(out.size()));
      SSL_shutdown(ssl);
      SSL_free(ssl);
    } else {
      send(c, out.data(), out.size(), MSG_NOSIGNAL);
    }
    close(c);
  }

  std::function<std::string(const std::string&)> answer_;
  SSL_CTX* tls_;
  std::vector<std::string> heads_;  // written by the server thread until finish()
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_CASE("CAdES-T: a signature time-stamp in the CMS is verified and its time used") {
  const std::string file = schemas::sample::pdf("Công văn 45/UBND-VP", 2048);
  CmsSignOptions o;
  o.tsa = localTsaClient(tsaCert(&pki().root));
  auto p7s = CmsSigner(rsaKey(), o).sign(file);
  REQUIRE(p7s);
  auto r = CmsVerifier(trust()).verify(file, *p7s);
  INFO(r.toJson());
  CHECK(r.passed());
  CHECK(r.format == "CAdES-T");
  CHECK(r.signing_time_source == "timestamp");
  CHECK(r.warnings.empty());
  REQUIRE(r.signing_time);
  CHECK(std::chrono::abs(*r.signing_time - std::chrono::system_clock::now()) <
        std::chrono::minutes(1));
  // openssl cms still verifies the signature (the time-stamp is an unsigned attribute).
  TempDir dir;
  auto f = dir.write("cv.pdf", file);
  auto sig = dir.write("cv.pdf.p7s", *p7s);
  auto root = dir.write("root.pem", pki().root.certPem());
  auto run_result = run("openssl cms -verify -binary -inform DER -in " + sig.string() +
                        " -content " + f.string() + " -CAfile " + root.string() +
                        " -purpose any -out /dev/null");
  INFO(run_result.output);
  CHECK(run_result.status == 0);
}

TEST_CASE("CAdES-T: a time-stamp from an untrusted TSA is ignored with a warning") {
  const std::string file = schemas::sample::pdf("Công văn 46/UBND-VP", 2048);
  CmsSignOptions o;
  CertSpec other;
  other.ca = true;
  other.cn = "Other CA";
  other.key_usage = "critical,keyCertSign,cRLSign";
  const TestCert other_root = makeCert(other, nullptr);
  o.tsa = localTsaClient(tsaCert(&other_root));
  auto p7s = CmsSigner(rsaKey(), o).sign(file);
REQUIRE(p7s);
  auto r = CmsVerifier(trust()).verify(file, *p7s);
  INFO(r.toJson());
  CHECK(r.passed());
  CHECK(r.format == "CAdES-BES");
  CHECK(r.signing_time_source == "validation");  // the claimed time only shown (issue 16)
  CHECK(r.claimed_time.has_value());
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].starts_with("signature time-stamp ignored: "));
}

TEST_CASE("the TSA client talks HTTP to a time-stamp authority on 127.0.0.1") {
  const TestCert cert = tsaCert(&pki().root);
  auto tsa_key = SigningKey::fromPem(cert.keyPem(""), "", cert.certPem());
  REQUIRE(tsa_key);
  const LocalTsa tsa(*tsa_key);
  int answered = 0;
  LoopbackHttp server(2, [&](const std::string& body) {
    if (++answered == 2) return std::string("not a response");
    auto resp = tsa.respond(body);
    return resp ? *resp : std::string();
  });
  TsaClient client(server.url("/tsa"), std::chrono::seconds(5));
  auto token = client.timestamp("văn bản điện tử", DigestAlgorithm::Sha384);
  REQUIRE(token);
  auto info = verifyTimeStampToken(*token, "văn bản điện tử", trust());
  REQUIRE(info);
  CHECK(std::chrono::abs(info->time - std::chrono::system_clock::now()) < std::chrono::minutes(1));
  // A server answer that is not a TimeStampResp is an error, never a token.
  auto bad = client.timestamp("x");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::SignatureInvalid);
  const auto heads = server.finish();
  CHECK(answered == 2);
  REQUIRE(heads.size() == 2);
  CHECK(heads[0].starts_with("POST /tsa HTTP/1."));
  CHECK(heads[0].find("application/timestamp-query") != std::string::npos);
}

TEST_CASE("https for time-stamps and revocation: the server certificate and address are checked") {
  CaSettings settings;
  settings.province_name = "UBND tinh Lao Cai";
  settings.organ_id = "000.00.00.H41";
  settings.crl_url = "http://127.0.0.1:9/crl";
  settings.ocsp_url = "http://127.0.0.1:9/ocsp";
  settings.ca_key_type = KeyType::P256;
  auto bundle = createCa(settings, "https test CA passphrase");
  REQUIRE(bundle);
  auto ca = CertificateAuthority::load(settings, *bundle, "https test CA passphrase");
  REQUIRE(ca);
  SubjectFields node;
  node.common_name = "tsa.laocai.example";
  node.organ_id = "000.00.00.H41";
  IssueOptions on_loopback;
  on_loopback.ip_addresses = {"127.0.0.1"};
  auto cred = ca->generate(CertProfile::NodeTls, node, KeyType::P256, "p12 passphrase", on_loopback);
  REQUIRE(cred);
  auto server_key = SigningKey::fromPkcs12(cred->pkcs12, "p12 passphrase");
  REQUIRE(server_key);
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> server(SSL_CTX_new(TLS_server_method()),
                                                          SSL_CTX_free);
  REQUIRE(server);
  REQUIRE(SSL_CTX_use_certificate(server.get(), server_key->certificate()) == 1);
  REQUIRE(SSL_CTX_use_PrivateKey(server.get(), server_key->privateKey()) == 1);
  for (X509* c : server_key->chain()) REQUIRE(SSL_CTX_add1_chain_cert(server.get(), c) == 1);

  const TestCert tsa_cert = tsaCert(&pki().root);
  auto tsa_key = SigningKey::fromPem(tsa_cert.keyPem(""), "", tsa_cert.certPem());
  REQUIRE(tsa_key);
  const LocalTsa tsa(*tsa_key);
  const std::string crl_bytes = "CRL bytes served over TLS";
  LoopbackHttp https(
      3,
      [&](const std::string& body) {
        if (body.empty()) return crl_bytes;  // a GET
        auto resp = tsa.respond(body);
        return resp ? *resp : std::string();
      },
      server.get());

  const HttpFetch trusting = defaultHttpFetch(ca->rootCertPem());
  TsaClient client([&](std::string_view req) {
    return trusting(HttpRequest{https.url("/tsa"), std::string(req),
                                "application/timestamp-query", std::chrono::seconds(5)});
  });
  auto token = client.timestamp("công văn");
  REQUIRE(token);
  CHECK(verifyTimeStampToken(*token, "công văn", trust()).has_value());
  auto crl = trusting(HttpRequest{https.url("/issuing.crl"), "", "", std::chrono::seconds(5)});
  REQUIRE(crl);
  CHECK(*crl == crl_bytes);

  // A client that does not trust the server's CA refuses the connection.
  const HttpFetch other = defaultHttpFetch(pki().root.certPem());
  auto refused = other(HttpRequest{https.url("/tsa"), "x", "application/timestamp-query",
                                   std::chrono::seconds(5)});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::Network);
  const auto heads = https.finish();
  REQUIRE(heads.size() == 2);
  CHECK(heads[0].starts_with("POST /tsa HTTP/1."));
  CHECK(heads[1].starts_with("GET /issuing.crl HTTP/1."));
}
