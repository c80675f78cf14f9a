#include "node_impl.h"

#include <fstream>
#include <iterator>

#include "lienthong/signing/certificate_validator.h"
#include "lienthong/signing/signing_key.h"

namespace lienthong::gateway {

using namespace node_parts;
namespace fs = std::filesystem;

namespace {

void addCertificates(std::vector<NodeGauges::Certificate>& out, const std::string& kind, const std::string& path) {
  if (path.empty()) return;
  for (const auto& f : signing::certificateFilesIn(path)) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    auto certs = signing::describeCertificates(bytes);
    if (!certs) continue;
    for (const auto& c : *certs) out.push_back({kind, c.sha256.substr(0, 16), c.not_after_unix});
  }
}

}  // namespace

std::vector<NodeGauges::Certificate> nodeCertificates(const NodeConfig& c) {
  std::vector<NodeGauges::Certificate> out;
  addCertificates(out, "tls", c.http.cert_file);
  addCertificates(out, "tls_ca", c.http.ca_file);
  addCertificates(out, "trust", c.trust);
  if (!c.signing_key.empty()) {
    if (auto key = signing::SigningKey::load(c.signing_key, c.signing_passphrase, c.signing_cert)) {
      const auto info = signing::certificateInfo(key->certificate());
      out.push_back({"seal", info.sha256.substr(0, 16), info.not_after_unix});
    }
  }
  return out;
}

void Node::Impl::stored() {
  if (dispatcher) dispatcher->wake();
  if (!options.after_stored) return;
  {
    std::lock_guard lock(house_mu);
    house_dirty = true;
  }
  house_cv.notify_one();
}

void Node::Impl::housekeeping() {
  const auto every = std::chrono::milliseconds(std::max(options.housekeeping_ms, 10));
  std::unique_lock lock(house_mu);
  while (!house_stop) {
    house_cv.wait_for(lock, every, [this] { return house_dirty || house_stop; });
    if (house_stop) break;
    house_dirty = false;
    lock.unlock();
    if (auto r = options.after_stored(); !r) log("housekeeping failed", "", r.error().describe());
    lock.lock();
  }
}

void Node::Impl::stopHousekeeping() {
  if (!housekeeper.joinable()) return;
  {
    std::lock_guard lock(house_mu);
    house_stop = true;
  }
  house_cv.notify_one();
  housekeeper.join();
}

// Damage the quick check at start cannot see (bytes inside a message): every stored message is
// checked against its content_hash once, in the background, so /healthz and the audit log say
// it without waiting for someone to ask for that message.
void Node::Impl::scanStore() {
  std::int64_t after = 0;
  while (!scan_stop) {
    auto last = store->verifyMessages(after, 200);
    if (!last || *last == after) break;
    after = *last;
  }
  if (auto w = store->probeWrite(); !w && w.error().message.find("is damaged") != std::string::npos) {
    log("store damage", "", w.error().message);
  }
}

void Node::Impl::log(const std::string& event, const std::string& document_id, const std::string& detail) {
  if (options.log == nullptr) return;
  Poco::JSON::Object o;
  o.set("ts", timestampVn(nowMs()));
  o.set("node", config.name);
  o.set("event", event);
  o.set("document_id", document_id);
  o.set("detail", detail);
  std::lock_guard lock(log_mu);
  *options.log << stringify(o) << "\n" << std::flush;
}

