// The dispatcher when its store will not take an outcome: the delivery stays pending and is held
// until its next attempt instead of being picked again at once (a failing disk must not turn
// into a hand-over loop), and the failure is counted.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "gateway/gateway_fixture.h"
#include "lienthong/gateway/node/dispatcher.h"
#include "lienthong/gateway/node/metrics.h"
#include "lienthong/schemas/live_directory.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

// A real SQLite store whose scheduleRetry fails, counting what the dispatcher asks of it.
class RetryRefusingStore : public Store {
 public:
  explicit RetryRefusingStore(std::unique_ptr<Store> inner) : inner_(std::move(inner)) {}

  Result<void> scheduleRetry(std::int64_t, int, std::int64_t, const std::string&) override {
    std::lock_guard lock(mu_);
    ++retries_refused_;
    cv_.notify_all();
    return std::unexpected(Error{ErrorCode::Storage, "disk I/O error (test)", 0, {}});
  }
  Result<std::vector<Delivery>> dueDeliveries(std::int64_t now_ms, int limit,
                                              const std::vector<std::int64_t>& busy,
                                              const std::vector<std::string>& skip_nodes,
                                              const std::vector<std::string>& skip_units) override {
    auto r = inner_->dueDeliveries(now_ms, limit, busy, skip_nodes, skip_units);
    std::lock_guard lock(mu_);
    ++due_calls_;
    cv_.notify_all();
    return r;
  }
  // Waits (bounded) until `pred` holds over the counters.
  template <class Pred>
  bool waitFor(Pred pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return pred(retries_refused_, due_calls_); });
  }

  Result<Accepted> insertMessage(const NewMessage& m) override { return inner_->insertMessage(m); }
  Result<StoredMessage> message(std::int64_t id) override { return inner_->message(id); }
  Result<std::optional<StoredMessage>> findDocument(const std::string& s, const std::string& d) override {
    return inner_->findDocument(s, d);
  }
  Result<std::vector<StoredMessage>> findDocuments(const std::string& d) override { return inner_->findDocuments(d); }
  Result<int> retryNow(const std::string& n, std::int64_t now) override { return inner_->retryNow(n, now); }
  Result<std::vector<Delivery>> pendingCreatedBefore(std::int64_t t, int limit) override {
    return inner_->pendingCreatedBefore(t, limit);
  }
  Result<std::vector<Backlog>> backlog() override { return inner_->backlog(); }
  Result<std::vector<Delivery>> deliveriesOf(std::int64_t id) override { return inner_->deliveriesOf(id); }
  Result<Delivery> delivery(std::int64_t id) override { return inner_->delivery(id); }
  Result<void> finishDelivery(std::int64_t id, DeliveryState state, std::int64_t now,
                              const std::string& note, const std::string& actor) override {
    return inner_->finishDelivery(id, state, now, note, actor);
  }
  Result<bool> rerouteDelivery(std::int64_t id, const NewDelivery& to, std::int64_t now, const std::string& note,
                               const std::string& actor) override {
    return inner_->rerouteDelivery(id, to, now, note, actor);
  }
  Result<std::optional<std::int64_t>> nextDue() override { return inner_->nextDue(); }
  Result<std::vector<std::int64_t>> claimDeliveries(const std::vector<std::int64_t>& ids, const std::string& owner,
                                                    std::int64_t now, std::int64_t until) override {
    return inner_->claimDeliveries(ids, owner, now, until);
  }
  Result<int> releaseClaims(const std::string& owner, const std::vector<std::int64_t>& ids) override {
    return inner_->releaseClaims(owner, ids);
  }
  Result<std::vector<MailboxEntry>> mailbox(const std::string& r, const std::vector<DeliveryState>& s) override {
    return inner_->mailbox(r, s);
  }
  Result<std::vector<MailboxEntry>> localDeliveries(const std::string& r, MessageKind k,
                                                    const std::vector<DeliveryState>& s) override {
    return inner_->localDeliveries(r, k, s);
  }
  Result<int> setMailboxState(const std::string& s, const std::string& d, const std::string& r,
                              DeliveryState st) override {
    return inner_->setMailboxState(s, d, r, st);
  }
  Result<void> recordStatus(const StatusRecord& s, std::int64_t id, std::int64_t now) override {
    return inner_->recordStatus(s, id, now);
  }
  Result<std::vector<StatusRecord>> statusHistory(const std::string& s, const std::string& d) override {
    return inner_->statusHistory(s, d);
  }
  Result<AdoptedMessage> adoptMessage(const HandedMessage& m, const std::string& actor) override {
    return inner_->adoptMessage(m, actor);
  }
  Result<std::vector<HandoverItem>> handoverItems(const std::string& n) override { return inner_->handoverItems(n); }
  Result<int> adoptStatuses(const std::vector<StatusRecord>& s, const std::string& actor) override {
    return inner_->adoptStatuses(s, actor);
  }
  Result<std::vector<StoredMessage>> messagesAfter(std::int64_t after, int limit) override {
    return inner_->messagesAfter(after, limit);
  }
  Result<std::vector<StatusRecord>> allStatuses() override { return inner_->allStatuses(); }
  Result<int> handOver(const std::string& to, const std::string& actor, std::int64_t now) override {
    return inner_->handOver(to, actor, now);
  }
  Result<StoreCounts> counts() override { return inner_->counts(); }
  Result<std::int64_t> verifyMessages(std::int64_t after, int limit) override {
    return inner_->verifyMessages(after, limit);
  }
  Result<void> probeWrite() override { return inner_->probeWrite(); }
  Result<void> appendAudit(const AuditEntry& e) override { return inner_->appendAudit(e); }
  Result<std::vector<AuditRecord>> auditRecords(std::int64_t after, int limit) override {
    return inner_->auditRecords(after, limit);
  }
  Result<std::optional<AuditRecord>> lastAudit() override { return inner_->lastAudit(); }
  Result<void> addCheckpoint(const AuditCheckpoint& c) override { return inner_->addCheckpoint(c); }
  Result<std::vector<AuditCheckpoint>> checkpoints() override { return inner_->checkpoints(); }

 private:
  std::unique_ptr<Store> inner_;
  std::mutex mu_;
  std::condition_variable cv_;
  int retries_refused_ = 0;
  int due_calls_ = 0;
};

}  // namespace

