// HTTPS end to end: a throwaway PKI made in the test, a real Poco HTTPS server on loopback, and the
// webhook adapter and the axis client talking to it through ca_file.
#include <catch2/catch.hpp>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cctype>
#include <chrono>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/axis_memory.h"
#include "adapters/support.h"
#include "lienthong/adapters/axis_client.h"
#include "lienthong/adapters/axis_endpoint.h"
#include "lienthong/adapters/axis_http_handler.h"
#include "lienthong/adapters/hmac.h"
#include "lienthong/adapters/webhook_adapter.h"

using namespace lienthong;
using namespace lienthong::adapters;
using namespace adapters_test;

namespace {

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, decltype(&X509_EXTENSION_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

// A key pair and the certificate issued for it.
struct Issued {
  EvpPkeyPtr key{nullptr, &EVP_PKEY_free};
  X509Ptr cert{nullptr, &X509_free};
};

void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value), &X509_EXTENSION_free);
  REQUIRE(ext);
  REQUIRE(X509_add_ext(cert, ext.get(), -1) == 1);
}

// A P-256 certificate valid from an hour ago for a day. Without an issuer: a self-signed CA.
// With one: a TLS server certificate for `alt_names` (an OpenSSL subjectAltName value).
Issued issue(const std::string& common_name, const Issued* issuer, const char* alt_names = "") {
  Issued out;
  out.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(out.key);
  out.cert.reset(X509_new());
  REQUIRE(out.cert);
  X509* cert = out.cert.get();
  REQUIRE(X509_set_version(cert, X509_VERSION_3) == 1);
  std::random_device rd;
  REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(rd() >> 1) + 1) == 1);
  REQUIRE(X509_gmtime_adj(X509_getm_notBefore(cert), -3600));
  REQUIRE(X509_gmtime_adj(X509_getm_notAfter(cert), 86400));
  REQUIRE(X509_set_pubkey(cert, out.key.get()) == 1);
  X509_NAME* subject = X509_get_subject_name(cert);
  REQUIRE(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                     -1, -1, 0) == 1);
  X509* issuer_cert = issuer ? issuer->cert.get() : cert;
  REQUIRE(X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert)) == 1);
  addExtension(cert, issuer_cert, NID_subject_key_identifier, "hash");
  if (!issuer) {
    addExtension(cert, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    addExtension(cert, issuer_cert, NID_authority_key_identifier, "keyid:always");
    addExtension(cert, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert, issuer_cert, NID_key_usage, "critical,digitalSignature");
    addExtension(cert, issuer_cert, NID_ext_key_usage, "serverAuth");
    addExtension(cert, issuer_cert, NID_subject_alt_name, alt_names);
  }
  REQUIRE(X509_sign(cert, issuer ? issuer->key.get() : out.key.get(), EVP_sha256()) > 0);
  return out;
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string certPem(const Issued& issued) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(bio);
  REQUIRE(PEM_write_bio_X509(bio.get(), issued.cert.get()) == 1);
  return bioText(bio.get());
}

std::string keyPem(const Issued& issued) {
  BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(bio);
  REQUIRE(PEM_write_bio_PrivateKey(bio.get(), issued.key.get(), nullptr, nullptr, 0, nullptr,
                                   nullptr) == 1);
  return bioText(bio.get());
}

// The files of one test PKI: the DMS's CA, a server certificate it issued for 127.0.0.1 and
// localhost, one it issued for another host only, and an unrelated second CA.
struct PkiFiles {
  TempDir dir;
  fs::path ca, server_cert, server_key, other_host_cert, other_host_key, stranger_ca;

  PkiFiles() {
    const Issued ca_cert = issue("Lienthong test DMS CA", nullptr);
    const Issued server = issue("127.0.0.1", &ca_cert, "IP:127.0.0.1,DNS:localhost");
    const Issued other_host = issue("other.example", &ca_cert, "DNS:other.example");
    const Issued stranger = issue("Lienthong test stranger CA", nullptr);
    ca = write("ca.pem", certPem(ca_cert));
    server_cert = write("server.pem", certPem(server));
    server_key = write("server.key", keyPem(server));
    other_host_cert = write("other-host.pem", certPem(other_host));
    other_host_key = write("other-host.key", keyPem(other_host));
    stranger_ca = write("stranger-ca.pem", certPem(stranger));
  }

