// One running gateway node: its store, directory, router, intake, dispatcher and HTTPS API,
// assembled from a NodeConfig. Routes (under /api/v1, JSON unless noted):
//   POST /api/v1/documents            edXML package (office, node)  202 {id,...} | 200 duplicate
//   POST /api/v1/statuses             edXML status message (office, node)
//   GET  /api/v1/mailbox?organ=ID     documents delivered to a home unit (office: its own)
//   GET  /api/v1/mailbox/{delivery}   the original signed bytes (application/xml)
//   POST /api/v1/mailbox/{delivery}/ack
//   GET  /api/v1/documents/{DocumentId}[?sender=ID]  each recipient's state, status history
//   POST /api/v1/directory/reload     (admin) reads directory.file again and switches to it
//   GET  /healthz, GET /metrics (Prometheus text), plus NodeOptions::extra_routes.
// Thread-safe; stop() (or the destructor) stops the server, then the dispatcher, then the
// housekeeping thread (NodeOptions::after_stored).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include "lienthong/gateway/node/config.h"
#include "lienthong/gateway/node/envelope.h"
#include "lienthong/gateway/http/http_server.h"
#include "lienthong/gateway/node/intake.h"
#include "lienthong/schemas/live_directory.h"
#include "lienthong/gateway/node/metrics.h"
#include "lienthong/gateway/store/store.h"
#include "lienthong/schemas/directory.h"

namespace lienthong::gateway {

struct NodeOptions {
  // The directory to start from instead of reading config.directory_file. Each node has its own
  // schemas::LiveDirectory (a reload replaces its content); serve.h shares it with the evidence routes.
  std::shared_ptr<schemas::LiveDirectory> directory;
  std::shared_ptr<const EnvelopeChecker> verifier;      // checks signed messages
  std::shared_ptr<const MessageSigner> signer;          // signs the statuses this node issues
  std::vector<HttpRoute> extra_routes;                  // e.g. /crl, /ocsp, admin routes
  std::ostream* log = nullptr;                          // JSON lines, one per event
  bool start_dispatcher = true;
  // Runs on the node's housekeeping thread (never a request's) soon after messages are stored,
  // coalesced, and every housekeeping_ms otherwise; e.g. the register indexer (serve.h). A
  // failure is logged and retried on the next round.
  std::function<Result<void>()> after_stored;
  int housekeeping_ms = 30000;
  // More of /metrics (Prometheus text with its own families), appended when scraped: e.g. the
  // CA's certificates and CRLs (ca_api.h caMetrics).
  std::function<std::string()> extra_metrics;
};

// What a directory reload did (Node::reloadDirectory).
struct DirectoryReload {
  std::string previous_version;
  std::string version;
  std::size_t units = 0;     // in the new directory
  std::size_t adapters = 0;  // units homed here served through webhook, folder or axis
  std::vector<std::string> changes;  // schemas::directoryChanges(previous, new)
  // Pending deliveries sent another way: to a closed code's successor, or to a unit's new home.
  int rerouted = 0;
};

class Node {
 public:
  static Result<std::unique_ptr<Node>> start(const NodeConfig& config, NodeOptions options = {});
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  void stop();
  int port() const;
  std::string url() const;  // https://host:port
  int axisHttpPort() const;  // the plain-HTTP /axis listener (axis.http_listen); 0 when none
  const std::string& name() const;
  Store& store();
  Metrics& metrics();
  // Signs a checkpoint of the audit log now (nullopt when nothing is new since the last one).
  Result<std::optional<AuditCheckpoint>> checkpointAudit();
  // Switches the running node to another version of the directory: routing of the next message,
  // the adapter of each unit homed here (the next delivery uses the new channel; deliveries
  // under way finish on the old one), peers' URLs, the evidence's units, and every pending
  // delivery whose recipient closed (to its successor) or moved (to its new home), each once,
  // audited as "delivery re-routed". Checked first: this
  // node must be in it and every adapter setting must be usable; on any problem nothing changes
  // and the error says what. Recorded in the audit log. Reloads are serialized.
  Result<DirectoryReload> reloadDirectory(std::shared_ptr<const schemas::Directory> next);
  // The same, reading config.directory_file again (POST /api/v1/directory/reload, SIGHUP).
  Result<DirectoryReload> reloadDirectory();
  // Submits a message as this node itself would (no credential check); for statuses it issues.
  std::expected<IntakeOutcome, IntakeRefusal> submitInternal(const std::string& bytes,
                                                             MessageKind kind);

  struct Impl;

 private:
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lienthong::gateway
