// Retiring a node (issue 17, item 4): the wire between `lienthong node retire`, run on the
// retiring node's machine with that node stopped, and the running node that takes its work on
// (its parent, or another node).
//
//   GET  /api/v1/handover/NODE?units=A,B  (admin): what this node holds from NODE and how it
//        sees NODE's units: {"node", "from", "directory", "homes": {unit: home node or ""},
//        "messages": n, "digest": hex, "register": {unit: {"outgoing", "incoming",
//        "electronic_only", "paper_only", "both", "not_issued"}}}
//   POST /api/v1/handover  (admin), application/json:
//        {"format": "lienthong-handover/1", "from_node": "district-a",
//         "messages": [{"origin_id", "kind", "sender", "dedupe_key", "document_id",
//                       "document_sender", "content_hash", "bytes" (base64), "hops", "subject",
//                       "business_type", "target_document", "received_from", "status_code",
//                       "received_ms", "warnings", "deliveries": [{"recipient", "route",
//                       "next_node", "addressed_to", "state", "attempts", "created_ms",
//                       "done_ms", "last_error"}]}],
//         "register": [register lines as RegisterEntry, "message_id" the retiring node's],
//         "statuses": [{"document_sender", "document_id", "reporter", "code", "description",
//                       "timestamp", "recorded_ms"}]}
//        -> 200 {"messages": {"taken", "merged", "again", "deliveries"},
//                "register": {"added", "replaced"}, "statuses": {"added", "held"}}
//
// Before storing anything of a batch the receiving node checks every item: the bytes against
// their content_hash (400 naming the item); each pending delivery gets this node's way to its
// recipient, and one that would go back to the retiring node is refused (409: the directory
// change that re-homes its units comes first); a mailbox's history is kept only for a unit homed
// here now (409 otherwise); a register line's unit must be homed here and its message handed
// over in an earlier batch (409 / 422). Messages are keyed by their id at the retiring node and
// register lines and statuses by their content, so a batch sent again changes nothing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lienthong/gateway/store/register_store.h"
#include "lienthong/gateway/store/store.h"

namespace lienthong::gateway {

inline constexpr std::string_view kHandoverFormat = "lienthong-handover/1";

struct HandoverBatch {
  std::string from_node;
  // deliveries as the retiring node has them (`to` is its way; the receiver gives its own)
  std::vector<HandedMessage> messages;
  std::vector<RegisterEntry> register_lines;  // message_id: the retiring node's id
  std::vector<StatusRecord> statuses;
};

// One message of the retiring node's store, with its deliveries, for a batch.
HandedMessage handedMessage(const std::string& from_node, const StoredMessage& m,
                            const std::vector<Delivery>& deliveries);
std::string handoverJson(const HandoverBatch& batch);
// InvalidArgument naming the item and member ("messages[2].content_hash: does not match the
// bytes"); TooLarge past kMaxHandoverBytes.
Result<HandoverBatch> parseHandover(std::string_view json);
inline constexpr std::size_t kMaxHandoverBytes = 64u << 20;

struct HandoverOutcome {
  int taken = 0;       // messages new here
  int merged = 0;      // messages held here already, with deliveries added
  int again = 0;       // messages handed over before
  int deliveries = 0;  // deliveries added
  int register_added = 0;
  int register_replaced = 0;
  int statuses_added = 0;
  int statuses_held = 0;
};
std::string outcomeJson(const HandoverOutcome& o);
Result<HandoverOutcome> parseOutcome(std::string_view json);

// What the receiving node holds from a retiring node, and how it sees that node's units.
struct HandoverView {
  std::string node;       // the receiving node
  std::string from;       // the retiring node
  std::string directory;  // the receiving node's directory version
  std::map<std::string, std::string> homes;  // unit -> its home node there ("" when unknown)
  std::int64_t messages = 0;
  std::string digest;
  std::map<std::string, RegisterTally> register_tally;
};
std::string viewJson(const HandoverView& v);
Result<HandoverView> parseView(std::string_view json);

// SHA-256 hex over "origin_id:content_hash\n" in origin order: the same on both sides when
// every message arrived with its bytes.
std::string handoverDigest(const std::vector<HandoverItem>& items);

}  // namespace lienthong::gateway