 private:
  fs::path write(const std::string& name, const std::string& pem) const {
    const fs::path p = dir.path() / name;
    writeFile(p, pem);
    return p;
  }
};

// LoopbackServer over TLS: a Poco HTTPServer on a SecureServerSocket at 127.0.0.1:<any port>
// presenting `cert`/`key`, stopped on destruction. Takes ownership of the factory.
class TlsLoopbackServer {
 public:
  TlsLoopbackServer(Poco::Net::HTTPRequestHandlerFactory* factory, const fs::path& cert,
                    const fs::path& key) {
    Poco::Net::HTTPRequestHandlerFactory::Ptr owned(factory);
    Poco::Net::Context::Ptr context =
        new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, key.string(), cert.string(), "",
                               Poco::Net::Context::VERIFY_NONE);
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0), 16, context);
    auto params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(4);
    params->setKeepAlive(false);
    params->setTimeout(Poco::Timespan(5, 0));
    server_ = std::make_unique<Poco::Net::HTTPServer>(owned, socket, params);
    server_->start();
    port_ = server_->port();
  }
  ~TlsLoopbackServer() { server_->stopAll(true); }
  TlsLoopbackServer(const TlsLoopbackServer&) = delete;
  TlsLoopbackServer& operator=(const TlsLoopbackServer&) = delete;

  std::string url(const std::string& path = "") const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  Poco::UInt16 port_ = 0;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

constexpr const char* kWebhookSecret = "webhook-secret-0123456789";

std::unique_ptr<WebhookAdapter> webhook(const std::string& url, const fs::path& ca_file) {
  WebhookSettings s;
  s.url = url;
  s.secret = kWebhookSecret;
  s.timeout_ms = 5000;
  s.ca_file = ca_file.string();
  auto a = WebhookAdapter::create(s);
  REQUIRE(a);
  return std::move(*a);
}

// A delivery refused before any byte reached the DMS: retried later, with a message that names
// the URL and says the certificate was the problem.
void checkRefusedForCertificate(const DeliveryResult& result, const std::string& url) {
  INFO(result.error.message);
  CHECK(result.kind == DeliveryResult::Kind::RetryLater);
  CHECK(result.error.code == ErrorCode::Network);
  CHECK(result.error.message.starts_with("POST " + url + ": "));
  CHECK(lower(result.error.message).find("certificate") != std::string::npos);
}

}  // namespace

TEST_CASE("webhook over https delivers the original bytes, signed, when ca_file names the DMS's CA") {
  const PkiFiles pki;
  Recorder recorder;
  TlsLoopbackServer server(new RecordingFactory(recorder), pki.server_cert, pki.server_key);
  auto adapter = webhook(server.url("/hook"), pki.ca);
  const std::string bytes = packageBytes();
  Delivery d{1001, "000.00.31.H41", "000.00.00.H41", documentIdOf(bytes),
             schemas::MessageKind::Document, bytes};

  const auto result = adapter->deliver(d);
  CHECK(result.kind == DeliveryResult::Kind::Delivered);
  CHECK(result.error.message.empty());

  const auto seen = recorder.snapshot();
  REQUIRE(seen.size() == 1);
  const Seen& req = seen.front();
  CHECK(req.method == "POST");
  CHECK(req.uri == "/hook");
  CHECK(req.content_type == "application/xml");
  CHECK(req.body == bytes);
  CHECK(req.headers.at("X-Lienthong-Delivery") == "1001");
  CHECK(req.headers.at("X-Lienthong-Kind") == "document");
  CHECK(req.headers.at("X-Lienthong-Recipient") == "000.00.31.H41");
  CHECK(req.headers.at("X-Lienthong-Signature").starts_with("sha256="));
  CHECK(verifyWebhook(kWebhookSecret, req.headers.at("X-Lienthong-Timestamp"), "1001", req.body,
                      req.headers.at("X-Lienthong-Signature"), std::chrono::system_clock::now()));
  CHECK_FALSE(verifyWebhook("another-secret-0123456789", req.headers.at("X-Lienthong-Timestamp"),
                            "1001", req.body, req.headers.at("X-Lienthong-Signature"),
                            std::chrono::system_clock::now()));
}

