#include "lienthong/gateway/http/http_server.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/ThreadPool.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "lienthong/gateway/http/http_error.h"
#include "tls_context.h"
#include "tls_revocation.h"

namespace lienthong::gateway {

HttpResponse HttpResponse::json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::error(const Error& e, const std::string& extra_json) {
  return json(httpStatus(e.code), errorJson(e, extra_json));
}

void HttpRoutes::add(HttpRoute route) { routes_.push_back(std::move(route)); }

const HttpRoute* HttpRoutes::match(const std::string& method, const std::string& path,
                                   bool& path_exists) const {
  path_exists = false;
  const HttpRoute* best = nullptr;
  for (const auto& r : routes_) {
    const bool hit = r.prefix ? path.starts_with(r.path) && path.size() > r.path.size()
                              : path == r.path;
    if (!hit) continue;
    path_exists = true;
    if (r.method != method) continue;
    // An exact route wins over a prefix; a longer prefix over a shorter one.
    if (best == nullptr || (!r.prefix && best->prefix) ||
        (r.prefix && best->prefix && r.path.size() > best->path.size())) {
      best = &r;
    }
  }
  return best;
}

namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// The credential of the request's client certificate: a role only when auth.certificates names
// the certificate; an error when tls.crl says it is revoked or cannot say it is not.
Result<Credential> certificateCredential(HTTPServerRequest& req, const HttpServerConfig& config,
                                         const ClientRevocation* revocation) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  if (impl == nullptr) return Credential{};
  try {
    Poco::Net::SecureStreamSocket ss(impl->socket());
    if (!ss.havePeerCertificate()) return Credential{};
    const Poco::Net::X509Certificate cert = ss.peerCertificate();
    if (revocation != nullptr) {
      if (auto r = revocation->check(cert.certificate()); !r) return std::unexpected(r.error());
    }
    return certificateIdentity(cert.certificate(), config.certificate_rules);
  } catch (const Poco::Exception&) {
    return Credential{};
  }
}

// Framing a proxy in front could read differently is refused: Content-Length headers that
// differ, a Transfer-Encoding other than exactly "chunked", or both headers at once.
Result<void> checkFraming(const HTTPServerRequest& req) {
  std::string length;
  int te = 0;
  bool has_length = false;
  for (const auto& [k, v] : req) {
    const std::string name = Poco::toLower(k);
    if (name == "content-length") {
      if (has_length && v != length) {
        return fail(ErrorCode::InvalidArgument, "two different Content-Length headers ('" + length +
                                                    "' and '" + v + "')");
      }
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) {
        return fail(ErrorCode::InvalidArgument, "Content-Length '" + v + "' is not a number");
      }
      has_length = true;
      length = v;
    } else if (name == "transfer-encoding") {
      ++te;
      if (Poco::toLower(v) != "chunked") {
        return fail(ErrorCode::InvalidArgument, "Transfer-Encoding '" + v +
                                                    "' refused: only exactly 'chunked' is accepted");
      }
    }
  }
  if (te > 1) return fail(ErrorCode::InvalidArgument, "more than one Transfer-Encoding header");
  if (te == 1 && has_length) {
    return fail(ErrorCode::InvalidArgument, "both Content-Length and Transfer-Encoding: the body's "
                                            "length would be ambiguous");
  }
  return {};
}

