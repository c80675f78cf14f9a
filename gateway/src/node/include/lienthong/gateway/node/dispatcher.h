// The outbox: worker threads take pending deliveries from the store and hand each over: to a
// peer node (edXML over HTTPS with mutual TLS, connections reused) or to the local mailbox or
// adapter (through a callback the node provides). Everything it knows is in the store, so a
// restarted node carries on where it stopped. Thread-safe; start() once, stop() joins the workers.
//
// Isolation between next hops (a peer node, or a local unit): a worker takes the deliveries of one
// hop at a time, and one hop holds at most `per_peer` workers, so a hop that hangs (every network
// step has a deadline, see https_client.h) cannot take them all. After `breaker_failures` failures
// in a row the hop's circuit opens: nothing is tried for a while (growing like the backoff), then
// one delivery probes it. A success, or a message coming in from that peer, closes the circuit and
// makes all its waiting deliveries due at once.
//
// Outages measured in days: a delivery that fails for a reason that may pass is retried with
// capped exponential backoff and jitter until `retry_horizon_ms` after it was stored; it fails for
// good earlier only for a permanent refusal (or after `max_attempts` tries when that is set). The
// node is then told, with the reason, to inform the sender.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lienthong/gateway/http/https_client.h"
#include "lienthong/schemas/live_directory.h"
#include "lienthong/gateway/node/metrics.h"
#include "lienthong/gateway/store/store.h"
#include "lienthong/schemas/directory.h"

namespace lienthong::gateway {

inline constexpr std::int64_t kDayMs = 24ll * 3600 * 1000;

struct DispatcherConfig {
  int workers = 4;          // with per_peer 0: a busy peer gets 2 at once, the others keep 2
  int batch = 16;           // deliveries of one hop a worker takes at once
  int max_attempts = 0;     // 0: no cap on tries, the horizon decides; N: failed after N tries
  int backoff_ms = 500;     // first retry delay; doubles each time
  int backoff_max_ms = 300000;
  std::int64_t retry_horizon_ms = 7 * kDayMs;  // retried this long after it was stored
  int per_peer = 0;         // workers one hop may hold at once; 0: half the workers, at least 1
  int breaker_failures = 3; // failures in a row that open a hop's circuit
  int probe_max_ms = 30000; // the longest rest: a resting hop is probed at least this often
};

// What a hand-over achieved: Ok, a failure worth retrying, or one that retrying cannot cure.
struct HandOver {
  enum class Kind { Ok, Retry, Permanent } kind = Kind::Ok;
  std::string error;
};

// The dispatcher's view of one hop, for /metrics.
struct HopHealth {
  std::string hop;          // "node:NAME" or "unit:ORGANID"
  int failures = 0;         // in a row
  bool open = false;        // resting: nothing is tried until `probe_in_ms` has passed
  std::int64_t probe_in_ms = 0;
  int in_flight = 0;
};

class Dispatcher {
 public:
  using LocalDelivery = std::function<HandOver(const Delivery&, const StoredMessage&)>;
  // A delivery failed for good: `reason` says why (a refusal, or the retry horizon passed).
  using FailureNotice =
      std::function<void(const Delivery&, const StoredMessage&, const std::string& reason)>;

  Dispatcher(DispatcherConfig config, std::string self, Store& store,
             std::shared_ptr<const schemas::LiveDirectory> directory, PeerPool& peers, Metrics& metrics,
             LocalDelivery local, FailureNotice on_failed);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  void stop();
  // New work was stored: look now instead of at the next timer.
  void wake();
  // A message came in from peer node `node`: it is reachable again, retry what waits for it now.
  void peerSeen(const std::string& node);
  std::vector<HopHealth> health() const;

 private:
  struct Hop {
    int in_flight = 0;
    int failures = 0;               // in a row
    std::int64_t open_until_ms = 0; // > now: resting
    bool maybe_waiting = true;      // deliveries may be scheduled later than now (unknown at start)
    std::int64_t last_poke_ms = 0;  // last retryNow for an incoming message
  };

  void work();
  void handle(const Delivery& d, const std::string& hop);
  HandOver toPeer(const Delivery& d, const StoredMessage& m);
  std::int64_t backoff(int attempts) const;
  void expireOverdue();
  void fail(const Delivery& d, const StoredMessage* m, const std::string& reason, std::int64_t now);
  void reachable(const std::string& hop, const Delivery* d);  // after a success or an incoming message
  int perHopLimit() const;

  DispatcherConfig config_;
  std::string self_;
  Store& store_;
  std::shared_ptr<const schemas::LiveDirectory> directory_;  // peers' URLs, as of each hand-over
  PeerPool& peers_;
  Metrics& metrics_;
  LocalDelivery local_;
  FailureNotice on_failed_;

  // A worker hands over only deliveries it claimed in the store (Store::claimDeliveries), as
  // this node (`self_`); a claim runs this long, longer than any hand-over takes.
  std::int64_t claimMs() const;
  // Claims `batch` (or what of it no one else holds) and keeps only those.
  bool claim(std::vector<Delivery>& batch);

  mutable std::mutex mu_;  // guards held_, hops_, stopping_, wakeups_, last_sweep_ms_
  std::condition_variable cv_;
  // Deliveries whose outcome the store would not take (scheduleRetry or finishDelivery failed):
  // not picked again before this time, so a failing store does not make them retry hot. They
  // stay pending in the store, so nothing is lost.
  std::map<std::int64_t, std::int64_t> held_;
  void hold(std::int64_t id, std::int64_t until_ms);
  std::map<std::string, Hop> hops_;
  bool stopping_ = false;
  std::uint64_t wakeups_ = 0;
  std::int64_t last_sweep_ms_ = 0;
  std::vector<std::thread> threads_;
};

// "node:NAME" for a peer delivery, "unit:ORGANID" for a local one.
std::string hopKey(const Delivery& d);

// Prometheus lines for /metrics: lienthong_backlog{route,hop} (pending deliveries),
// lienthong_backlog_oldest_seconds{route,hop} (age of the oldest), and per hop in trouble
// lienthong_hop_failures{hop}, lienthong_hop_resting{hop} and lienthong_hop_probe_in_seconds{hop}.
std::string renderBacklog(const std::vector<Backlog>& backlog, const std::vector<HopHealth>& hops,
                          std::int64_t now_ms);

}  // namespace lienthong::gateway