TEST_CASE("webhook over https refuses a DMS certificate that does not chain to the configured CA") {
  const PkiFiles pki;
  Recorder recorder;
  TlsLoopbackServer server(new RecordingFactory(recorder), pki.server_cert, pki.server_key);
  const std::string url = server.url("/hook");
  const std::string bytes = packageBytes();
  Delivery d{7, "000.00.31.H41", "000.00.00.H41", documentIdOf(bytes),
             schemas::MessageKind::Document, bytes};

  SECTION("no ca_file: only the system's CAs, which never issued the test CA") {
    checkRefusedForCertificate(webhook(url, "")->deliver(d), url);
  }
  SECTION("ca_file names another CA") {
    checkRefusedForCertificate(webhook(url, pki.stranger_ca)->deliver(d), url);
  }
  SECTION("ca_file names a file that does not exist") {
    const fs::path missing = pki.dir.path() / "missing-ca.pem";
    const auto result = webhook(url, missing)->deliver(d);
    CHECK(result.kind == DeliveryResult::Kind::RetryLater);
    CHECK(result.error.code == ErrorCode::Network);
    CHECK(result.error.message.find(missing.string()) != std::string::npos);
  }
  CHECK(recorder.snapshot().empty());
}

TEST_CASE("webhook over https refuses a certificate from the right CA issued for another host") {
  const PkiFiles pki;
  Recorder recorder;
  TlsLoopbackServer server(new RecordingFactory(recorder), pki.other_host_cert,
                           pki.other_host_key);
  const std::string url = server.url("/hook");
  const std::string bytes = statusBytes();
  Delivery d{8, "000.00.00.H41", "000.00.31.H41", "doc", schemas::MessageKind::Status, bytes};

  checkRefusedForCertificate(webhook(url, pki.ca)->deliver(d), url);
  CHECK(recorder.snapshot().empty());
}

namespace {

std::unique_ptr<AxisClient> axisClient(const std::string& url, const fs::path& ca_file) {
  AxisClientSettings s;
  s.url = url;
  s.client_id = kAxisClient;
  s.secret = kAxisSecret;
  s.organ_ids = {"G22"};
  s.timeout_ms = 5000;
  s.ca_file = ca_file.string();
  auto c = AxisClient::create(s, schemaSet());
  REQUIRE(c);
  return std::move(*c);
}

}  // namespace

TEST_CASE("axis client over https sends, lists, gets and settles with ca_file, and only with it") {
  const PkiFiles pki;
  MemoryAxisBackend backend;
  const std::string incoming = packageBytes(321, "G22");
  backend.addIncoming("A1", incoming, schemas::MessageKind::Document);
  AxisEndpoint endpoint(backend, {"/axis", 1u << 20, {}});
  TlsLoopbackServer server(new AxisHandlerFactory(endpoint), pki.server_cert, pki.server_key);
  const std::string bytes = packageBytes();
  Delivery d{88, "G22", kAxisProvince, documentIdOf(bytes), schemas::MessageKind::Document, bytes};

  auto stranger = axisClient(server.url("/axis"), pki.stranger_ca);
  const auto refused = stranger->deliver(d);
  CHECK(refused.kind == DeliveryResult::Kind::RetryLater);
  CHECK(refused.error.message.starts_with("POST " + server.url("/axis") + "/sendEdoc: "));
  CHECK(lower(refused.error.message).find("certificate") != std::string::npos);
  auto refused_poll = stranger->poll(10);
  REQUIRE_FALSE(refused_poll);
  CHECK(refused_poll.error().code == ErrorCode::Network);
  REQUIRE(backend.snapshot().size() == 1);

  auto axis = axisClient(server.url("/axis"), pki.ca);
  CHECK(axis->deliver(d).kind == DeliveryResult::Kind::Delivered);
  auto polled = axis->poll(10);
  REQUIRE(polled);
  REQUIRE(polled->size() == 1);
  CHECK((*polled)[0].ref == "A1");
  CHECK((*polled)[0].bytes == incoming);
  CHECK((*polled)[0].sender == "G22");
  CHECK((*polled)[0].content_hash == sha256Hex(incoming));
  REQUIRE(axis->settle("A1", Verdict::accept()));

  const auto entries = backend.snapshot();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].receipt == "done");
  CHECK(entries[1].bytes == bytes);
  CHECK(entries[1].from == kAxisProvince);
  auto after = axis->poll(10);
  REQUIRE(after);
  CHECK(after->empty());
}
