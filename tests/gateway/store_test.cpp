// The SQLite store under concurrency: group commit answers every caller with its own outcome,
// duplicates inside one batch are caught, and a status is recorded once per delivery however
// often that delivery is handed over.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "gateway/gateway_fixture.h"

using namespace lienthong;
using namespace lienthong::gateway;
using namespace lienthong::gateway::testing;

namespace {

NewMessage document(const std::string& id, const std::string& hash) {
  NewMessage m;
  m.kind = MessageKind::Document;
  m.sender = kProvince;
  m.document_id = id;
  m.dedupe_key = id;
  m.content_hash = hash;
  m.bytes = "<edXML/>";
  m.received_from = "office:" + std::string(kProvince);
  m.deliveries = {NewDelivery{kDistrictA, RouteKind::Local, "", ""}};
  return m;
}

}  // namespace

TEST_CASE("store: concurrent inserts are committed in shared transactions, each caller told its own outcome") {
  TempDir tmp;
  auto store = std::move(*openSqliteStore((tmp.path() / "store.sqlite").string()));
  constexpr int kThreads = 8, kEach = 50;
  std::atomic<int> accepted{0}, duplicates{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        // Every document twice with the same bytes (duplicate) from two threads, and once with
        // other bytes (conflict).
        const std::string id = "DOC-" + std::to_string((t / 2) * kEach + i);
        auto r = store->insertMessage(document(id, "same"));
        if (r && !r->duplicate) ++accepted;
        if (r && r->duplicate) ++duplicates;
        if (t % 2 == 1) {
          auto c = store->insertMessage(document(id, "other"));
          if (!c && c.error().code == ErrorCode::Conflict) ++conflicts;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(accepted == kThreads / 2 * kEach);
  CHECK(duplicates == kThreads / 2 * kEach);
  CHECK(conflicts == kThreads / 2 * kEach);
  auto c = store->counts();
  REQUIRE(c);
  CHECK(c->messages == kThreads / 2 * kEach);
  CHECK(c->pending == kThreads / 2 * kEach);
  CHECK(c->audit == kThreads / 2 * kEach);
  auto records = store->auditRecords(0, 1000);
  REQUIRE(records);
  std::string prev(kAuditGenesis);
  for (const auto& r : *records) {
    CHECK(r.prev_hash == prev);
    CHECK(r.hash == auditRecordHash(r));
    prev = r.hash;
  }
}

TEST_CASE("store: a status is recorded once per delivery, even when the delivery is handed over twice") {
  TempDir tmp;
  auto store = std::move(*openSqliteStore((tmp.path() / "store.sqlite").string()));
  NewMessage s = document("STATUS-1", "h");
  s.kind = MessageKind::Status;
  s.status_code = 3;
  auto id = store->insertMessage(s);
  REQUIRE(id);
  auto ds = store->deliveriesOf(id->id);
  REQUIRE(ds);
  REQUIRE(ds->size() == 1);
  const StatusRecord rec{kProvince, "DOC-1", kDistrictA, 3, "accepted", "2026/11/20 10:00:00", 0};
  REQUIRE(store->recordStatus(rec, (*ds)[0].id, nowMs()));
  REQUIRE(store->recordStatus(rec, (*ds)[0].id, nowMs()));
  auto h = store->statusHistory(kProvince, "DOC-1");
  REQUIRE(h);
  CHECK(h->size() == 1);
  CHECK(store->delivery((*ds)[0].id)->state == DeliveryState::Delivered);
}

TEST_CASE("store: a claimed delivery is listed for no one and claimed by no one else until its claim ends or runs out") {
  TempDir tmp;
  auto store = std::move(*openSqliteStore((tmp.path() / "store.sqlite").string()));
  auto a = store->insertMessage(document("CLAIM-1", "h1"));
  auto b = store->insertMessage(document("CLAIM-2", "h2"));
  REQUIRE(a);
  REQUIRE(b);
  const std::int64_t t = nowMs();
  auto due = store->dueDeliveries(t, 10, {});
  REQUIRE(due);
  REQUIRE(due->size() == 2);
  const std::int64_t d1 = (*due)[0].id, d2 = (*due)[1].id;

  auto mine = store->claimDeliveries({d1, d2}, "node-a", t, t + 60000);
  REQUIRE(mine);
  CHECK(*mine == std::vector<std::int64_t>{d1, d2});
  auto theirs = store->claimDeliveries({d1, d2}, "node-b", t, t + 60000);
  REQUIRE(theirs);
  CHECK(theirs->empty());
  CHECK(store->dueDeliveries(t, 10, {})->empty());

  // A retry ends the claim: listed again when due. A hand-over ends it for good.
  REQUIRE(store->scheduleRetry(d1, 1, t, "peer down"));
  auto again = store->dueDeliveries(t, 10, {});
  REQUIRE(again);
  REQUIRE(again->size() == 1);
  CHECK(again->front().id == d1);
  REQUIRE(store->claimDeliveries({d1}, "node-b", t, t + 60000)->size() == 1);
  REQUIRE(store->finishDelivery(d1, DeliveryState::Delivered, t, "mailbox"));
  CHECK(store->claimDeliveries({d1}, "node-a", t, t + 60000)->empty());  // not pending any more

  // A claim nobody ends runs out: after it, another may take the delivery.
  CHECK(store->claimDeliveries({d2}, "node-b", t + 59999, t + 120000)->empty());
  auto late = store->claimDeliveries({d2}, "node-b", t + 60000, t + 120000);
  REQUIRE(late);
  CHECK(*late == std::vector<std::int64_t>{d2});
  // Only its owner's release ends it early.
  CHECK(*store->releaseClaims("node-a", {d2}) == 0);
  CHECK(*store->releaseClaims("node-b", {}) == 1);
  CHECK(store->dueDeliveries(t, 10, {})->size() == 1);
}

TEST_CASE("store: a retiring node's message is adopted once, merged with the copy held here, and refused with other bytes") {
  TempDir tmp;
  auto store = std::move(*openSqliteStore((tmp.path() / "store.sqlite").string()));
  // A document whose bytes differ per `variant`, with their true hash.
  const auto real = [](const std::string& id, const std::string& variant) {
    NewMessage m = document(id, "");
    m.bytes = "<edXML v='" + variant + "'/>";
    m.content_hash = sha256Hex(m.bytes);
    return m;
  };
  auto held = store->insertMessage(real("HELD-1", "h1"));
  REQUIRE(held);
  const auto here_ms = store->message(held->id)->received_ms;
  const auto handed = [&](std::int64_t origin, const std::string& id, const std::string& hash) {
    HandedMessage h;
    h.from_node = "district-a";
    h.origin_id = origin;
    h.message = real(id, hash);
    h.received_ms = here_ms - 60000;  // it reached the retiring node a minute earlier
    HandedDelivery local;
    local.to = NewDelivery{kCommuneA1, RouteKind::Local, "", ""};
    local.state = DeliveryState::Acknowledged;
    local.done_ms = here_ms - 1000;
    HandedDelivery peer;  // how it left the retiring node: kept only for a message new here
    peer.to = NewDelivery{kProvince, RouteKind::Peer, "province", ""};
    peer.state = DeliveryState::Delivered;
    h.deliveries = {local, peer};
    return h;
  };
  // Held here already: the retiring node's mailbox delivery is added, the earlier arrival kept.
  auto merged = store->adoptMessage(handed(11, "HELD-1", "h1"), "admin:op");
  REQUIRE(merged);
  CHECK(merged->id == held->id);
  CHECK(merged->merged);
  CHECK(merged->deliveries == 1);
  CHECK(store->message(held->id)->received_ms == here_ms - 60000);
  auto deliveries = store->deliveriesOf(held->id);
  REQUIRE(deliveries);
  REQUIRE(deliveries->size() == 2);
  CHECK(deliveries->back().recipient == kCommuneA1);
  CHECK(deliveries->back().state == DeliveryState::Acknowledged);
  // New here: stored with every delivery, states kept.
  auto fresh = store->adoptMessage(handed(12, "NEW-1", "n1"), "admin:op");
  REQUIRE(fresh);
  CHECK_FALSE(fresh->merged);
  CHECK(fresh->deliveries == 2);
  // Again: nothing changes.
  auto again = store->adoptMessage(handed(12, "NEW-1", "n1"), "admin:op");
  REQUIRE(again);
  CHECK(again->again);
  CHECK(again->id == fresh->id);
  CHECK(store->deliveriesOf(fresh->id)->size() == 2);
  // The same origin id with other bytes, or other bytes under a key held here: Conflict.
  auto other = store->adoptMessage(handed(12, "NEW-1", "n2"), "admin:op");
  REQUIRE_FALSE(other);
  CHECK(other.error().code == ErrorCode::Conflict);
  auto clash = store->adoptMessage(handed(13, "HELD-1", "h2"), "admin:op");
  REQUIRE_FALSE(clash);
  CHECK(clash.error().code == ErrorCode::Conflict);
  auto items = store->handoverItems("district-a");
  REQUIRE(items);
  REQUIRE(items->size() == 2);
  CHECK(items->front().origin_id == 11);
  CHECK(items->front().content_hash == sha256Hex("<edXML v='h1'/>"));
  CHECK(items->back().message_id == fresh->id);
  // Status records: one held already is skipped.
  StatusRecord s{kProvince, "NEW-1", kCommuneA1, 1, "đã đến", "2022/07/04 10:00:00", here_ms};
  CHECK(*store->adoptStatuses({s, s}, "admin:op") == 1);
  CHECK(*store->adoptStatuses({s}, "admin:op") == 0);
  CHECK(store->statusHistory(kProvince, "NEW-1")->size() == 1);
}