class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  // `phase(true)`: the request was read (the handler's own work has no client deadline);
  // `phase(false)`: the answer is being written (write_timeout_ms).
  RequestHandler(std::shared_ptr<const HttpRoutes> routes, const HttpServerConfig& config,
                 const ClientRevocation* revocation, std::function<void(bool)> phase,
                 const RequestObserver* observer = nullptr)
      : routes_(std::move(routes)),
        config_(config),
        revocation_(revocation),
        phase_(std::move(phase)),
        observer_(observer) {}

  void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
    const auto started = std::chrono::steady_clock::now();
    struct Observe {
      RequestHandler& h;
      HTTPServerRequest& req;
      const std::chrono::steady_clock::time_point& started;
      int status = 0;
      ~Observe() {
        if (h.observer_ == nullptr || !*h.observer_) return;
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        try {
          (*h.observer_)(req.getMethod(), h.route_path_, status, s);
        } catch (...) {
          // metrics never break an answer
        }
      }
    } observe{*this, req, started};
    resp_ = &resp;
    HttpResponse out;
    bool close = false;
    try {
      out = dispatch(req, close);
      // A refusal answered before the body was read leaves it on the wire: close, so the next
      // request on this connection is not parsed from the middle of it.
      const bool has_body = (req.hasContentLength() && req.getContentLength64() > 0) ||
                            req.getChunkedTransferEncoding();
      if (has_body && !body_read_) close = true;
    } catch (const Poco::Exception& e) {
      out = HttpResponse::error(httpError(ErrorCode::Internal, "internal error: " + e.displayText()));
      close = true;
    } catch (const std::exception& e) {
      out = HttpResponse::error(httpError(ErrorCode::Internal, std::string("internal error: ") + e.what()));
      close = true;
    }
    if (phase_) phase_(false);
    try {
      for (const auto& [k, v] : out.headers) {
        if (hasControlCharacter(k) || hasControlCharacter(v)) {
          // Never split a response: a value with CR or LF is not written, the answer is an error.
          out = HttpResponse::error(httpError(ErrorCode::Internal, "a response header value holds a "
                                                                   "control character; not sent"));
          close = true;
          break;
        }
      }
      observe.status = out.status;
      resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
      resp.setContentType(out.content_type);
      for (const auto& [k, v] : out.headers) resp.set(k, v);
      if (close) resp.setKeepAlive(false);
      resp.setContentLength(static_cast<std::streamsize>(out.body.size()));
      resp.send().write(out.body.data(), static_cast<std::streamsize>(out.body.size()));
      // A client waiting for "100 Continue" sends no body: nothing to drain.
      if (close && !body_read_ && (!req.getExpectContinue() || continued_)) lingerDrain(req);
    } catch (const Poco::Exception&) {
      // The client went away; nothing left to tell it.
    }
  }

 private:
  // Closing a socket with unread bytes makes the kernel send a reset, which can destroy the
  // refusal in flight to a client still writing its body. Read (and drop) a bounded amount first,
  // so the client sees the answer; what is beyond the bound is cut off.
  static void lingerDrain(HTTPServerRequest& req) {
    static constexpr std::size_t kMaxDrain = 2u << 20;
    try {
      std::istream& in = req.stream();
      char buf[16384];
      std::size_t total = 0;
      while (in && total < kMaxDrain) {
        in.read(buf, sizeof buf);
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) break;
        total += n;
      }
    } catch (const Poco::Exception&) {
      // The client stopped sending or went away: nothing more to drain.
    }
  }

  HttpResponse dispatch(HTTPServerRequest& req, bool& close) {
    std::size_t header_bytes = req.getURI().size();
    HttpRequest r;
    for (const auto& [k, v] : req) {
      header_bytes += k.size() + v.size() + 4;
      r.headers[Poco::toLower(k)] = v;
    }
    if (header_bytes > config_.max_header) {
      close = true;
      return HttpResponse::error(httpError(ErrorCode::HeadersTooLarge,
                                           "request headers are larger than " +
                                               std::to_string(config_.max_header) + " bytes"));
    }
    if (auto framing = checkFraming(req); !framing) {
      close = true;
      return HttpResponse::error(framing.error());
    }
    r.method = req.getMethod();
    r.peer_address = req.clientAddress().host().toString();
    const std::string& raw = req.getURI();
    const auto q = raw.find('?');
    try {
      Poco::URI::decode(raw.substr(0, q), r.path);
      if (q != std::string::npos) {
        Poco::URI uri(raw);
        for (const auto& [k, v] : uri.getQueryParameters()) r.query[k] = v;
      }
    } catch (const Poco::Exception& e) {
      return HttpResponse::error(httpError(ErrorCode::InvalidArgument,
                                           "the request's path or query does not decode: " + e.message()));
    }
    if (hasControlCharacter(r.path) ||
        std::any_of(r.query.begin(), r.query.end(), [](const auto& kv) {
          return hasControlCharacter(kv.first) || hasControlCharacter(kv.second);
        })) {
      return HttpResponse::error(httpError(ErrorCode::InvalidArgument,
                                           "the request's path or query holds a control character"));
    }
    bool path_exists = false;
    const HttpRoute* route = routes_->match(r.method, r.path, path_exists);
    if (route == nullptr) {
      return HttpResponse::error(
          path_exists ? httpError(ErrorCode::MethodNotAllowed, "method " + r.method + " not allowed on " + r.path)
                      : httpError(ErrorCode::NotFound, "no route " + r.path));
    }
    route_path_ = route->path;
    if (route->prefix) r.path_rest = r.path.substr(route->path.size());
    // A declared body over the limit is refused before anything else (and before any "100
    // Continue"), whoever asks.
    const std::size_t limit = route->max_body ? route->max_body : config_.max_body;
    if (req.hasContentLength() && req.getContentLength64() > static_cast<Poco::Int64>(limit)) {
      close = true;  // the body stays unread, so the connection cannot be reused
      return HttpResponse::error(httpError(ErrorCode::TooLarge,
                                       "the body is " + std::to_string(req.getContentLength64()) +
                                           " bytes; the limit is " + std::to_string(limit)));
    }

    auto cert = certificateCredential(req, config_, revocation_);
    if (!cert) return HttpResponse::error(cert.error());
    r.credential = *cert;
    const std::string auth = r.header("authorization");
    if (r.credential.role == Role::None && auth.starts_with("Bearer ")) {
      auto cred = verifyJwt(auth.substr(7), config_.token_clients);
      if (!cred) return HttpResponse::error(cred.error());
      r.credential = *cred;
    }
    if (!route->roles.empty()) {
      if (r.credential.role == Role::None) {
        return HttpResponse::error(httpError(ErrorCode::Unauthorized,
                                         "a client certificate or a bearer token is required"));
      }
      if (std::find(route->roles.begin(), route->roles.end(), r.credential.role) ==
          route->roles.end()) {
        return HttpResponse::error(httpError(ErrorCode::Forbidden,
                                         "role '" + std::string(roleName(r.credential.role)) +
                                             "' may not call " + r.method + " " + route->path));
      }
    }

    if (req.getExpectContinue()) {
      // Only now, with the credential and the declared size checked, is the body asked for.
      if (auto* impl = dynamic_cast<Poco::Net::HTTPServerResponseImpl*>(resp_); impl != nullptr) {
        impl->sendContinue();
        continued_ = true;
      }
    }
    if (req.hasContentLength() || req.getChunkedTransferEncoding()) {
      const auto start = std::chrono::steady_clock::now();
      std::istream& in = req.stream();
      char buf[16384];
      while (in) {
        in.read(buf, sizeof buf);
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) break;
        if (r.body.size() + n > limit) {
          close = true;
          return HttpResponse::error(httpError(ErrorCode::TooLarge,
                                           "the body is larger than the limit of " +
                                               std::to_string(limit) + " bytes"));
        }
        r.body.append(buf, n);
        if (std::chrono::steady_clock::now() - start >
            std::chrono::milliseconds(config_.read_timeout_ms)) {
          close = true;
          return HttpResponse::error(httpError(ErrorCode::RequestTimeout,
                                               "the body took longer than " +
                                                   std::to_string(config_.read_timeout_ms) +
                                                   " ms to arrive"));
        }
      }
    }
    body_read_ = true;
    if (phase_) phase_(true);
    return route->handler(r);
  }

  std::shared_ptr<const HttpRoutes> routes_;
  const HttpServerConfig& config_;
  const ClientRevocation* revocation_;  // null: tls.crl not set
  std::function<void(bool)> phase_;
  const RequestObserver* observer_ = nullptr;
  std::string route_path_;  // the matched route's path, for the observer
  HTTPServerResponse* resp_ = nullptr;  // for "100 Continue"
  bool continued_ = false;  // "100 Continue" was sent
  bool body_read_ = false;  // the whole body was consumed (one handler serves one request)
};