TEST_CASE("dispatcher: a retry the store will not record holds the delivery until its next attempt, not a hot loop") {
  TempDir tmp;
  RetryRefusingStore store(std::move(*openSqliteStore((tmp.path() / "store.sqlite").string())));
  NewMessage m;
  m.kind = MessageKind::Document;
  m.sender = kProvince;
  m.document_id = "10/UBND-VP";
  m.dedupe_key = m.document_id;
  m.bytes = "<edXML/>";
  m.content_hash = sha256Hex(m.bytes);
  m.received_from = "office:" + std::string(kProvince);
  m.deliveries = {NewDelivery{kDistrictA, RouteKind::Local, "", ""}};
  REQUIRE(store.insertMessage(m));

  DispatcherConfig config;
  config.workers = 1;
  config.backoff_ms = 60000;         // the next attempt is a minute away
  config.breaker_failures = 1000;    // the hop never rests: only the hold can keep it from looping
  Metrics metrics;
  PeerPool peers(TlsFiles{}, 1000);
  auto directory = schemas::LiveDirectory::make(std::make_shared<const schemas::Directory>());
  std::atomic<int> handovers{0};
  Dispatcher dispatcher(
      config, "node-test", store, directory, peers, metrics,
      [&](const Delivery&, const StoredMessage&) {
        ++handovers;
        return HandOver{HandOver::Kind::Retry, "mailbox unavailable (test)"};
      },
      [](const Delivery&, const StoredMessage&, const std::string&) {});
  dispatcher.start();
  REQUIRE(store.waitFor([](int refused, int) { return refused >= 1; }));
  int calls_at_failure = 0;
  REQUIRE(store.waitFor([&](int, int calls) { calls_at_failure = calls; return true; }));
  // Ask the dispatcher to look again, several times over; each look lists due work without it.
  for (int i = 0; i < 5; ++i) {
    dispatcher.wake();
    REQUIRE(store.waitFor([&](int, int calls) { return calls > calls_at_failure + i; }));
  }
  dispatcher.stop();
  CHECK(handovers.load() == 1);
  CHECK(metrics.storeFailures() == 1);
  auto d = store.deliveriesOf(1);
  REQUIRE(d);
  REQUIRE(d->size() == 1);
  CHECK(d->front().state == DeliveryState::Pending);  // nothing lost: still pending, to be retried
}

TEST_CASE("dispatcher: two dispatchers over one store file hand over each delivery once") {
  TempDir tmp;
  const std::string file = (tmp.path() / "store.sqlite").string();
  auto first = std::move(*openSqliteStore(file));
  auto second = std::move(*openSqliteStore(file));
  constexpr int kDocs = 60;
  for (int i = 0; i < kDocs; ++i) {
    NewMessage m;
    m.kind = MessageKind::Document;
    m.sender = kProvince;
    m.document_id = std::to_string(i) + "/UBND-VP";
    m.dedupe_key = m.document_id;
    m.bytes = "<edXML n=\"" + std::to_string(i) + "\"/>";
    m.content_hash = sha256Hex(m.bytes);
    m.received_from = "office:" + std::string(kProvince);
    m.deliveries = {NewDelivery{kDistrictA, RouteKind::Local, "", ""}, NewDelivery{kDistrictB, RouteKind::Local, "", ""}};
    REQUIRE(first->insertMessage(m));
  }
  DispatcherConfig config;
  config.workers = 3;
  config.batch = 4;
  Metrics metrics_a, metrics_b;
  PeerPool peers(TlsFiles{}, 1000);
  auto directory = schemas::LiveDirectory::make(std::make_shared<const schemas::Directory>());
  std::mutex mu;
  std::map<std::int64_t, int> handed;  // delivery id -> hand-overs
  std::map<std::string, int> by;
  const auto local = [&](const std::string& who) {
    return [&, who](const Delivery& d, const StoredMessage&) {
      std::lock_guard lock(mu);
      ++handed[d.id];
      ++by[who];
      return HandOver{};
    };
  };
  const auto none = [](const Delivery&, const StoredMessage&, const std::string&) {};
  Dispatcher a(config, "node-a", *first, directory, peers, metrics_a, local("a"), none);
  Dispatcher b(config, "node-b", *second, directory, peers, metrics_b, local("b"), none);
  a.start();
  b.start();
  const bool drained = waitFor([&] { return first->counts()->pending == 0; }, std::chrono::seconds(30));
  a.stop();
  b.stop();
  std::lock_guard lock(mu);
  INFO("pending " << first->counts()->pending << ", store failures " << metrics_a.storeFailures() << " + "
                  << metrics_b.storeFailures());
  REQUIRE(drained);
  CHECK(handed.size() == 2 * kDocs);
  for (const auto& [id, n] : handed) {
    INFO("delivery " << id);
    CHECK(n == 1);
  }
  INFO("node-a handed over " << by["a"] << ", node-b " << by["b"]);
  CHECK(by["a"] + by["b"] == 2 * kDocs);
}
