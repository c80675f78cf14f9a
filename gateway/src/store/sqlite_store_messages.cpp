// The store's messages: intake in one transaction, reads that check each message's hash (damage
// recorded once in the audit log), statuses and the counts.
#include "sqlite_store_impl.h"

namespace lienthong::gateway::sqlite_parts {

Result<Accepted> SqliteStore::insertMessage(const NewMessage& m) {
  return write("insert message", [&](Session& s) -> Result<Accepted> {
    const std::string kind(kindName(m.kind));
    std::vector<Int64> ids;
    std::vector<std::string> hashes;
    s << "SELECT id, content_hash FROM messages WHERE kind = ? AND sender = ? AND dedupe_key = ?",
        bind(kind), bind(m.sender), bind(m.dedupe_key), into(ids), into(hashes), now;
    if (!ids.empty()) {
      if (hashes[0] == m.content_hash) return Accepted{ids[0], true};
      return fail(ErrorCode::Conflict, "DocumentId '" + m.document_id + "' from " + m.sender +
                                           " was already received with different content (id " +
                                           std::to_string(ids[0]) + ")");
    }
    const Int64 now_ms = nowMs();
    const Int64 id = insertMessageRow(s, m, now_ms);
    std::string subject = "message:" + std::to_string(id);
    for (const auto& d : m.deliveries) {
      const std::string route(routeName(d.route));
      const std::string state(deliveryStateName(d.route == RouteKind::Paper ? DeliveryState::Paper
                                                                             : DeliveryState::Pending));
      const Int64 done = d.route == RouteKind::Paper ? now_ms : 0;
      s << "INSERT INTO deliveries(message_id, recipient, route, next_node, state,"
           " next_attempt_ms, created_ms, done_ms, addressed_to) VALUES (?,?,?,?,?,?,?,?,?)",
          bind(id), bind(d.recipient), bind(route), bind(d.next_node), bind(state), bind(now_ms),
          bind(now_ms), bind(done), bind(d.addressed_to), now;
    }
    appendChained(s, now_ms,
                  AuditEntry{"received " + kind, m.received_from.empty() ? "system" : m.received_from,
                             m.document_id, subject, m.audit_detail});
    return Accepted{id, false};
  });
}

Int64 insertMessageRow(Session& s, const NewMessage& m, Int64 received_ms) {
  const std::string kind(kindName(m.kind));
  s << "INSERT INTO messages(kind, sender, dedupe_key, document_id, document_sender,"
       " content_hash, bytes, hops, subject, business_type, target_document, received_from,"
       " status_code, received_ms, warnings) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      bind(kind), bind(m.sender), bind(m.dedupe_key), bind(m.document_id), bind(m.document_sender),
      bind(m.content_hash), bind(m.bytes), bind(m.hops), bind(m.subject), bind(m.business_type),
      bind(m.target_document), bind(m.received_from), bind(m.status_code), bind(received_ms), bind(m.warnings), now;
  Int64 id = 0;
  s << "SELECT last_insert_rowid()", into(id), now;
  return id;
}

Result<StoredMessage> SqliteStore::message(std::int64_t id) {
  return read("read message", [&](Session& s) -> Result<StoredMessage> {
    MessageRows rows;
    Int64 key = id;
    Poco::Data::Statement st(s);
    st << "SELECT " << kMessageColumns << " FROM messages WHERE id = ?", bind(key);
    rows.bind(st);
    st.execute();
    auto all = rows.take();
    if (all.empty()) return fail(ErrorCode::NotFound, "no message " + std::to_string(id));
    return intact(std::move(all.front()));
  });
}

Result<std::optional<StoredMessage>> SqliteStore::findDocument(const std::string& sender,
                                                  const std::string& document_id) {
  return read("find document", [&](Session& s) -> Result<std::optional<StoredMessage>> {
    MessageRows rows;
    Poco::Data::Statement st(s);
    st << "SELECT " << kMessageColumns
       << " FROM messages WHERE kind = 'document' AND sender = ? AND dedupe_key = ?",
        bind(sender), bind(document_id);
    rows.bind(st);
    st.execute();
    auto all = rows.take();
    if (all.empty()) return std::optional<StoredMessage>{};
    auto m = intact(std::move(all.front()));
    if (!m) return std::unexpected(m.error());
    return std::optional<StoredMessage>{std::move(*m)};
  });
}

Result<std::vector<StoredMessage>> SqliteStore::findDocuments(const std::string& document_id) {
  return read("find documents", [&](Session& s) -> Result<std::vector<StoredMessage>> {
    MessageRows rows;
    Poco::Data::Statement st(s);
    st << "SELECT " << kMessageColumns
       << " FROM messages WHERE kind = 'document' AND document_id = ? ORDER BY id",
        bind(document_id);
    rows.bind(st);
    st.execute();
    return allIntact(rows);
  });
}

Result<std::vector<StoredMessage>> SqliteStore::allIntact(const MessageRows& rows) {
  std::vector<StoredMessage> out;
  for (auto& one : rows.take()) {
    auto m = intact(std::move(one));
    if (!m) return std::unexpected(m.error());
    out.push_back(std::move(*m));
  }
  return out;
}

// A stored message whose bytes no longer match their content_hash is never served: the
// caller gets a Storage error naming it, and the damage is recorded once in the audit log.
Result<StoredMessage> SqliteStore::intact(StoredMessage m) {
  if (sha256Hex(m.bytes) == m.content_hash) return m;
  bool first = false;
  {
    std::lock_guard lock(damage_mu_);
    first = damaged_.insert(m.id).second;
    if (damage_.empty()) damage_ = "message " + std::to_string(m.id) + " does not match its content_hash";
  }
  const std::string what = "stored " + std::string(kindName(m.kind)) + " " + std::to_string(m.id) +
                           " ('" + m.document_id + "' from " + m.sender + ") is damaged in '" +
                           path_ + "': its bytes no longer match the SHA-256 recorded at intake";
  if (first) (void)appendAudit(AuditEntry{"store damage", "system", m.document_id,
                                          "message:" + std::to_string(m.id), what});
  return fail(ErrorCode::Storage, what + "; it is not served. Restore the store from a backup "
                                         "or ask the sender to send it again (lienthong store check "
                                         "lists every damaged message)");
}

// SQLite found a damaged page while serving: /healthz says so from now on.
void SqliteStore::noteDamage(const std::exception& e) {
  namespace sq = Poco::Data::SQLite;
  if (const auto* c = dynamic_cast<const sq::CorruptImageException*>(&e)) {
    std::lock_guard lock(damage_mu_);
    if (damage_.empty()) damage_ = "SQLite found a damaged page (" + c->displayText() + ")";
  }
  // The storage refusing writes (full, read-only, I/O errors): /healthz reports it a while.
  if (dynamic_cast<const sq::DatabaseFullException*>(&e) || dynamic_cast<const sq::IOErrorException*>(&e) ||
      dynamic_cast<const sq::ReadOnlyException*>(&e) || dynamic_cast<const sq::CantOpenDBFileException*>(&e) ||
      dynamic_cast<const sq::DBAccessDeniedException*>(&e)) {
    std::lock_guard lock(damage_mu_);
    write_failure_ = dynamic_cast<const Poco::Exception&>(e).displayText();
    write_failure_ms_ = nowMs();
  }
}

Result<std::int64_t> SqliteStore::verifyMessages(std::int64_t after_id, int limit) {
  return read("verify messages", [&](Session& s) -> Result<std::int64_t> {
    MessageRows rows;
    Int64 after = after_id;
    Poco::Data::Statement st(s);
    st << "SELECT " << kMessageColumns << " FROM messages WHERE id > ? ORDER BY id LIMIT ?",
        bind(after), bind(limit);
    rows.bind(st);
    st.execute();
    std::int64_t last = after_id;
    for (auto& m : rows.take()) {
      last = m.id;
      (void)intact(std::move(m));
    }
    return last;
  });
}

Result<void> SqliteStore::recordStatus(const StatusRecord& r, std::int64_t delivery_id,
                          std::int64_t now_ms) {
  return write("record status", [&](Session& s) -> Result<void> {
    Int64 at = now_ms, key = delivery_id;
    const std::string delivered(deliveryStateName(DeliveryState::Delivered));
    // Recorded once per delivery, however often the delivery is handed over.
    std::vector<std::string> state;
    s << "SELECT state FROM deliveries WHERE id = ?", bind(key), into(state), now;
    if (!state.empty() && state[0] != deliveryStateName(DeliveryState::Pending)) return {};
    s << "INSERT INTO statuses(document_sender, document_id, reporter, code, description,"
         " timestamp, recorded_ms) VALUES (?,?,?,?,?,?,?)",
        bind(r.document_sender), bind(r.document_id), bind(r.reporter), bind(r.code),
        bind(r.description), bind(r.timestamp), bind(at), now;
    s << "UPDATE deliveries SET state = ?, done_ms = ? WHERE id = ?", bind(delivered), bind(at),
        bind(key), now;
    appendChained(s, at,
                  AuditEntry{"status " + std::to_string(r.code), "system", r.document_id,
                             "delivery:" + std::to_string(delivery_id),
                             "from " + r.reporter + " for " + r.document_sender});
    // The delivery's own record goes in the same transaction: a crash after this commit
    // cannot leave a delivered status without it (finishDelivery then finds it done).
    std::vector<Int64> message_id;
    s << "SELECT message_id FROM deliveries WHERE id = ?", bind(key), into(message_id), now;
    appendChained(s, at,
                  AuditEntry{"delivery " + delivered, "system", r.document_id,
                             "delivery:" + std::to_string(delivery_id) +
                                 (message_id.empty() ? "" : " message:" + std::to_string(message_id[0])),
                             "mailbox"});
    return {};
  });
}

Result<std::vector<StatusRecord>> SqliteStore::statusHistory(const std::string& document_sender,
                                                const std::string& document_id) {
  return read("status history", [&](Session& s) -> Result<std::vector<StatusRecord>> {
    std::vector<std::string> reporter, description, timestamp;
    std::vector<int> code;
    std::vector<Int64> recorded;
    s << "SELECT reporter, code, description, timestamp, recorded_ms FROM statuses"
         " WHERE document_sender = ? AND document_id = ? ORDER BY id",
        bind(document_sender), bind(document_id), into(reporter), into(code), into(description),
        into(timestamp), into(recorded), now;
    std::vector<StatusRecord> out;
    for (std::size_t i = 0; i < reporter.size(); ++i) {
      out.push_back(StatusRecord{document_sender, document_id, reporter[i], code[i],
                                 description[i], timestamp[i], recorded[i]});
    }
    return out;
  });
}

Result<StoreCounts> SqliteStore::counts() {
  return read("counts", [&](Session& s) -> Result<StoreCounts> {
    StoreCounts c;
    s << "SELECT COUNT(*) FROM messages", into(c.messages), now;
    s << "SELECT COUNT(*) FROM deliveries WHERE state = 'pending'", into(c.pending), now;
    s << "SELECT COUNT(*) FROM deliveries WHERE state = 'pending' AND attempts > 0", into(c.retrying), now;
    s << "SELECT COUNT(*) FROM deliveries WHERE state NOT IN ('pending','paper','failed')",
        into(c.delivered), now;
    s << "SELECT COUNT(*) FROM deliveries WHERE state = 'paper'", into(c.paper), now;
    s << "SELECT COUNT(*) FROM deliveries WHERE state = 'failed'", into(c.failed), now;
    s << "SELECT COUNT(*) FROM audit", into(c.audit), now;
    return c;
  });
}

}  // namespace lienthong::gateway::sqlite_parts
