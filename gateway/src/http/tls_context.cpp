#include "tls_context.h"

#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>

#include <filesystem>

namespace lienthong::gateway {

const char* const kCipherList = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL:!SHA1";

SslLibrary::SslLibrary() { Poco::Net::initializeSSL(); }
SslLibrary::~SslLibrary() { Poco::Net::uninitializeSSL(); }

Result<Poco::Net::Context::Ptr> makeTlsContext(bool server, const std::string& cert,
                                               const std::string& key, const std::string& ca) {
  namespace fs = std::filesystem;
  for (const auto& [what, path] : {std::pair{"certificate", cert}, {"private key", key},
                                   {"CA file", ca}}) {
    if (path.empty() && (server || std::string(what) == "CA file")) {
      return fail(ErrorCode::Config, std::string("TLS: no ") + what + " configured");
    }
    if (!path.empty() && !fs::exists(path)) {
      return fail(ErrorCode::Config, std::string("TLS: ") + what + " '" + path + "' does not exist");
    }
  }
  try {
    Poco::Net::Context::Params p;
    p.privateKeyFile = key;
    p.certificateFile = cert;
    p.caLocation = ca;
    p.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    p.verificationDepth = 9;
    p.loadDefaultCAs = false;
    // TLS 1.2: AEAD suites with forward secrecy only (no CBC, no SHA-1 MAC, no static RSA);
    // TLS 1.3 suites are all AEAD with (EC)DHE.
    p.cipherList = kCipherList;
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
        server ? Poco::Net::Context::TLS_SERVER_USE : Poco::Net::Context::TLS_CLIENT_USE, p);
    ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    ctx->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(server));
    if (server) ctx->enableSessionCache(true, "lienthong");
    return ctx;
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Config, "TLS: " + e.displayText());
  }
}

}  // namespace lienthong::gateway
