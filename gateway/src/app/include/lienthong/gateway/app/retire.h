// Retiring a node (issue 17, item 4; `lienthong node retire`): with the node stopped, its
// messages (with their pending deliveries and its mailboxes), its register and its status
// records go to a running node that takes the work on, through that node's handover API
// (node/handover.h), in batches that can be sent again. The other node must already home the
// retiring node's units (a directory change, reloaded there). Then both sides are compared: the
// messages (count and a digest over ids and content hashes) and the register (lines per unit,
// direction and channel). Only when they are equal are the retiring node's pending and
// unfetched deliveries marked handed_over (audited one by one) and the retirement recorded in
// its audit log, so a node can never be left half handed over and believed done.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>

#include "lienthong/gateway/http/https_client.h"
#include "lienthong/gateway/node/config.h"
#include "lienthong/gateway/node/handover.h"
#include "lienthong/schemas/directory.h"

namespace lienthong::gateway {

struct RetireOptions {
  int batch_messages = 200;                // messages in one batch at most
  std::size_t batch_bytes = 16u << 20;     // message bytes in one batch at most (one bigger goes alone)
  int batch_lines = 1000;                  // register lines or status records in one batch
  std::string actor = "operator";          // who retires the node, for both audit logs
  // The retiring node's directory; empty: its directory.file.
  std::shared_ptr<const schemas::Directory> directory;
};

struct RetireReport {
  std::string node;  // the retiring node
  std::string to;    // the node that took the work on
  std::string to_directory;
  std::int64_t units = 0;  // units homed at the retiring node
  std::int64_t messages = 0;
  std::int64_t messages_there = 0;
  std::string digest;
  std::string digest_there;
  HandoverOutcome sent;       // what the batches reported, added up
  std::int64_t statuses = 0;  // status records sent
  std::int64_t pending = 0;   // pending deliveries here before
  std::int64_t handed_over = 0;    // deliveries marked handed_over here
  std::int64_t pending_left = 0;   // pending deliveries here after
  std::map<std::string, RegisterTally> register_here;
  std::map<std::string, RegisterTally> register_there;
  // Messages, digest and register all equal, and nothing pending left here.
  bool nothingLeftBehind() const;
};

// Config when something listens on the node's own address (node.listen): it still runs.
// Tools that must not run beside the node (retire, restore) call it first.
Result<void> checkNodeStopped(const NodeConfig& config);

// Runs the handover of the node `config` describes to the node `to` answers for (an admin
// credential there). Progress lines go to `progress`. Errors: Config (the node still runs, its
// store cannot be opened), Conflict (the other node does not home its units yet), Network, and
// the other node's refusals; nothing is marked here unless every batch was taken.
Result<RetireReport> retireNode(const NodeConfig& config, HttpsClient& to, const RetireOptions& options,
                                std::ostream& progress);

// The proof, as `lienthong node retire` prints it: one line per item, here and there.
void printRetireReport(std::ostream& out, const RetireReport& r);

}  // namespace lienthong::gateway
