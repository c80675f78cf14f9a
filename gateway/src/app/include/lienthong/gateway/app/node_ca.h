// The province CA as part of a node: the CA kept in the node's own SQLite file (beside the
// gateway's tables) opened as a CaService whose audit records go into the node's tamper-evident
// audit log, with the actor. Until a node store is attached (the service is opened before the
// node starts), records go to the CA's own ca_audit table. Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "lienthong/gateway/ca/ca_service.h"
#include "lienthong/gateway/store/ca_store.h"
#include "lienthong/gateway/node/config.h"
#include "lienthong/gateway/evidence/report_routes.h"
#include "lienthong/gateway/store/store.h"

namespace lienthong::gateway {

class CaAuditBridge {
 public:
  explicit CaAuditBridge(std::shared_ptr<CaStore> fallback) : fallback_(std::move(fallback)) {}
  // The node's store (nullptr detaches: call before the store goes away).
  void attach(Store* store) { store_.store(store); }
  // The hook for CaService: event, object (serial or unit), detail "actor=<who>; ...".
  CaAuditFn fn();

 private:
  std::shared_ptr<CaStore> fallback_;
  std::atomic<Store*> store_{nullptr};
};

struct NodeCa {
  std::shared_ptr<CaStore> store;
  std::shared_ptr<CaAuditBridge> audit;
  std::shared_ptr<CaService> service;
};

// True when the SQLite file holds a CA (ca_settings filled by `lienthong ca init`).
Result<bool> storeHoldsCa(const std::string& store_file);
// Opens the CA of `store_file`; KeyUnavailable naming the passphrase when it is wrong or missing.
Result<NodeCa> openNodeCa(const std::string& store_file, const std::string& passphrase);

// The CA of the node `config` describes, when its store (<node.data>/store.sqlite) holds one:
// opened with the passphrase from ca.passphrase_file or LIENTHONG_CA_PASSPHRASE. nullopt when
// the store holds no CA.
Result<std::optional<NodeCa>> nodeCaFor(const NodeConfig& config);

// The CA's coverage as the evidence pages take it.
CoverageFn coverageOf(std::shared_ptr<CaService> ca);

}  // namespace lienthong::gateway
