#include "lienthong/gateway/http/https_client.h"

#include <Poco/Exception.h>

#include <chrono>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include "tls_context.h"

namespace lienthong::gateway {

namespace {

// Poco 1.11's secure connect bounds the TCP connect only; its handshake then waits on each read
// for the receive timeout, several times over, or for ever without one. This session connects
// with the deadline, runs the TLS handshake on the non-blocking socket polling against what is
// left of the same deadline, checks the peer's name, and only then sets the send and receive
// deadlines for the requests: a peer that accepts TCP and never answers costs one deadline.
class DeadlineSession final : public Poco::Net::HTTPSClientSession {
 public:
  DeadlineSession(const std::string& host, Poco::UInt16 port, Poco::Net::Context::Ptr ctx,
                  Poco::Timespan timeout)
      : HTTPSClientSession(host, port, ctx), ctx_(std::move(ctx)), timeout_(timeout) {
    setTimeout(timeout);
  }

 protected:
  void connect(const Poco::Net::SocketAddress& address) override {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::microseconds(timeout_.totalMicroseconds());
    Poco::Net::StreamSocket raw;
    raw.connect(address, timeout_);  // TCP, with the deadline
    // Non-blocking before the TLS layer goes on it: Poco then leaves the handshake to us.
    raw.setBlocking(false);
    Poco::Net::SecureStreamSocket sss = Poco::Net::SecureStreamSocket::attach(raw, getHost(), ctx_);
    while (true) {
      const int rc = sss.completeHandshake();
      if (rc == 1) break;
      const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        throw Poco::TimeoutException("TLS handshake with " + getHost() + ":" +
                                     std::to_string(getPort()) + " not done within " +
                                     std::to_string(timeout_.totalMilliseconds()) + " ms");
      }
      const int mode = rc == Poco::Net::SecureStreamSocket::ERR_SSL_WANT_WRITE
                           ? Poco::Net::Socket::SELECT_WRITE
                           : Poco::Net::Socket::SELECT_READ;
      (void)raw.poll(Poco::Timespan(left.count()), mode);
    }
    raw.setBlocking(true);
    raw.setReceiveTimeout(timeout_);
    raw.setSendTimeout(timeout_);
    raw.setNoDelay(true);
    sss.verifyPeerCertificate();  // the host name, as Poco's own connect checks it
    attachSocket(sss);
  }

 private:
  Poco::Net::Context::Ptr ctx_;
  Poco::Timespan timeout_;
};

}  // namespace

struct HttpsClient::Impl {
  SslLibrary ssl;
  std::unique_ptr<Poco::Net::HTTPSClientSession> session;
  std::string bearer;
  bool used = false;  // a request went through: a failure may be a kept-alive connection closed
};

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsClient::~HttpsClient() = default;

Result<std::unique_ptr<HttpsClient>> HttpsClient::open(const std::string& base_url,
                                                       const TlsFiles& tls, int timeout_ms) {
  auto impl = std::make_unique<Impl>();
  auto ctx = makeTlsContext(false, tls.cert, tls.key, tls.ca);
  if (!ctx) return std::unexpected(ctx.error());
  try {
    Poco::URI uri(base_url);
    if (uri.getScheme() != "https") {
      return fail(ErrorCode::Config, "'" + base_url + "' is not an https:// URL");
    }
    impl->session = std::make_unique<DeadlineSession>(
        uri.getHost(), uri.getPort(), *ctx,
        Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(timeout_ms) * 1000));
    impl->session->setKeepAlive(true);
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Config, "'" + base_url + "': " + e.displayText());
  }
  return std::unique_ptr<HttpsClient>(new HttpsClient(std::move(impl)));
}

void HttpsClient::setBearer(std::string token) { impl_->bearer = std::move(token); }

Result<ClientResponse> HttpsClient::request(const std::string& method, const std::string& path,
                                            const std::string& body,
                                            const std::string& content_type,
                                            const std::map<std::string, std::string>& headers) {
  // A kept-alive connection the server already closed fails on first use: try once more.
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
      req.setKeepAlive(true);
      if (!impl_->bearer.empty()) req.set("Authorization", "Bearer " + impl_->bearer);
      for (const auto& [k, v] : headers) req.set(k, v);
      if (!body.empty() || method == "POST" || method == "PUT") {
        req.setContentType(content_type);
        req.setContentLength(static_cast<std::streamsize>(body.size()));
      }
      std::ostream& os = impl_->session->sendRequest(req);
      os.write(body.data(), static_cast<std::streamsize>(body.size()));
      Poco::Net::HTTPResponse resp;
      std::istream& is = impl_->session->receiveResponse(resp);
      ClientResponse out;
      out.status = static_cast<int>(resp.getStatus());
      out.content_type = resp.getContentType();
      Poco::StreamCopier::copyToString(is, out.body);
      impl_->used = true;
      return out;
    } catch (const Poco::Exception& e) {
      impl_->session->reset();
      // Only a connection that served before is tried again, and not after a deadline passed:
      // a silent peer costs one deadline, not two.
      const bool stale = impl_->used && dynamic_cast<const Poco::TimeoutException*>(&e) == nullptr;
      impl_->used = false;
      if (attempt == 1 || !stale) {
        return fail(ErrorCode::Network, method + " " + impl_->session->getHost() + ":" +
                                            std::to_string(impl_->session->getPort()) + path +
                                            ": " + e.displayText());
      }
    }
  }
  return fail(ErrorCode::Network, "unreachable");
}

Result<std::unique_ptr<HttpsClient>> PeerPool::acquire(const std::string& url) {
  {
    std::lock_guard lock(mu_);
    auto& idle = idle_[url];
    if (!idle.empty()) {
      auto c = std::move(idle.back());
      idle.pop_back();
      return c;
    }
  }
  return HttpsClient::open(url, tls_, timeout_ms_);
}

void PeerPool::release(const std::string& url, std::unique_ptr<HttpsClient> client) {
  std::lock_guard lock(mu_);
  idle_[url].push_back(std::move(client));
}

std::string urlEncode(const std::string& text) {
  std::string out;
  Poco::URI::encode(text, "/?#&=+,;:@$!'()*[] %", out);
  return out;
}

}  // namespace lienthong::gateway
