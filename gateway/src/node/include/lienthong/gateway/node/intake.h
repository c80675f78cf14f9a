// The intake pipeline: every message a node accepts, from an office, a peer node or the node
// itself, passes here, in order: size, safe parse, schema, credential against From/OrganId,
// secrecy marks, envelope signature, duplicates, routing of every recipient; then one store
// transaction (bytes, one delivery per recipient, audit). A success means the message is durable.
// Thread-safe: holds only immutable state and thread-safe collaborators.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/gateway/http/auth.h"
#include "lienthong/gateway/node/envelope.h"
#include "lienthong/gateway/node/metrics.h"
#include "lienthong/gateway/node/routing.h"
#include "lienthong/gateway/store/store.h"
#include "lienthong/schemas/edxml.h"
#include "lienthong/schemas/schema_set.h"

namespace lienthong::gateway {

// The warnings as stored beside a message and answered with it: a JSON array of
// {code, message, line, element}; "" when there are none.
std::string warningsJson(const std::vector<schemas::Warning>& ws);

struct IntakeOutcome {
  bool duplicate = false;  // false: stored now; true: the same message was stored before
  std::int64_t id = 0;     // the message id (the first one for a duplicate)
  MessageKind kind = MessageKind::Document;
  std::string document_id;
  std::string sender;
  int deliveries = 0;
  int paper = 0;
  std::vector<schemas::Warning> warnings;  // what intake tolerated (kept with the message)
};

struct IntakeRefusal {
  Error error;
  std::string report_json;  // the signature validation report, when there is one
};

class Intake {
 public:
  Intake(std::size_t max_bytes, std::shared_ptr<const schemas::SchemaSet> schemas,
         std::shared_ptr<const RoutingTable> routing, Store& store,
         std::shared_ptr<const EnvelopeChecker> checker, Metrics& metrics,
         std::function<void()> on_stored);

  // `expect` limits the kind (a document route refuses status messages and back); `hops` are
  // the traces handed over by the previous node.
  std::expected<IntakeOutcome, IntakeRefusal> submit(std::string_view bytes,
                                                     const Credential& who,
                                                     const std::string& hops,
                                                     std::optional<MessageKind> expect = {});

 private:
  std::expected<IntakeOutcome, IntakeRefusal> run(std::string_view bytes, const Credential& who,
                                                  const std::string& hops,
                                                  std::optional<MessageKind> expect);
  Result<void> checkSender(const Credential& who, const std::string& from) const;
  // A status answers a document stored here and comes from the party its code belongs to;
  // returns that document's sender (for a recall, which real producers address by naming the
  // recipient in ResponseFor/OrganId, the recall's own sender).
  Result<std::string> checkStatusEntitled(const NewMessage& m) const;

  std::size_t max_bytes_;
  std::shared_ptr<const schemas::SchemaSet> schemas_;
  std::shared_ptr<const RoutingTable> routing_;
  Store& store_;
  std::shared_ptr<const EnvelopeChecker> checker_;
  Metrics& metrics_;
  std::function<void()> on_stored_;
};


}  // namespace lienthong::gateway
