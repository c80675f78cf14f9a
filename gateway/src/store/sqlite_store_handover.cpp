// Retiring a node (issue 17, item 4): the node taking the work on adopts the retiring node's
// messages, deliveries and status records; the retiring node reads them out and marks what it
// handed over. Each adoption is one transaction with its audit record, keyed by the message's id
// at the retiring node, so a handover run twice (or resumed after a failure) changes nothing the
// second time.
#include "sqlite_store_impl.h"

namespace lienthong::gateway::sqlite_parts {

Result<AdoptedMessage> SqliteStore::adoptMessage(const HandedMessage& h, const std::string& actor) {
  return write("adopt message", [&](Session& s) -> Result<AdoptedMessage> {
    const NewMessage& m = h.message;
    AdoptedMessage out;
    Int64 origin = h.origin_id;
    {
      std::vector<Int64> ids;
      std::vector<std::string> hashes;
      s << "SELECT message_id, content_hash FROM handover_items WHERE from_node = ? AND origin_id = ?",
          bind(h.from_node), bind(origin), into(ids), into(hashes), now;
      if (!ids.empty()) {
        if (hashes[0] != m.content_hash) {
          return fail(ErrorCode::Conflict, "message " + std::to_string(h.origin_id) + " of node '" + h.from_node +
                                               "' was handed over before with other bytes (here message " +
                                               std::to_string(ids[0]) + ")");
        }
        out.id = ids[0];
        out.again = true;
        return out;
      }
    }
    const std::string kind(kindName(m.kind));
    const Int64 at = nowMs();
    std::vector<Int64> ids, received;
    std::vector<std::string> hashes;
    s << "SELECT id, content_hash, received_ms FROM messages WHERE kind = ? AND sender = ? AND dedupe_key = ?",
        bind(kind), bind(m.sender), bind(m.dedupe_key), into(ids), into(hashes), into(received), now;
    Int64 id = 0;
    std::vector<std::pair<std::string, std::string>> present;  // (recipient, route) held here
    if (!ids.empty()) {
      if (hashes[0] != m.content_hash) {
        return fail(ErrorCode::Conflict, "message " + std::to_string(h.origin_id) + " of node '" + h.from_node +
                                             "' ('" + m.document_id + "' from " + m.sender +
                                             ") differs from message " + std::to_string(ids[0]) +
                                             " held here under the same key");
      }
      id = ids[0];
      out.merged = true;
      // It first reached the network at the earlier of the two nodes: the latency figures of
      // its sender (now reported here) count from then.
      Int64 first = std::min<Int64>(received[0], h.received_ms > 0 ? h.received_ms : received[0]);
      s << "UPDATE messages SET received_ms = ? WHERE id = ?", bind(first), bind(id), now;
      std::vector<std::string> recipient, route;
      s << "SELECT recipient, route FROM deliveries WHERE message_id = ?", bind(id), into(recipient),
          into(route), now;
      for (std::size_t i = 0; i < recipient.size(); ++i) present.emplace_back(recipient[i], route[i]);
    } else {
      id = insertMessageRow(s, m, h.received_ms > 0 ? h.received_ms : at);
    }
    for (const auto& d : h.deliveries) {
      const std::string route(routeName(d.to.route));
      // A message held here keeps its own deliveries; of the retiring node's it takes the local
      // ones (the mailboxes it served) and those still pending.
      if (out.merged && d.state != DeliveryState::Pending && d.to.route != RouteKind::Local) continue;
      // One this node has already (it took the message from the retiring node, which had not yet
      // marked its delivery done when it stopped): never a second delivery.
      if (std::find(present.begin(), present.end(), std::pair{d.to.recipient, route}) != present.end()) continue;
      const std::string state(deliveryStateName(d.state));
      Int64 created = d.created_ms > 0 ? d.created_ms : at, done = d.done_ms;
      int attempts = d.state == DeliveryState::Pending ? 0 : d.attempts;
      s << "INSERT INTO deliveries(message_id, recipient, route, next_node, state, attempts,"
           " next_attempt_ms, last_error, created_ms, done_ms, addressed_to) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
          bind(id), bind(d.to.recipient), bind(route), bind(d.to.next_node), bind(state), bind(attempts),
          bind(at), bind(d.last_error), bind(created), bind(done), bind(d.to.addressed_to), now;
      ++out.deliveries;
    }
    s << "INSERT INTO handover_items(from_node, origin_id, message_id, content_hash, at_ms) VALUES (?,?,?,?,?)",
        bind(h.from_node), bind(origin), bind(id), bind(m.content_hash), bind(at), now;
    appendChained(s, at,
                  AuditEntry{"handed over " + kind, actor, m.document_id, "message:" + std::to_string(id),
                             "from node " + h.from_node + " (its message " + std::to_string(h.origin_id) + "), " +
                                 (out.merged ? "held here already, " : "") + std::to_string(out.deliveries) +
                                 " deliveries taken on"});
    out.id = id;
    return out;
  });
}

Result<std::vector<HandoverItem>> SqliteStore::handoverItems(const std::string& from_node) {
  return read("read handover", [&](Session& s) -> Result<std::vector<HandoverItem>> {
    std::vector<Int64> origin, id;
    std::vector<std::string> hash;
    s << "SELECT origin_id, message_id, content_hash FROM handover_items WHERE from_node = ? ORDER BY origin_id",
        bind(from_node), into(origin), into(id), into(hash), now;
    std::vector<HandoverItem> out;
    out.reserve(origin.size());
    for (std::size_t i = 0; i < origin.size(); ++i) out.push_back(HandoverItem{origin[i], id[i], hash[i]});
    return out;
  });
}

Result<int> SqliteStore::adoptStatuses(const std::vector<StatusRecord>& statuses, const std::string& actor) {
  return write("adopt statuses", [&](Session& s) -> Result<int> {
    int added = 0;
    const Int64 at = nowMs();
    for (const auto& r : statuses) {
      int held = 0;
      s << "SELECT COUNT(*) FROM statuses WHERE document_sender = ? AND document_id = ? AND reporter = ?"
           " AND code = ? AND timestamp = ?",
          bind(r.document_sender), bind(r.document_id), bind(r.reporter), bind(r.code), bind(r.timestamp),
          into(held), now;
      if (held > 0) continue;
      Int64 recorded = r.recorded_ms;
      s << "INSERT INTO statuses(document_sender, document_id, reporter, code, description,"
           " timestamp, recorded_ms) VALUES (?,?,?,?,?,?,?)",
          bind(r.document_sender), bind(r.document_id), bind(r.reporter), bind(r.code),
          bind(r.description), bind(r.timestamp), bind(recorded), now;
      ++added;
    }
    if (added > 0) {
      appendChained(s, at, AuditEntry{"handed over statuses", actor, "", "",
                                      std::to_string(added) + " status records taken on (" +
                                          std::to_string(statuses.size() - added) + " held already)"});
    }
    return added;
  });
}

Result<std::vector<StoredMessage>> SqliteStore::messagesAfter(std::int64_t after_id, int limit) {
  return read("read messages", [&](Session& s) -> Result<std::vector<StoredMessage>> {
    MessageRows rows;
    Int64 after = after_id;
    Poco::Data::Statement st(s);
    st << "SELECT " << kMessageColumns << " FROM messages WHERE id > ? ORDER BY id LIMIT ?", bind(after),
        bind(limit);
    rows.bind(st);
    st.execute();
    return allIntact(rows);
  });
}

Result<std::vector<StatusRecord>> SqliteStore::allStatuses() {
  return read("read statuses", [&](Session& s) -> Result<std::vector<StatusRecord>> {
    std::vector<std::string> sender, document, reporter, description, timestamp;
    std::vector<int> code;
    std::vector<Int64> recorded;
    s << "SELECT document_sender, document_id, reporter, code, description, timestamp, recorded_ms"
         " FROM statuses ORDER BY id",
        into(sender), into(document), into(reporter), into(code), into(description), into(timestamp),
        into(recorded), now;
    std::vector<StatusRecord> out;
    out.reserve(sender.size());
    for (std::size_t i = 0; i < sender.size(); ++i) {
      out.push_back(StatusRecord{sender[i], document[i], reporter[i], code[i], description[i], timestamp[i],
                                 recorded[i]});
    }
    return out;
  });
}

Result<int> SqliteStore::handOver(const std::string& to_node, const std::string& actor, std::int64_t now_ms) {
  return write("hand over deliveries", [&](Session& s) -> Result<int> {
    std::vector<Int64> id, message;
    std::vector<std::string> document, state;
    s << "SELECT d.id, d.message_id, m.document_id, d.state FROM deliveries d JOIN messages m ON m.id = d.message_id"
         " WHERE d.state = 'pending' OR (d.route = 'local' AND d.state IN ('delivered', 'processing'))"
         " ORDER BY d.id",
        into(id), into(message), into(document), into(state), now;
    const Int64 at = now_ms;
    const std::string handed(deliveryStateName(DeliveryState::HandedOver));
    for (std::size_t i = 0; i < id.size(); ++i) {
      s << "UPDATE deliveries SET state = ?, done_ms = ?, claimed_by = '', claimed_until = 0 WHERE id = ?",
          bind(handed), bind(at), bind(id[i]), now;
      appendChained(s, at,
                    AuditEntry{"delivery " + handed, actor, document[i],
                               "delivery:" + std::to_string(id[i]) + " message:" + std::to_string(message[i]),
                               "was " + state[i] + "; node " + to_node + " holds it now"});
    }
    return static_cast<int>(id.size());
  });
}

}  // namespace lienthong::gateway::sqlite_parts