// Deadlines of the connections being served. A watchdog thread shuts a connection's socket down
// (both directions) once its deadline passes, which makes the read or write blocked on it fail at
// once; the connection's own loop then ends. Thread-safe.
class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  Watchdog() : thread_([this] { run(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  std::uint64_t add(int fd, int ms) {
    std::lock_guard lock(mu_);
    const std::uint64_t id = ++next_;
    entries_[id] = Entry{fd, Clock::now() + std::chrono::milliseconds(ms)};
    if (closing_) ::shutdown(fd, SHUT_RDWR);
    return id;
  }
  // A new deadline `ms` from now; ms < 0: none (the handler's own work is not a client's delay).
  void set(std::uint64_t id, int ms) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;
    it->second.deadline = ms < 0 ? Clock::time_point::max() : Clock::now() + std::chrono::milliseconds(ms);
  }
  // Called before the socket is closed: the descriptor is never touched after this.
  void remove(std::uint64_t id) {
    std::lock_guard lock(mu_);
    entries_.erase(id);
  }
  // Shuts every connection down (the server stops) and every one added later.
  void closeAll() {
    std::lock_guard lock(mu_);
    closing_ = true;
    for (auto& [id, e] : entries_) ::shutdown(e.fd, SHUT_RDWR);
  }
  std::uint64_t cut() const { return cut_.load(); }

 private:
  struct Entry {
    int fd;
    Clock::time_point deadline;
  };

  void run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(50));
      const auto now = Clock::now();
      for (auto& [id, e] : entries_) {
        if (e.deadline <= now) {
          ::shutdown(e.fd, SHUT_RDWR);
          e.deadline = Clock::time_point::max();
          cut_.fetch_add(1);
        }
      }
    }
  }

  std::mutex mu_;  // guards entries_, next_, stop_, closing_
  std::condition_variable cv_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_ = 0;
  bool stop_ = false;
  bool closing_ = false;
  std::atomic<std::uint64_t> cut_{0};
  std::thread thread_;
};