// The adapter poller runs once a unit homed here has an adapter (at start or after a reload).
void Node::Impl::startAdapterPoller() {
  if (adapters->size() == 0 || config.adapter_poll_ms <= 0) return;
  adapters->start(
      [this](const std::string& bytes, const Credential& who, MessageKind kind) {
        return intake->submit(bytes, who, "", kind);
      },
      [this](const std::string& event, const std::string& doc, const std::string& detail) {
        log(event, doc, detail);
      },
      config.adapter_poll_ms);
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Node::~Node() { stop(); }

void Node::stop() {
  if (!impl_) return;
  if (impl_->server) impl_->server->stop();
  if (impl_->axis_http) {
    impl_->axis_http->stopAll(true);
    impl_->axis_http.reset();
  }
  if (impl_->adapters) impl_->adapters->stop();
  if (impl_->dispatcher) impl_->dispatcher->stop();
  impl_->scan_stop = true;
  if (impl_->scanner.joinable()) impl_->scanner.join();
  impl_->stopHousekeeping();
  if (impl_->checkpointer) {
    impl_->checkpointer->stop();
    (void)impl_->checkpointer->checkpointNow();  // the head at shutdown is pinned too
  }
}

Result<std::optional<AuditCheckpoint>> Node::checkpointAudit() {
  if (!impl_->checkpointer) return fail(ErrorCode::Config, "this node has no key to sign checkpoints with");
  return impl_->checkpointer->checkpointNow();
}

int Node::port() const { return impl_->server->port(); }
int Node::axisHttpPort() const {
  return impl_->axis_http ? impl_->axis_http->port() : 0;
}
std::string Node::url() const {
  return "https://" + impl_->config.http.host + ":" + std::to_string(port());
}
const std::string& Node::name() const { return impl_->config.name; }
Store& Node::store() { return *impl_->store; }
Metrics& Node::metrics() { return impl_->metrics; }

Result<DirectoryReload> Node::reloadDirectory(std::shared_ptr<const schemas::Directory> next) {
  if (!next) return fail(ErrorCode::InvalidArgument, "no directory given");
  return impl_->reload(std::move(next), "operator");
}

Result<DirectoryReload> Node::reloadDirectory() { return impl_->reloadFile("operator"); }

std::expected<IntakeOutcome, IntakeRefusal> Node::submitInternal(const std::string& bytes,
                                                                 MessageKind kind) {
  return impl_->intake->submit(bytes, Credential{Role::System, impl_->config.name, "internal"}, "",
                               kind);
}

Result<std::unique_ptr<Node>> Node::start(const NodeConfig& config, NodeOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->options = std::move(options);
  auto schemas = schemas::SchemaSet::load();
  if (!schemas) return std::unexpected(schemas.error());
  impl->schemas = *schemas;
  if (impl->options.directory) {
    impl->directory = impl->options.directory;
  } else {
    auto dir = schemas::Directory::loadFile(config.directory_file, **schemas);
    if (!dir) {
      return fail(ErrorCode::Config, config.source + ": directory.file: '" + config.directory_file +
                                         "': " + dir.error().describe());
    }
    impl->directory = schemas::LiveDirectory::make(std::make_shared<const schemas::Directory>(std::move(*dir)));
  }
  const auto directory = impl->directory->current();  // the version the node starts on
  auto& c = impl->config;
  if (c.name.empty()) {
    for (const auto& n : directory->nodes()) {
      if (n.parent.empty()) {
        c.name = n.name;
        break;
      }
    }
  }
  if (directory->node(c.name) == nullptr) {
    return fail(ErrorCode::Config, config.source + ": node.name: '" + c.name +
                                       "' is not a node of the directory " + directory->version());
  }
  std::error_code ec;
  fs::create_directories(c.data_dir, ec);
  if (ec) return fail(ErrorCode::Config, config.source + ": node.data: cannot create '" + c.data_dir + "': " + ec.message());
  if (c.http.cert_file.empty()) {
    return fail(ErrorCode::Config, config.source + ": tls.cert: required (the node's TLS certificate; "
                                   "`lienthong serve --dev` makes a development PKI)");
  }
  if (c.trust.empty() && !impl->options.verifier) {
    return fail(ErrorCode::Config, config.source + ": trust.dir: required (signatures are checked "
                                   "against their own trust list, never against tls.ca)");
  }
  auto store = openSqliteStore((fs::path(c.data_dir) / "store.sqlite").string());
  if (!store) return std::unexpected(store.error());
  impl->store = std::move(*store);
  impl->routing = std::make_shared<const RoutingTable>(impl->directory, c.name);
  std::shared_ptr<const EnvelopeChecker> verifier = impl->options.verifier;
  if (!verifier) {
    auto v = makeXmlChecker(c.trust, c.signature, impl->routing,
                            c.http.max_body);
    if (!v) return fail(ErrorCode::Config, config.source + ": " + v.error().message);
    verifier = std::move(*v);
  }
  impl->checker = makePolicyChecker(c.signature.allow_unsigned, verifier);
  std::string key = c.signing_key, cert = c.signing_cert;
  if (impl->options.signer) {
    impl->signer = impl->options.signer;
  } else {
    if (key.empty()) {
      return fail(ErrorCode::Config, config.source + ": signing.key: required (the node signs "
                                     "the statuses it issues)");
    }
    auto signer = makeXmlSigner(key, c.signing_passphrase, cert);
    if (!signer) return fail(ErrorCode::Config, config.source + ": " + signer.error().message);
    impl->signer = std::move(*signer);
  }
  if (!key.empty()) {
    auto cms = makeCmsSigner(key, c.signing_passphrase, cert);
    if (!cms) return fail(ErrorCode::Config, config.source + ": " + cms.error().message);
    impl->checkpointer = std::make_unique<AuditCheckpointer>(
        *impl->store, c.name, std::move(*cms), c.audit_checkpoint_every, c.audit_checkpoint_minutes,
        (fs::path(c.data_dir) / kCheckpointFileName).string());
  }
  impl->adapters = std::make_unique<AdapterHub>(c.name, impl->schemas);
  if (auto a = impl->adapters->reload(*directory); !a) {
    return fail(ErrorCode::Config, config.source + ": directory " + directory->version() + ": " +
                                       a.error().message);
  }
  Impl* self = impl.get();
  impl->intake = std::make_unique<Intake>(c.http.max_body, impl->schemas, impl->routing,
                                          *impl->store, impl->checker, impl->metrics,
                                          [self] { self->stored(); });
  if (!c.axis_clients.empty()) {
    auto clients = loadAxisSystems(c);
    if (!clients) return std::unexpected(clients.error());
    // A system collects what reaches its units' mailboxes here: each must be one of them.
    for (const auto& [id, system] : *clients) {
      for (const auto& unit : system.units) {
        const schemas::Unit* u = directory->find(unit);
        const std::string where = config.source + ": axis.clients: system '" + id + "': unit '" + unit + "' ";
        if (u == nullptr) return fail(ErrorCode::Config, where + "is not in directory " + directory->version());
        if (u->home_node != c.name) {
          return fail(ErrorCode::Config, where + "is homed at node '" + u->home_node +
                                             "', not here ('" + c.name + "')");
        }
        if (u->channel != schemas::Channel::Mailbox) {
          return fail(ErrorCode::Config, where + "has channel '" +
                                             std::string(schemas::channelName(u->channel)) +
                                             "'; a unit served through /axis needs channel 'mailbox'");
        }
      }
    }
    impl->axis_backend = std::make_unique<StoreAxisBackend>(
        std::move(*clients), *impl->store, *impl->intake, impl->routing);
    adapters::AxisEndpointOptions axis_options;
    axis_options.prefix = "/axis";
    axis_options.max_body = c.http.max_body;
    axis_options.on_refusal = [self](std::string_view op, std::string_view system,
                                     std::string_view code, std::string_view desc) {
      self->log("axis refused", "", std::string(op) + " from system '" + std::string(system) +
                                        "': ErrorCode " + std::string(code) + ": " + std::string(desc));
    };
    impl->axis = std::make_shared<const adapters::AxisEndpoint>(*impl->axis_backend, axis_options);
  }
  impl->peers = std::make_unique<PeerPool>(TlsFiles{c.http.cert_file, c.http.key_file, c.http.ca_file},
                                           c.peer_timeout_ms);
  impl->dispatcher = std::make_unique<Dispatcher>(
      c.dispatch, c.name, *impl->store, impl->directory, *impl->peers, impl->metrics,
      [self](const Delivery& d, const StoredMessage& m) { return self->deliverLocal(d, m); },
      [self](const Delivery& d, const StoredMessage& m, const std::string& reason) {
        self->deliveryFailed(d, m, reason);
      });
  impl->certificates = nodeCertificates(c);
  auto server = HttpServer::start(c.http, impl->makeRoutes(),
                                  [self](const std::string& method, const std::string& route, int status,
                                         double seconds) { self->metrics.request(method, route, status, seconds); });
  if (!server) {
    return fail(ErrorCode::Config, config.source + ": node.listen: " + server.error().message);
  }
  impl->server = std::move(*server);
  if (impl->axis && !c.axis_http_host.empty()) {
    try {
      Poco::Net::ServerSocket socket;  // no SO_REUSEPORT: a second server on this port must fail
      socket.bind(Poco::Net::SocketAddress(c.axis_http_host, static_cast<Poco::UInt16>(c.axis_http_port)),
                  true, false);
      socket.listen(64);
      auto params = new Poco::Net::HTTPServerParams;
      params->setMaxThreads(std::max(2, c.http.max_connections / 4));
      params->setTimeout(Poco::Timespan(static_cast<long>(c.http.read_timeout_ms) * 1000));
      impl->axis_http = std::make_unique<Poco::Net::HTTPServer>(
          new adapters::AxisHandlerFactory(*impl->axis), socket, params);
      impl->axis_http->start();
    } catch (const Poco::Exception& e) {
      return fail(ErrorCode::Config, config.source + ": axis.http_listen: " + e.displayText());
    }
  }
  if (impl->options.start_dispatcher) impl->dispatcher->start();
  {
    std::lock_guard lock(impl->reload_mu);
    impl->startAdapterPoller();
  }
  if (impl->checkpointer) impl->checkpointer->start();
  impl->scanner = std::thread([self] { self->scanStore(); });
  if (impl->options.after_stored) {
    {
      std::lock_guard lock(self->house_mu);
      self->house_dirty = true;  // catch up with what was stored before this start
    }
    impl->housekeeper = std::thread([self] { self->housekeeping(); });
  }
  impl->log("started", "", "listening on port " + std::to_string(impl->server->port()));
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

}  // namespace lienthong::gateway
