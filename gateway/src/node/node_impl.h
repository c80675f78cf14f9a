// Node::Impl, shared by the files of the node: node.cpp (the composition root, start and
// stop, housekeeping), node_delivery.cpp (local delivery and the statuses a node issues),
// node_api.cpp (the node's HTTP API) and node_reload.cpp (the directory reload). Private to the
// node room.
#pragma once

#include "lienthong/gateway/node/node.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <filesystem>
#include <optional>
#include <sstream>
#include <thread>

#include "adapter_hub.h"
#include "axis_backend.h"
#include "lienthong/adapters/axis_http_handler.h"
#include "lienthong/gateway/store/audit_log.h"
#include "lienthong/gateway/node/dispatcher.h"
#include "lienthong/gateway/node/handover.h"
#include "lienthong/gateway/http/http_error.h"
#include "lienthong/gateway/http/https_client.h"
#include "lienthong/gateway/http/json_fields.h"
#include "lienthong/gateway/node/routing.h"
#include "lienthong/gateway/node/signature.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::gateway {

using schemas::StatusCode;
using schemas::StatusMessage;

namespace node_parts {

using json::stringify;

// The warnings stored beside a message (a JSON array written by intake), or none.
inline Poco::JSON::Array::Ptr storedWarnings(const std::string& json) {
  if (json.empty()) return new Poco::JSON::Array;
  try {
    Poco::JSON::Parser p;
    return p.parse(json).extract<Poco::JSON::Array::Ptr>();
  } catch (const Poco::Exception&) {
    return new Poco::JSON::Array;
  }
}

inline std::optional<std::int64_t> parseId(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

inline HttpResponse refusalResponse(const IntakeRefusal& r) {
  return HttpResponse::error(r.error, r.report_json);
}

}  // namespace node_parts

// The node's certificates (TLS, its CA file, the trust anchors, the seal) with their ends.
std::vector<NodeGauges::Certificate> nodeCertificates(const NodeConfig& c);

struct Node::Impl {
  NodeConfig config;
  NodeOptions options;
  std::shared_ptr<const schemas::SchemaSet> schemas;
  std::shared_ptr<schemas::LiveDirectory> directory;  // replaced by reload(); read through current()
  std::shared_ptr<const RoutingTable> routing;
  std::mutex reload_mu;  // one reload at a time
  std::unique_ptr<Store> store;
  Metrics metrics;
  std::shared_ptr<const EnvelopeChecker> checker;
  std::shared_ptr<const MessageSigner> signer;
  std::unique_ptr<Intake> intake;
  std::unique_ptr<PeerPool> peers;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<AdapterHub> adapters;  // webhook, folder and axis units homed here
  std::unique_ptr<StoreAxisBackend> axis_backend;  // /axis/ when axis.clients is set
  std::shared_ptr<const adapters::AxisEndpoint> axis;
  std::unique_ptr<Poco::Net::HTTPServer> axis_http;  // axis.http_listen, loopback plain HTTP
  std::unique_ptr<AuditCheckpointer> checkpointer;
  std::unique_ptr<HttpServer> server;
  std::mutex log_mu;  // guards writes to options.log
  std::thread housekeeper;  // runs options.after_stored
  std::mutex house_mu;      // guards house_dirty and house_stop
  std::condition_variable house_cv;
  bool house_dirty = false;
  bool house_stop = false;
  std::thread scanner;  // checks every stored message's bytes once after start
  std::atomic<bool> scan_stop{false};
  std::vector<NodeGauges::Certificate> certificates;  // for /metrics, read at start
  std::mutex probe_mu;  // guards probe_ms and probe_result
  std::int64_t probe_ms = 0;
  Result<void> probe_result;

  // node.cpp: housekeeping and the log
  void stored();
  void housekeeping();
  void stopHousekeeping();
  // Damage the quick check at start cannot see (bytes inside a message): every stored message is
  // checked against its content_hash once, in the background, so /healthz and the audit log say
  // it without waiting for someone to ask for that message.
  void scanStore();
  void log(const std::string& event, const std::string& document_id, const std::string& detail);
  // node_delivery.cpp
  // Issues a status as this node and submits it to its own intake, which routes it back.
  Result<void> issueStatus(const std::string& reporter, const std::string& doc_sender,
                           const std::string& doc_id, StatusCode code,
                           const std::string& description, std::int64_t at_ms);
  // A unit with an adapter gets the original bytes through it; then, as for a mailbox, the
  // sender hears 01 for a document, and a status is recorded.
  HandOver deliverLocal(const Delivery& d, const StoredMessage& m);
  HandOver deliverMailbox(const Delivery& d, const StoredMessage& m);
  void deliveryFailed(const Delivery& d, const StoredMessage& m, const std::string& reason);
  // The adapter poller runs once a unit homed here has an adapter (at start or after a reload).
  void startAdapterPoller();
  // node_reload.cpp
  Result<DirectoryReload> reload(std::shared_ptr<const schemas::Directory> next, const std::string& by);
  Result<DirectoryReload> reloadFile(const std::string& by);
  // After a reload: pending deliveries to a closed code go to its successor, those to a unit
  // homed elsewhere now go its new way. Returns how many were re-routed.
  int reroutePending(const std::string& by, const std::string& version);
  // The way this node gives a delivery now (a closed recipient's successor, by the routing of
  // the current tree; `why` says when the recipient changed); none when the recipient is not in
  // `dir` or has no way.
  std::optional<NewDelivery> wayNow(const schemas::Directory& dir, const NewDelivery& was,
                                    const std::string& today, std::string& why) const;
  // node_handover.cpp: taking a retiring node's work on (handover.h).
  std::mutex handover_mu;  // one batch at a time; guards register_store
  std::unique_ptr<RegisterStore> register_store;  // opened at the first handover
  Result<RegisterStore*> handoverRegister();
  HttpResponse handoverView(const HttpRequest& r);
  HttpResponse handoverPost(const HttpRequest& r);
  HttpResponse reloadRoute(const HttpRequest& r);
  // node_api.cpp
  HttpResponse postMessage(const HttpRequest& r, MessageKind kind);
  // The OrganId an office may read the mailbox of.
  Result<std::string> mailboxOwner(const HttpRequest& r);
  HttpResponse listMailbox(const HttpRequest& r);
  Result<Delivery> ownedDelivery(const HttpRequest& r, const std::string& id_text);
  HttpResponse mailboxItem(const HttpRequest& r);
  HttpResponse documentView(const HttpRequest& r);
  // Whether the store takes writes, probed at most every 2 s.
  Result<void> storageWritable();
  HttpResponse health();
  std::shared_ptr<HttpRoutes> makeRoutes();
};

}  // namespace lienthong::gateway