// How many connections each source address has open (served or being set up).
class AddressCount {
 public:
  explicit AddressCount(int max) : max_(max) {}
  bool full(const std::string& host) const {
    std::lock_guard lock(mu_);
    auto it = counts_.find(host);
    return it != counts_.end() && it->second >= max_;
  }
  void add(const std::string& host) {
    std::lock_guard lock(mu_);
    ++counts_[host];
  }
  void remove(const std::string& host) {
    std::lock_guard lock(mu_);
    if (--counts_[host] <= 0) counts_.erase(host);
  }

 private:
  int max_;
  mutable std::mutex mu_;  // guards counts_
  std::map<std::string, int> counts_;
};

// Refuses a connection from an address that already has max_per_address open, in the acceptor
// thread, before it is queued for a worker.
class AddressFilter final : public Poco::Net::TCPServerConnectionFilter {
 public:
  explicit AddressFilter(std::shared_ptr<AddressCount> counts) : counts_(std::move(counts)) {}
  bool accept(const Poco::Net::StreamSocket& socket) override {
    try {
      return !counts_->full(socket.peerAddress().host().toString());
    } catch (const Poco::Exception&) {
      return false;
    }
  }

 private:
  std::shared_ptr<AddressCount> counts_;
};

struct Shared {
  std::shared_ptr<const HttpRoutes> routes;
  HttpServerConfig config;
  std::shared_ptr<const ClientRevocation> revocation;
  Poco::Net::HTTPServerParams::Ptr params;
  std::shared_ptr<AddressCount> counts;
  RequestObserver observer;
  Watchdog watchdog;
  std::atomic<bool> stopping{false};
};

// One client connection: TLS handshake, then requests until the client or a limit ends it.
// Replaces Poco's HTTPServerConnection so that every phase runs under a deadline and "100
// Continue" is sent only after the request was checked.
class Connection final : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& socket, std::shared_ptr<Shared> shared)
      : Poco::Net::TCPServerConnection(socket), shared_(std::move(shared)) {
    try {
      host_ = this->socket().peerAddress().host().toString();
    } catch (const Poco::Exception&) {
      host_ = "?";
    }
    shared_->counts->add(host_);
  }
  ~Connection() override { shared_->counts->remove(host_); }

  void run() override {
    Watchdog& dog = shared_->watchdog;
    const auto& cfg = shared_->config;
    const std::uint64_t id = dog.add(socket().impl()->sockfd(), cfg.handshake_timeout_ms);
    try {
      serve(id);
    } catch (const Poco::Exception&) {
      // The client went away, sent garbage TLS, or a deadline cut it: nothing to answer.
    } catch (const std::exception&) {
    }
    dog.remove(id);
  }

 private:
  void serve(std::uint64_t id) {
    Watchdog& dog = shared_->watchdog;
    const auto& cfg = shared_->config;
    socket().setReceiveTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(cfg.read_gap_ms) * 1000));
    socket().setSendTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(cfg.write_timeout_ms) * 1000));
    Poco::Net::SecureStreamSocket tls(socket());
    tls.completeHandshake();
    dog.set(id, cfg.read_timeout_ms);
    Poco::Net::HTTPServerSession session(socket(), shared_->params);
    while (!shared_->stopping && session.hasMoreRequests()) {
      // The whole request, headers and body, within read_timeout_ms.
      dog.set(id, cfg.read_timeout_ms);
      Poco::Net::HTTPServerResponseImpl response(session);
      try {
        Poco::Net::HTTPServerRequestImpl request(response, session, shared_->params.get());
        response.setDate(Poco::Timestamp());
        response.setVersion(request.getVersion());
        response.setKeepAlive(request.getKeepAlive() && session.canKeepAlive());
        RequestHandler handler(shared_->routes, cfg, shared_->revocation.get(),
                               [&dog, id, &cfg](bool body_done) {
                                 dog.set(id, body_done ? -1 : cfg.write_timeout_ms);
                               },
                               &shared_->observer);
        handler.handleRequest(request, response);
        session.setKeepAlive(response.getKeepAlive() && session.canKeepAlive());
      } catch (const Poco::Net::NoMessageException&) {
        break;
      } catch (const Poco::Net::MessageException&) {
        // Headers that do not parse (or exceed Poco's field limits): 400, then close.
        sendBadRequest(session);
        break;
      }
      // Waiting for the next request on a kept-alive connection: keepalive_ms (the session's poll).
      dog.set(id, cfg.keepalive_ms + cfg.read_gap_ms);
    }
  }

  static void sendBadRequest(Poco::Net::HTTPServerSession& session) {
    try {
      Poco::Net::HTTPServerResponseImpl response(session);
      response.setVersion(Poco::Net::HTTPMessage::HTTP_1_1);
      const Error error = httpError(ErrorCode::InvalidArgument, "the request's headers do not parse");
      response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(httpStatus(error.code)));
      response.setKeepAlive(false);
      const std::string body = errorJson(error);
      response.setContentType("application/json");
      response.setContentLength(static_cast<std::streamsize>(body.size()));
      response.send() << body;
    } catch (const Poco::Exception&) {
    }
  }

  std::shared_ptr<Shared> shared_;
  std::string host_;
};

class ConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit ConnectionFactory(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new Connection(socket, shared_);
  }

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace

struct HttpServer::Impl {
  SslLibrary ssl;
  std::shared_ptr<Shared> shared;
  std::unique_ptr<Poco::ThreadPool> pool;
  std::unique_ptr<Poco::Net::TCPServer> server;
  int port = 0;
  bool stopped = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  if (impl_ && !impl_->stopped) {
    impl_->stopped = true;
    impl_->shared->stopping = true;
    impl_->server->stop();  // no more connections accepted
    impl_->shared->watchdog.closeAll();  // the open ones end now
    impl_->pool->joinAll();
    impl_->server.reset();  // closes the listening socket: peers see "refused", not a hang
  }
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerConfig& config,
                                                      std::shared_ptr<const HttpRoutes> routes,
                                                      RequestObserver observer) {
  auto impl = std::make_unique<Impl>();
  auto ctx = makeTlsContext(true, config.cert_file, config.key_file, config.ca_file);
  if (!ctx) return std::unexpected(ctx.error());
  std::shared_ptr<const ClientRevocation> revocation;
  if (!config.crl_file.empty()) {
    auto r = ClientRevocation::open(config.crl_file, config.ca_file);
    if (!r) return std::unexpected(r.error());
    revocation = std::move(*r);
  }
  try {
    // SO_REUSEADDR but never SO_REUSEPORT, which Poco's address constructors also set: with it a
    // second node started on the same port binds too and silently takes part of the connections.
    Poco::Net::SecureServerSocket socket(*ctx);
    socket.bind(Poco::Net::SocketAddress(config.host, static_cast<Poco::UInt16>(config.port)), true, false);
    socket.listen(256);
    impl->port = socket.address().port();
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(config.read_gap_ms) * 1000));
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(100000);
    params->setKeepAliveTimeout(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(config.keepalive_ms) * 1000));
    params->setMaxThreads(config.max_connections);
    params->setMaxQueued(config.max_connections);
    auto shared = std::make_shared<Shared>();
    shared->routes = std::move(routes);
    shared->config = config;
    shared->revocation = std::move(revocation);
    shared->observer = std::move(observer);
    shared->params = params;
    shared->counts = std::make_shared<AddressCount>(config.max_per_address);
    impl->shared = shared;
    impl->pool = std::make_unique<Poco::ThreadPool>(2, config.max_connections + 2);
    impl->server = std::make_unique<Poco::Net::TCPServer>(new ConnectionFactory(shared), *impl->pool,
                                                          socket, Poco::Net::TCPServerParams::Ptr(params.get(), true));
    impl->server->setConnectionFilter(new AddressFilter(shared->counts));
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return fail(ErrorCode::Config, "cannot listen on " + config.host + ":" +
                                       std::to_string(config.port) + ": " + e.displayText());
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace lienthong::gateway
