// The store's deliveries: what is due, their outcomes and retries, backlogs, mailboxes and the
// states later packages set.
#include "sqlite_store_impl.h"

namespace lienthong::gateway::sqlite_parts {

Result<std::vector<Delivery>> SqliteStore::dueDeliveries(std::int64_t now_ms, int limit,
                                            const std::vector<std::int64_t>& busy,
                                            const std::vector<std::string>& skip_nodes,
                                            const std::vector<std::string>& skip_units) {
  return read("due deliveries", [&](Session& s) -> Result<std::vector<Delivery>> {
    DeliveryRows rows;
    Int64 at = now_ms;
    int n = limit + static_cast<int>(busy.size());
    const auto marks = [](std::size_t k) {
      std::string m;
      for (std::size_t i = 0; i < k; ++i) m += i == 0 ? "?" : ",?";
      return m;
    };
    Poco::Data::Statement st(s);
    st << "SELECT " << kDeliveryColumns
       << " FROM deliveries WHERE state = 'pending' AND next_attempt_ms <= ? AND claimed_until <= ?"
       << (skip_nodes.empty() ? "" : " AND NOT (route = 'peer' AND next_node IN (" + marks(skip_nodes.size()) + "))")
       << (skip_units.empty() ? "" : " AND NOT (route = 'local' AND recipient IN (" + marks(skip_units.size()) + "))")
       << " ORDER BY next_attempt_ms, id LIMIT ?",
        bind(at), bind(at);
    for (const auto& node : skip_nodes) st, bind(node);
    for (const auto& unit : skip_units) st, bind(unit);
    st, bind(n);
    rows.bind(st);
    st.execute();
    std::set<std::int64_t> skip(busy.begin(), busy.end());
    std::vector<Delivery> out;
    for (auto& d : rows.take()) {
      if (skip.contains(d.id)) continue;
      if (static_cast<int>(out.size()) >= limit) break;
      out.push_back(std::move(d));
    }
    return out;
  });
}

Result<std::vector<Delivery>> SqliteStore::deliveriesOf(std::int64_t message_id) {
  return read("read deliveries", [&](Session& s) -> Result<std::vector<Delivery>> {
    DeliveryRows rows;
    Int64 key = message_id;
    Poco::Data::Statement st(s);
    st << "SELECT " << kDeliveryColumns << " FROM deliveries WHERE message_id = ? ORDER BY id",
        bind(key);
    rows.bind(st);
    st.execute();
    return rows.take();
  });
}

Result<Delivery> SqliteStore::delivery(std::int64_t id) {
  return read("read delivery", [&](Session& s) -> Result<Delivery> {
    DeliveryRows rows;
    Int64 key = id;
    Poco::Data::Statement st(s);
    st << "SELECT " << kDeliveryColumns << " FROM deliveries WHERE id = ?", bind(key);
    rows.bind(st);
    st.execute();
    auto all = rows.take();
    if (all.empty()) return fail(ErrorCode::NotFound, "no delivery " + std::to_string(id));
    return all.front();
  });
}

Result<void> SqliteStore::finishDelivery(std::int64_t id, DeliveryState state, std::int64_t now_ms,
                            const std::string& note, const std::string& actor) {
  return write("finish delivery", [&](Session& s) -> Result<void> {
    Int64 key = id, at = now_ms;
    const std::string st(deliveryStateName(state));
    // Already there (a status recorded it with its audit record): nothing to add.
    std::vector<std::string> was;
    s << "SELECT state FROM deliveries WHERE id = ?", bind(key), into(was), now;
    if (!was.empty() && was[0] == st) return {};
    s << "UPDATE deliveries SET state = ?, done_ms = ?, last_error = ?, claimed_by = '',"
         " claimed_until = 0 WHERE id = ?",
        bind(st), bind(at), bind(note), bind(key), now;
    std::vector<std::string> document_id;
    std::vector<Int64> message_id;
    s << "SELECT m.document_id, m.id FROM deliveries d JOIN messages m ON m.id = d.message_id"
         " WHERE d.id = ?", bind(key), into(document_id), into(message_id), now;
    appendChained(s, at,
                  AuditEntry{"delivery " + st, actor,
                             document_id.empty() ? std::string() : document_id[0],
                             "delivery:" + std::to_string(id) +
                                 (message_id.empty() ? "" : " message:" + std::to_string(message_id[0])),
                             note});
    return {};
  });
}

Result<bool> SqliteStore::rerouteDelivery(std::int64_t id, const NewDelivery& to, std::int64_t now_ms,
                                          const std::string& note, const std::string& actor) {
  return write("re-route delivery", [&](Session& s) -> Result<bool> {
    Int64 key = id, at = now_ms;
    const std::string route(routeName(to.route));
    s << "UPDATE deliveries SET recipient = ?, route = ?, next_node = ?, addressed_to = ?,"
         " next_attempt_ms = ?, attempts = 0 WHERE id = ? AND state = 'pending' AND claimed_until <= ?",
        bind(to.recipient), bind(route), bind(to.next_node), bind(to.addressed_to), bind(at), bind(key),
        bind(at), now;
    int changed = 0;
    s << "SELECT changes()", into(changed), now;
    if (changed == 0) return false;
    std::vector<std::string> document_id;
    std::vector<Int64> message_id;
    s << "SELECT m.document_id, m.id FROM deliveries d JOIN messages m ON m.id = d.message_id"
         " WHERE d.id = ?", bind(key), into(document_id), into(message_id), now;
    appendChained(s, at,
                  AuditEntry{"delivery re-routed", actor,
                             document_id.empty() ? std::string() : document_id[0],
                             "delivery:" + std::to_string(id) +
                                 (message_id.empty() ? "" : " message:" + std::to_string(message_id[0])),
                             note});
    return true;
  });
}

Result<void> SqliteStore::scheduleRetry(std::int64_t id, int attempts, std::int64_t next_ms,
                           const std::string& error) {
  return write("schedule retry", [&](Session& s) -> Result<void> {
    Int64 key = id, at = next_ms;
    s << "UPDATE deliveries SET attempts = ?, next_attempt_ms = ?, last_error = ?,"
         " claimed_by = '', claimed_until = 0 WHERE id = ?",
        bind(attempts), bind(at), bind(error), bind(key), now;
    return {};
  });
}

Result<std::vector<std::int64_t>> SqliteStore::claimDeliveries(const std::vector<std::int64_t>& ids,
                                                               const std::string& owner,
                                                               std::int64_t now_ms,
                                                               std::int64_t until_ms) {
  if (ids.empty()) return std::vector<std::int64_t>{};
  return write("claim deliveries", [&](Session& s) -> Result<std::vector<std::int64_t>> {
    std::vector<std::int64_t> claimed;
    Int64 at = now_ms, until = until_ms;
    for (const std::int64_t id : ids) {
      Int64 key = id;
      s << "UPDATE deliveries SET claimed_by = ?, claimed_until = ? WHERE id = ?"
           " AND state = 'pending' AND claimed_until <= ?",
          bind(owner), bind(until), bind(key), bind(at), now;
      int changed = 0;
      s << "SELECT changes()", into(changed), now;
      if (changed > 0) claimed.push_back(id);
    }
    return claimed;
  });
}

Result<int> SqliteStore::releaseClaims(const std::string& owner, const std::vector<std::int64_t>& ids) {
  return write("release claims", [&](Session& s) -> Result<int> {
    int released = 0;
    if (ids.empty()) {
      s << "UPDATE deliveries SET claimed_by = '', claimed_until = 0 WHERE claimed_by = ?"
           " AND claimed_until > 0",
          bind(owner), now;
      s << "SELECT changes()", into(released), now;
      return released;
    }
    for (const std::int64_t id : ids) {
      Int64 key = id;
      s << "UPDATE deliveries SET claimed_by = '', claimed_until = 0 WHERE id = ? AND claimed_by = ?",
          bind(key), bind(owner), now;
      int changed = 0;
      s << "SELECT changes()", into(changed), now;
      released += changed;
    }
    return released;
  });
}

Result<std::optional<std::int64_t>> SqliteStore::nextDue() {
  return read("next due", [&](Session& s) -> Result<std::optional<std::int64_t>> {
    std::vector<Int64> at;
    s << "SELECT MIN(next_attempt_ms) FROM deliveries WHERE state = 'pending'"
         " HAVING COUNT(*) > 0", into(at), now;
    if (at.empty()) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{at.front()};
  });
}

Result<int> SqliteStore::retryNow(const std::string& node, std::int64_t now_ms) {
  return write("retry now", [&](Session& s) -> Result<int> {
    Int64 at = now_ms;
    Poco::Data::Statement st(s);
    st << "UPDATE deliveries SET next_attempt_ms = ? WHERE state = 'pending' AND route = 'peer'"
          " AND next_node = ? AND next_attempt_ms > ?",
        bind(at), bind(node), bind(at);
    return static_cast<int>(st.execute());
  });
}

Result<std::vector<Delivery>> SqliteStore::pendingCreatedBefore(std::int64_t created_before_ms,
                                                   int limit) {
  return read("pending deliveries past the horizon", [&](Session& s) -> Result<std::vector<Delivery>> {
    DeliveryRows rows;
    Int64 before = created_before_ms;
    Poco::Data::Statement st(s);
    st << "SELECT " << kDeliveryColumns
       << " FROM deliveries WHERE state = 'pending' AND created_ms < ? ORDER BY id LIMIT ?",
        bind(before), bind(limit);
    rows.bind(st);
    st.execute();
    return rows.take();
  });
}

Result<std::vector<Backlog>> SqliteStore::backlog() {
  return read("backlog", [&](Session& s) -> Result<std::vector<Backlog>> {
    std::vector<std::string> route, hop;
    std::vector<Int64> pending, oldest;
    s << "SELECT route, CASE WHEN route = 'peer' THEN next_node ELSE recipient END AS hop,"
         " COUNT(*), MIN(created_ms) FROM deliveries WHERE state = 'pending'"
         " GROUP BY route, hop ORDER BY route, hop",
        into(route), into(hop), into(pending), into(oldest), now;
    std::vector<Backlog> out;
    for (std::size_t i = 0; i < route.size(); ++i) {
      out.push_back(Backlog{parseRoute(route[i]), hop[i], pending[i], oldest[i]});
    }
    return out;
  });
}

Result<std::vector<MailboxEntry>> SqliteStore::mailbox(const std::string& recipient,
                                          const std::vector<DeliveryState>& states) {
  // The mailbox is the local deliveries of documents.
  return localDeliveries(recipient, MessageKind::Document, states);
}

Result<std::vector<MailboxEntry>> SqliteStore::localDeliveries(const std::string& recipient, MessageKind kind,
                                                  const std::vector<DeliveryState>& states) {
  return read("local deliveries", [&](Session& s) -> Result<std::vector<MailboxEntry>> {
    DeliveryRows rows;
    std::vector<std::string> sender, document_id, subject;
    std::vector<Int64> received;
    const std::string k(kindName(kind));
    Poco::Data::Statement st(s);
    st << "SELECT d.id, d.message_id, d.recipient, d.route, d.next_node, d.state, d.attempts,"
          " d.next_attempt_ms, d.last_error, d.created_ms, d.done_ms, d.addressed_to, m.sender, m.document_id,"
          " m.subject, m.received_ms FROM deliveries d JOIN messages m ON m.id = d.message_id"
          " WHERE d.recipient = ? AND d.route = 'local' AND m.kind = ?"
          " AND d.state <> 'pending' ORDER BY d.id",
        bind(recipient), bind(k);
    rows.bind(st);
    st, into(sender), into(document_id), into(subject), into(received);
    st.execute();
    auto ds = rows.take();
    std::vector<MailboxEntry> out;
    for (std::size_t i = 0; i < ds.size(); ++i) {
      if (!states.empty() &&
          std::find(states.begin(), states.end(), ds[i].state) == states.end()) {
        continue;
      }
      out.push_back(MailboxEntry{ds[i], sender[i], document_id[i], subject[i], received[i]});
    }
    return out;
  });
}

Result<int> SqliteStore::setMailboxState(const std::string& sender, const std::string& document_id,
                            const std::string& recipient, DeliveryState state) {
  return write("set mailbox state", [&](Session& s) -> Result<int> {
    const std::string st(deliveryStateName(state));
    Poco::Data::Statement stmt(s);
    stmt << "UPDATE deliveries SET state = ? WHERE route = 'local' AND recipient = ? AND"
            " state <> 'pending' AND message_id IN (SELECT id FROM messages WHERE"
            " kind = 'document' AND sender = ? AND dedupe_key = ?)",
        bind(st), bind(recipient), bind(sender), bind(document_id);
    const auto n = stmt.execute();
    if (n > 0) {
      appendChained(s, nowMs(),
                    AuditEntry{"mailbox " + st, "system", document_id, "recipient:" + recipient,
                               std::to_string(n) + " mailbox entries from " + sender});
    }
    return static_cast<int>(n);
  });
}

}  // namespace lienthong::gateway::sqlite_parts
