// The register book: the rules over the records the RegisterStore keeps. Every clerk record is
// checked (and its unit asked for) before anything is written, and every batch is audited.
#include "lienthong/gateway/evidence/register.h"

#include "lienthong/gateway/store/clock.h"

namespace lienthong::gateway {

RegisterBook::RegisterBook(std::shared_ptr<RegisterStore> store, UnitCheck unit_check)
    : store_(std::move(store)), unit_check_(std::move(unit_check)) {}
RegisterBook::~RegisterBook() = default;

Result<std::unique_ptr<RegisterBook>> RegisterBook::open(const std::string& path,
                                                         UnitCheck unit_check) {
  auto store = openSqliteRegisterStore(path);
  if (!store) return std::unexpected(store.error());
  return std::make_unique<RegisterBook>(std::shared_ptr<RegisterStore>(std::move(*store)),
                                        std::move(unit_check));
}

Result<RegisterEntry> RegisterBook::recordPaper(const PaperRecord& record, const std::string& actor) {
  auto n = recordPaperBatch({record}, actor);
  if (!n) return std::unexpected(n.error());
  auto id = store_->entryFor(record);
  if (!id) return std::unexpected(id.error());
  if (!*id) return fail(ErrorCode::Internal, "the entry just recorded cannot be found");
  RegisterQuery q;
  q.direction = record.direction;
  q.units = {record.unit};
  auto all = entries(q);
  if (!all) return std::unexpected(all.error());
  for (auto& e : *all) {
    if (e.id == **id) return std::move(e);
  }
  return fail(ErrorCode::Internal, "the entry just recorded cannot be read");
}

Result<int> RegisterBook::recordPaperBatch(const std::vector<PaperRecord>& records,
                                           const std::string& actor,
                                           const std::function<std::string(std::size_t)>& where) {
  // Every record is checked before anything is written.
  for (std::size_t i = 0; i < records.size(); ++i) {
    Result<void> ok = checkPaperRecord(records[i]);
    if (ok && unit_check_) ok = unit_check_(records[i].unit);
    if (!ok) {
      Error e = ok.error();
      if (where) e.message = where(i) + ": " + e.message;
      return std::unexpected(e);
    }
  }
  auto n = store_->recordPaper(records, actor, nowMs());
  if (!n || !audit_) return n;
  std::string detail = std::to_string(records.size()) + " record(s)";
  for (std::size_t i = 0; i < records.size() && i < 20; ++i) {
    const auto& r = records[i];
    detail += "; " + r.unit + " " + r.number + "/" + r.notation + " " + r.date +
              (r.document_id.empty() ? "" : " " + r.document_id);
  }
  if (records.size() > 20) detail += "; ...";
  if (auto a = audit_("paper recorded", actor, detail); !a) {
    return fail(a.error().code, "the paper records were stored but the audit log cannot record them: " +
                                    a.error().message);
  }
  return n;
}

void RegisterBook::setAuditHook(AuditHook hook) { audit_ = std::move(hook); }

Result<std::vector<RegisterEntry>> RegisterBook::entries(const RegisterQuery& query) {
  return store_->entries(query);
}

Result<std::vector<EntryTally>> RegisterBook::outgoingTallies(const RegisterQuery& query) {
  return store_->outgoingTallies(query);
}

Result<std::vector<DayCount>> RegisterBook::incomingCounts(const RegisterQuery& query) {
  return store_->incomingCounts(query);
}

Result<std::vector<StoredDocument>> RegisterBook::storedDocumentsAfter(std::int64_t after, int limit) {
  return store_->storedDocumentsAfter(after, limit);
}

Result<std::int64_t> RegisterBook::cursor() { return store_->cursor(); }

Result<void> RegisterBook::addGatewayEntries(const std::vector<RegisterEntry>& entries,
                                             std::int64_t cursor) {
  return store_->addGatewayEntries(entries, cursor, nowMs());
}

Result<std::vector<StatusTiming>> RegisterBook::statusTimings(const std::vector<std::string>& senders) {
  return store_->statusTimings(senders);
}

Result<std::map<std::string, std::int64_t>> RegisterBook::receivedTimes(
    const std::vector<std::int64_t>& message_ids) {
  return store_->receivedTimes(message_ids);
}

Result<std::vector<std::string>> RegisterBook::recallsSent(const std::vector<std::string>& senders) {
  return store_->recallsSent(senders);
}

Result<std::vector<RegisterBook::DeliveryBucket>> RegisterBook::deliveryBuckets() {
  return store_->deliveryBuckets();
}

Result<std::vector<RegisterBook::HopBacklog>> RegisterBook::pendingByHop() {
  return store_->pendingByHop();
}

Result<std::vector<RegisterBook::FailedDelivery>> RegisterBook::failedDeliveries(int limit) {
  return store_->failedDeliveries(limit);
}

}  // namespace lienthong::gateway
